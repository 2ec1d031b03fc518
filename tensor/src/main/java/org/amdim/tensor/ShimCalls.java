package org.amdim.tensor;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_DOUBLE;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;

import org.amdim.bindings.NativeLibrary;
import org.amdim.bindings.TorchException;

/**
 * Helpers shared by every class that calls the shim: error checks and a per-thread scratch buffer for
 * the small arrays (shapes, dims, handle lists, out-parameters) that shim calls take.
 *
 * <p>The scratch buffer is why the hot path allocates no native memory per op: arrays are written into a
 * buffer the thread already owns, passed to the call, and forgotten.
 */
final class ShimCalls {
    /** Bytes of scratch per thread: room for 4096 longs or pointers. */
    private static final long SCRATCH_BYTES = 4096 * 8;

    private static final ThreadLocal<MemorySegment> SCRATCH =
            ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(SCRATCH_BYTES, 8));

    static {
        NativeLibrary.load();
        CpuMemoryCache.installDefault();
    }

    private ShimCalls() {
    }

    /** Makes sure the shim is loaded (class initialisation does the work). */
    static void ensureLoaded() {
        // The static initialiser above runs once.
    }

    /** This thread's scratch buffer. Valid until the next use on the same thread. */
    static MemorySegment scratch() {
        return SCRATCH.get();
    }

    /** Writes {@code values} into the scratch at slot {@code offset} (in longs); returns the slice. */
    static MemorySegment longs(MemorySegment scratch, int offset, long[] values) {
        if (offset + values.length > SCRATCH_BYTES / 8) {
            throw new IllegalArgumentException("too many values for one call: " + values.length);
        }
        MemorySegment slice = scratch.asSlice(offset * 8L, Math.max(1, values.length) * 8L);
        MemorySegment.copy(values, 0, slice, JAVA_LONG, 0, values.length);
        return slice;
    }

    /** Writes {@code values} into this thread's scratch; returns the slice. */
    static MemorySegment longs(long[] values) {
        return longs(scratch(), 0, values);
    }

    /** Writes the handles of {@code tensors} into the scratch at slot {@code offset} (in pointers). */
    static MemorySegment handles(MemorySegment scratch, int offset, List<Tensor> tensors) {
        int n = tensors.size();
        if (offset + n > SCRATCH_BYTES / 8) {
            throw new IllegalArgumentException("too many tensors for one call: " + n);
        }
        MemorySegment slice = scratch.asSlice(offset * 8L, Math.max(1, n) * 8L);
        for (int i = 0; i < n; i++) {
            Tensor t = tensors.get(i);
            slice.setAtIndex(ADDRESS, i, t == null ? MemorySegment.NULL : t.handle());
        }
        return slice;
    }

    /** Reads pointer slot {@code i} of a scratch slice. */
    static MemorySegment pointerAt(MemorySegment slice, int i) {
        return slice.getAtIndex(ADDRESS, i);
    }

    /** Reads double slot {@code i} of a scratch slice. */
    static double doubleAt(MemorySegment slice, int i) {
        return slice.getAtIndex(JAVA_DOUBLE, i);
    }

    /** Reads long slot {@code i} of a scratch slice. */
    static long longAt(MemorySegment slice, int i) {
        return slice.getAtIndex(JAVA_LONG, i);
    }

    /** Throws the shim's last error when {@code handle} is NULL; returns it otherwise. */
    static MemorySegment check(MemorySegment handle) {
        if (handle.address() == 0) {
            throw error();
        }
        return handle;
    }

    /** Throws the shim's last error when {@code status} is negative; returns it otherwise. */
    static int check(int status) {
        if (status < 0) {
            throw error();
        }
        return status;
    }

    /** The shim's last error on this thread as an exception. */
    static TorchException error() {
        return new TorchException(NativeLibrary.lastError());
    }

    /** The handle of a nullable tensor argument. */
    static MemorySegment orNull(Tensor t) {
        return t == null ? MemorySegment.NULL : t.handle();
    }
}
