package org.amdim.model.encoder;

import org.amdim.nn.layers.Conv2d;
import org.amdim.tensor.Functional.PadMode;
import org.amdim.tensor.PackedConv2d;
import org.amdim.tensor.Tensor;

/** Packs the encoder's {@link Conv2d} modules into {@link PackedConv2d}s for {@link InferenceEncoder}. */
final class PackedConvs {
    private PackedConvs() {
    }

    /** {@code conv}'s own weight and bias, packed (see {@link #zeroPadded}). */
    static PackedConv2d of(Conv2d conv) {
        return zeroPadded(conv, conv.weight(), conv.bias());
    }

    /**
     * {@code conv} followed by {@code bn} in evaluation mode, as one packed convolution: the batch norm folded in
     * when it is active ({@link EvalBatchNorm#foldInto}), the convolution alone when not.
     */
    static PackedConv2d followedBy(Conv2d conv, MaybeBatchNorm bn) {
        if (!bn.isActive()) {
            return of(conv);
        }
        try (EvalBatchNorm frozen = EvalBatchNorm.of(bn.batchNorm())) {
            return frozen.foldInto(conv);
        }
    }

    /**
     * {@code weight} and {@code bias} (nullable) packed with {@code conv}'s stride, dilation and groups, and its
     * padding when that is zeros. A convolution that reflects or replicates at its border is packed without
     * padding: its caller pads ({@link #explicitPadding}).
     */
    static PackedConv2d zeroPadded(Conv2d conv, Tensor weight, Tensor bias) {
        long[] padding = conv.paddingMode() == PadMode.CONSTANT ? conv.padding() : new long[] {0, 0};
        return PackedConv2d.of(weight, bias, conv.stride(), padding, conv.dilation(), conv.groups());
    }

    /**
     * The padding the caller must apply before the packed convolution, in {@code F.pad} order (left, right, top,
     * bottom), or null when there is none.
     */
    static long[] explicitPadding(Conv2d conv) {
        long[] p = conv.padding();
        if (conv.paddingMode() == PadMode.CONSTANT || (p[0] == 0 && p[1] == 0)) {
            return null;
        }
        return new long[] {p[1], p[1], p[0], p[0]};
    }
}
