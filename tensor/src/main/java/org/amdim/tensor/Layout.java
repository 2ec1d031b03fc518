package org.amdim.tensor;

import static org.amdim.bindings.ffm.TorchShim.TS_LAYOUT_MKLDNN;
import static org.amdim.bindings.ffm.TorchShim.TS_LAYOUT_STRIDED;

/**
 * How a tensor's elements are stored, as PyTorch's {@code torch.layout}: strided (every ordinary tensor) or
 * oneDNN's opaque blocked layout ({@code torch._mkldnn}), which CPU inference uses to keep a whole chain of
 * convolutions in the format oneDNN computes in.
 *
 * <p>An {@link #MKLDNN} tensor has a shape, a dtype (float32 or bfloat16) and lives on the CPU, but has no strides
 * and no data pointer. Ops that run on it: {@link PackedConv2d} and {@link Functional#conv2d}, {@link
 * Tensor#relu_()}, {@link Tensor#add_(Tensor)} and {@link Tensor#add(Tensor)} of equal shapes, {@link
 * Functional#avgPool2d}, {@link Functional#maxPool2d}, {@link Functional#batchNorm} in evaluation mode, {@link
 * Tensor#clone()}; its values are read with {@link Tensor#toDense()} or the {@code to*Array} copies. Other ops
 * refuse it with libtorch's message ({@link org.amdim.bindings.TorchException}); {@link Tensor#strides()} and
 * {@link Tensor#dataSegment()} throw {@link IllegalStateException}.
 */
public enum Layout {
    /** Sizes and strides over a storage: every tensor but the converted ones. */
    STRIDED,
    /** oneDNN's opaque blocked layout, made by {@link Tensor#toMkldnn()}; CPU only. */
    MKLDNN;

    /** The layout with the shim's code ({@code TS_LAYOUT_*}). */
    static Layout fromCode(int code) {
        if (code == TS_LAYOUT_STRIDED()) {
            return STRIDED;
        }
        if (code == TS_LAYOUT_MKLDNN()) {
            return MKLDNN;
        }
        throw new IllegalArgumentException("unknown layout code " + code);
    }
}
