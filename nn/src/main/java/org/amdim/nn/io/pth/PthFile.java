package org.amdim.nn.io.pth;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.MemorySegment;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Enumeration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;

import org.amdim.nn.io.NamedTensors;
import org.amdim.tensor.DType;
import org.amdim.tensor.Tensor;
import org.amdim.tensor.TensorScope;

/**
 * A file written by PyTorch's {@code torch.save}, read without Python and without running its pickle: the object
 * graph comes from a {@link RestrictedUnpickler}, the tensor data from the file's storages.
 *
 * <p>Both serialization formats are read:
 * <ul>
 *   <li>{@link Format#LEGACY} (PyTorch before 1.6, and {@code _use_new_zipfile_serialization=False}): five pickles
 *       in a row (the magic number {@code 0x1950a86a20f9469cfc6c}, the protocol version 1001, a dict of system
 *       information, the object, the sorted list of storage keys), then for each listed key an int64 element count
 *       followed by the storage's raw little-endian bytes.</li>
 *   <li>{@link Format#ZIP} (PyTorch 1.6 and later): a zip archive with one top directory holding {@code data.pkl}
 *       (the object), {@code data/<key>} (one record of raw little-endian bytes per storage) and
 *       {@code version}.</li>
 * </ul>
 * In both, a tensor is pickled as {@code torch._utils._rebuild_tensor_v2(storage, offset, size, stride, ...)},
 * and a storage as a persistent id {@code ('storage', torch.<Type>Storage, key, location, numel[, view])}.
 *
 * <p>{@link #open} checks everything before it returns: the pickles (see {@link RestrictedUnpickler} for what is
 * refused), that every referenced storage has exactly as many bytes in the file as its element count says, and
 * that every tensor lies inside its storage. After that, {@link #tensor} only reads. Tensors saved from a GPU are
 * read onto the CPU.
 *
 * <pre>{@code
 * try (PthFile pth = PthFile.open(Path.of("amdim_cpt.pth"))) {
 *     Map<?, ?> root = (Map<?, ?>) pth.root();
 *     try (NamedTensors weights = pth.tensors((Map<?, ?>) root.get("model"))) { ... }
 * }
 * }</pre>
 */
public final class PthFile implements AutoCloseable {
    /** The legacy format's first pickle. */
    static final BigInteger LEGACY_MAGIC = new BigInteger("1950a86a20f9469cfc6c", 16);
    /** The legacy format's protocol version. */
    static final long LEGACY_PROTOCOL_VERSION = 1001;
    /** The largest {@code data.pkl} accepted: a state dict's pickle is some 40 bytes per tensor. */
    static final long MAX_ZIP_PICKLE_BYTES = 256L << 20;
    /** The largest single storage read (one Java array): far above any AMDIM tensor (26 MB for the largest). */
    static final long MAX_STORAGE_BYTES = Integer.MAX_VALUE - 16;

    /** PyTorch's two serialization formats. */
    public enum Format {
        /** Before PyTorch 1.6: consecutive pickles, then the raw storages. */
        LEGACY,
        /** PyTorch 1.6 and later: a zip archive. */
        ZIP
    }

    private final Path path;
    private final Format format;
    private final Object root;
    private final Map<String, StorageRef> storages;
    /** Legacy: the file offset of each storage's first byte. */
    private final Map<String, Long> legacyOffsets;
    /** Zip: the archive and the record of each storage. */
    private final ZipFile zip;
    private final Map<String, ZipEntry> zipRecords;

    private PthFile(Path path, Format format, Object root, Map<String, StorageRef> storages,
            Map<String, Long> legacyOffsets, ZipFile zip, Map<String, ZipEntry> zipRecords) {
        this.path = path;
        this.format = format;
        this.root = root;
        this.storages = storages;
        this.legacyOffsets = legacyOffsets;
        this.zip = zip;
        this.zipRecords = zipRecords;
    }

    /**
     * Opens and checks a {@code .pth} file.
     *
     * @throws UnsafePickleException when its pickle names anything outside the allow-list
     * @throws PthFormatException    when it is not a PyTorch file, or is truncated or inconsistent
     * @throws IOException           when it cannot be read
     */
    public static PthFile open(Path path) throws IOException {
        String source = path.toString();
        if (!Files.isRegularFile(path)) {
            throw new PthFormatException(source, "no such file");
        }
        byte[] head;
        try (InputStream in = Files.newInputStream(path)) {
            head = in.readNBytes(4);
        }
        if (head.length == 0) {
            throw new PthFormatException(source, "empty file");
        }
        if (head.length == 4 && head[0] == 'P' && head[1] == 'K' && head[2] == 3 && head[3] == 4) {
            return openZip(path);
        }
        if ((head[0] & 0xFF) == 0x80) {
            return openLegacy(path);
        }
        throw new PthFormatException(source, "not a PyTorch checkpoint: neither a zip archive (PyTorch 1.6+) nor a"
                + " pickle (the legacy format)");
    }

