package org.amdim.nn.io;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Collects tensors and metadata, then writes them as one safetensors file, atomically.
 *
 * <pre>{@code
 * new SafetensorsWriter()
 *         .metadata("step", "1200")
 *         .add("w", weights, 5, 7)              // float[] -> F32, shape (5, 7)
 *         .add("n", new long[] {12})            // long[] -> I64 scalar, shape []
 *         .write(Path.of("ckpt.safetensors"));
 * }</pre>
 *
 * <p>Layout written: header with {@code __metadata__} first (if any, entries in insertion order),
 * then the tensors sorted by name (Unicode code point order, which is UTF-8 byte order and
 * Python's string order); the data section holds the tensors contiguously in that same order. The
 * header JSON is compact and padded with spaces to a multiple of 8 bytes. This is the layout of
 * the project's reference files, and for the same content this writer reproduces them byte for
 * byte. Tensors are not reordered by alignment, so data may be unaligned (readers must cope, as
 * {@link SafetensorsFile} does).
 *
 * <p>{@link #write(Path)} never leaves a partial file under the target name: it writes a
 * temporary file in the same directory, forces it to disk, renames it over the target with an
 * atomic move and then forces the directory. If anything fails before the rename, the temporary
 * file is deleted and an existing target file is untouched.
 *
 * <p>Inputs are validated when added (names, shapes, byte counts), so a bad tensor is reported
 * before any file is touched. Arrays passed to {@code add} are copied at once;
 * {@link MemorySegment}s are not (checkpoints can be large): they must stay alive, unmodified and
 * readable from the writing thread until {@link #write(Path)} returns. Not thread-safe.
 */
public final class SafetensorsWriter {

    /** Size of the staging buffer that tensor bytes pass through on their way to the file. */
    private static final int CHUNK = 1 << 20;

    /** Longest part of the target's file name reused in the temporary file's name. */
    private static final int TEMP_NAME_PREFIX_LIMIT = 100;

    /** A tensor waiting to be written. */
    private record Pending(SafetensorsDType dtype, long[] shape, MemorySegment bytes) {
    }

    private final Map<String, String> metadata = new LinkedHashMap<>();
    private final Map<String, Pending> tensors = new HashMap<>();

    /** Creates an empty writer. */
    public SafetensorsWriter() {
    }

    /**
     * Adds a {@code __metadata__} entry.
     *
     * @param key   metadata key
     * @param value metadata value (the format allows strings only; encode other values, e.g. with
     *              {@link Json#write(Object)})
     * @return this writer
     * @throws IllegalArgumentException if the key was already added or a string cannot be
     *     encoded (unpaired surrogate)
     */
    public SafetensorsWriter metadata(String key, String value) {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(value, "value");
        checkEncodable(key);
        checkEncodable(value);
        if (metadata.containsKey(key)) {
            throw new IllegalArgumentException("duplicate metadata key '" + key + "'");
        }
        metadata.put(key, value);
        return this;
    }

    /**
     * Adds a tensor from raw little-endian bytes, without copying them.
     *
     * @param name  unique, non-empty tensor name other than {@code __metadata__}
     * @param dtype element type
     * @param shape dimensions (copied); empty for a scalar
     * @param bytes exactly {@code numel * dtype.byteSize()} bytes, little-endian, row-major; must
     *              stay valid and unchanged until {@link #write(Path)} returns
     * @return this writer
     * @throws IllegalArgumentException if the name is empty, reserved or already used, the shape
     *     is invalid (negative dimension, rank above {@link SafetensorsEntry#MAX_RANK}, overflow),
     *     or the byte count does not match
     */
    public SafetensorsWriter add(String name, SafetensorsDType dtype, long[] shape,
                                 MemorySegment bytes) {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(dtype, "dtype");
        Objects.requireNonNull(shape, "shape");
        Objects.requireNonNull(bytes, "bytes");
        if (name.isEmpty()) {
            throw new IllegalArgumentException("tensor name must not be empty");
        }
        if (SafetensorsHeader.METADATA_KEY.equals(name)) {
            throw new IllegalArgumentException("'" + name + "' is reserved for metadata");
        }
        checkEncodable(name);
        if (tensors.containsKey(name)) {
            throw new IllegalArgumentException("duplicate tensor name '" + name + "'");
        }
        long[] dims = shape.clone();
        long expected;
        try {
            expected = SafetensorsEntry.byteSizeOf(dtype, dims);
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException("tensor '" + name + "': shape "
                    + Arrays.toString(dims) + " of " + dtype + " overflows a 64-bit byte count", e);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("tensor '" + name + "': " + e.getMessage(), e);
        }
        if (bytes.byteSize() != expected) {
            throw new IllegalArgumentException("tensor '" + name + "': " + dtype + " "
                    + Arrays.toString(dims) + " needs " + expected + " bytes, got "
                    + bytes.byteSize());
        }
        tensors.put(name, new Pending(dtype, dims, bytes));
        return this;
    }

    /**
     * Adds a tensor from raw little-endian bytes, copying them.
     *
     * @param name  tensor name, see {@link #add(String, SafetensorsDType, long[], MemorySegment)}
     * @param dtype element type
     * @param bytes {@code numel * dtype.byteSize()} little-endian bytes
     * @param shape dimensions; none for a scalar
     * @return this writer
     * @throws IllegalArgumentException as
     *     {@link #add(String, SafetensorsDType, long[], MemorySegment)}
     */
    public SafetensorsWriter add(String name, SafetensorsDType dtype, byte[] bytes,
                                 long... shape) {
        return add(name, dtype, shape, MemorySegment.ofArray(bytes.clone()));
    }

    /**
     * Adds an F32 tensor (values copied).
     *
     * @param name   tensor name, see {@link #add(String, SafetensorsDType, long[], MemorySegment)}
     * @param values elements in row-major order
     * @param shape  dimensions; none for a scalar
     * @return this writer
     * @throws IllegalArgumentException if the name or shape is invalid or the element count does
     *     not match
     */
    public SafetensorsWriter add(String name, float[] values, long... shape) {
        MemorySegment bytes = MemorySegment.ofArray(new byte[Math.multiplyExact(values.length, 4)]);
        // Explicit little-endian copy: the file format is little-endian whatever the platform.
        MemorySegment.copy(values, 0, bytes, LittleEndian.F32, 0, values.length);
        return add(name, SafetensorsDType.F32, shape, bytes);
    }

    /**
     * Adds an F64 tensor (values copied).
     *
     * @param name   tensor name, see {@link #add(String, SafetensorsDType, long[], MemorySegment)}
     * @param values elements in row-major order
     * @param shape  dimensions; none for a scalar
     * @return this writer
     * @throws IllegalArgumentException if the name or shape is invalid or the element count does
     *     not match
     */
    public SafetensorsWriter add(String name, double[] values, long... shape) {
        MemorySegment bytes = MemorySegment.ofArray(new byte[Math.multiplyExact(values.length, 8)]);
        MemorySegment.copy(values, 0, bytes, LittleEndian.F64, 0, values.length);
        return add(name, SafetensorsDType.F64, shape, bytes);
    }

    /**
     * Adds an I64 tensor (values copied).
     *
     * @param name   tensor name, see {@link #add(String, SafetensorsDType, long[], MemorySegment)}
     * @param values elements in row-major order
     * @param shape  dimensions; none for a scalar
     * @return this writer
     * @throws IllegalArgumentException if the name or shape is invalid or the element count does
     *     not match
     */
    public SafetensorsWriter add(String name, long[] values, long... shape) {
        MemorySegment bytes = MemorySegment.ofArray(new byte[Math.multiplyExact(values.length, 8)]);
        MemorySegment.copy(values, 0, bytes, LittleEndian.I64, 0, values.length);
        return add(name, SafetensorsDType.I64, shape, bytes);
    }

    /**
     * Adds an I32 tensor (values copied).
     *
     * @param name   tensor name, see {@link #add(String, SafetensorsDType, long[], MemorySegment)}
     * @param values elements in row-major order
     * @param shape  dimensions; none for a scalar
     * @return this writer
     * @throws IllegalArgumentException if the name or shape is invalid or the element count does
     *     not match
     */
    public SafetensorsWriter add(String name, int[] values, long... shape) {
        MemorySegment bytes = MemorySegment.ofArray(new byte[Math.multiplyExact(values.length, 4)]);
        MemorySegment.copy(values, 0, bytes, LittleEndian.I32, 0, values.length);
        return add(name, SafetensorsDType.I32, shape, bytes);
    }

    /**
     * Writes the file atomically, replacing {@code target} if it exists. The writer keeps its
     * contents and may write again.
     *
     * @param target the file to create or replace
     * @throws IOException if writing fails; {@code target} is then unchanged and no temporary file
     *     remains (barring a failure to delete it, reported as a suppressed exception)
     * @throws IllegalStateException if a tensor's memory segment is no longer accessible (its
     *     arena was closed); the same guarantees hold
     */
    public void write(Path target) throws IOException {
        Path file = target.toAbsolutePath();
        Path dir = file.getParent();
        if (dir == null || file.getFileName() == null) {
            throw new IOException(target + ": not a file path");
        }
        if (Files.isDirectory(file)) {
            throw new IOException("cannot write " + file + ": it is a directory; give the path of the file to write");
        }
        List<String> order = new ArrayList<>(tensors.keySet());
        order.sort(SafetensorsWriter::compareCodePoints);
        ByteBuffer head = header(order);

        Path temp;
        try {
            temp = createTemp(dir, file.getFileName().toString());
        } catch (IOException e) {
            throw cannotWrite(file, e);
        }
        try {
            try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.WRITE)) {
                writeFully(channel, head);
                ByteBuffer staging = ByteBuffer.allocateDirect(CHUNK);
                // A segment over the whole buffer, taken while its position is still 0.
                MemorySegment stage = MemorySegment.ofBuffer(staging);
                for (String name : order) {
                    copy(channel, tensors.get(name).bytes(), stage, staging);
                }
                // Data must be on disk before the rename makes it visible under the real name;
                // otherwise a crash could leave a complete-looking name with missing contents.
                channel.force(true);
            }
            // A rename within one directory is atomic on POSIX file systems; without ATOMIC_MOVE
            // a reader could observe a missing target.
            Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE,
                    StandardCopyOption.REPLACE_EXISTING);
        } catch (Throwable t) {
            try {
                Files.deleteIfExists(temp);
            } catch (IOException e) {
                t.addSuppressed(e);
            }
            if (t instanceof IOException io) {
                throw cannotWrite(file, io);
            }
            throw t;
        }
        syncDirectory(dir);
    }

    /**
     * The failure named after the target, not the temporary file the user never asked for, with the reason the
     * system gave ("No space left on device", "Permission denied", ...).
     */
    private static IOException cannotWrite(Path target, IOException e) {
        String reason = e instanceof FileSystemException fs && fs.getReason() != null ? fs.getReason()
                : e instanceof NoSuchFileException ? "its directory does not exist"
                : e instanceof AccessDeniedException ? "permission denied"
                : e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
        return new IOException("cannot write " + target + ": " + reason, e);
    }

    /** Builds the 8-byte length plus the padded JSON header. */
    private ByteBuffer header(List<String> order) {
        Map<String, Object> root = new LinkedHashMap<>();
        if (!metadata.isEmpty()) {
            root.put(SafetensorsHeader.METADATA_KEY, metadata);
        }
        long offset = 0;
        for (String name : order) {
            Pending p = tensors.get(name);
            long end = Math.addExact(offset, p.bytes().byteSize());
            Map<String, Object> info = new LinkedHashMap<>();
            info.put("dtype", p.dtype().headerName());
            List<Long> shape = new ArrayList<>(p.shape().length);
            for (long d : p.shape()) {
                shape.add(d);
            }
            info.put("shape", shape);
            info.put("data_offsets", List.of(offset, end));
            root.put(name, info);
            offset = end;
        }
        byte[] json = Json.write(root).getBytes(StandardCharsets.UTF_8);
        // Pad to a multiple of 8 so the data section starts 8-byte aligned in the file.
        int padded = (json.length + 7) & ~7;
        if (json.length > SafetensorsFile.MAX_HEADER_SIZE - 7) {
            throw new IllegalStateException("header of " + json.length
                    + " bytes exceeds the " + SafetensorsFile.MAX_HEADER_SIZE
                    + "-byte limit readers enforce");
        }
        ByteBuffer head = ByteBuffer.allocate(Long.BYTES + padded).order(ByteOrder.LITTLE_ENDIAN);
        head.putLong(padded).put(json);
        while (head.hasRemaining()) {
            head.put((byte) ' ');
        }
        return head.flip();
    }

    /**
     * Creates the temporary file next to the target. Not {@link Files#createTempFile}: that one
     * creates files readable by the owner only, and the rename would give the checkpoint those
     * permissions instead of the usual ones (umask applies here, as for any new file).
     */
    private static Path createTemp(Path dir, String targetName) throws IOException {
        String base = targetName.length() <= TEMP_NAME_PREFIX_LIMIT
                ? targetName : targetName.substring(0, TEMP_NAME_PREFIX_LIMIT);
        for (int attempt = 0; ; attempt++) {
            Path temp = dir.resolve("." + base + "." + Long.toUnsignedString(
                    ThreadLocalRandom.current().nextLong(), 36) + ".tmp");
            try {
                // CREATE_NEW never reuses someone else's file.
                FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)
                        .close();
                return temp;
            } catch (FileAlreadyExistsException e) {
                if (attempt >= 16) {
                    throw e;
                }
            }
        }
    }

    private static void copy(FileChannel channel, MemorySegment source, MemorySegment stage,
                             ByteBuffer staging) throws IOException {
        // Staging through a direct buffer works for every kind of segment (heap segments over
        // float[] cannot become ByteBuffers, large ones exceed ByteBuffer's int size).
        long size = source.byteSize();
        for (long pos = 0; pos < size; pos += CHUNK) {
            int n = (int) Math.min(CHUNK, size - pos);
            MemorySegment.copy(source, pos, stage, 0, n);
            staging.clear().limit(n);
            writeFully(channel, staging);
        }
    }

    private static void writeFully(FileChannel channel, ByteBuffer buffer) throws IOException {
        while (buffer.hasRemaining()) {
            channel.write(buffer);
        }
    }

    /**
     * Makes the rename itself durable. Opening a directory for reading is not supported
     * everywhere (e.g. Windows); there the rename is still atomic, only its durability after
     * a power loss depends on the file system, so the failure is ignored.
     */
    private static void syncDirectory(Path dir) {
        try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
            channel.force(true);
        } catch (IOException ignored) {
            // see above
        }
    }

    /** Rejects strings that have no UTF-8 encoding, so that {@link #write(Path)} cannot fail. */
    private static void checkEncodable(String s) {
        Json.write(s);
    }

    /**
     * Orders strings by Unicode code point, i.e. by their UTF-8 bytes. {@link String#compareTo}
     * compares UTF-16 units, which puts supplementary characters before U+E000..U+FFFF and would
     * disagree with Python and Rust writers.
     */
    static int compareCodePoints(String a, String b) {
        int i = 0;
        int j = 0;
        while (i < a.length() && j < b.length()) {
            int ca = a.codePointAt(i);
            int cb = b.codePointAt(j);
            if (ca != cb) {
                return Integer.compare(ca, cb);
            }
            i += Character.charCount(ca);
            j += Character.charCount(cb);
        }
        return Integer.compare(a.length() - i, b.length() - j);
    }
}
