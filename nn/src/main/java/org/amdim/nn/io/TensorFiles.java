package org.amdim.nn.io;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.amdim.tensor.DType;
import org.amdim.tensor.Device;
import org.amdim.tensor.Tensor;
import org.amdim.tensor.TensorScope;

/**
 * Reads and writes named tensors as safetensors files: state dicts, optimizer state, checkpoints.
 *
 * <pre>{@code
 * try (NamedTensors weights = TensorFiles.load(Path.of("encoder.safetensors"))) {
 *     encoder.loadStateDict(weights.tensors(), true);
 * }
 * TensorFiles.save(Path.of("encoder.safetensors"), encoder.stateDict(), Map.of("preset", "cifar"));
 * }</pre>
 *
 * <p>Writes are atomic (temporary file, fsync, rename): a crash never leaves a half-written file in place of a
 * good one. Reads validate the whole file first ({@link SafetensorsFile}).
 */
public final class TensorFiles {
    private TensorFiles() {
    }

    /** The tensor dtype for a safetensors dtype. */
    public static DType toDType(SafetensorsDType t) {
        return switch (t) {
            case F64 -> DType.FLOAT64;
            case F32 -> DType.FLOAT32;
            case F16 -> DType.FLOAT16;
            case BF16 -> DType.BFLOAT16;
            case I64 -> DType.INT64;
            case I32 -> DType.INT32;
            case I16 -> DType.INT16;
            case I8 -> DType.INT8;
            case U8 -> DType.UINT8;
            case BOOL -> DType.BOOL;
        };
    }

    /** The safetensors dtype for a tensor dtype. */
    public static SafetensorsDType toSafetensors(DType t) {
        return switch (t) {
            case FLOAT64 -> SafetensorsDType.F64;
            case FLOAT32 -> SafetensorsDType.F32;
            case FLOAT16 -> SafetensorsDType.F16;
            case BFLOAT16 -> SafetensorsDType.BF16;
            case INT64 -> SafetensorsDType.I64;
            case INT32 -> SafetensorsDType.I32;
            case INT16 -> SafetensorsDType.I16;
            case INT8 -> SafetensorsDType.I8;
            case UINT8 -> SafetensorsDType.U8;
            case BOOL -> SafetensorsDType.BOOL;
        };
    }

    /**
     * Loads every tensor of a file onto the CPU.
     *
     * @throws SafetensorsFormatException when the file is malformed (nothing is loaded then)
     */
    public static NamedTensors load(Path path) throws IOException {
        try (SafetensorsFile file = SafetensorsFile.open(path)) {
            verifyChecksum(path, file);
            return load(file, file.names());
        }
    }

    /**
     * Checks the tensor data against the {@link DataChecksum} in the metadata, where the writer stored one
     * ({@link #saveWithChecksum}); files without it (from other tools) are taken as they are.
     *
     * @throws SafetensorsFormatException naming the file when the bytes do not match
     */
    private static void verifyChecksum(Path path, SafetensorsFile file) throws SafetensorsFormatException {
        String stored = file.metadata().get(DataChecksum.KEY);
        if (stored == null) {
            return;
        }
        Map<String, MemorySegment> data = new LinkedHashMap<>();
        for (String name : file.names()) {
            data.put(name, file.data(name));
        }
        String actual = DataChecksum.of(data);
        if (!actual.equals(stored)) {
            throw new SafetensorsFormatException(path, "the tensor data does not match its checksum ("
                    + DataChecksum.KEY + " " + stored + ", computed " + actual + "): the file is damaged");
        }
    }

    /** Loads the named tensors of an open file onto the CPU. */
    public static NamedTensors load(SafetensorsFile file, List<String> names) {
        NamedTensors out = new NamedTensors(file.metadata());
        try {
            for (String name : names) {
                SafetensorsEntry e = file.entry(name);
                out.put(name, TensorScope.escape(Tensor.fromSegment(file.data(name), toDType(e.dtype()), e.shape())));
            }
        } catch (RuntimeException ex) {
            out.close();
            throw ex;
        }
        return out;
    }

    /**
     * Writes tensors (any device, any layout) and string metadata to {@code path}, atomically. Tensor names are
     * sorted in the file, as the reference files are.
     */
    public static void save(Path path, Map<String, Tensor> tensors, Map<String, String> metadata) throws IOException {
        save(path, tensors, metadata, false);
    }

    /**
     * Like {@link #save}, and stores a {@link DataChecksum} of the tensor data in the metadata, which
     * {@link #load(Path)} verifies: for checkpoints, whose damage would otherwise go unnoticed.
     */
    public static void saveWithChecksum(Path path, Map<String, Tensor> tensors, Map<String, String> metadata)
            throws IOException {
        save(path, tensors, metadata, true);
    }

    private static void save(Path path, Map<String, Tensor> tensors, Map<String, String> metadata, boolean checksum)
            throws IOException {
        SafetensorsWriter writer = new SafetensorsWriter();
        metadata.forEach(writer::metadata);
        // Host copies live in the scope until the writer has written their bytes.
        try (var scope = TensorScope.open()) {
            Map<String, MemorySegment> data = new LinkedHashMap<>();
            for (var e : tensors.entrySet()) {
                Tensor t = e.getValue();
                Tensor host = t.device().equals(Device.CPU) && t.isContiguous() ? t : t.to(Device.CPU).contiguous();
                MemorySegment bytes = host.dataSegment();
                data.put(e.getKey(), bytes);
                writer.add(e.getKey(), toSafetensors(host.dtype()), host.shape(), bytes);
            }
            if (checksum) {
                writer.metadata(DataChecksum.KEY, DataChecksum.of(data));
            }
            writer.write(path);
        }
    }
}
