package org.amdim.tensor;

import static org.amdim.bindings.ffm.TorchShim.*;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.ref.Cleaner;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * An n-dimensional array on a {@link Device}, with autograd, backed by a libtorch {@code at::Tensor}.
 *
 * <h2>Ownership</h2>
 * A tensor holds native memory and is {@link AutoCloseable}. Every tensor has exactly one owner: the innermost
 * {@link TensorScope} open on the creating thread, a module that registered it, or the caller. Closing is
 * idempotent; using a closed tensor throws {@link IllegalStateException}. Tensors created outside any scope are
 * also registered with a {@link Cleaner} that frees them if they become unreachable unclosed (and counts them,
 * see {@link #leakedCount()}), but that is a safety net: close tensors or use scopes.
 *
 * <h2>Threads</h2>
 * A tensor is confined to one thread at a time; hand it over with a happens-before edge (e.g. a queue).
 *
 * <h2>Errors</h2>
 * One convention for every method, so that callers know what to catch:
 * <ul>
 * <li>libtorch's refusals (shape mismatch, wrong dtype, a dimension out of range for an op libtorch checks, ...)
 * throw {@link org.amdim.bindings.TorchException} with libtorch's message;</li>
 * <li>arguments refused before reaching libtorch (a dimension out of range for {@link #size(int)} or
 * {@link #split}, a non-positive count, too many values for one call) throw {@link IllegalArgumentException};</li>
 * <li>a closed tensor, or a tensor whose state does not allow the call (not a contiguous CPU tensor for
 * {@link #dataSegment()}, more elements than a Java array holds), throws {@link IllegalStateException}.</li>
 * </ul>
 * Nothing else is thrown for a call on a tensor, and no call, however wrong, crashes the JVM.
 *
 * <p>Ops follow PyTorch's names and semantics (broadcasting included); in-place variants end in {@code _}.
 * Neural-network functions live in {@link Functional}.
 */
public final class Tensor implements AutoCloseable {
    private static final Cleaner CLEANER = Cleaner.create();
    private static final java.util.concurrent.atomic.LongAdder LEAKED = new java.util.concurrent.atomic.LongAdder();
    private static final boolean REPORT_LEAKS = Boolean.getBoolean("amdim.tensor.reportLeaks");

    static {
        ShimCalls.ensureLoaded();
    }

    private MemorySegment handle;
    /** Owning scope, or null. Maintained by {@link TensorScope}. */
    TensorScope scope;
    /** Slot in the owning scope's array. */
    int scopeSlot;
    private Cleaner.Cleanable cleanable;
    private HandleCell cell;
    /**
     * The arena the segments of {@link #dataSegment()} belong to, made on first use and closed with the tensor,
     * so that a segment read after close throws instead of reading freed (or unmapped) memory.
     */
    private Arena dataArena;

    private Tensor(MemorySegment handle) {
        this.handle = handle;
    }

    /**
     * Wraps a handle returned by the shim (NULL means the call failed: its error is thrown) and gives it to the
     * current scope, or to the caller with the cleaner as a safety net.
     */
    static Tensor wrap(MemorySegment handle) {
        if (handle.address() == 0) {
            throw ShimCalls.error();
        }
        Tensor t = new Tensor(handle);
        TensorScope s = TensorScope.current();
        if (s != null) {
            s.adopt(t);
        } else {
            t.registerCleaner();
        }
        return t;
    }

    /** Like {@link #wrap} but NULL gives null instead of an error (for optional results). */
    static Tensor wrapNullable(MemorySegment handle) {
        return handle.address() == 0 ? null : wrap(handle);
    }

    void registerCleaner() {
        if (cleanable == null && handle != null) {
            cell = new HandleCell(handle);
            cell.dataArena = dataArena;
            cleanable = CLEANER.register(this, cell);
        }
    }

    /** The native handle; for the shim calls in this package. */
    MemorySegment handle() {
        MemorySegment h = handle;
        if (h == null) {
            throw new IllegalStateException("tensor is closed");
        }
        return h;
    }

    /** Whether {@link #close()} has been called. */
    public boolean isClosed() {
        return handle == null;
    }

    /** Frees the native tensor (its storage goes when no other tensor views it). Idempotent. */
    @Override
    public void close() {
        MemorySegment h = handle;
        if (h == null) {
            return;
        }
        handle = null;
        if (scope != null) {
            scope.forget(this);
            scope = null;
        }
        if (dataArena != null) {
            // Before the storage goes: from here on every segment handed out throws on access.
            dataArena.close();
            dataArena = null;
        }
        if (cleanable != null) {
            cell.explicitlyClosed = true;
            cleanable.clean();
        } else {
            ts_free(h);
        }
    }

    /** Number of tensors the cleaner freed because their owner forgot to close them. */
    public static long leakedCount() {
        return LEAKED.sum();
    }

    /** Number of native tensor handles alive in this process (for leak tests). */
    public static long liveHandles() {
        return ts_live_handles();
    }

    /** The cleaner's action: owns the handle of an unscoped tensor without referencing the tensor. */
    private static final class HandleCell implements Runnable {
        private final MemorySegment handle;
        volatile boolean explicitlyClosed;
        /** The tensor's data arena, if one was made: a segment may outlive a forgotten tensor. */
        volatile Arena dataArena;

        HandleCell(MemorySegment handle) {
            this.handle = handle;
        }

        @Override
        public void run() {
            if (!explicitlyClosed) {
                LEAKED.increment();
                if (REPORT_LEAKS) {
                    System.err.println("[amdim] a tensor was garbage-collected without close(); freed by the cleaner");
                }
                Arena arena = dataArena;
                if (arena != null) {
                    arena.close();
                }
            }
            ts_free(handle);
        }
    }

    // ---------------------------------------------------------------- creation

    /** A float32 CPU tensor of zeros. */
    public static Tensor zeros(long... shape) {
        return zeros(DType.FLOAT32, Device.CPU, shape);
    }

    /** A tensor of zeros. */
    public static Tensor zeros(DType dtype, Device device, long... shape) {
        return wrap(ts_zeros(ShimCalls.longs(shape), shape.length, dtype.code(), device.type().code(), device.index()));
    }

    /** A float32 CPU tensor of ones. */
    public static Tensor ones(long... shape) {
        return ones(DType.FLOAT32, Device.CPU, shape);
    }

    /** A tensor of ones. */
    public static Tensor ones(DType dtype, Device device, long... shape) {
        return wrap(ts_ones(ShimCalls.longs(shape), shape.length, dtype.code(), device.type().code(), device.index()));
    }

    /** A float32 CPU tensor filled with {@code value}. */
    public static Tensor full(double value, long... shape) {
        return full(value, DType.FLOAT32, Device.CPU, shape);
    }

    /** A tensor filled with {@code value}. */
    public static Tensor full(double value, DType dtype, Device device, long... shape) {
        return wrap(ts_full(ShimCalls.longs(shape), shape.length, value, dtype.code(), device.type().code(),
                device.index()));
    }

    /** An uninitialised float32 CPU tensor. */
    public static Tensor empty(long... shape) {
        return empty(DType.FLOAT32, Device.CPU, shape);
    }

    /** An uninitialised tensor. */
    public static Tensor empty(DType dtype, Device device, long... shape) {
        return wrap(ts_empty(ShimCalls.longs(shape), shape.length, dtype.code(), device.type().code(), device.index()));
    }

    /** Uniform samples in [0, 1), float32 CPU, from libtorch's global generator ({@link Torch#manualSeed}). */
    public static Tensor rand(long... shape) {
        return rand(DType.FLOAT32, Device.CPU, shape);
    }

    /** Uniform samples in [0, 1). */
    public static Tensor rand(DType dtype, Device device, long... shape) {
        return wrap(ts_rand(ShimCalls.longs(shape), shape.length, dtype.code(), device.type().code(), device.index()));
    }

    /** Standard normal samples, float32 CPU. */
    public static Tensor randn(long... shape) {
        return randn(DType.FLOAT32, Device.CPU, shape);
    }

    /** Standard normal samples. */
    public static Tensor randn(DType dtype, Device device, long... shape) {
        return wrap(ts_randn(ShimCalls.longs(shape), shape.length, dtype.code(), device.type().code(), device.index()));
    }

    /** Uniform integers in [low, high), int64 CPU. */
    public static Tensor randint(long low, long high, long... shape) {
        return randint(low, high, DType.INT64, Device.CPU, shape);
    }

    /** Uniform integers in [low, high). */
    public static Tensor randint(long low, long high, DType dtype, Device device, long... shape) {
        return wrap(ts_randint(low, high, ShimCalls.longs(shape), shape.length, dtype.code(), device.type().code(),
                device.index()));
    }

    /** A random permutation of {@code 0..n-1} (int64, CPU). */
    public static Tensor randperm(long n) {
        return wrap(ts_randperm(n, Device.CPU.type().code(), 0));
    }

    /** {@code 0, 1, ..., end-1} as int64 on the CPU. */
    public static Tensor arange(long end) {
        return arange(0, end, 1, DType.INT64, Device.CPU);
    }

    /** {@code start, start+step, ...} below {@code end}. */
    public static Tensor arange(double start, double end, double step, DType dtype, Device device) {
        return wrap(ts_arange(start, end, step, dtype.code(), device.type().code(), device.index()));
    }

    /** The n×n identity, float32 CPU. */
    public static Tensor eye(long n) {
        return eye(n, n, DType.FLOAT32, Device.CPU);
    }

    /** An n×m matrix with ones on the diagonal. */
    public static Tensor eye(long n, long m, DType dtype, Device device) {
        return wrap(ts_eye(n, m, dtype.code(), device.type().code(), device.index()));
    }

    /** A float32 scalar (0-dimensional) tensor. */
    public static Tensor scalar(double value) {
        return full(value, DType.FLOAT32, Device.CPU);
    }

    /** A float32 CPU tensor holding a copy of {@code data}, with the given shape (default: 1-D). */
    public static Tensor of(float[] data, long... shape) {
        return fromSegment(MemorySegment.ofArray(data), DType.FLOAT32, shapeOr(shape, data.length));
    }

    /** A float64 CPU tensor holding a copy of {@code data}. */
    public static Tensor of(double[] data, long... shape) {
        return fromSegment(MemorySegment.ofArray(data), DType.FLOAT64, shapeOr(shape, data.length));
    }

    /** An int64 CPU tensor holding a copy of {@code data}. */
    public static Tensor of(long[] data, long... shape) {
        return fromSegment(MemorySegment.ofArray(data), DType.INT64, shapeOr(shape, data.length));
    }

    /** An int32 CPU tensor holding a copy of {@code data}. */
    public static Tensor of(int[] data, long... shape) {
        return fromSegment(MemorySegment.ofArray(data), DType.INT32, shapeOr(shape, data.length));
    }

    /** A uint8 CPU tensor holding a copy of {@code data}. */
    public static Tensor of(byte[] data, long... shape) {
        return fromSegment(MemorySegment.ofArray(data), DType.UINT8, shapeOr(shape, data.length));
    }

    /** A bool CPU tensor holding a copy of {@code data}. */
    public static Tensor of(boolean[] data, long... shape) {
        byte[] bytes = new byte[data.length];
        for (int i = 0; i < data.length; i++) {
            bytes[i] = (byte) (data[i] ? 1 : 0);
        }
        return fromSegment(MemorySegment.ofArray(bytes), DType.BOOL, shapeOr(shape, data.length));
    }

    private static long[] shapeOr(long[] shape, int length) {
        return shape.length == 0 ? new long[] {length} : shape;
    }

    /**
     * A CPU tensor holding one copy of the row-major, little-endian bytes in {@code data} (heap or native).
     * For zero-copy filling, create with {@link #empty} and write through {@link #dataSegment()} instead.
     *
     * @throws org.amdim.bindings.TorchException when the byte size does not match shape × element size
     */
    public static Tensor fromSegment(MemorySegment data, DType dtype, long... shape) {
        if (data.isNative()) {
            return wrap(ts_from_data(data, data.byteSize(), ShimCalls.longs(shape), shape.length, dtype.code()));
        }
        // Heap arrays cannot be passed to a downcall: fill a fresh tensor's storage directly.
        Tensor t = empty(dtype, Device.CPU, shape);
        MemorySegment dst = t.rawDataSegment();
        if (dst.byteSize() != data.byteSize()) {
            long need = dst.byteSize();
            t.close();
            throw new org.amdim.bindings.TorchException("data has " + data.byteSize() + " bytes but shape "
                    + Arrays.toString(shape) + " of " + dtype + " needs " + need);
        }
        MemorySegment.copy(data, 0, dst, 0, dst.byteSize());
        return t;
    }

    // ---------------------------------------------------------------- metadata

    /** Number of dimensions. */
    public int dim() {
        return ShimCalls.check(ts_dim(handle()));
    }

    /** The sizes of all dimensions (a fresh array). */
    public long[] shape() {
        MemorySegment s = ShimCalls.scratch();
        int n = ShimCalls.check(ts_sizes(handle(), s));
        return s.asSlice(0, n * 8L).toArray(ValueLayout.JAVA_LONG);
    }

    /**
     * Size of one dimension (negative counts from the end).
     *
     * @throws IllegalArgumentException when {@code dim} is out of range
     */
    public long size(int dim) {
        long[] shape = shape();
        return shape[checkedDim(dim, shape.length)];
    }

    /** {@code dim} as an index into a shape of {@code rank} dimensions (negative counts from the end). */
    private static int checkedDim(long dim, int rank) {
        long d = dim < 0 ? dim + rank : dim;
        if (d < 0 || d >= rank) {
            throw new IllegalArgumentException("dimension " + dim + " out of range for a " + rank + "-d tensor");
        }
        return (int) d;
    }

    /** A Java array's length for {@code numel} elements. */
    private static int arrayLength(long numel) {
        if (numel > Integer.MAX_VALUE - 8) {
            throw new IllegalStateException(numel + " elements are more than a Java array holds; copy them into a"
                    + " MemorySegment with copyTo instead");
        }
        return (int) numel;
    }

    /**
     * Element strides of all dimensions.
     *
     * @throws IllegalStateException for an {@link Layout#MKLDNN} tensor, which has none
     */
    public long[] strides() {
        MemorySegment s = ShimCalls.scratch();
        MemorySegment h = handle();
        int n = ts_strides(h, s);
        if (n < 0) {
            if (ts_layout(h) == TS_LAYOUT_MKLDNN()) {
                throw new IllegalStateException("an mkldnn-layout tensor has no strides; toDense() gives a strided copy");
            }
            throw ShimCalls.error();
        }
        return s.asSlice(0, n * 8L).toArray(ValueLayout.JAVA_LONG);
    }

    /** Number of elements. */
    public long numel() {
        return ts_numel(handle());
    }

    /** Element type. */
    public DType dtype() {
        return DType.fromCode(ts_dtype(handle()));
    }

    /** The device the tensor lives on. */
    public Device device() {
        MemorySegment h = handle();
        return ts_device_type(h) == Device.Type.CUDA.code() ? Device.cuda(ts_device_index(h)) : Device.CPU;
    }

    /**
     * How the elements are stored: {@link Layout#STRIDED}, or {@link Layout#MKLDNN} after {@link #toMkldnn()}.
     */
    public Layout layout() {
        return Layout.fromCode(ShimCalls.check(ts_layout(handle())));
    }

    /** Whether the elements are laid out row-major without gaps (never for an {@link Layout#MKLDNN} tensor). */
    public boolean isContiguous() {
        return ts_is_contiguous(handle());
    }

    /**
     * Whether the elements are laid out densely in {@code format}. A tensor can be dense in both formats (a single
     * channel, or 1×1 images); an {@link Layout#MKLDNN} tensor is in neither.
     */
    public boolean isContiguous(MemoryFormat format) {
        return ts_is_contiguous_format(handle(), format.code());
    }

    /**
     * The elements of a contiguous CPU tensor as a native segment that aliases the tensor's storage (writes go
     * straight into the tensor). The segment is valid only while this tensor is open: after {@link #close()} (or
     * after a forgotten tensor was freed by the cleaner) any access to it throws {@link IllegalStateException}.
     * The segment may be used from any thread, like the tensor it belongs to.
     *
     * @throws IllegalStateException for non-CPU, non-contiguous or {@link Layout#MKLDNN} tensors, or a closed
     *                               tensor
     */
    public MemorySegment dataSegment() {
        MemorySegment raw = rawDataSegment();
        if (raw.byteSize() == 0) {
            return raw;
        }
        if (dataArena == null) {
            // Shared, not confined: tensors are handed between threads (loader to trainer), and so are segments.
            dataArena = Arena.ofShared();
            if (cell != null) {
                cell.dataArena = dataArena;
            }
        }
        return raw.reinterpret(dataArena, null);
    }

    /**
     * The data segment without a lifetime, for this package's own copies that finish before the tensor can close.
     */
    private MemorySegment rawDataSegment() {
        MemorySegment h = handle();
        // ts_is_contiguous is false for mkldnn-layout tensors, which have no data pointer.
        if (!ts_is_contiguous(h) || ts_device_type(h) != Device.Type.CPU.code()) {
            throw new IllegalStateException("dataSegment() needs a contiguous (strided) CPU tensor");
        }
        long bytes = ts_numel(h) * DType.fromCode(ts_dtype(h)).byteSize();
        if (bytes == 0) {
            return MemorySegment.NULL.reinterpret(0);
        }
        // Never a segment at address 0: reading one would crash the JVM instead of throwing.
        return ShimCalls.check(ts_data_ptr(h)).reinterpret(bytes);
    }

    // ---------------------------------------------------------------- copy out

    /** Copies the elements (row-major, converted to float32 if needed) into a new array. */
    public float[] toFloatArray() {
        try (Tensor t = converted(DType.FLOAT32)) {
            float[] out = new float[arrayLength(t.numel())];
            copyOut(t, MemorySegment.ofArray(out));
            return out;
        }
    }

    /** Copies the elements converted to float64. */
    public double[] toDoubleArray() {
        try (Tensor t = converted(DType.FLOAT64)) {
            double[] out = new double[arrayLength(t.numel())];
            copyOut(t, MemorySegment.ofArray(out));
            return out;
        }
    }

    /** Copies the elements converted to int64. */
    public long[] toLongArray() {
        try (Tensor t = converted(DType.INT64)) {
            long[] out = new long[arrayLength(t.numel())];
            copyOut(t, MemorySegment.ofArray(out));
            return out;
        }
    }

    /** Copies the elements converted to int32. */
    public int[] toIntArray() {
        try (Tensor t = converted(DType.INT32)) {
            int[] out = new int[arrayLength(t.numel())];
            copyOut(t, MemorySegment.ofArray(out));
            return out;
        }
    }

    /** Copies the elements converted to uint8. */
    public byte[] toByteArray() {
        try (Tensor t = converted(DType.UINT8)) {
            byte[] out = new byte[arrayLength(t.numel())];
            copyOut(t, MemorySegment.ofArray(out));
            return out;
        }
    }

    /** Copies the elements converted to bool. */
    public boolean[] toBooleanArray() {
        byte[] b;
        try (Tensor t = converted(DType.BOOL)) {
            b = new byte[arrayLength(t.numel())];
            copyOut(t, MemorySegment.ofArray(b));
        }
        boolean[] out = new boolean[b.length];
        for (int i = 0; i < b.length; i++) {
            out[i] = b[i] != 0;
        }
        return out;
    }

    /**
     * Copies the raw elements (row-major, this tensor's dtype) into {@code dst}, whose size must match exactly.
     */
    public void copyTo(MemorySegment dst) {
        copyOut(this, dst);
    }

    /**
     * This tensor's values as a strided tensor of the given dtype, a private temporary never registered with a
     * scope (caller closes); it may share storage with this one.
     */
    private Tensor converted(DType dtype) {
        try (Tensor dense = strided()) {
            return new Tensor(ShimCalls.check(ts_to_dtype(dense.handle(), dtype.code())));
        }
    }

    /** A new handle to this tensor, or for an mkldnn-layout one to a strided copy: a private temporary. */
    private Tensor strided() {
        MemorySegment h = handle();
        return new Tensor(ShimCalls.check(ts_layout(h) == TS_LAYOUT_MKLDNN() ? ts_to_dense(h) : ts_shallow_clone(h)));
    }

    private static void copyOut(Tensor t, MemorySegment dst) {
        if (dst.isNative()) {
            ShimCalls.check(ts_copy_to_host(t.handle(), dst, dst.byteSize()));
            return;
        }
        try (Tensor dense = t.strided();
                Tensor cpu = new Tensor(ShimCalls.check(ts_to_device(dense.handle(), 0, 0, false)));
                Tensor contiguous = new Tensor(ShimCalls.check(ts_contiguous(cpu.handle())))) {
            MemorySegment src = contiguous.rawDataSegment();
            if (src.byteSize() != dst.byteSize()) {
                throw new IllegalArgumentException("destination has " + dst.byteSize() + " bytes, tensor has "
                        + src.byteSize());
            }
            MemorySegment.copy(src, 0, dst, 0, src.byteSize());
        }
    }

    /** The single element as a double. */
    public double item() {
        MemorySegment s = ShimCalls.scratch();
        ShimCalls.check(ts_item_double(handle(), s));
        return ShimCalls.doubleAt(s, 0);
    }

    /** The single element as a long. */
    public long itemLong() {
        MemorySegment s = ShimCalls.scratch();
        ShimCalls.check(ts_item_int64(handle(), s));
        return ShimCalls.longAt(s, 0);
    }

    // ---------------------------------------------------------------- conversion

    /** This tensor on another device (a new tensor even when already there). */
    public Tensor to(Device device) {
        return wrap(ts_to_device(handle(), device.type().code(), device.index(), false));
    }

    /** This tensor on another device; {@code nonBlocking} lets a pinned host→CUDA copy overlap. */
    public Tensor to(Device device, boolean nonBlocking) {
        return wrap(ts_to_device(handle(), device.type().code(), device.index(), nonBlocking));
    }

    /** This tensor converted to another dtype. */
    public Tensor to(DType dtype) {
        return wrap(ts_to_dtype(handle(), dtype.code()));
    }

    /**
     * A copy in oneDNN's opaque layout ({@link Layout#MKLDNN}), for a chain of oneDNN ops: convolutions with
     * {@link PackedConv2d}, then ReLU, additions, pooling and evaluation-mode batch norms, all without converting
     * the activations between ops. Converting once in and once out ({@link #toDense()}) is what makes the chain
     * fast; each conversion costs about one pass over the data.
     *
     * @throws org.amdim.bindings.TorchException unless this is a float32 or bfloat16 CPU tensor of 1 to 5
     *     dimensions in strided layout, or when libtorch was built without oneDNN ({@link Torch#mkldnnAvailable()})
     */
    public Tensor toMkldnn() {
        return wrap(ts_to_mkldnn(handle()));
    }

    /**
     * A strided, row-major copy of an {@link Layout#MKLDNN} tensor; for a strided tensor a new handle to the same
     * tensor.
     */
    public Tensor toDense() {
        return wrap(ts_to_dense(handle()));
    }

    /** A copy in page-locked host memory (for non-blocking copies to CUDA). */
    public Tensor pinMemory() {
        return wrap(ts_pin_memory(handle()));
    }

    /** A row-major copy if needed, else a new handle to the same data. */
    public Tensor contiguous() {
        return wrap(ts_contiguous(handle()));
    }

    /**
     * A copy laid out densely in {@code format} if needed, else a new handle to the same data; differentiable, as
     * {@code tensor.contiguous(memory_format=...)}.
     *
     * @throws org.amdim.bindings.TorchException for channels-last on a tensor that is not 4-D
     */
    public Tensor contiguous(MemoryFormat format) {
        return wrap(ts_contiguous_format(handle(), format.code()));
    }

    /** A copy with its own storage (differentiable). */
    public Tensor clone() {
        return wrap(ts_clone(handle()));
    }

    /** The same data, cut from the autograd graph. */
    public Tensor detach() {
        return wrap(ts_detach(handle()));
    }

    /** A second handle to the same tensor (same storage and autograd identity), with its own owner. */
    public Tensor alias() {
        return wrap(ts_shallow_clone(handle()));
    }

    // ---------------------------------------------------------------- elementwise

    private Tensor unary(int op) {
        return wrap(ts_unary(op, handle()));
    }

    private Tensor unary_(int op) {
        ShimCalls.check(ts_unary_(op, handle()));
        return this;
    }

    private Tensor binary(int op, Tensor other) {
        return wrap(ts_binary(op, handle(), other.handle()));
    }

    private Tensor binary_(int op, Tensor other) {
        ShimCalls.check(ts_binary_(op, handle(), other.handle()));
        return this;
    }

    private Tensor binary(int op, double other) {
        return wrap(ts_binary_scalar(op, handle(), other));
    }

    private Tensor binary_(int op, double other) {
        ShimCalls.check(ts_binary_scalar_(op, handle(), other));
        return this;
    }

    /** {@code this + other} (broadcasting). */
    public Tensor add(Tensor other) {
        return binary(TS_BINARY_ADD(), other);
    }

    /** {@code this + alpha * other}. */
    public Tensor add(Tensor other, double alpha) {
        return wrap(ts_add_scaled(handle(), other.handle(), alpha));
    }

    /** {@code this + other}. */
    public Tensor add(double other) {
        return binary(TS_BINARY_ADD(), other);
    }

    /** {@code this - other}. */
    public Tensor sub(Tensor other) {
        return binary(TS_BINARY_SUB(), other);
    }

    /** {@code this - other}. */
    public Tensor sub(double other) {
        return binary(TS_BINARY_SUB(), other);
    }

    /** {@code this * other}. */
    public Tensor mul(Tensor other) {
        return binary(TS_BINARY_MUL(), other);
    }

    /** {@code this * other}. */
    public Tensor mul(double other) {
        return binary(TS_BINARY_MUL(), other);
    }

    /** {@code this / other} (true division). */
    public Tensor div(Tensor other) {
        return binary(TS_BINARY_DIV(), other);
    }

    /** {@code this / other}. */
    public Tensor div(double other) {
        return binary(TS_BINARY_DIV(), other);
    }

    /** {@code this ^ exponent}. */
    public Tensor pow(Tensor exponent) {
        return binary(TS_BINARY_POW(), exponent);
    }

    /** {@code this ^ exponent}. */
    public Tensor pow(double exponent) {
        return binary(TS_BINARY_POW(), exponent);
    }

    /** Elementwise maximum. */
    public Tensor maximum(Tensor other) {
        return binary(TS_BINARY_MAXIMUM(), other);
    }

    /** Elementwise minimum. */
    public Tensor minimum(Tensor other) {
        return binary(TS_BINARY_MINIMUM(), other);
    }

    /** Python-style remainder (sign of the divisor). */
    public Tensor remainder(double other) {
        return binary(TS_BINARY_REMAINDER(), other);
    }

    /** Elementwise {@code atan2(this, other)}. */
    public Tensor atan2(Tensor other) {
        return binary(TS_BINARY_ATAN2(), other);
    }

    /** {@code this == other} as bool. */
    public Tensor eq(Tensor other) {
        return binary(TS_BINARY_EQ(), other);
    }

    /** {@code this == other} as bool. */
    public Tensor eq(double other) {
        return binary(TS_BINARY_EQ(), other);
    }

    /** {@code this != other} as bool. */
    public Tensor ne(Tensor other) {
        return binary(TS_BINARY_NE(), other);
    }

    /** {@code this != other} as bool. */
    public Tensor ne(double other) {
        return binary(TS_BINARY_NE(), other);
    }

    /** {@code this < other} as bool. */
    public Tensor lt(Tensor other) {
        return binary(TS_BINARY_LT(), other);
    }

    /** {@code this < other} as bool. */
    public Tensor lt(double other) {
        return binary(TS_BINARY_LT(), other);
    }

    /** {@code this <= other} as bool. */
    public Tensor le(Tensor other) {
        return binary(TS_BINARY_LE(), other);
    }

    /** {@code this <= other} as bool. */
    public Tensor le(double other) {
        return binary(TS_BINARY_LE(), other);
    }

    /** {@code this > other} as bool. */
    public Tensor gt(Tensor other) {
        return binary(TS_BINARY_GT(), other);
    }

    /** {@code this > other} as bool. */
    public Tensor gt(double other) {
        return binary(TS_BINARY_GT(), other);
    }

    /** {@code this >= other} as bool. */
    public Tensor ge(Tensor other) {
        return binary(TS_BINARY_GE(), other);
    }

    /** {@code this >= other} as bool. */
    public Tensor ge(double other) {
        return binary(TS_BINARY_GE(), other);
    }

    /** Logical and of two bool tensors. */
    public Tensor logicalAnd(Tensor other) {
        return binary(TS_BINARY_LOGICAL_AND(), other);
    }

    /** Logical or of two bool tensors. */
    public Tensor logicalOr(Tensor other) {
        return binary(TS_BINARY_LOGICAL_OR(), other);
    }

    /** Logical not. */
    public Tensor logicalNot() {
        return unary(TS_UNARY_LOGICAL_NOT());
    }

    /** {@code -this}. */
    public Tensor neg() {
        return unary(TS_UNARY_NEG());
    }

    /** {@code |this|}. */
    public Tensor abs() {
        return unary(TS_UNARY_ABS());
    }

    /** {@code e^this}. */
    public Tensor exp() {
        return unary(TS_UNARY_EXP());
    }

    /** Natural logarithm. */
    public Tensor log() {
        return unary(TS_UNARY_LOG());
    }

    /** {@code log(1 + this)}. */
    public Tensor log1p() {
        return unary(TS_UNARY_LOG1P());
    }

    /** Square root. */
    public Tensor sqrt() {
        return unary(TS_UNARY_SQRT());
    }

    /** {@code 1 / sqrt(this)}. */
    public Tensor rsqrt() {
        return unary(TS_UNARY_RSQRT());
    }

    /** Hyperbolic tangent. */
    public Tensor tanh() {
        return unary(TS_UNARY_TANH());
    }

    /** Logistic sigmoid. */
    public Tensor sigmoid() {
        return unary(TS_UNARY_SIGMOID());
    }

    /** {@code max(this, 0)}. */
    public Tensor relu() {
        return unary(TS_UNARY_RELU());
    }

    /** In-place {@link #relu()}. */
    public Tensor relu_() {
        return unary_(TS_UNARY_RELU());
    }

    /** Sine. */
    public Tensor sin() {
        return unary(TS_UNARY_SIN());
    }

    /** Cosine. */
    public Tensor cos() {
        return unary(TS_UNARY_COS());
    }

    /** Round down. */
    public Tensor floor() {
        return unary(TS_UNARY_FLOOR());
    }

    /** Round up. */
    public Tensor ceil() {
        return unary(TS_UNARY_CEIL());
    }

    /** Round half to even. */
    public Tensor round() {
        return unary(TS_UNARY_ROUND());
    }

    /** Sign (-1, 0, 1). */
    public Tensor sign() {
        return unary(TS_UNARY_SIGN());
    }

    /** {@code this * this}. */
    public Tensor square() {
        return unary(TS_UNARY_SQUARE());
    }

    /** {@code 1 / this}. */
    public Tensor reciprocal() {
        return unary(TS_UNARY_RECIPROCAL());
    }

    /** Clamps into [min, max]. */
    public Tensor clamp(double min, double max) {
        return wrap(ts_clamp(handle(), true, min, true, max));
    }

    /** Clamps from below. */
    public Tensor clampMin(double min) {
        return wrap(ts_clamp(handle(), true, min, false, 0));
    }

    /** Clamps from above. */
    public Tensor clampMax(double max) {
        return wrap(ts_clamp(handle(), false, 0, true, max));
    }

    /** In-place {@link #clamp(double, double)}. */
    public Tensor clamp_(double min, double max) {
        ShimCalls.check(ts_clamp_(handle(), true, min, true, max));
        return this;
    }

    /** {@code this * (1 - w) + end * w}. */
    public Tensor lerp(Tensor end, double w) {
        return wrap(ts_lerp(handle(), end.handle(), w));
    }

    /** Elements where {@code condition} is true from {@code a}, else from {@code b}. */
    public static Tensor where(Tensor condition, Tensor a, Tensor b) {
        return wrap(ts_where(condition.handle(), a.handle(), b.handle()));
    }

    /** A copy with {@code value} where {@code mask} is true. */
    public Tensor maskedFill(Tensor mask, double value) {
        return wrap(ts_masked_fill(handle(), mask.handle(), value));
    }

    /** The elements where {@code mask} is true, as a 1-D tensor. */
    public Tensor maskedSelect(Tensor mask) {
        return wrap(ts_masked_select(handle(), mask.handle()));
    }

    // ---------------------------------------------------------------- in place

    /** {@code this += other}. */
    public Tensor add_(Tensor other) {
        return binary_(TS_BINARY_ADD(), other);
    }

    /** {@code this += alpha * other}. */
    public Tensor add_(Tensor other, double alpha) {
        ShimCalls.check(ts_add_scaled_(handle(), other.handle(), alpha));
        return this;
    }

    /** {@code this += other}. */
    public Tensor add_(double other) {
        return binary_(TS_BINARY_ADD(), other);
    }

    /** {@code this -= other}. */
    public Tensor sub_(Tensor other) {
        return binary_(TS_BINARY_SUB(), other);
    }

    /** {@code this *= other}. */
    public Tensor mul_(Tensor other) {
        return binary_(TS_BINARY_MUL(), other);
    }

    /** {@code this *= other}. */
    public Tensor mul_(double other) {
        return binary_(TS_BINARY_MUL(), other);
    }

    /** {@code this /= other}. */
    public Tensor div_(Tensor other) {
        return binary_(TS_BINARY_DIV(), other);
    }

    /** {@code this /= other}. */
    public Tensor div_(double other) {
        return binary_(TS_BINARY_DIV(), other);
    }

    /** Sets every element to zero. */
    public Tensor zero_() {
        ShimCalls.check(ts_zero_(handle()));
        return this;
    }

    /** Sets every element to {@code value}. */
    public Tensor fill_(double value) {
        ShimCalls.check(ts_fill_(handle(), value));
        return this;
    }

    /** Copies {@code src} (broadcast, converted) into this tensor. */
    public Tensor copy_(Tensor src) {
        ShimCalls.check(ts_copy_(handle(), src.handle()));
        return this;
    }

    /** Whether all elements are within {@code atol + rtol * |other|} of {@code other}. */
    public boolean allclose(Tensor other, double rtol, double atol) {
        MemorySegment s = ShimCalls.scratch();
        ShimCalls.check(ts_allclose(handle(), other.handle(), rtol, atol, s));
        return s.get(ValueLayout.JAVA_BOOLEAN, 0);
    }

    // ---------------------------------------------------------------- reductions

    private Tensor reduce(int op, long[] dims, boolean keepdim) {
        return wrap(ts_reduce(op, handle(), ShimCalls.longs(dims), dims.length, keepdim));
    }

    /** Sum of all elements. */
    public Tensor sum() {
        return reduce(TS_REDUCE_SUM(), new long[0], false);
    }

    /** Sum over the given dimensions. */
    public Tensor sum(long[] dims, boolean keepdim) {
        return reduce(TS_REDUCE_SUM(), dims, keepdim);
    }

    /** Sum over one dimension. */
    public Tensor sum(long dim, boolean keepdim) {
        return reduce(TS_REDUCE_SUM(), new long[] {dim}, keepdim);
    }

    /** Mean of all elements. */
    public Tensor mean() {
        return reduce(TS_REDUCE_MEAN(), new long[0], false);
    }

    /** Mean over the given dimensions. */
    public Tensor mean(long[] dims, boolean keepdim) {
        return reduce(TS_REDUCE_MEAN(), dims, keepdim);
    }

    /** Mean over one dimension. */
    public Tensor mean(long dim, boolean keepdim) {
        return reduce(TS_REDUCE_MEAN(), new long[] {dim}, keepdim);
    }

    /** Largest element. */
    public Tensor max() {
        return reduce(TS_REDUCE_AMAX(), new long[0], false);
    }

    /** Largest values over the given dimensions (no indices; see {@link #maxDim}). */
    public Tensor amax(long[] dims, boolean keepdim) {
        return reduce(TS_REDUCE_AMAX(), dims, keepdim);
    }

    /** Smallest element. */
    public Tensor min() {
        return reduce(TS_REDUCE_AMIN(), new long[0], false);
    }

    /** Smallest values over the given dimensions. */
    public Tensor amin(long[] dims, boolean keepdim) {
        return reduce(TS_REDUCE_AMIN(), dims, keepdim);
    }

    /** Product of all elements. */
    public Tensor prod() {
        return reduce(TS_REDUCE_PROD(), new long[0], false);
    }

    /** {@code log(sum(exp(this)))} over the given dimensions, computed stably. */
    public Tensor logsumexp(long[] dims, boolean keepdim) {
        return reduce(TS_REDUCE_LOGSUMEXP(), dims, keepdim);
    }

    /** {@code log(sum(exp(this)))} over one dimension. */
    public Tensor logsumexp(long dim, boolean keepdim) {
        return reduce(TS_REDUCE_LOGSUMEXP(), new long[] {dim}, keepdim);
    }

    /** Variance over the given dimensions (all when empty), unbiased or biased. */
    public Tensor var(long[] dims, boolean unbiased, boolean keepdim) {
        return reduce(unbiased ? TS_REDUCE_VAR_UNBIASED() : TS_REDUCE_VAR_BIASED(), dims, keepdim);
    }

    /** Unbiased standard deviation over the given dimensions (all when empty). */
    public Tensor std(long[] dims, boolean keepdim) {
        return reduce(TS_REDUCE_STD_UNBIASED(), dims, keepdim);
    }

    /** Euclidean norm of all elements. */
    public Tensor norm() {
        return reduce(TS_REDUCE_NORM2(), new long[0], false);
    }

    /** Values and indices of a max or min along one dimension. */
    public record ValuesIndices(Tensor values, Tensor indices) implements AutoCloseable {
        /** Closes both tensors. */
        @Override
        public void close() {
            values.close();
            indices.close();
        }
    }

    /** Maximum along {@code dim}, with the indices where it occurs. */
    public ValuesIndices maxDim(long dim, boolean keepdim) {
        MemorySegment s = ShimCalls.scratch();
        ShimCalls.check(ts_max_dim(handle(), dim, keepdim, s, s.asSlice(8)));
        return valuesIndices(s);
    }

    /** Minimum along {@code dim}, with the indices where it occurs. */
    public ValuesIndices minDim(long dim, boolean keepdim) {
        MemorySegment s = ShimCalls.scratch();
        ShimCalls.check(ts_min_dim(handle(), dim, keepdim, s, s.asSlice(8)));
        return valuesIndices(s);
    }

    /**
     * The {@code k} largest (or smallest) elements along {@code dim}, sorted (largest first, or smallest first),
     * with their indices, as {@code torch.topk(x, k, dim, largest, sorted=True)}. Among equal values the order is
     * libtorch's.
     *
     * @param k       how many, from 0 to the size of {@code dim}
     * @param dim     the dimension (negative counts from the end)
     * @param largest true for the largest, false for the smallest
     * @return values and int64 indices, with {@code dim} of size k; the caller owns both
     * @throws org.amdim.bindings.TorchException when k or dim is out of range
     */
    public ValuesIndices topk(long k, long dim, boolean largest) {
        MemorySegment s = ShimCalls.scratch();
        ShimCalls.check(ts_topk(handle(), k, dim, largest, s, s.asSlice(8)));
        return valuesIndices(s);
    }

    private static ValuesIndices valuesIndices(MemorySegment s) {
        MemorySegment v = ShimCalls.pointerAt(s, 0);
        MemorySegment i = ShimCalls.pointerAt(s, 1);
        return new ValuesIndices(wrap(v), wrap(i));
    }

    /** Index of the largest element of the flattened tensor. */
    public Tensor argmax() {
        return wrap(ts_argmax(handle(), false, 0, false));
    }

    /** Indices of the largest elements along {@code dim}. */
    public Tensor argmax(long dim, boolean keepdim) {
        return wrap(ts_argmax(handle(), true, dim, keepdim));
    }

    /** Indices of the smallest elements along {@code dim}. */
    public Tensor argmin(long dim, boolean keepdim) {
        return wrap(ts_argmin(handle(), true, dim, keepdim));
    }

    /** Cumulative sum along {@code dim}. */
    public Tensor cumsum(long dim) {
        return wrap(ts_cumsum(handle(), dim));
    }

    // ---------------------------------------------------------------- linear algebra

    /** Matrix product of two 2-D tensors. */
    public Tensor mm(Tensor other) {
        return wrap(ts_mm(handle(), other.handle()));
    }

    /** Matrix product with broadcasting, as {@code torch.matmul}. */
    public Tensor matmul(Tensor other) {
        return wrap(ts_matmul(handle(), other.handle()));
    }

    /** Batched matrix product of two 3-D tensors. */
    public Tensor bmm(Tensor other) {
        return wrap(ts_bmm(handle(), other.handle()));
    }

    // ---------------------------------------------------------------- activations on the tensor

    /** Softmax along {@code dim}. */
    public Tensor softmax(long dim) {
        return wrap(ts_softmax(handle(), dim));
    }

    /** Log-softmax along {@code dim}. */
    public Tensor logSoftmax(long dim) {
        return wrap(ts_log_softmax(handle(), dim));
    }

    // ---------------------------------------------------------------- shape

    /** The same elements with a new shape (a view when possible); one dimension may be -1. */
    public Tensor reshape(long... shape) {
        return wrap(ts_reshape(handle(), ShimCalls.longs(shape), shape.length));
    }

    /** A view with a new shape (fails when the strides do not allow it). */
    public Tensor view(long... shape) {
        return wrap(ts_view(handle(), ShimCalls.longs(shape), shape.length));
    }

    /** Dimensions reordered. */
    public Tensor permute(long... dims) {
        return wrap(ts_permute(handle(), ShimCalls.longs(dims), dims.length));
    }

    /** Two dimensions swapped. */
    public Tensor transpose(long dim0, long dim1) {
        return wrap(ts_transpose(handle(), dim0, dim1));
    }

    /** The transpose of a 2-D tensor. */
    public Tensor t() {
        return transpose(0, 1);
    }

    /** A broadcast view with the given shape (-1 keeps a size). */
    public Tensor expand(long... shape) {
        return wrap(ts_expand(handle(), ShimCalls.longs(shape), shape.length));
    }

    /** The tensor tiled {@code repeats} times along each dimension. */
    public Tensor repeat(long... repeats) {
        return wrap(ts_repeat(handle(), ShimCalls.longs(repeats), repeats.length));
    }

    /** All size-1 dimensions removed. */
    public Tensor squeeze() {
        return wrap(ts_squeeze(handle(), true, 0));
    }

    /** Dimension {@code dim} removed if its size is 1. */
    public Tensor squeeze(long dim) {
        return wrap(ts_squeeze(handle(), false, dim));
    }

    /** A size-1 dimension inserted at {@code dim}. */
    public Tensor unsqueeze(long dim) {
        return wrap(ts_unsqueeze(handle(), dim));
    }

    /** All dimensions flattened into one. */
    public Tensor flatten() {
        return flatten(0, -1);
    }

    /** Dimensions {@code start..end} flattened into one. */
    public Tensor flatten(long startDim, long endDim) {
        return wrap(ts_flatten(handle(), startDim, endDim));
    }

    /** Reversed along the given dimensions. */
    public Tensor flip(long... dims) {
        return wrap(ts_flip(handle(), ShimCalls.longs(dims), dims.length));
    }

    /** Concatenation along {@code dim}. */
    public static Tensor cat(List<Tensor> tensors, long dim) {
        return wrap(ts_cat(ShimCalls.handles(ShimCalls.scratch(), 0, tensors), tensors.size(), dim));
    }

    /** Stacking along a new dimension {@code dim}. */
    public static Tensor stack(List<Tensor> tensors, long dim) {
        return wrap(ts_stack(ShimCalls.handles(ShimCalls.scratch(), 0, tensors), tensors.size(), dim));
    }

    /**
     * Pieces of {@code splitSize} along {@code dim} (the last may be smaller); views.
     *
     * @throws IllegalArgumentException when {@code splitSize} is not positive or {@code dim} is out of range
     */
    public List<Tensor> split(long splitSize, long dim) {
        if (splitSize <= 0) {
            throw new IllegalArgumentException("split size must be positive, got " + splitSize);
        }
        long[] shape = shape();
        long size = shape[checkedDim(dim, shape.length)];
        long n = size / splitSize + (size % splitSize == 0 ? 0 : 1);
        return pieces(Math.max(1, n), (out, cap) -> ts_split(handle(), splitSize, dim, out, cap));
    }

    /**
     * {@code chunks} pieces along {@code dim} as {@code torch.chunk}; views.
     *
     * @throws IllegalArgumentException when {@code chunks} is not positive
     */
    public List<Tensor> chunk(long chunks, long dim) {
        if (chunks <= 0) {
            throw new IllegalArgumentException("chunks must be positive, got " + chunks);
        }
        return pieces(chunks, (out, cap) -> ts_chunk(handle(), chunks, dim, out, cap));
    }

    private interface PieceCall {
        int call(MemorySegment out, int capacity);
    }

    private static List<Tensor> pieces(long capacity, PieceCall call) {
        int cap = (int) Math.min(capacity, 4096); // the scratch holds 4096 handles; capacity is >= 1
        MemorySegment s = ShimCalls.scratch();
        int n = ShimCalls.check(call.call(s, cap));
        List<Tensor> out = new ArrayList<>(n);
        MemorySegment[] hs = new MemorySegment[n];
        for (int i = 0; i < n; i++) {
            hs[i] = ShimCalls.pointerAt(s, i);
        }
        for (MemorySegment h : hs) {
            out.add(wrap(h));
        }
        return out;
    }

    /** {@code this[..., start:end:step, ...]} along {@code dim} (a view; end is clamped). */
    public Tensor slice(long dim, long start, long end, long step) {
        return wrap(ts_slice(handle(), dim, start, end, step));
    }

    /** {@code length} elements from {@code start} along {@code dim} (a view). */
    public Tensor narrow(long dim, long start, long length) {
        return wrap(ts_narrow(handle(), dim, start, length));
    }

    /** The slice at {@code index} along {@code dim}, with that dimension removed (a view). */
    public Tensor select(long dim, long index) {
        return wrap(ts_select(handle(), dim, index));
    }

    /** Entries at the int64 {@code index} positions along {@code dim}. */
    public Tensor indexSelect(long dim, Tensor index) {
        return wrap(ts_index_select(handle(), dim, index.handle()));
    }

    /** Values gathered along {@code dim} at {@code index}, as {@code torch.gather}. */
    public Tensor gather(long dim, Tensor index) {
        return wrap(ts_gather(handle(), dim, index.handle()));
    }

    /** A copy with {@code this[index] = values} (or {@code +=} when accumulating) along dimension 0. */
    public Tensor indexPut(Tensor index, Tensor values, boolean accumulate) {
        return wrap(ts_index_put(handle(), index.handle(), values.handle(), accumulate));
    }

    // ---------------------------------------------------------------- autograd

    /** Turns gradient tracking of this (leaf) tensor on or off; returns this. */
    public Tensor requiresGrad(boolean requiresGrad) {
        ShimCalls.check(ts_set_requires_grad(handle(), requiresGrad));
        return this;
    }

    /** Whether autograd records operations on this tensor. */
    public boolean requiresGrad() {
        return ts_requires_grad(handle());
    }

    /** Whether this tensor is a leaf of the autograd graph. */
    public boolean isLeaf() {
        return ts_is_leaf(handle());
    }

    /** Backpropagates from this scalar. */
    public void backward() {
        ShimCalls.check(ts_backward(handle(), MemorySegment.NULL, false));
    }

    /** Backpropagates with the given output gradient. */
    public void backward(Tensor gradient) {
        ShimCalls.check(ts_backward(handle(), ShimCalls.orNull(gradient), false));
    }

    /** Backpropagates, optionally keeping the graph for another backward. */
    public void backward(Tensor gradient, boolean retainGraph) {
        ShimCalls.check(ts_backward(handle(), ShimCalls.orNull(gradient), retainGraph));
    }

    /** The accumulated gradient (a new handle the caller owns), or null when there is none. */
    public Tensor grad() {
        MemorySegment s = ShimCalls.scratch();
        ShimCalls.check(ts_grad(handle(), s));
        return wrapNullable(ShimCalls.pointerAt(s, 0));
    }

    /** Sets the gradient (shares {@code grad}'s storage); null drops it. */
    public void setGrad(Tensor grad) {
        ShimCalls.check(ts_set_grad(handle(), ShimCalls.orNull(grad)));
    }

    /** Drops the accumulated gradient (as {@code zero_grad(set_to_none=True)}). */
    public void zeroGrad() {
        ShimCalls.check(ts_grad_reset(handle()));
    }

    // ---------------------------------------------------------------- printing

    /** Like PyTorch: values for small tensors (summarised for large ones), then dtype, device, grad flags. */
    @Override
    public String toString() {
        if (handle == null) {
            return "tensor(<closed>)";
        }
        return TensorFormatter.format(this);
    }
}
