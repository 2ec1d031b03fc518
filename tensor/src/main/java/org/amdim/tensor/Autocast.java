package org.amdim.tensor;

import static org.amdim.bindings.ffm.TorchShim.*;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * An autocast (automatic mixed precision) region, as PyTorch's {@code torch.autocast}: while it is open, ops on
 * tensors of its device type run in a lower-precision dtype where libtorch deems that safe (matrix products and
 * convolutions in bfloat16 or float16) and in float32 where it does not (softmax, log-softmax, losses, norms).
 * Inputs are cast on the fly; a float32 weight used several times in one region is cast once (the cast cache
 * lives until the outermost region closes).
 *
 * <pre>{@code
 * try (var ac = Autocast.enable(Device.Type.CUDA, DType.FLOAT16)) {
 *     logits = model.forward(x);            // convolutions in float16
 * }
 * loss.backward();                          // backward runs outside the region, as in PyTorch
 * }</pre>
 *
 * <p>Regions nest: closing one restores exactly the state (enabled or not, and the dtype) that was current when
 * it was opened, so {@link #disable} inside an enabled region makes a float32 island. The state is per thread
 * (libtorch keeps it thread-local), so a region must be closed on the thread that opened it, innermost first;
 * both are checked. Run regions on platform threads: a virtual thread may move between carrier threads, which
 * libtorch's thread-local state would not follow.
 *
 * <p>Supported: bfloat16 on the CPU, bfloat16 and float16 on CUDA (float16 on the CPU needs libtorch ≥ 2.4).
 * Opening a CUDA region without a CUDA device is allowed and changes nothing for CPU tensors.
 */
public final class Autocast implements AutoCloseable {
    static {
        ShimCalls.ensureLoaded();
    }

    /** Open regions on this thread, to check that they close innermost first. */
    private static final ThreadLocal<int[]> DEPTH = ThreadLocal.withInitial(() -> new int[1]);

    private final Device.Type type;
    private final boolean previousEnabled;
    private final int previousDtype;
    private final Thread owner;
    private final int depth;
    private boolean closed;

    private Autocast(Device.Type type, boolean enabled, DType dtype) {
        MemorySegment s = ShimCalls.scratch();
        // prev_enabled at byte 0, prev_dtype at byte 4 of the scratch buffer
        MemorySegment prevEnabled = s.asSlice(0, 1);
        MemorySegment prevDtype = s.asSlice(4, 4);
        ShimCalls.check(ts_autocast_enter(type.code(), enabled, dtype == null ? -1 : dtype.code(), prevEnabled,
                prevDtype));
        this.previousEnabled = prevEnabled.get(ValueLayout.JAVA_BOOLEAN, 0);
        this.previousDtype = prevDtype.get(ValueLayout.JAVA_INT, 0);
        this.type = type;
        this.owner = Thread.currentThread();
        this.depth = ++DEPTH.get()[0];
    }

    /**
     * Opens a region in which autocast is on for {@code type} with the lower-precision {@code dtype}.
     *
     * @param dtype {@link DType#BFLOAT16} or {@link DType#FLOAT16}
     * @throws org.amdim.bindings.TorchException for a dtype the device type does not support (nothing changes)
     */
    public static Autocast enable(Device.Type type, DType dtype) {
        if (type == null || dtype == null) {
            throw new IllegalArgumentException("device type and dtype must not be null");
        }
        return new Autocast(type, true, dtype);
    }

    /**
     * Opens a region in which autocast is off for {@code type} (ops run in their inputs' dtypes), e.g. for a
     * computation that must stay in float32 inside an enabled region.
     */
    public static Autocast disable(Device.Type type) {
        if (type == null) {
            throw new IllegalArgumentException("device type must not be null");
        }
        return new Autocast(type, false, null);
    }

    /** Whether autocast is on for {@code type} on this thread. */
    public static boolean isEnabled(Device.Type type) {
        return ShimCalls.check(ts_autocast_is_enabled(type.code())) == 1;
    }

    /**
     * The lower-precision dtype autocast uses (or would use) for {@code type} on this thread; libtorch's defaults
     * are bfloat16 on the CPU and float16 on CUDA.
     */
    public static DType dtype(Device.Type type) {
        return DType.fromCode(ShimCalls.check(ts_autocast_dtype(type.code())));
    }

    /** The device type this region applies to. */
    public Device.Type deviceType() {
        return type;
    }

    /**
     * Closes the region, restoring the state that was current when it was opened. Closing twice does nothing.
     *
     * @throws IllegalStateException on another thread than the one that opened it, or while a region opened
     *     inside this one is still open
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        if (Thread.currentThread() != owner) {
            throw new IllegalStateException("an autocast region must be closed on the thread that opened it ("
                    + owner.getName() + ")");
        }
        int[] open = DEPTH.get();
        if (open[0] != depth) {
            throw new IllegalStateException("autocast regions must be closed innermost first: this one is at depth "
                    + depth + " but " + open[0] + " are open");
        }
        closed = true;
        open[0]--;
        ShimCalls.check(ts_autocast_exit(type.code(), previousEnabled, previousDtype));
    }
}
