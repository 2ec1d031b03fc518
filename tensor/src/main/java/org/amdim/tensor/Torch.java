package org.amdim.tensor;

import static org.amdim.bindings.ffm.TorchShim.*;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Locale;

import org.amdim.bindings.NativeLibrary;

/** Process-wide libtorch settings and facts: version, threads, seeds, CUDA and cuDNN. */
public final class Torch {
    static {
        ShimCalls.ensureLoaded();
    }

    private Torch() {
    }

    /** The libtorch version the shim was built against, e.g. {@code 1.13.1}. */
    public static String version() {
        return NativeLibrary.string(ts_torch_version());
    }

    /** Sets the number of intra-op threads (Debian's libtorch defaults to 1 on some machines). */
    public static void setNumThreads(int n) {
        if (n < 1) {
            throw new IllegalArgumentException("thread count must be >= 1, got " + n);
        }
        ShimCalls.check(ts_set_num_threads(n));
    }

    /** The number of intra-op threads. */
    public static int getNumThreads() {
        return ShimCalls.check(ts_get_num_threads());
    }

    /** Seeds libtorch's default generators (CPU and CUDA). */
    public static void manualSeed(long seed) {
        ShimCalls.check(ts_manual_seed(seed));
    }

    /** Whether a CUDA device can be used. */
    public static boolean cudaIsAvailable() {
        return ts_cuda_is_available();
    }

    /** Number of visible CUDA devices. */
    public static int cudaDeviceCount() {
        return Math.max(0, ts_cuda_device_count());
    }

    /** Whether cuDNN can be used. */
    public static boolean cudnnIsAvailable() {
        return ts_cudnn_is_available();
    }

    /**
     * Whether libtorch was built with oneDNN, so that {@link Layout#MKLDNN} tensors and {@link PackedConv2d} work
     * (x86-64 builds, Debian's included, have it).
     */
    public static boolean mkldnnAvailable() {
        return ts_mkldnn_available();
    }

    /** Whether the shim was linked against a CUDA build of libtorch. */
    public static boolean builtWithCuda() {
        return ts_built_with_cuda();
    }

    /** Waits for all work on a CUDA device. */
    public static void cudaSynchronize(int device) {
        ShimCalls.check(ts_cuda_synchronize(device));
    }

    /** Sets cuDNN's switches. */
    public static void setCudnnFlags(boolean enabled, boolean benchmark, boolean deterministic) {
        ShimCalls.check(ts_cudnn_set_flags(enabled, benchmark, deterministic));
    }

    /** cuDNN's switches (libtorch's defaults: enabled, no benchmark, not deterministic). */
    public record CudnnFlags(boolean enabled, boolean benchmark, boolean deterministic) {
    }

    /** The current cuDNN switches (readable without CUDA: they are only flags). */
    public static CudnnFlags cudnnFlags() {
        MemorySegment s = ShimCalls.scratch();
        ShimCalls.check(ts_cudnn_flags(s));
        return new CudnnFlags(s.getAtIndex(ValueLayout.JAVA_INT, 0) != 0, s.getAtIndex(ValueLayout.JAVA_INT, 1) != 0,
                s.getAtIndex(ValueLayout.JAVA_INT, 2) != 0);
    }

    /**
     * Whether float32 work on CUDA may use TF32 tensor cores (10-bit mantissa, Ampere and later): matrix products
     * through cuBLAS, convolutions through cuDNN. These are PyTorch's {@code torch.backends.cuda.matmul.allow_tf32}
     * and {@code torch.backends.cudnn.allow_tf32}; libtorch's defaults are products off, convolutions on.
     */
    public record Tf32(boolean matmul, boolean cudnn) {
        /** Neither products nor convolutions in TF32: full float32, as on the CPU. */
        public static final Tf32 OFF = new Tf32(false, false);
        /** libtorch's defaults: convolutions in TF32, matrix products in float32. */
        public static final Tf32 DEFAULT = new Tf32(false, true);
        /** Both in TF32: fastest, about three decimal digits. */
        public static final Tf32 ON = new Tf32(true, true);

        /**
         * Parses {@code default}, {@code on} or {@code off} (any case).
         *
         * @throws IllegalArgumentException for anything else, naming the accepted values
         */
        public static Tf32 parse(String s) {
            return switch (s == null ? "" : s.trim().toLowerCase(Locale.ROOT)) {
                case "default" -> DEFAULT;
                case "on" -> ON;
                case "off" -> OFF;
                default -> throw new IllegalArgumentException(
                        "TF32 must be default, on or off, not '" + s + "'");
            };
        }
    }

    /** The current TF32 settings. */
    public static Tf32 tf32() {
        MemorySegment s = ShimCalls.scratch();
        ShimCalls.check(ts_tf32_get(s));
        return new Tf32(s.getAtIndex(ValueLayout.JAVA_INT, 0) != 0, s.getAtIndex(ValueLayout.JAVA_INT, 1) != 0);
    }

    /**
     * Sets the TF32 switches for the whole process.
     *
     * @return the previous settings, to put back
     */
    public static Tf32 setTf32(Tf32 settings) {
        Tf32 previous = tf32();
        ShimCalls.check(ts_tf32_set(settings.matmul(), settings.cudnn()));
        return previous;
    }

    /**
     * CUDA memory statistics of a device.
     *
     * @param allocated    bytes in live tensors
     * @param reserved     bytes held by the caching allocator
     * @param maxAllocated peak of {@code allocated}
     */
    public record CudaMemory(long allocated, long reserved, long maxAllocated) {
    }

    /** Memory statistics of a CUDA device. */
    public static CudaMemory cudaMemory(int device) {
        MemorySegment s = ShimCalls.scratch();
        ShimCalls.check(ts_cuda_memory_stats(device, s));
        return new CudaMemory(s.getAtIndex(ValueLayout.JAVA_LONG, 0), s.getAtIndex(ValueLayout.JAVA_LONG, 1),
                s.getAtIndex(ValueLayout.JAVA_LONG, 2));
    }

    /** Number of native tensor handles alive (for leak checks). */
    public static long liveHandles() {
        return ts_live_handles();
    }

    /** A downcall that does nothing (for measuring the FFM overhead). */
    public static void noop() {
        ts_noop();
    }
}