    // ------------------------------------------------------------------------------------------------ legacy

    private static PthFile openLegacy(Path path) throws IOException {
        String source = path.toString();
        long size = Files.size(path);
        Map<String, StorageRef> storages = new LinkedHashMap<>();
        try (InputStream raw = new BufferedInputStream(Files.newInputStream(path), 1 << 16)) {
            PickleInput in = new PickleInput(raw, size, source);
            RestrictedUnpickler.PersistentLoader none = pid -> {
                throw new PthFormatException(source, "a persistent id in the legacy header");
            };
            Object magic = RestrictedUnpickler.load(in, none);
            if (!LEGACY_MAGIC.equals(magic)) {
                throw new PthFormatException(source, "not a PyTorch checkpoint: the first pickle is not the legacy"
                        + " format's magic number");
            }
            Object version = RestrictedUnpickler.load(in, none);
            if (!Long.valueOf(LEGACY_PROTOCOL_VERSION).equals(version)) {
                throw new PthFormatException(source, "legacy protocol version " + version + ", expected "
                        + LEGACY_PROTOCOL_VERSION);
            }
            Object sysInfo = RestrictedUnpickler.load(in, none);
            if (!(sysInfo instanceof Map<?, ?> info) || !Boolean.TRUE.equals(info.get("little_endian"))) {
                throw new PthFormatException(source, "written on a big-endian machine (or without system"
                        + " information); only little-endian files are read");
            }
            Object root = RestrictedUnpickler.load(in, pid -> storage(source, pid, true, storages));
            Object keys = RestrictedUnpickler.load(in, none);
            if (!(keys instanceof List<?> keyList)) {
                throw new PthFormatException(source, "the storage key list is a "
                        + RestrictedUnpickler.typeName(keys) + ", not a list");
            }
            Map<String, Long> offsets = new HashMap<>();
            for (Object k : keyList) {
                StorageRef s = k instanceof String key ? storages.get(key) : null;
                if (s == null) {
                    throw new PthFormatException(source, "the storage list names " + RestrictedUnpickler.typeName(k)
                            + " '" + (k instanceof String ? k : "?") + "', which no tensor uses");
                }
                if (offsets.containsKey(s.key())) {
                    throw new PthFormatException(source, "storage '" + s.key() + "' is listed twice");
                }
                long count = in.readLittleEndian(8);
                if (count != s.numel()) {
                    throw new PthFormatException(source, "storage '" + s.key() + "' has a size field of "
                            + Long.toUnsignedString(count) + " elements but the pickle says " + s.numel());
                }
                if (s.byteSize() > in.remaining()) {
                    throw new PthFormatException(source, "truncated: storage '" + s.key() + "' needs "
                            + s.byteSize() + " bytes at offset " + in.position() + " but only " + in.remaining()
                            + " remain");
                }
                offsets.put(s.key(), in.position());
                in.skip(s.byteSize());
            }
            for (StorageRef s : storages.values()) {
                if (!offsets.containsKey(s.key())) {
                    throw new PthFormatException(source, "storage '" + s.key() + "' is used but its data is not in"
                            + " the file");
                }
            }
            return new PthFile(path, Format.LEGACY, root, storages, offsets, null, Map.of());
        } catch (ArithmeticException e) {
            throw new PthFormatException(source, "a storage size overflows 64 bits");
        }
    }

    // ------------------------------------------------------------------------------------------------ zip

