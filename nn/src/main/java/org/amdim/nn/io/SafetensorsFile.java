package org.amdim.nn.io;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.channels.FileChannel;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A safetensors file opened for reading: the whole file memory-mapped read-only once, its
 * header fully validated, and zero-copy views of every tensor's bytes.
 *
 * <p>Format: an unsigned 64-bit little-endian header length N, N bytes of UTF-8 JSON header,
 * then the data section, which the tensors' byte ranges must cover exactly (see
 * {@link SafetensorsHeader} for every rule checked). {@link #open(Path)} validates all of it
 * before returning, so any instance describes a well-formed file, and every view it hands out
 * lies inside the mapping.
 *
 * <p>The mapping belongs to a shared {@link Arena} owned by this object: views may be read from
 * any thread, and {@link #close()} unmaps the file. After that, every view obtained from
 * {@link #data(String)} throws {@link IllegalStateException} on access instead of touching
 * unmapped memory, so closing too early is an error, never a crash. Do not close while another
 * thread still reads.
 *
 * <p>Not defended against: another process truncating the file while it is mapped (the JVM then
 * raises an {@link InternalError} on access to the lost pages). Checkpoints are replaced
 * atomically by {@link SafetensorsWriter}, which never truncates a file in place.
 *
 * <p>Tensor data is little-endian and, because writers order tensors by name rather than by
 * alignment, need not be aligned to the element size; read it with unaligned little-endian
 * layouts (as the {@code read*} methods do).
 */
public final class SafetensorsFile implements AutoCloseable {
    /**
     * Largest accepted header, in bytes. Same limit as the reference implementation; it keeps a
     * hostile length from making us decode and parse an arbitrarily large text.
     */
    public static final long MAX_HEADER_SIZE = 100_000_000L;


    /** Java arrays cannot be longer than this on common JVMs. */
    private static final long MAX_ARRAY_LENGTH = Integer.MAX_VALUE - 8;

    /** How many names an "unknown tensor" error lists. */
    private static final int NAMES_IN_ERRORS = 8;

    private final Path path;
    private final Arena arena;
    private final MemorySegment dataSection;
    private final List<String> names;
    private final List<SafetensorsEntry> entries;
    private final Map<String, SafetensorsEntry> byName;
    private final Map<String, String> metadata;

    private SafetensorsFile(Path path, Arena arena, MemorySegment dataSection,
                            SafetensorsHeader header) {
        this.path = path;
        this.arena = arena;
        this.dataSection = dataSection;
        this.entries = header.entries();
        this.metadata = header.metadata();
        List<String> n = new ArrayList<>(entries.size());
        Map<String, SafetensorsEntry> m = HashMap.newHashMap(entries.size());
        for (SafetensorsEntry e : entries) {
            n.add(e.name());
            m.put(e.name(), e);
        }
        this.names = Collections.unmodifiableList(n);
        this.byName = m;
    }

    /**
     * Opens, maps and validates a safetensors file.
     *
     * @param path the file
     * @return the open file; close it to unmap
     * @throws SafetensorsFormatException if the file is not a well-formed safetensors file
     * @throws IOException if the file cannot be opened or mapped
     */
    public static SafetensorsFile open(Path path) throws IOException {
        Objects.requireNonNull(path, "path");
        if (Files.isDirectory(path)) {
            // Linux lets a directory be opened for reading; mapping it then fails with the
            // puzzling "No such device".
            throw new FileSystemException(path.toString(), null, "is a directory");
        }
        Arena arena = Arena.ofShared();
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ)) {
            long size = channel.size();
            if (size < Long.BYTES) {
                throw new SafetensorsFormatException(path, "file is " + size
                        + " bytes, too short for the 8-byte header length");
            }
            // Mapping is lazy and costs address space only; every read below is bounds-checked
            // against the file size first.
            MemorySegment file = channel.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
            long headerLength = file.get(LittleEndian.I64, 0);
            long available = size - Long.BYTES;
            // A u64 above 2^63 reads as negative; compare as unsigned in the message.
            if (headerLength < 0 || headerLength > MAX_HEADER_SIZE) {
                throw new SafetensorsFormatException(path, "header length "
                        + Long.toUnsignedString(headerLength) + " exceeds the limit of "
                        + MAX_HEADER_SIZE + " bytes");
            }
            if (headerLength == 0) {
                throw new SafetensorsFormatException(path, "header length is 0");
            }
            if (headerLength > available) {
                throw new SafetensorsFormatException(path, "header length " + headerLength
                        + " exceeds the " + available + " bytes after the length field");
            }
            MemorySegment headerBytes = file.asSlice(Long.BYTES, headerLength);
            long dataStart = Long.BYTES + headerLength;
            SafetensorsHeader header = SafetensorsHeader.parse(path, headerBytes.asByteBuffer(),
                    size - dataStart);
            return new SafetensorsFile(path, arena, file.asSlice(dataStart).asReadOnly(), header);
        } catch (Throwable t) {
            // Unmap at once instead of leaving the mapping to a garbage collector that never
            // sees this arena.
            arena.close();
            throw t;
        }
    }

    /**
     * Returns the path this file was opened from.
     *
     * @return the path as given to {@link #open(Path)}
     */
    public Path path() {
        return path;
    }

    /**
     * Returns the tensor names in data order (ascending {@code data_offsets}; ties, possible
     * only between empty tensors, in header order). For files written by
     * {@link SafetensorsWriter} and by the Python generator of the reference files, this is
     * also name order.
     *
     * @return unmodifiable list of names
     */
    public List<String> names() {
        return names;
    }

    /**
     * Returns all entries in the order of {@link #names()}.
     *
     * @return unmodifiable list of entries
     */
    public List<SafetensorsEntry> entries() {
        return entries;
    }

    /**
     * Tells whether the file holds a tensor of this name.
     *
     * @param name a tensor name
     * @return whether {@link #entry(String)} would succeed
     */
    public boolean contains(String name) {
        return byName.containsKey(name);
    }

    /**
     * Returns the description of a tensor.
     *
     * @param name a tensor name
     * @return its entry
     * @throws IllegalArgumentException if there is no such tensor; the message lists some of the
     *     names that exist
     */
    public SafetensorsEntry entry(String name) {
        SafetensorsEntry e = byName.get(name);
        if (e == null) {
            StringBuilder sb = new StringBuilder();
            sb.append(path).append(": no tensor named ")
                    .append(name == null ? "null" : SafetensorsHeader.quote(name))
                    .append("; the file has ").append(names.size()).append(" tensor(s)");
            int shown = Math.min(NAMES_IN_ERRORS, names.size());
            for (int i = 0; i < shown; i++) {
                sb.append(i == 0 ? ": " : ", ").append(SafetensorsHeader.quote(names.get(i)));
            }
            if (names.size() > shown) {
                sb.append(", ...");
            }
            throw new IllegalArgumentException(sb.toString());
        }
        return e;
    }

    /**
     * Returns the {@code __metadata__} map.
     *
     * @return unmodifiable map in header order; empty if the file has none
     */
    public Map<String, String> metadata() {
        return metadata;
    }

    /**
     * Returns a zero-copy read-only view of a tensor's raw little-endian bytes.
     *
     * @param name a tensor name
     * @return a slice of the mapping, {@code entry(name).byteSize()} bytes long, valid until
     *     {@link #close()}
     * @throws IllegalArgumentException if there is no such tensor
     * @throws IllegalStateException if the file has been closed
     */
    public MemorySegment data(String name) {
        return data(entry(name));
    }

    private MemorySegment data(SafetensorsEntry e) {
        if (!arena.scope().isAlive()) {
            throw new IllegalStateException(path + " has been closed");
        }
        // The header check guaranteed 0 <= begin <= end <= dataSection.byteSize().
        return dataSection.asSlice(e.begin(), e.byteSize());
    }

    /**
     * Copies a tensor's raw bytes.
     *
     * @param name a tensor name (any dtype)
     * @return the little-endian bytes
     * @throws IllegalArgumentException if there is no such tensor or it is too large for an array
     * @throws IllegalStateException if the file has been closed
     */
    public byte[] readBytes(String name) {
        SafetensorsEntry e = entry(name);
        arrayLength(e, e.byteSize());
        return data(e).toArray(ValueLayout.JAVA_BYTE);
    }

    /**
     * Copies a floating-point tensor as floats. F32 is copied as is; F16 and BF16 are widened,
     * which is exact.
     *
     * @param name a tensor name
     * @return the values in row-major order
     * @throws IllegalArgumentException if there is no such tensor, its dtype is not F32, F16 or
     *     BF16 (narrowing F64 would lose precision silently), or it is too large for an array
     * @throws IllegalStateException if the file has been closed
     */
    public float[] readFloats(String name) {
        SafetensorsEntry e = entry(name);
        int n = arrayLength(e, e.numel());
        MemorySegment s = data(e);
        return switch (e.dtype()) {
            case F32 -> s.toArray(LittleEndian.F32);
            case F16 -> {
                float[] out = new float[n];
                for (int i = 0; i < n; i++) {
                    out[i] = Float.float16ToFloat(s.getAtIndex(LittleEndian.I16, i));
                }
                yield out;
            }
            case BF16 -> {
                float[] out = new float[n];
                for (int i = 0; i < n; i++) {
                    // bfloat16 is the top half of a binary32.
                    out[i] = Float.intBitsToFloat((s.getAtIndex(LittleEndian.I16, i) & 0xffff) << 16);
                }
                yield out;
            }
            default -> throw wrongType(e, "readFloats", "F32, F16 or BF16");
        };
    }

    /**
     * Copies a floating-point tensor as doubles. F64 is copied as is; F32, F16 and BF16 are
     * widened, which is exact.
     *
     * @param name a tensor name
     * @return the values in row-major order
     * @throws IllegalArgumentException if there is no such tensor, its dtype is not a float type,
     *     or it is too large for an array
     * @throws IllegalStateException if the file has been closed
     */
    public double[] readDoubles(String name) {
        SafetensorsEntry e = entry(name);
        arrayLength(e, e.numel());
        if (e.dtype() == SafetensorsDType.F64) {
            return data(e).toArray(LittleEndian.F64);
        }
        if (e.dtype() != SafetensorsDType.F32 && e.dtype() != SafetensorsDType.F16
                && e.dtype() != SafetensorsDType.BF16) {
            throw wrongType(e, "readDoubles", "F64, F32, F16 or BF16");
        }
        float[] f = readFloats(name);
        double[] out = new double[f.length];
        for (int i = 0; i < f.length; i++) {
            out[i] = f[i];
        }
        return out;
    }

    /**
     * Copies an integer tensor as longs. I64 is copied as is; I32, I16 and I8 are sign-extended;
     * U8 and BOOL are zero-extended. All of these are exact.
     *
     * @param name a tensor name
     * @return the values in row-major order
     * @throws IllegalArgumentException if there is no such tensor, its dtype is a float type, or
     *     it is too large for an array
     * @throws IllegalStateException if the file has been closed
     */
    public long[] readLongs(String name) {
        SafetensorsEntry e = entry(name);
        int n = arrayLength(e, e.numel());
        MemorySegment s = data(e);
        if (e.dtype() == SafetensorsDType.I64) {
            return s.toArray(LittleEndian.I64);
        }
        long[] out = new long[n];
        switch (e.dtype()) {
            case I32 -> {
                for (int i = 0; i < n; i++) {
                    out[i] = s.getAtIndex(LittleEndian.I32, i);
                }
            }
            case I16 -> {
                for (int i = 0; i < n; i++) {
                    out[i] = s.getAtIndex(LittleEndian.I16, i);
                }
            }
            case I8 -> {
                for (int i = 0; i < n; i++) {
                    out[i] = s.get(ValueLayout.JAVA_BYTE, i);
                }
            }
            case U8, BOOL -> {
                for (int i = 0; i < n; i++) {
                    out[i] = s.get(ValueLayout.JAVA_BYTE, i) & 0xffL;
                }
            }
            default -> throw wrongType(e, "readLongs", "an integer type or BOOL");
        }
        return out;
    }

    /**
     * Unmaps the file. Idempotent and safe to call from several threads. Views obtained from {@link #data(String)} become inaccessible.
     */
    @Override
    public synchronized void close() {
        if (arena.scope().isAlive()) {
            arena.close();
        }
    }

    /**
     * Readable summary, e.g. {@code SafetensorsFile[adam.safetensors, 21 tensors]}.
     *
     * @return the summary
     */
    @Override
    public String toString() {
        return "SafetensorsFile[" + path + ", " + names.size() + " tensors"
                + (arena.scope().isAlive() ? "" : ", closed") + "]";
    }

    private int arrayLength(SafetensorsEntry e, long length) {
        if (length > MAX_ARRAY_LENGTH) {
            throw new IllegalArgumentException(path + ": tensor " + SafetensorsHeader.quote(e.name())
                    + " has " + length + " elements, too many for a Java array; use data(name)");
        }
        return (int) length;
    }

    private IllegalArgumentException wrongType(SafetensorsEntry e, String method, String wanted) {
        return new IllegalArgumentException(path + ": tensor "
                + SafetensorsHeader.quote(e.name()) + " is " + e.dtype() + "; " + method
                + " needs " + wanted);
    }
}
