package org.amdim.train;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.math.BigInteger;
import java.nio.channels.Channels;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.amdim.tensor.DType;
import org.amdim.tensor.Tensor;

/**
 * Test helper: writes {@code {'model': state_dict, 'hyperparams': ..., 'cursor': ...}} in PyTorch's legacy
 * {@code torch.save} format, laid out as PyTorch before 1.6 (the published models' version) writes it: the magic
 * number, protocol version and system-information pickles, the object pickle (protocol 2, an
 * {@code OrderedDict} of {@code _rebuild_tensor_v2} calls on persistent storage ids), the sorted key list, and
 * each storage as an int64 element count and its raw bytes. Lets tests build checkpoints of configurations far
 * too large to commit (the published ImageNet models) without Python.
 */
final class LegacyPthWriter {
    private LegacyPthWriter() {
    }

    /** Writes {@code path}; {@code hyperparams} values are Long, Double or Boolean. */
    static void write(Path path, Map<String, Tensor> stateDict, Map<String, Object> hyperparams) throws IOException {
        List<Tensor> storages = new ArrayList<>();
        ByteArrayOutputStream obj = new ByteArrayOutputStream();
        obj.write(new byte[] {(byte) 0x80, 2, '}', '('});
        str(obj, "model");
        obj.write(global("collections", "OrderedDict"));
        obj.write(new byte[] {')', 'R', '('});
        for (var e : stateDict.entrySet()) {
            str(obj, e.getKey());
            tensor(obj, e.getValue(), Integer.toString(storages.size()));
            storages.add(e.getValue());
        }
        obj.write('u');
        str(obj, "hyperparams");
        obj.write(new byte[] {'}', '('});
        for (var e : hyperparams.entrySet()) {
            str(obj, e.getKey());
            switch (e.getValue()) {
                case Long n -> integer(obj, n);
                case Double d -> {
                    obj.write('G');
                    long bits = Double.doubleToLongBits(d);
                    for (int i = 7; i >= 0; i--) {
                        obj.write((int) (bits >>> (8 * i)));
                    }
                }
                case Boolean b -> obj.write(b ? 0x88 : 0x89);
                default -> throw new IllegalArgumentException(e.getKey());
            }
        }
        obj.write('u');
        obj.write(new byte[] {'u', '.'});

        try (OutputStream out = Files.newOutputStream(path)) {
            ByteArrayOutputStream head = new ByteArrayOutputStream();
            head.write(new byte[] {(byte) 0x80, 2});
            bigInteger(head, new BigInteger("1950a86a20f9469cfc6c", 16));
            head.write(new byte[] {'.', (byte) 0x80, 2});
            integer(head, 1001);
            head.write(new byte[] {'.', (byte) 0x80, 2, '}', '('});
            str(head, "protocol_version");
            integer(head, 1001);
            str(head, "little_endian");
            head.write(0x88);
            str(head, "type_sizes");
            head.write(new byte[] {'}', '('});
            for (var t : List.of(Map.entry("short", 2L), Map.entry("int", 4L), Map.entry("long", 4L))) {
                str(head, t.getKey());
                integer(head, t.getValue());
            }
            head.write(new byte[] {'u', 'u', '.'});
            out.write(head.toByteArray());
            out.write(obj.toByteArray());
            // PyTorch sorts the keys as strings.
            List<String> keys = new ArrayList<>();
            for (int i = 0; i < storages.size(); i++) {
                keys.add(Integer.toString(i));
            }
            keys.sort(null);
            ByteArrayOutputStream list = new ByteArrayOutputStream();
            list.write(new byte[] {(byte) 0x80, 2, ']', '('});
            for (String k : keys) {
                str(list, k);
            }
            list.write(new byte[] {'e', '.'});
            out.write(list.toByteArray());
            WritableByteChannel ch = Channels.newChannel(out);
            for (String k : keys) {
                Tensor t = storages.get(Integer.parseInt(k));
                long numel = t.numel();
                for (int i = 0; i < 8; i++) {
                    out.write((int) (numel >>> (8 * i)));
                }
                try (Tensor c = t.contiguous()) {
                    if (numel > 0) {
                        var buf = c.dataSegment().asByteBuffer();
                        while (buf.hasRemaining()) {
                            ch.write(buf);
                        }
                    }
                }
            }
        }
    }

    private static void tensor(ByteArrayOutputStream o, Tensor t, String key) throws IOException {
        o.write(global("torch._utils", "_rebuild_tensor_v2"));
        o.write(new byte[] {'(', '('});
        str(o, "storage");
        o.write(global("torch", storageClass(t.dtype())));
        str(o, key);
        str(o, "cpu");
        integer(o, t.numel());
        o.write(new byte[] {'N', 't', 'Q'});
        integer(o, 0);
        long[] shape = t.shape();
        o.write('(');
        for (long s : shape) {
            integer(o, s);
        }
        o.write(new byte[] {'t', '('});
        long stride = 1;
        long[] strides = new long[shape.length];
        for (int i = shape.length - 1; i >= 0; i--) {
            strides[i] = stride;
            stride *= shape[i];
        }
        for (long s : strides) {
            integer(o, s);
        }
        o.write(new byte[] {'t', (byte) 0x89});
        o.write(global("collections", "OrderedDict"));
        o.write(new byte[] {')', 'R', 't', 'R'});
    }

    private static String storageClass(DType d) {
        return switch (d) {
            case FLOAT32 -> "FloatStorage";
            case INT64 -> "LongStorage";
            case UINT8 -> "ByteStorage";
            default -> throw new IllegalArgumentException(d.toString());
        };
    }

    private static byte[] global(String module, String name) {
        return ("c" + module + "\n" + name + "\n").getBytes(StandardCharsets.US_ASCII);
    }

    private static void str(ByteArrayOutputStream o, String s) throws IOException {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        o.write('X');
        for (int i = 0; i < 4; i++) {
            o.write(b.length >>> (8 * i));
        }
        o.write(b);
    }

    private static void integer(ByteArrayOutputStream o, long v) throws IOException {
        if (v >= Integer.MIN_VALUE && v <= Integer.MAX_VALUE) {
            o.write('J');
            for (int i = 0; i < 4; i++) {
                o.write((int) (v >>> (8 * i)));
            }
        } else {
            bigInteger(o, BigInteger.valueOf(v));
        }
    }

    private static void bigInteger(ByteArrayOutputStream o, BigInteger v) throws IOException {
        byte[] be = v.toByteArray();
        o.write(0x8a);
        o.write(be.length);
        for (int i = be.length - 1; i >= 0; i--) {
            o.write(be[i]);
        }
    }
}
