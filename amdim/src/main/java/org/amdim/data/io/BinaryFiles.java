package org.amdim.data.io;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;

/** File helpers shared by the readers: locating files with clear errors and mapping them. */
final class BinaryFiles {

    private BinaryFiles() {}

    /**
     * Requires a directory.
     *
     * @param dir the directory
     * @param what the dataset, for the message
     * @return the directory
     * @throws NoSuchFileException naming the directory
     */
    static Path requireDirectory(Path dir, String what) throws NoSuchFileException {
        if (!Files.isDirectory(dir)) {
            throw new NoSuchFileException(dir.toString(), null,
                    Files.exists(dir) ? "not a directory (expected the " + what + " folder)" : what + " directory does not exist");
        }
        return dir;
    }

    /**
     * Requires a regular readable file inside a directory.
     *
     * @param dir the directory
     * @param name the file name
     * @param what the dataset, for the message
     * @return the file
     * @throws NoSuchFileException naming the file and listing the directory's content
     */
    static Path requireFile(Path dir, String name, String what) throws IOException {
        Path file = dir.resolve(name);
        if (!Files.isRegularFile(file)) {
            throw new NoSuchFileException(file.toString(), null, what + " file missing; " + dir + " holds " + listing(dir));
        }
        return file;
    }

    /**
     * If {@code dir} lacks {@code marker} but {@code dir/sub} has it, returns {@code dir/sub}; lets
     * users pass either the extracted folder or its parent.
     */
    static Path descend(Path dir, String sub, String marker) {
        if (!Files.exists(dir.resolve(marker)) && Files.exists(dir.resolve(sub).resolve(marker))) {
            return dir.resolve(sub);
        }
        return dir;
    }

    /**
     * Maps a whole file read-only. The mapping lives until the segment becomes unreachable
     * ({@link Arena#ofAuto()}), so datasets need no close method.
     *
     * @param file the file
     * @return the mapped segment
     */
    static MemorySegment map(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size == 0) {
                return MemorySegment.ofArray(new byte[0]);
            }
            return ch.map(FileChannel.MapMode.READ_ONLY, 0, size, Arena.ofAuto());
        }
    }

    /** Reads an unsigned byte. */
    static int u8(MemorySegment seg, long offset) {
        return seg.get(ValueLayout.JAVA_BYTE, offset) & 0xFF;
    }

    /** A short listing of a directory for error messages. */
    static String listing(Path dir) {
        try (var s = Files.list(dir)) {
            String[] names = s.map(p -> p.getFileName().toString()).sorted().limit(20).toArray(String[]::new);
            return names.length == 0 ? "nothing" : Arrays.toString(names);
        } catch (IOException | RuntimeException e) {
            return "(unreadable: " + e.getMessage() + ")";
        }
    }

    /** A per-thread scratch array of at least {@code n} bytes. */
    static byte[] scratch(ThreadLocal<byte[]> holder, int n) {
        byte[] b = holder.get();
        if (b == null || b.length < n) {
            b = new byte[n];
            holder.set(b);
        }
        return b;
    }
}