    private static PthFile openZip(Path path) throws IOException {
        String source = path.toString();
        ZipFile zip;
        try {
            zip = new ZipFile(path.toFile());
        } catch (ZipException e) {
            throw new PthFormatException(source, "not a readable zip archive (" + e.getMessage() + ")", e);
        }
        try {
            String prefix = null;
            Map<String, ZipEntry> entries = new HashMap<>();
            for (Enumeration<? extends ZipEntry> en = zip.entries(); en.hasMoreElements(); ) {
                ZipEntry e = en.nextElement();
                entries.put(e.getName(), e);
                int slash = e.getName().indexOf('/');
                if (slash > 0 && e.getName().substring(slash + 1).equals("data.pkl")) {
                    if (prefix != null) {
                        throw new PthFormatException(source, "the archive holds more than one data.pkl");
                    }
                    prefix = e.getName().substring(0, slash + 1);
                }
            }
            if (prefix == null) {
                throw new PthFormatException(source, "a zip archive without <name>/data.pkl: not a PyTorch"
                        + " checkpoint");
            }
            ZipEntry byteorder = entries.get(prefix + "byteorder");
            if (byteorder != null && !"little".equals(new String(readEntry(zip, byteorder, 16, source)).trim())) {
                throw new PthFormatException(source, "written big-endian; only little-endian files are read");
            }
            ZipEntry pkl = entries.get(prefix + "data.pkl");
            byte[] pickle = readEntry(zip, pkl, MAX_ZIP_PICKLE_BYTES, source);
            Map<String, StorageRef> storages = new LinkedHashMap<>();
            String pklSource = source + "!" + pkl.getName();
            Object root = RestrictedUnpickler.load(
                    new PickleInput(new java.io.ByteArrayInputStream(pickle), pickle.length, pklSource),
                    pid -> storage(pklSource, pid, false, storages));
            Map<String, ZipEntry> records = new HashMap<>();
            for (StorageRef s : storages.values()) {
                ZipEntry e = entries.get(prefix + "data/" + s.key());
                if (e == null) {
                    throw new PthFormatException(source, "storage '" + s.key() + "' is used but the archive has no "
                            + prefix + "data/" + s.key());
                }
                if (e.getSize() != s.byteSize()) {
                    throw new PthFormatException(source, "storage '" + s.key() + "' holds " + s.numel() + " "
                            + s.dtype() + " elements by the pickle (" + s.byteSize() + " bytes) but its record has "
                            + e.getSize() + " bytes");
                }
                records.put(s.key(), e);
            }
            return new PthFile(path, Format.ZIP, root, storages, Map.of(), zip, records);
        } catch (IOException | RuntimeException e) {
            zip.close();
            if (e instanceof ArithmeticException) {
                throw new PthFormatException(source, "a storage size overflows 64 bits");
            }
            throw e;
        }
    }

    private static byte[] readEntry(ZipFile zip, ZipEntry e, long max, String source) throws IOException {
        long size = e.getSize();
        if (size < 0 || size > max) {
            throw new PthFormatException(source, e.getName() + " has " + size + " bytes; at most " + max
                    + " are accepted");
        }
        try (InputStream in = zip.getInputStream(e)) {
            byte[] b = in.readNBytes((int) size);
            if (b.length != size || in.read() >= 0) {
                throw new PthFormatException(source, e.getName() + " does not hold the " + size
                        + " bytes its header says");
            }
            return b;
        } catch (ZipException ex) {
            throw new PthFormatException(source, e.getName() + " cannot be read (" + ex.getMessage() + ")", ex);
        }
    }

    // ------------------------------------------------------------------------------------------------ storages

    /** Turns a persistent id into a storage, checking its form; one key always means one storage. */
    private static StorageRef storage(String source, Object pid, boolean legacy, Map<String, StorageRef> seen)
            throws PthFormatException {
        int expected = legacy ? 6 : 5;
        if (!(pid instanceof PickleTuple t) || t.size() != expected || !"storage".equals(t.get(0))) {
            throw new UnsafePickleException(source, "a persistent id that is not ('storage', type, key, location,"
                    + " numel" + (legacy ? ", view)" : ")") + ": a " + RestrictedUnpickler.typeName(pid)
                    + (pid instanceof PickleTuple t ? " of " + t.size() : ""));
        }
        DType dtype = t.get(1) instanceof PickleGlobal g ? RestrictedUnpickler.storageDType(g) : null;
        if (dtype == null) {
            throw new UnsafePickleException(source, "a persistent id whose storage type is a "
                    + RestrictedUnpickler.typeName(t.get(1)) + ", not a torch.*Storage class");
        }
        if (!(t.get(2) instanceof String key) || !(t.get(3) instanceof String location)
                || !(t.get(4) instanceof Long numel) || numel < 0) {
            throw new PthFormatException(source, "a storage persistent id needs a str key, a str location and a"
                    + " non-negative int size");
        }
        if (legacy && t.get(5) != null) {
            throw new PthFormatException(source, "storage '" + key + "' is a view of another storage, which"
                    + " PyTorch stopped writing before 1.0; not supported");
        }
        StorageRef s = new StorageRef(key, dtype, numel, location);
        StorageRef before = seen.putIfAbsent(key, s);
        if (before != null && !before.equals(s)) {
            throw new PthFormatException(source, "storage '" + key + "' is described twice, differently");
        }
        try {
            s.byteSize();
        } catch (ArithmeticException e) {
            throw new PthFormatException(source, "storage '" + key + "' of " + numel + " elements overflows");
        }
        return before != null ? before : s;
    }

    // ------------------------------------------------------------------------------------------------ access

    /** The file. */
    public Path path() {
        return path;
    }

    /** Which of PyTorch's formats it is in. */
    public Format format() {
        return format;
    }

    /**
     * The unpickled object: Java values as {@link RestrictedUnpickler} describes them, with {@link TensorRef}s for
     * the tensors (read them with {@link #tensor} or {@link #tensors}).
     */
    public Object root() {
        return root;
    }

