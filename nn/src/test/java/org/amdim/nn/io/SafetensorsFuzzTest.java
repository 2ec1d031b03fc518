package org.amdim.nn.io;

import static org.amdim.nn.io.RawSafetensors.image;
import static org.amdim.nn.io.RawSafetensors.tensor;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Feeds thousands of corrupted and hostile files to {@link SafetensorsFile#open(Path)}. Every one
 * must either open as a valid file, whose data can then be read completely, or be rejected with a
 * {@link SafetensorsFormatException}; any other exception or error fails the test. All randomness
 * is seeded, so a failure is reproducible.
 */
class SafetensorsFuzzTest {
    private static final long SEED = 0x5AFE_7E45_0125L;

    @TempDir
    Path dir;

    private Path slot;
    private FileChannel slotChannel;
    private byte[] base;      // a valid file with several dtypes, a scalar, an empty tensor
    private byte[] small;     // a valid file with one tensor and no metadata
    private int headerEnd;    // 8 + N of base
    private int cases;
    private int accepted;

    @BeforeEach
    void setUp() throws IOException {
        slot = dir.resolve("case.safetensors");
        slotChannel = FileChannel.open(slot, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        Path p = dir.resolve("base.safetensors");
        new SafetensorsWriter()
                .metadata("format", "pt")
                .metadata("note", "fuzz base \u00e9")
                .add("weight", new float[] {1, -2, 3.5f, 0, 1e-3f, 7}, 2, 3)
                .add("step", new long[] {12345})
                .add("empty", SafetensorsDType.U8, new byte[0], 0)
                .add("half", SafetensorsDType.BF16, new byte[] {(byte) 0x80, 0x3F, 0, 0x40, 0, 0},
                        3)
                .add("mask", SafetensorsDType.BOOL, new byte[] {1, 0}, 2)
                .add("wide", new double[] {Math.E, -1}, 1, 2)
                .write(p);
        base = Files.readAllBytes(p);
        headerEnd = 8 + (int) ByteBuffer.wrap(base).order(ByteOrder.LITTLE_ENDIAN).getLong();
        new SafetensorsWriter().add("x", SafetensorsDType.F16, new byte[8], 4).write(p);
        small = Files.readAllBytes(p);
        cases = 0;
        accepted = 0;
    }

    @AfterEach
    void tearDown() throws IOException {
        slotChannel.close();
    }

    // ---- outcome checks -------------------------------------------------------------------

    /** Opens the image; returns whether it was accepted. Fails on any non-format exception. */
    private boolean outcome(String label, byte[] image) {
        cases++;
        try {
            // Overwrite in place, then cut to size: much faster than Files.write, whose
            // truncate-then-write makes ext4 flush the file on close (auto_da_alloc).
            ByteBuffer b = ByteBuffer.wrap(image);
            while (b.hasRemaining()) {
                slotChannel.write(b, b.position());
            }
            slotChannel.truncate(image.length);
        } catch (IOException e) {
            throw new AssertionError(label + ": cannot write test file", e);
        }
        try (SafetensorsFile f = SafetensorsFile.open(slot)) {
            readEverything(label, f, image.length);
            accepted++;
            return true;
        } catch (SafetensorsFormatException e) {
            assertTrue(e.getMessage().startsWith(slot.toString() + ": "), e.getMessage());
            assertTrue(e.getMessage().length() < 2000, "message too long: " + label);
            return false;
        } catch (AssertionError e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(label + ": unexpected " + t, t);
        }
    }

    private void reject(String label, byte[] image) {
        if (outcome(label, image)) {
            fail(label + ": expected SafetensorsFormatException, but the file was accepted");
        }
    }

    private void accept(String label, byte[] image) {
        if (!outcome(label, image)) {
            fail(label + ": expected a valid file");
        }
    }

    private static void readEverything(String label, SafetensorsFile f, long fileSize) {
        long total = 0;
        for (String name : f.names()) {
            SafetensorsEntry e = f.entry(name);
            assertEquals(e.byteSize(), f.data(name).byteSize(), label);
            assertEquals(e.byteSize(), f.readBytes(name).length, label);
            switch (e.dtype()) {
                case F32, F16, BF16 -> assertEquals(e.numel(), f.readFloats(name).length, label);
                case F64 -> assertEquals(e.numel(), f.readDoubles(name).length, label);
                default -> assertEquals(e.numel(), f.readLongs(name).length, label);
            }
            total += e.byteSize();
        }
        f.metadata().forEach((k, v) -> assertTrue(k != null && v != null));
        long headerLength = fileSize - total - 8;
        assertTrue(headerLength > 0 && headerLength <= SafetensorsFile.MAX_HEADER_SIZE, label);
    }

    // ---- the campaign ---------------------------------------------------------------------

    @Test
    void hostileFilesNeverEscapeAsAnythingButFormatErrors() {
        long start = System.nanoTime();
        accept("base", base);
        accept("small", small);

        truncations();
        extensions();
        lyingHeaderLengths();
        randomFlips(new Random(SEED));
        numberMutations(new Random(SEED + 1));
        dtypeMutations(new Random(SEED + 2));
        randomHeaders(new Random(SEED + 3));
        handcrafted();

        double seconds = (System.nanoTime() - start) / 1e9;
        System.out.printf("fuzz: %d cases (%d accepted) in %.2f s%n", cases, accepted, seconds);
        assertTrue(cases >= 1000, "only " + cases + " cases");
        assertTrue(accepted > 0 && accepted < cases);
    }

    private void truncations() {
        // Every proper prefix of both files is invalid: the format has no optional tail.
        for (int len = 0; len < base.length; len++) {
            reject("base truncated to " + len, Arrays.copyOf(base, len));
        }
        for (int len = 0; len < small.length; len++) {
            reject("small truncated to " + len, Arrays.copyOf(small, len));
        }
    }

    private void extensions() {
        // Bytes after the last tensor are not covered by any tensor.
        Random r = new Random(SEED + 10);
        for (int extra = 1; extra <= 24; extra++) {
            byte[] b = Arrays.copyOf(base, base.length + extra);
            for (int i = base.length; i < b.length; i++) {
                b[i] = (byte) r.nextInt(256);
            }
            reject("base + " + extra + " bytes", b);
        }
    }

    private void lyingHeaderLengths() {
        long n = headerEnd - 8;
        long size = base.length;
        long[] rejected = {0, 1, 7, 8, n - 9, n - 8, n + 1, n + 7, n + 8, size - 8, size - 7,
            size, 1L << 32, (1L << 32) + n, 100_000_000L, 100_000_001L, Long.MAX_VALUE,
            Long.MIN_VALUE, -1L, -n, 1L << 62};
        for (long declared : rejected) {
            byte[] b = base.clone();
            ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putLong(0, declared);
            reject("header length " + Long.toUnsignedString(declared), b);
        }
        // One byte shorter drops a padding space; that byte then belongs to the data section,
        // which is no longer covered exactly.
        for (long d = n - 7; d < n; d++) {
            byte[] b = base.clone();
            ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putLong(0, d);
            outcome("header length " + d, b);
        }
        // Files shorter than the length field.
        for (int len = 0; len < 8; len++) {
            reject("length field only " + len + " bytes", new byte[len]);
        }
        reject("big length in a tiny file", new byte[] {-1, -1, -1, -1, -1, -1, -1, -1, '{', '}'});
    }

    private void randomFlips(Random r) {
        int dataLength = base.length - headerEnd;
        // Header bytes: most flips break the JSON or the numbers, some keep it valid.
        for (int i = 0; i < 700; i++) {
            byte[] b = base.clone();
            int flips = 1 + r.nextInt(3);
            StringBuilder label = new StringBuilder("header flip");
            for (int k = 0; k < flips; k++) {
                int pos = 8 + r.nextInt(headerEnd - 8);
                b[pos] = (byte) (r.nextBoolean() ? r.nextInt(256) : b[pos] ^ (1 << r.nextInt(8)));
                label.append(' ').append(pos);
            }
            outcome(label.toString(), b);
        }
        // Data bytes are never interpreted at open time: these files stay valid.
        for (int i = 0; i < 100; i++) {
            byte[] b = base.clone();
            int pos = headerEnd + r.nextInt(dataLength);
            b[pos] = (byte) r.nextInt(256);
            accept("data flip " + pos, b);
        }
        // Anywhere, the length field included.
        for (int i = 0; i < 200; i++) {
            byte[] b = base.clone();
            int pos = r.nextInt(b.length);
            b[pos] = (byte) r.nextInt(256);
            outcome("flip anywhere " + pos, b);
        }
    }

    private static final Pattern NUMBER = Pattern.compile("-?\\d+");
    private static final String[] INTERESTING = {"-1", "0", "1", "2", "3", "7", "8", "9", "16",
        "-0", "2147483647", "2147483648", "4294967296", "9223372036854775807",
        "9223372036854775808", "18446744073709551615", "18446744073709551616", "-9223372036854775808",
        "1.0", "1e0", "1e400", "0.5", "99999999999999999999999", "\"1\"", "null", "true", "[]",
        "{}", "[1]", "01", "1 1", "+1"};

    private void numberMutations(Random r) {
        String header = new String(base, 8, headerEnd - 8, StandardCharsets.UTF_8);
        byte[] data = Arrays.copyOfRange(base, headerEnd, base.length);
        List<int[]> spans = new ArrayList<>();
        Matcher m = NUMBER.matcher(header);
        while (m.find()) {
            spans.add(new int[] {m.start(), m.end()});
        }
        // Every number in the header (shape dims and offsets) times every interesting value
        // would be too many; each number gets a few random ones.
        for (int[] span : spans) {
            for (int k = 0; k < 8; k++) {
                String v = INTERESTING[r.nextInt(INTERESTING.length)];
                String mutated = header.substring(0, span[0]) + v + header.substring(span[1]);
                outcome("number " + span[0] + " -> " + v, image(mutated, data));
            }
        }
    }

    private static final String[] DTYPES = {"F64", "F32", "F16", "BF16", "I64", "I32", "I16", "I8",
        "U8", "BOOL", "U16", "U32", "U64", "F8_E4M3", "F8_E5M2", "f32", "F32 ", "", "Float32",
        "F\u00e932"};

    private void dtypeMutations(Random r) {
        String header = new String(base, 8, headerEnd - 8, StandardCharsets.UTF_8);
        byte[] data = Arrays.copyOfRange(base, headerEnd, base.length);
        Matcher m = Pattern.compile("\"dtype\":\"([^\"]*)\"").matcher(header);
        List<int[]> spans = new ArrayList<>();
        while (m.find()) {
            spans.add(new int[] {m.start(1), m.end(1)});
        }
        for (int[] span : spans) {
            for (String t : DTYPES) {
                String mutated = header.substring(0, span[0]) + t + header.substring(span[1]);
                outcome("dtype -> " + t, image(mutated, data));
            }
        }
        // Unknown dtypes are always rejected, whatever the sizes.
        for (String t : new String[] {"U16", "U32", "U64", "F8_E4M3", "f32", ""}) {
            String mutated = header.substring(0, spans.get(0)[0]) + t
                    + header.substring(spans.get(0)[1]);
            reject("unknown dtype " + t, image(mutated, data));
        }
        // Random extra whitespace between tokens keeps a header valid.
        for (int i = 0; i < 30; i++) {
            StringBuilder sb = new StringBuilder();
            boolean inString = false;
            for (char c : header.stripTrailing().toCharArray()) {
                if (c == '"') {
                    inString = !inString;
                }
                sb.append(c);
                if (!inString && r.nextInt(4) == 0 && (c == ',' || c == ':' || c == '[')) {
                    sb.append(" \t\n\r".charAt(r.nextInt(4)));
                }
            }
            accept("whitespace " + i, image(sb.toString(), data));
        }
    }

    private void randomHeaders(Random r) {
        String alphabet = "{}[]\":,0123456789-+eE.tfnulras \\/\u00e9";
        for (int i = 0; i < 300; i++) {
            int len = 1 + r.nextInt(64);
            StringBuilder sb = new StringBuilder("{");
            for (int k = 0; k < len; k++) {
                sb.append(alphabet.charAt(r.nextInt(alphabet.length())));
            }
            byte[] data = new byte[r.nextInt(3) == 0 ? 0 : r.nextInt(16)];
            outcome("random header " + i, image(sb.toString(), data));
        }
        // Random bytes, not even text.
        for (int i = 0; i < 100; i++) {
            byte[] h = new byte[1 + r.nextInt(64)];
            r.nextBytes(h);
            h[0] = '{';
            outcome("random bytes " + i, image(h, new byte[r.nextInt(8)]));
        }
    }

    private static String obj(String... members) {
        return "{" + String.join(",", members) + "}";
    }

    private static String entry(String body) {
        return "\"x\":" + body;
    }

    private void handcrafted() {
        byte[] d8 = new byte[8];
        String f32x2 = tensor("x", "F32", "[2]", 0, 8);
        accept("sanity", image(obj(f32x2), d8));
        accept("padded with JSON whitespace", image(obj(f32x2) + "  \t\n\r ", d8));
        accept("empty key is a valid tensor name", image(obj(tensor("", "F32", "[2]", 0, 8)), d8));
        accept("empty header", image("{}", new byte[0]));
        accept("metadata only", image("{\"__metadata__\":{\"k\":\"v\"}}", new byte[0]));
        accept("-0 dimension", image(obj(tensor("x", "F32", "[-0]", 0, 0)), new byte[0]));
        accept("escaped name", image(obj(tensor("\\u00e9\\ud83d\\ude00\\n", "F32", "[2]", 0, 8)),
                d8));
        accept("empty tensors share offsets", image(obj(tensor("a", "F32", "[0]", 0, 0),
                tensor("b", "F32", "[2]", 0, 8), tensor("c", "I8", "[0,5]", 8, 8)), d8));

        // Sizes that do not add up.
        reject("data too short", image(obj(f32x2), new byte[4]));
        reject("data too long", image(obj(f32x2), new byte[12]));
        reject("no tensors but data", image("{}", new byte[1]));
        reject("shape/offset mismatch", image(obj(tensor("x", "F32", "[3]", 0, 8)), d8));
        reject("offsets not a multiple", image(obj(tensor("x", "F32", "[2]", 0, 9)),
                new byte[9]));
        reject("scalar with no bytes", image(obj(tensor("x", "F32", "[]", 0, 0)), new byte[0]));
        reject("empty tensor with bytes", image(obj(tensor("x", "F32", "[0]", 0, 4)),
                new byte[4]));
        reject("offsets past the end", image(obj(tensor("x", "F32", "[2]", 8, 16)), d8));
        reject("huge offsets", image(obj(tensor("x", "U8", "[8]", Long.MAX_VALUE - 8,
                Long.MAX_VALUE)), d8));

        // Overlaps and gaps.
        reject("overlap", image(obj(tensor("a", "F32", "[2]", 0, 8),
                tensor("b", "F32", "[2]", 4, 12)), new byte[12]));
        reject("identical ranges", image(obj(tensor("a", "F32", "[2]", 0, 8),
                tensor("b", "F32", "[2]", 0, 8)), d8));
        reject("nested range", image(obj(tensor("a", "F32", "[4]", 0, 16),
                tensor("b", "F32", "[1]", 4, 8)), new byte[16]));
        reject("empty tensor inside another", image(obj(tensor("a", "F32", "[4]", 0, 16),
                tensor("b", "F32", "[0]", 8, 8)), new byte[16]));
        reject("gap between", image(obj(tensor("a", "F32", "[2]", 0, 8),
                tensor("b", "F32", "[2]", 12, 20)), new byte[20]));
        reject("gap at start", image(obj(tensor("a", "F32", "[2]", 4, 12)), new byte[12]));

        // Offsets of the wrong form.
        for (String offsets : new String[] {"[0]", "[0,8,8]", "[-8,0]", "[8,0]", "[0,\"8\"]",
            "[0,8.0]", "[0,1e1]", "[0,18446744073709551616]", "\"0,8\"", "null", "[]", "{}",
            "[0,null]", "[[0],[8]]", "[0,8"}) {
            reject("data_offsets " + offsets, image(obj(entry(
                    "{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":" + offsets + "}")), d8));
        }
        // Shapes of the wrong form or size.
        for (String shape : new String[] {"[-1]", "[2.0]", "[\"2\"]", "[1e0]", "[null]", "[[2]]",
            "{}", "\"2\"", "2", "null", "[9223372036854775807,2]", "[4294967296,4294967296]",
            "[4611686018427387904,2]", "[2305843009213693952]", "[18446744073709551615]",
            "[1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,2]", "[true]", "[2,]"}) {
            reject("shape " + shape, image(obj(entry(
                    "{\"dtype\":\"F32\",\"shape\":" + shape + ",\"data_offsets\":[0,8]}")), d8));
        }
        reject("rank 1000000", image(obj(entry("{\"dtype\":\"F32\",\"shape\":["
                + "1,".repeat(1_000_000) + "2],\"data_offsets\":[0,8]}")), d8));
        accept("rank 16", image(obj(entry("{\"dtype\":\"F32\",\"shape\":["
                + "1,".repeat(15) + "2],\"data_offsets\":[0,8]}")), d8));
        // dtype of the wrong form.
        for (String dtype : new String[] {"5", "null", "[\"F32\"]", "{}", "true", "\"F32\\u0000\""}) {
            reject("dtype " + dtype, image(obj(entry(
                    "{\"dtype\":" + dtype + ",\"shape\":[2],\"data_offsets\":[0,8]}")), d8));
        }
        // Entry objects of the wrong form.
        for (String body : new String[] {"\"F32\"", "[]", "[\"F32\",[2],[0,8]]", "1", "null",
            "true", "{}", "{\"dtype\":\"F32\",\"shape\":[2]}",
            "{\"shape\":[2],\"data_offsets\":[0,8]}", "{\"dtype\":\"F32\",\"data_offsets\":[0,8]}",
            "{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8],\"extra\":1}",
            "{\"dtype\":\"F32\",\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}",
            "{\"dtype\":\"F32\",\"shape\":[2],\"offsets\":[0,8]}"}) {
            reject("entry " + body, image(obj(entry(body)), d8));
        }
        reject("duplicate tensor", image(obj(f32x2, f32x2), d8));
        reject("duplicate tensor, different bodies", image(obj(tensor("x", "U8", "[0]", 0, 0),
                f32x2), d8));

        // Metadata of the wrong form.
        for (String md : new String[] {"[]", "\"v\"", "1", "null", "true", "{\"k\":1}",
            "{\"k\":null}", "{\"k\":{}}", "{\"k\":[\"v\"]}", "{\"k\":true}", "{\"k\":\"v\",\"k\":\"w\"}",
            "{\"k\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}"}) {
            reject("metadata " + md, image(obj("\"__metadata__\":" + md, f32x2), d8));
        }
        reject("metadata as a tensor", image(obj(tensor("__metadata__", "F32", "[2]", 0, 8)), d8));
        reject("two metadata", image(obj("\"__metadata__\":{}", "\"__metadata__\":{}"),
                new byte[0]));

        // Not a JSON object, or not only one.
        for (String h : new String[] {" {}", "[]", "\"x\"", "1", "null", "{} x", "{}}", "{},",
            "{", "{\"x\":", "{}\u0000", "\uFEFF{}", "{}{}", "{\"x\" :{}", "{'x':{}}"}) {
            reject("header " + h.replace("\u0000", "NUL"), image(h, new byte[0]));
        }
        reject("NUL padding", image(obj(f32x2) + "\0\0\0", d8));

        // Deep nesting must fail fast, not overflow the stack.
        reject("100000 [", image("{\"a\":" + "[".repeat(100_000), new byte[0]));
        reject("100000 [ closed", image("{\"a\":" + "[".repeat(100_000) + "]".repeat(100_000)
                + "}", new byte[0]));
        reject("100000 {", image("{\"a\":" + "{\"a\":".repeat(100_000), new byte[0]));
        reject("deep metadata", image("{\"__metadata__\":" + "{\"a\":".repeat(50_000)
                + "\"v\"" + "}".repeat(50_001), new byte[0]));

        // Bytes that are not UTF-8.
        byte[][] badUtf8 = {
            {(byte) 0xFF}, {(byte) 0xC0, (byte) 0xAF}, {(byte) 0xED, (byte) 0xA0, (byte) 0x80},
            {(byte) 0xE4, (byte) 0xB8}, {(byte) 0x80}, {(byte) 0xF4, (byte) 0x90, (byte) 0x80,
                (byte) 0x80}, {(byte) 0xF8, (byte) 0x88, (byte) 0x80, (byte) 0x80, (byte) 0x80},
        };
        for (byte[] bad : badUtf8) {
            byte[] prefix = "{\"".getBytes(StandardCharsets.US_ASCII);
            byte[] suffix = ("\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}")
                    .getBytes(StandardCharsets.US_ASCII);
            ByteBuffer h = ByteBuffer.allocate(prefix.length + bad.length + suffix.length);
            h.put(prefix).put(bad).put(suffix);
            reject("invalid UTF-8 " + Arrays.toString(bad), image(h.array(), d8));
            // Also in the padding area, where a lax reader would never look.
            byte[] padded = (obj(f32x2) + " ").getBytes(StandardCharsets.US_ASCII);
            ByteBuffer h2 = ByteBuffer.allocate(padded.length + bad.length);
            h2.put(padded).put(bad);
            reject("invalid UTF-8 in padding " + Arrays.toString(bad), image(h2.array(), d8));
        }
        reject("lone surrogate escape", image(obj(tensor("\\ud800", "F32", "[2]", 0, 8)), d8));
        reject("reversed surrogate escapes", image(obj(tensor("\\udc00\\ud800", "F32", "[2]", 0,
                8)), d8));
        reject("raw control character in name", image(obj(tensor("a\tb", "F32", "[2]", 0, 8)),
                d8));

        // Many tensors and a long name are fine.
        StringBuilder many = new StringBuilder("{");
        for (int i = 0; i < 10_000; i++) {
            many.append(i == 0 ? "" : ",").append(tensor("t" + i, "U8", "[1]", i, i + 1));
        }
        accept("10000 tensors", image(many.append('}').toString(), new byte[10_000]));
        accept("1 MB name", image(obj(tensor("n".repeat(1 << 20), "F32", "[2]", 0, 8)), d8));
        // Header exactly at and just over the limit must be judged without parsing 100 MB of
        // it; only the length field says so here (the file is small).
        reject("header length just over the limit", image(100_000_001L, new byte[0], d8));
    }
}
