package org.amdim.tensor;

import java.lang.foreign.MemorySegment;

/**
 * The native handles behind tensors, for packages that add shim-backed operations of their own (such as
 * {@link org.amdim.tensor.distributed}). Application code never needs it.
 *
 * <p>A handle is only valid while its tensor is open, and only on the thread that owns the tensor.
 */
public final class NativeHandles {
    static {
        ShimCalls.ensureLoaded();
    }

    private NativeHandles() {
    }

    /**
     * The {@code ts_tensor} handle of an open tensor; the tensor keeps ownership.
     *
     * @throws IllegalStateException when the tensor is closed
     */
    public static MemorySegment of(Tensor tensor) {
        return tensor.handle();
    }

    /**
     * Takes ownership of a new handle returned by the shim, exactly as the tensor's own ops do: the innermost
     * open {@link TensorScope} owns the result, or the caller without one.
     *
     * @throws org.amdim.bindings.TorchException with the shim's last error when the handle is NULL
     */
    public static Tensor adopt(MemorySegment handle) {
        return Tensor.wrap(handle);
    }
}
