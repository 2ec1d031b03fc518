package org.amdim.model.encoder;

import org.amdim.nn.layers.Conv2d;
import org.amdim.tensor.Autograd;
import org.amdim.tensor.Functional;
import org.amdim.tensor.Functional.PadMode;
import org.amdim.tensor.Layout;
import org.amdim.tensor.MemoryFormat;
import org.amdim.tensor.PackedConv2d;
import org.amdim.tensor.Tensor;
import org.amdim.tensor.TensorScope;

/**
 * A convolution of {@link InferenceEncoder}, frozen: its weight packed for oneDNN ({@link PackedConv2d}) and, when
 * the encoder keeps a strided route, also as a channels-last copy for {@link Functional#conv2d}. {@link #apply}
 * picks by the layout of its input.
 */
final class FrozenConv implements AutoCloseable {
    private final PackedConv2d packed;
    /** The strided route's channels-last weight and bias (nullable), or null without that route. */
    private final Tensor weight;
    private final Tensor bias;
    private final long[] stride;
    private final long[] padding;
    private final long[] dilation;
    private final long groups;

    private FrozenConv(PackedConv2d packed, Tensor weight, Tensor bias, long[] stride, long[] padding,
            long[] dilation, long groups) {
        this.packed = packed;
        this.weight = weight;
        this.bias = bias;
        this.stride = stride;
        this.padding = padding;
        this.dilation = dilation;
        this.groups = groups;
    }

    /** {@code conv}'s own weight and bias, frozen (see {@link #zeroPadded}). */
    static FrozenConv of(Conv2d conv, boolean strided) {
        return zeroPadded(conv, conv.weight(), conv.bias(), strided);
    }

    /**
     * {@code conv} followed by {@code bn} in evaluation mode, as one frozen convolution: the batch norm folded in
     * when it is active ({@link EvalBatchNorm#foldInto}), the convolution alone when not.
     */
    static FrozenConv followedBy(Conv2d conv, MaybeBatchNorm bn, boolean strided) {
        if (!bn.isActive()) {
            return of(conv, strided);
        }
        try (EvalBatchNorm frozen = EvalBatchNorm.of(bn.batchNorm())) {
            return frozen.foldInto(conv, strided);
        }
    }

    /**
     * {@code weight} and {@code bias} (nullable; both copied) frozen with {@code conv}'s stride, dilation and
     * groups, and its padding when that is zeros. A convolution that reflects or replicates at its border is frozen
     * without padding: its caller pads ({@link #explicitPadding}).
     *
     * @param strided whether to keep the channels-last copy for strided inputs too
     */
    static FrozenConv zeroPadded(Conv2d conv, Tensor weight, Tensor bias, boolean strided) {
        long[] padding = conv.paddingMode() == PadMode.CONSTANT ? conv.padding() : new long[] {0, 0};
        return of(weight, bias, conv.stride(), padding, conv.dilation(), conv.groups(), strided);
    }

    /**
     * The padding the caller must apply before the frozen convolution, in {@code F.pad} order (left, right, top,
     * bottom), or null when there is none.
     */
    static long[] explicitPadding(Conv2d conv) {
        long[] p = conv.padding();
        if (conv.paddingMode() == PadMode.CONSTANT || (p[0] == 0 && p[1] == 0)) {
            return null;
        }
        return new long[] {p[1], p[1], p[0], p[0]};
    }

    private static FrozenConv of(Tensor weight, Tensor bias, long[] stride, long[] padding, long[] dilation,
            long groups, boolean strided) {
        PackedConv2d packed = PackedConv2d.of(weight, bias, stride, padding, dilation, groups);
        if (!strided) {
            return new FrozenConv(packed, null, null, stride, padding, dilation, groups);
        }
        try (var scope = TensorScope.open(); var noGrad = Autograd.noGrad()) {
            // Copies (clone, then the format), never views of the module's parameters: the snapshot stays put.
            Tensor w = TensorScope.escape(weight.clone().contiguous(MemoryFormat.CHANNELS_LAST));
            Tensor b = bias == null ? null : TensorScope.escape(bias.clone());
            return new FrozenConv(packed, w, b, stride, padding, dilation, groups);
        } catch (RuntimeException e) {
            packed.close();
            throw e;
        }
    }

    /**
     * The convolution of {@code x}: with the packed weight for an {@link Layout#MKLDNN} input (mkldnn output), with
     * the channels-last copy for a strided one (strided output).
     *
     * @throws IllegalStateException for a strided input when no strided route was kept
     */
    Tensor apply(Tensor x) {
        if (x.layout() == Layout.MKLDNN) {
            return packed.apply(x);
        }
        if (weight == null) {
            throw new IllegalStateException("this frozen convolution keeps no strided route");
        }
        return Functional.conv2d(x, weight, bias, stride, padding, dilation, groups);
    }

    /** Frees the copies. */
    @Override
    public void close() {
        packed.close();
        if (weight != null) {
            weight.close();
        }
        if (bias != null) {
            bias.close();
        }
    }
}
