package org.amdim.tensor;

import static org.amdim.bindings.ffm.TorchShim.ts_cpu_cache_configure;
import static org.amdim.bindings.ffm.TorchShim.ts_cpu_cache_empty;
import static org.amdim.bindings.ffm.TorchShim.ts_cpu_cache_installed;
import static org.amdim.bindings.ffm.TorchShim.ts_cpu_cache_stats;
import static org.amdim.bindings.ffm.TorchShim.ts_malloc_arena_max;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.management.ManagementFactory;

/**
 * The shim's caching allocator for CPU tensors, the CPU counterpart of PyTorch's CUDA caching allocator: freed
 * blocks of 1 MiB and more are kept and handed out again for the same size instead of going back to the kernel.
 *
 * <p>A training step frees and reallocates the same activation buffers every step; without the cache each step
 * page-faults them in again (about 100 000 faults per CIFAR batch-64 step, each page zeroed by the kernel).
 * With it, native memory stays flat at the step's peak. Blocks of 4 MiB and more ask for transparent huge pages.
 *
 * <p>It is on from the first use of this library, with an idle limit of a quarter of physical memory, at most 4
 * GiB; the system property {@code amdim.cpuCache.idleBytes} sets another limit (0 turns caching off).
 */
public final class CpuMemoryCache {
    /** The system property that sets the idle limit at start-up, in bytes. */
    public static final String IDLE_BYTES_PROPERTY = "amdim.cpuCache.idleBytes";

    private static final long MAX_DEFAULT_IDLE = 4L << 30;

    private CpuMemoryCache() {
    }

    /**
     * What the cache holds.
     *
     * @param liveBytes  bytes of cached-size blocks in live tensors
     * @param idleBytes  bytes of freed blocks kept for reuse
     * @param hits       allocations served from idle blocks
     * @param misses     allocations that mapped new memory
     * @param idleLimit  the most idle bytes kept
     * @param installed  whether the cache is libtorch's CPU allocator
     */
    public record Stats(long liveBytes, long idleBytes, long hits, long misses, long idleLimit, boolean installed) {
    }

    /** Called once when the shim is loaded: installs the cache with the configured or default limit. */
    static void installDefault() {
        long defaultLimit = Math.min(MAX_DEFAULT_IDLE, physicalMemory() / 4);
        String configured = System.getProperty(IDLE_BYTES_PROPERTY);
        long limit = configured == null ? defaultLimit : parseByteCount(configured);
        if (limit < 0) {
            // This runs while the library loads, where an exception would make every later call fail with an
            // obscure initialisation error: say what is wrong and go on with the default.
            System.err.println("amdim: ignoring -D" + IDLE_BYTES_PROPERTY + "='" + configured
                    + "' (not a byte count >= 0); using " + defaultLimit);
            limit = defaultLimit;
        }
        setIdleLimit(limit);
    }

    /** The byte count in {@code text}, or -1 when it is not a number. */
    private static long parseByteCount(String text) {
        try {
            return Long.parseLong(text.trim());
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private static long physicalMemory() {
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            return os.getTotalMemorySize();
        }
        return MAX_DEFAULT_IDLE * 4;
    }

    /**
     * Sets the most idle bytes the cache keeps; idle blocks beyond it are freed now. A positive limit installs the
     * cache if it is not yet; 0 keeps it installed but caching nothing.
     *
     * @throws IllegalArgumentException if {@code bytes} is negative
     */
    public static void setIdleLimit(long bytes) {
        if (bytes < 0) {
            throw new IllegalArgumentException("the idle limit must be >= 0, got " + bytes);
        }
        ShimCalls.ensureLoaded(); // before the bindings are touched: this may be the program's first call
        ShimCalls.check(ts_cpu_cache_configure(bytes));
    }

    /** Frees every idle block (live tensors keep theirs), as {@code torch.cuda.empty_cache()} does on a GPU. */
    public static void empty() {
        ShimCalls.ensureLoaded(); // before the bindings are touched: this may be the program's first call
        ShimCalls.check(ts_cpu_cache_empty());
    }

    /** The cache's current figures. */
    public static Stats stats() {
        MemorySegment s = ShimCalls.scratch();
        ShimCalls.check(ts_cpu_cache_stats(s));
        return new Stats(s.getAtIndex(ValueLayout.JAVA_LONG, 0), s.getAtIndex(ValueLayout.JAVA_LONG, 1),
                s.getAtIndex(ValueLayout.JAVA_LONG, 2), s.getAtIndex(ValueLayout.JAVA_LONG, 3),
                s.getAtIndex(ValueLayout.JAVA_LONG, 4), ts_cpu_cache_installed());
    }

    /**
     * Caps the arenas of glibc's malloc, which serves the blocks the cache leaves to it (below 1 MiB) and the JVM's
     * own native memory. glibc gives every thread that allocates an arena of its own, up to 8 per core, and each
     * keeps what was freed into it, so data-loader threads, libtorch's intra-op threads and the JVM's threads each
     * hold idle memory; capped, they share. Only arenas created afterwards count, so a program calls this first
     * thing: the CLI does, with 2. Its tiny-preset 50-update training epoch peaked at 573 MiB against 581 without
     * the call, in the same time. (Capped from the process's start instead, by {@code MALLOC_ARENA_MAX=2}, and
     * before the trainer freed the cache around its test passes, the same epoch peaked 35 MiB lower than uncapped.)
     * Process-wide, like the environment variable {@code MALLOC_ARENA_MAX}, which a program should leave to rule
     * where it is set.
     *
     * @return whether it took effect (false where the C library is not glibc)
     * @throws IllegalArgumentException if {@code arenas} is not positive
     */
    public static boolean limitMallocArenas(int arenas) {
        if (arenas <= 0) {
            throw new IllegalArgumentException("the number of malloc arenas must be positive, got " + arenas);
        }
        ShimCalls.ensureLoaded(); // before the bindings are touched: this may be the program's first call
        MemorySegment s = ShimCalls.scratch();
        ShimCalls.check(ts_malloc_arena_max(arenas, s));
        return s.getAtIndex(ValueLayout.JAVA_INT, 0) != 0;
    }
}
