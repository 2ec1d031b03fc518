package org.amdim.nn.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributeView;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafetensorsRoundTripTest {

    @TempDir
    Path dir;

    private static byte[] pattern(int n, int seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    private List<String> dirListing() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void everyDtypeScalarsEmptyTensorsAndMetadata() throws IOException {
        SafetensorsWriter w = new SafetensorsWriter()
                .metadata("producer", "test")
                .metadata("zeta", "last key, kept in insertion order")
                .metadata("alpha", "\u00fcnic\u00f6de \uD83D\uDE00 \"quoted\"\n");
        Map<String, SafetensorsEntry> expected = new LinkedHashMap<>();
        Map<String, byte[]> bytes = new LinkedHashMap<>();
        int seed = 0;
        for (SafetensorsDType t : SafetensorsDType.values()) {
            for (long[] shape : new long[][] {{2, 3}, {}, {0}, {4, 0, 2}, {1, 1, 1, 5}}) {
                String name = t.headerName().toLowerCase() + ".r" + shape.length
                        + (shape.length > 0 && shape[shape.length - 1] == 0 ? ".empty" : "");
                if (shape.length == 3) {
                    name += ".mid0";
                }
                int n = (int) SafetensorsEntry.byteSizeOf(t, shape);
                byte[] b = pattern(n, seed++);
                w.add(name, t, b, shape);
                bytes.put(name, b);
                expected.put(name, new SafetensorsEntry(name, t, shape, 0, n));
            }
        }
        Path f = dir.resolve("all.safetensors");
        w.write(f);
        try (SafetensorsFile st = SafetensorsFile.open(f)) {
            List<String> sorted = new ArrayList<>(expected.keySet());
            sorted.sort(null); // ASCII names: code point order = String order
            assertEquals(sorted, st.names());
            assertEquals(List.of("producer", "zeta", "alpha"),
                    new ArrayList<>(st.metadata().keySet()));
            assertEquals("\u00fcnic\u00f6de \uD83D\uDE00 \"quoted\"\n", st.metadata().get("alpha"));
            long offset = 0;
            for (String name : st.names()) {
                SafetensorsEntry e = st.entry(name);
                SafetensorsEntry want = expected.get(name);
                assertEquals(want.dtype(), e.dtype());
                assertArrayEquals(want.shape(), e.shape());
                assertEquals(offset, e.begin(), "contiguous in name order");
                offset = e.end();
                assertArrayEquals(bytes.get(name), st.readBytes(name), name);
                MemorySegment view = st.data(name);
                assertTrue(view.isReadOnly());
                assertEquals(e.byteSize(), view.byteSize());
                assertEquals(e.numel() * e.dtype().byteSize(), e.byteSize());
            }
            assertEquals(1, st.entry("f32.r0").numel());
            assertEquals(0, st.entry("f32.r1.empty").byteSize());
            assertEquals(0, st.entry("i64.r3.mid0").numel());
        }
        // Header: N multiple of 8, metadata first, padded with spaces.
        byte[] raw = Files.readAllBytes(f);
        long n = ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN).getLong();
        assertEquals(0, n % 8);
        String header = new String(raw, 8, (int) n, StandardCharsets.UTF_8);
        assertTrue(header.startsWith("{\"__metadata__\":{\"producer\":\"test\""), header);
        assertTrue(header.stripTrailing().endsWith("}"));
        assertTrue(header.length() - header.stripTrailing().length() < 8);
        assertEquals(List.of("all.safetensors"), dirListing());
    }

    @Test
    void typedArraysRoundTrip() throws IOException {
        float[] f = {0f, -1.5f, Float.MIN_VALUE, Float.MAX_VALUE, Float.NaN,
            Float.NEGATIVE_INFINITY, 1e-4f};
        double[] d = {Math.PI, -0.0, Double.MAX_VALUE};
        long[] l = {Long.MIN_VALUE, -1, 0, Long.MAX_VALUE};
        int[] i = {Integer.MIN_VALUE, -7, 0, 7, Integer.MAX_VALUE, 1};
        Path p = dir.resolve("typed.safetensors");
        new SafetensorsWriter()
                .add("f", f, 7)
                .add("d", d, 3, 1)
                .add("l", l, 2, 2)
                .add("i", i, 2, 3)
                .add("scalar", new long[] {42})
                .write(p);
        try (SafetensorsFile st = SafetensorsFile.open(p)) {
            assertArrayEquals(f, st.readFloats("f"));
            assertArrayEquals(d, st.readDoubles("d"));
            assertArrayEquals(l, st.readLongs("l"));
            assertArrayEquals(new long[] {Integer.MIN_VALUE, -7, 0, 7, Integer.MAX_VALUE, 1},
                    st.readLongs("i"));
            assertArrayEquals(new long[] {42}, st.readLongs("scalar"));
            assertEquals(0, st.entry("scalar").rank());
            double[] widened = st.readDoubles("f");
            for (int k = 0; k < f.length; k++) {
                assertEquals((double) f[k], widened[k]);
            }
            // Raw bytes are little-endian whatever the platform.
            assertEquals(Float.floatToRawIntBits(-1.5f), ByteBuffer.wrap(st.readBytes("f"))
                    .order(ByteOrder.LITTLE_ENDIAN).getInt(4));
            // Wrong-type reads are caller errors.
            assertThrows(IllegalArgumentException.class, () -> st.readFloats("l"));
            assertThrows(IllegalArgumentException.class, () -> st.readFloats("d"));
            assertThrows(IllegalArgumentException.class, () -> st.readLongs("f"));
            assertThrows(IllegalArgumentException.class, () -> st.readDoubles("i"));
        }
    }

    @Test
    void halfPrecisionAndSmallIntegerConversions() throws IOException {
        ByteBuffer f16 = ByteBuffer.allocate(10).order(ByteOrder.LITTLE_ENDIAN);
        f16.putShort((short) 0x3C00).putShort((short) 0xC000).putShort((short) 0x7BFF)
                .putShort((short) 0x0001).putShort((short) 0xFC00);
        ByteBuffer bf16 = ByteBuffer.allocate(6).order(ByteOrder.LITTLE_ENDIAN);
        bf16.putShort((short) 0x3F80).putShort((short) 0xC049).putShort((short) 0x7F80);
        Path p = dir.resolve("small.safetensors");
        new SafetensorsWriter()
                .add("h", SafetensorsDType.F16, f16.array(), 5)
                .add("b", SafetensorsDType.BF16, bf16.array(), 3)
                .add("i16", SafetensorsDType.I16, new byte[] {(byte) 0xFF, (byte) 0xFF, 2, 1}, 2)
                .add("i8", SafetensorsDType.I8, new byte[] {(byte) 0x80, 0x7F}, 2)
                .add("u8", SafetensorsDType.U8, new byte[] {(byte) 0xFF, 0}, 2)
                .add("bool", SafetensorsDType.BOOL, new byte[] {1, 0, 1}, 3)
                .write(p);
        try (SafetensorsFile st = SafetensorsFile.open(p)) {
            assertArrayEquals(new float[] {1f, -2f, 65504f, 0x1p-24f, Float.NEGATIVE_INFINITY},
                    st.readFloats("h"));
            assertArrayEquals(new float[] {1f, Float.intBitsToFloat(0xC0490000),
                Float.POSITIVE_INFINITY}, st.readFloats("b"));
            assertArrayEquals(new double[] {1, -2, 65504, 0x1p-24, Double.NEGATIVE_INFINITY},
                    st.readDoubles("h"));
            assertArrayEquals(new long[] {-1, 0x0102}, st.readLongs("i16"));
            assertArrayEquals(new long[] {-128, 127}, st.readLongs("i8"));
            assertArrayEquals(new long[] {255, 0}, st.readLongs("u8"));
            assertArrayEquals(new long[] {1, 0, 1}, st.readLongs("bool"));
        }
    }

    @Test
    void segmentsOfEveryKindAndChunkBoundaries() throws IOException {
        int n = 3 * (1 << 20) / 4 + 3; // ~3 MiB of floats: crosses several 1 MiB chunks
        float[] big = new float[n];
        for (int k = 0; k < n; k++) {
            big[k] = k * 0.5f - 7;
        }
        Path p = dir.resolve("big.safetensors");
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment nativeSeg = arena.allocate(16L * 4);
            for (int k = 0; k < 16; k++) {
                nativeSeg.setAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(
                        ByteOrder.LITTLE_ENDIAN), k, k);
            }
            new SafetensorsWriter()
                    .add("big", big, n)
                    .add("native", SafetensorsDType.F32, new long[] {4, 4}, nativeSeg)
                    .write(p);
        }
        try (SafetensorsFile st = SafetensorsFile.open(p)) {
            assertArrayEquals(big, st.readFloats("big"));
            float[] expect = new float[16];
            for (int k = 0; k < 16; k++) {
                expect[k] = k;
            }
            assertArrayEquals(expect, st.readFloats("native"));
            // A file's view can be fed straight back into a writer.
            Path copy = dir.resolve("copy.safetensors");
            SafetensorsWriter w = new SafetensorsWriter();
            for (SafetensorsEntry e : st.entries()) {
                w.add(e.name(), e.dtype(), e.shape(), st.data(e.name()));
            }
            w.write(copy);
            assertArrayEquals(Files.readAllBytes(p), Files.readAllBytes(copy));
        }
    }

    @Test
    void emptyFileHasNoTensors() throws IOException {
        Path p = dir.resolve("empty.safetensors");
        new SafetensorsWriter().write(p);
        byte[] raw = Files.readAllBytes(p);
        assertEquals(16, raw.length);
        assertEquals("{}      ", new String(raw, 8, 8, StandardCharsets.US_ASCII));
        try (SafetensorsFile st = SafetensorsFile.open(p)) {
            assertTrue(st.names().isEmpty());
            assertTrue(st.metadata().isEmpty());
        }
    }

    @Test
    void namesAreSortedByCodePoint() throws IOException {
        // U+FFFD sorts before U+1F600 by code point, but after it by UTF-16 unit.
        String bmp = "\uFFFD";
        String astral = "\uD83D\uDE00";
        Path p = dir.resolve("order.safetensors");
        new SafetensorsWriter()
                .add(astral, new float[] {1}, 1)
                .add(bmp, new float[] {2}, 1)
                .add("B", new float[] {3}, 1)
                .add("a", new float[] {4}, 1)
                .write(p);
        try (SafetensorsFile st = SafetensorsFile.open(p)) {
            assertEquals(List.of("B", "a", bmp, astral), st.names());
        }
        assertTrue(SafetensorsWriter.compareCodePoints("ab", "abc") < 0);
        assertTrue(SafetensorsWriter.compareCodePoints("abc", "ab") > 0);
        assertEquals(0, SafetensorsWriter.compareCodePoints("", ""));
    }

    @Test
    void writerValidatesInputsBeforeTouchingDisk() {
        SafetensorsWriter w = new SafetensorsWriter().add("x", new float[] {1, 2}, 2);
        assertThrows(IllegalArgumentException.class, () -> w.add("", new float[] {1}, 1));
        assertThrows(IllegalArgumentException.class,
                () -> w.add("__metadata__", new float[] {1}, 1));
        assertThrows(IllegalArgumentException.class, () -> w.add("x", new float[] {1}, 1));
        assertThrows(IllegalArgumentException.class, () -> w.add("y", new float[] {1, 2}, 3));
        assertThrows(IllegalArgumentException.class, () -> w.add("y", new float[] {1, 2}));
        assertThrows(IllegalArgumentException.class, () -> w.add("y", new float[0], -1));
        assertThrows(IllegalArgumentException.class,
                () -> w.add("y", new float[0], new long[SafetensorsEntry.MAX_RANK + 1]));
        assertThrows(IllegalArgumentException.class,
                () -> w.add("y", new float[0], 1L << 40, 1L << 40));
        assertThrows(IllegalArgumentException.class,
                () -> w.add("y", SafetensorsDType.F64, new byte[7], 1));
        assertThrows(IllegalArgumentException.class, () -> w.add("\uD800", new float[] {1}, 1));
        w.metadata("k", "v");
        assertThrows(IllegalArgumentException.class, () -> w.metadata("k", "w"));
        assertThrows(IllegalArgumentException.class, () -> w.metadata("bad", "\uDC00"));
        assertThrows(NullPointerException.class, () -> w.metadata("n", null));
    }

    @Test
    void failedWriteKeepsTheOldFileAndLeavesNoTempFile() throws IOException {
        Path target = dir.resolve("ckpt.safetensors");
        new SafetensorsWriter().metadata("version", "old").add("w", new float[] {1, 2, 3}, 3)
                .write(target);
        byte[] before = Files.readAllBytes(target);

        // Fails in the middle of writing: the header is out, then a tensor's memory is gone.
        Arena arena = Arena.ofConfined();
        MemorySegment doomed = arena.allocate(1 << 22);
        SafetensorsWriter w = new SafetensorsWriter().metadata("version", "new")
                .add("a", new float[1 << 20], 1 << 20)
                .add("z", SafetensorsDType.U8, new long[] {1 << 22}, doomed);
        arena.close();
        assertThrows(IllegalStateException.class, () -> w.write(target));
        assertArrayEquals(before, Files.readAllBytes(target));
        assertEquals(List.of("ckpt.safetensors"), dirListing());

        // Fails at the rename: the target is a non-empty directory.
        Path blocker = dir.resolve("blocked.safetensors");
        Files.createDirectory(blocker);
        Files.writeString(blocker.resolve("inside"), "x");
        SafetensorsWriter ok = new SafetensorsWriter().add("w", new float[] {1}, 1);
        IOException intoDirectory = assertThrows(IOException.class, () -> ok.write(blocker));
        // Named after the target, with what is wrong; never after the internal temporary file.
        assertTrue(intoDirectory.getMessage().contains(blocker + ": it is a directory"), intoDirectory.getMessage());
        assertTrue(Files.isDirectory(blocker));
        assertEquals(List.of("blocked.safetensors", "ckpt.safetensors"), dirListing());

        // Fails before anything is created: no such directory.
        Path missing = dir.resolve("missing/x.safetensors");
        IOException noDirectory = assertThrows(IOException.class, () -> ok.write(missing));
        // Every write failure (a full disk too) names the target and the system's reason, not the temporary file.
        assertEquals("cannot write " + missing.toAbsolutePath() + ": its directory does not exist",
                noDirectory.getMessage());
        assertEquals(List.of("blocked.safetensors", "ckpt.safetensors"), dirListing());

        // And the old file is still a valid one.
        try (SafetensorsFile st = SafetensorsFile.open(target)) {
            assertEquals("old", st.metadata().get("version"));
            assertArrayEquals(new float[] {1, 2, 3}, st.readFloats("w"));
        }
    }

    @Test
    void replacingAnOpenFileLeavesItsMappingIntact() throws IOException {
        Path target = dir.resolve("live.safetensors");
        new SafetensorsWriter().add("w", new float[] {1, 2}, 2).write(target);
        try (SafetensorsFile old = SafetensorsFile.open(target)) {
            new SafetensorsWriter().add("w", new float[] {3, 4, 5}, 3).write(target);
            // The rename swapped directory entries; the old inode stays mapped and unchanged.
            assertArrayEquals(new float[] {1, 2}, old.readFloats("w"));
            try (SafetensorsFile fresh = SafetensorsFile.open(target)) {
                assertArrayEquals(new float[] {3, 4, 5}, fresh.readFloats("w"));
            }
        }
        assertEquals(List.of("live.safetensors"), dirListing());
    }

    @Test
    void writtenFileHasOrdinaryPermissions() throws IOException {
        if (Files.getFileAttributeView(dir, PosixFileAttributeView.class) == null) {
            return; // not a POSIX file system; nothing to compare
        }
        Path reference = Files.createFile(dir.resolve("plain"));
        Path p = dir.resolve("perm.safetensors");
        new SafetensorsWriter().add("w", new float[] {1}, 1).write(p);
        assertEquals(Files.getPosixFilePermissions(reference), Files.getPosixFilePermissions(p));
    }

    @Test
    void closedFileRefusesAccess() throws IOException {
        Path p = dir.resolve("c.safetensors");
        new SafetensorsWriter().add("w", new float[] {1, 2}, 2).write(p);
        SafetensorsFile st = SafetensorsFile.open(p);
        MemorySegment view = st.data("w");
        st.close();
        st.close(); // idempotent
        assertThrows(IllegalStateException.class, () -> view.get(ValueLayout.JAVA_BYTE, 0));
        assertThrows(IllegalStateException.class, () -> st.data("w"));
        assertThrows(IllegalStateException.class, () -> st.readFloats("w"));
        assertTrue(st.toString().contains("closed"));
        // Metadata and entries are plain Java objects and stay readable.
        assertEquals(List.of("w"), st.names());
    }

    @Test
    void openingSomethingThatIsNotAFileIsAnIoError() {
        IOException e = assertThrows(IOException.class, () -> SafetensorsFile.open(dir));
        assertFalse(e instanceof SafetensorsFormatException);
        assertTrue(e.getMessage().contains("directory"), e.getMessage());
        assertThrows(java.nio.file.NoSuchFileException.class,
                () -> SafetensorsFile.open(dir.resolve("missing.safetensors")));
    }

    @Test
    void unknownNameErrorListsAvailableNames() throws IOException {
        Path p = dir.resolve("n.safetensors");
        SafetensorsWriter w = new SafetensorsWriter();
        for (int k = 0; k < 12; k++) {
            w.add("t" + (char) ('a' + k), new float[] {k}, 1);
        }
        w.write(p);
        try (SafetensorsFile st = SafetensorsFile.open(p)) {
            IllegalArgumentException e =
                    assertThrows(IllegalArgumentException.class, () -> st.entry("nope"));
            assertTrue(e.getMessage().contains("'nope'"), e.getMessage());
            assertTrue(e.getMessage().contains("12 tensor(s)"), e.getMessage());
            assertTrue(e.getMessage().contains("'ta', 'tb'"), e.getMessage());
            assertTrue(e.getMessage().contains(p.toString()), e.getMessage());
            assertFalse(st.contains("nope"));
            assertTrue(st.contains("tl"));
        }
    }

    @Test
    void entryRecordCopiesAndChecks() {
        long[] shape = {2, 3};
        SafetensorsEntry e = new SafetensorsEntry("x", SafetensorsDType.F32, shape, 8, 32);
        shape[0] = 99;
        assertArrayEquals(new long[] {2, 3}, e.shape());
        e.shape()[1] = 99;
        assertArrayEquals(new long[] {2, 3}, e.shape());
        assertEquals(6, e.numel());
        assertEquals(24, e.byteSize());
        assertEquals(new SafetensorsEntry("x", SafetensorsDType.F32, new long[] {2, 3}, 8, 32), e);
        assertEquals(new SafetensorsEntry("x", SafetensorsDType.F32, new long[] {2, 3}, 8, 32)
                .hashCode(), e.hashCode());
        assertEquals("x F32 [2, 3] @[8, 32)", e.toString());
        assertThrows(IllegalArgumentException.class,
                () -> new SafetensorsEntry("x", SafetensorsDType.F32, new long[] {2, 3}, 8, 31));
        assertThrows(IllegalArgumentException.class,
                () -> new SafetensorsEntry("x", SafetensorsDType.F32, new long[] {-1}, 0, 0));
        assertThrows(IllegalArgumentException.class,
                () -> new SafetensorsEntry("x", SafetensorsDType.F32, new long[] {1}, -4, 0));
        assertThrows(IllegalArgumentException.class, () -> new SafetensorsEntry("x",
                SafetensorsDType.F64, new long[] {1L << 62, 4}, 0, 0));
        assertEquals(SafetensorsDType.BF16, SafetensorsDType.fromHeaderName("BF16").orElseThrow());
        assertTrue(SafetensorsDType.fromHeaderName("bf16").isEmpty());
        assertTrue(SafetensorsDType.fromHeaderName("U16").isEmpty());
    }
}