    /** Every storage the object uses, by key. */
    public Map<String, StorageRef> storages() {
        return java.util.Collections.unmodifiableMap(storages);
    }

    /**
     * Reads one tensor onto the CPU, as a contiguous tensor of its own (the caller owns it).
     *
     * @throws IOException when the file cannot be read any more
     */
    public Tensor tensor(TensorRef ref) throws IOException {
        StorageRef s = ref.storage();
        if (storages.get(s.key()) != s) {
            throw new IllegalArgumentException(ref + " is not a tensor of " + path);
        }
        int es = s.dtype().byteSize();
        long numel = ref.numel();
        if (numel == 0) {
            return Tensor.zeros(s.dtype(), org.amdim.tensor.Device.CPU, ref.shape());
        }
        long first = ref.offset();
        long last = first;
        long[] shape = ref.shape();
        long[] stride = ref.stride();
        for (int i = 0; i < shape.length; i++) {
            last += (shape[i] - 1) * stride[i];
        }
        long spanBytes = (last - first + 1) * es;
        if (spanBytes > MAX_STORAGE_BYTES || numel * es > MAX_STORAGE_BYTES) {
            throw new PthFormatException(path.toString(), ref + " spans " + spanBytes + " bytes; tensors over 2 GiB"
                    + " are not supported");
        }
        byte[] span = read(s, first * es, (int) spanBytes);
        byte[] data = ref.isContiguous() ? span : gather(span, shape, stride, es);
        return Tensor.fromSegment(MemorySegment.ofArray(data), s.dtype(), shape);
    }

    /**
     * Reads every tensor of a dict (a state dict) onto the CPU.
     *
     * @param stateDict a dict from {@link #root()} whose keys are strings and whose values are tensors
     * @return the tensors by key, in the dict's order (the caller owns them)
     * @throws PthFormatException when a key is not a string or a value is not a tensor
     */
    public NamedTensors tensors(Map<?, ?> stateDict) throws IOException {
        for (Map.Entry<?, ?> e : stateDict.entrySet()) {
            if (!(e.getKey() instanceof String k)) {
                throw new PthFormatException(path.toString(), "a state-dict key is a "
                        + RestrictedUnpickler.typeName(e.getKey()) + ", not a str");
            }
            if (!(e.getValue() instanceof TensorRef)) {
                throw new PthFormatException(path.toString(), "state-dict entry '" + k + "' is a "
                        + RestrictedUnpickler.typeName(e.getValue()) + ", not a tensor");
            }
        }
        NamedTensors out = new NamedTensors(Map.of());
        try {
            for (Map.Entry<?, ?> e : stateDict.entrySet()) {
                out.put((String) e.getKey(), TensorScope.escape(tensor((TensorRef) e.getValue())));
            }
        } catch (IOException | RuntimeException e) {
            out.close();
            throw e;
        }
        return out;
    }

    private byte[] read(StorageRef s, long byteOffset, int n) throws IOException {
        byte[] out = new byte[n];
        if (format == Format.LEGACY) {
            try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
                ByteBuffer buf = ByteBuffer.wrap(out);
                long pos = legacyOffsets.get(s.key()) + byteOffset;
                while (buf.hasRemaining()) {
                    int r = ch.read(buf, pos);
                    if (r < 0) {
                        throw new PthFormatException(path.toString(), "the file shrank while being read");
                    }
                    pos += r;
                }
            }
            return out;
        }
        try (InputStream in = zip.getInputStream(zipRecords.get(s.key()))) {
            in.skipNBytes(byteOffset);
            int got = in.readNBytes(out, 0, n);
            if (got != n) {
                throw new PthFormatException(path.toString(), "storage '" + s.key() + "' ends early");
            }
        }
        return out;
    }

    /** Copies a strided view into row-major order, element by element (state dicts rarely hold such views). */
    private static byte[] gather(byte[] span, long[] shape, long[] stride, int es) {
        int numel = 1;
        for (long d : shape) {
            numel *= (int) d;
        }
        byte[] out = new byte[numel * es];
        long[] index = new long[shape.length];
        for (int n = 0; n < numel; n++) {
            long src = 0;
            for (int d = 0; d < shape.length; d++) {
                src += index[d] * stride[d];
            }
            System.arraycopy(span, (int) (src * es), out, n * es, es);
            for (int d = shape.length - 1; d >= 0; d--) {
                if (++index[d] < shape[d]) {
                    break;
                }
                index[d] = 0;
            }
        }
        return out;
    }

    /** Closes the archive (zip format); tensors already read stay valid. */
    @Override
    public void close() throws IOException {
        if (zip != null) {
            zip.close();
        }
    }
}
