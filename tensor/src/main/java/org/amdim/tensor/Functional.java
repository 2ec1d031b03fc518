package org.amdim.tensor;

import static org.amdim.bindings.ffm.TorchShim.*;

import java.lang.foreign.MemorySegment;

/**
 * Neural-network functions on tensors, with the semantics of {@code torch.nn.functional}.
 * Optional tensor arguments may be null.
 */
public final class Functional {
    static {
        ShimCalls.ensureLoaded();
    }

    private Functional() {
    }

    /** Padding modes of {@link #pad}. */
    public enum PadMode {
        /** Fill with a constant. */
        CONSTANT(0),
        /** Mirror without repeating the edge. */
        REFLECT(1),
        /** Repeat the edge. */
        REPLICATE(2);

        final int code;

        PadMode(int code) {
            this.code = code;
        }
    }

    /** Interpolation modes of {@link #gridSample} and {@link #interpolate}. */
    public enum Interpolation {
        /** Bilinear. */
        BILINEAR(0),
        /** Nearest neighbour. */
        NEAREST(1),
        /** Bicubic (a = -0.75, as PyTorch). */
        BICUBIC(2);

        final int code;

        Interpolation(int code) {
            this.code = code;
        }
    }

    /** What {@link #gridSample} reads outside the input. */
    public enum GridPadding {
        /** Zeros. */
        ZEROS(0),
        /** The border value. */
        BORDER(1),
        /** Reflection. */
        REFLECTION(2);

        final int code;

        GridPadding(int code) {
            this.code = code;
        }
    }

    /** How a loss reduces over the batch. */
    public enum Reduction {
        /** Per-element losses. */
        NONE(0),
        /** Mean. */
        MEAN(1),
        /** Sum. */
        SUM(2);

        final int code;

        Reduction(int code) {
            this.code = code;
        }
    }

    private static MemorySegment pair(MemorySegment scratch, int slot, long[] v) {
        if (v.length != 2) {
            throw new IllegalArgumentException("expected 2 values (h, w), got " + v.length);
        }
        return ShimCalls.longs(scratch, slot, v);
    }

    /** 2-D convolution with square stride/padding and no dilation or groups. */
    public static Tensor conv2d(Tensor x, Tensor weight, Tensor bias, long stride, long padding) {
        return conv2d(x, weight, bias, new long[] {stride, stride}, new long[] {padding, padding},
                new long[] {1, 1}, 1);
    }

    /** 2-D convolution, as {@code F.conv2d}. */
    public static Tensor conv2d(Tensor x, Tensor weight, Tensor bias, long[] stride, long[] padding, long[] dilation,
            long groups) {
        MemorySegment s = ShimCalls.scratch();
        return Tensor.wrap(ts_conv2d(x.handle(), weight.handle(), ShimCalls.orNull(bias), pair(s, 0, stride),
                pair(s, 2, padding), pair(s, 4, dilation), groups));
    }

    /**
     * A conv2d weight (out, in/groups, kh, kw) reordered once into the blocked {@link Layout#MKLDNN} format
     * oneDNN's convolution uses for this stride, padding, dilation and groups: a constant copy that records no
     * gradient. {@link PackedConv2d} owns one with its bias and settings; prefer it.
     *
     * @throws IllegalArgumentException when a pair does not have 2 values
     * @throws org.amdim.bindings.TorchException for a weight that is not a 4-D float32 or bfloat16 CPU tensor, or
     *     groups below 1
     */
    public static Tensor packConv2dWeight(Tensor weight, long[] stride, long[] padding, long[] dilation, long groups) {
        MemorySegment s = ShimCalls.scratch();
        return Tensor.wrap(ts_mkldnn_pack_conv2d_weight(weight.handle(), pair(s, 0, stride), pair(s, 2, padding),
                pair(s, 4, dilation), groups));
    }

    /**
     * 2-D convolution of an {@link Layout#MKLDNN} input with a weight from {@link #packConv2dWeight}, for
     * inference: the output stays in mkldnn layout and no gradient is recorded. Pass the stride, padding,
     * dilation and groups the weight was packed for (others work, at the cost of a reorder per call).
     *
     * @param bias strided (out) bias, or null
     * @throws IllegalArgumentException when a pair does not have 2 values
     * @throws org.amdim.bindings.TorchException when {@code x} or the weight is strided, or the shapes do not fit
     *     (libtorch's message)
     */
    public static Tensor mkldnnConv2d(Tensor x, Tensor packedWeight, Tensor bias, long[] stride, long[] padding,
            long[] dilation, long groups) {
        MemorySegment s = ShimCalls.scratch();
        return Tensor.wrap(ts_mkldnn_conv2d(x.handle(), packedWeight.handle(), ShimCalls.orNull(bias),
                pair(s, 0, stride), pair(s, 2, padding), pair(s, 4, dilation), groups));
    }

    /**
     * Batch normalisation, as {@code F.batch_norm}: in training mode normalises with batch statistics (biased
     * variance) and updates the running statistics in place with the unbiased variance.
     */
    public static Tensor batchNorm(Tensor x, Tensor runningMean, Tensor runningVar, Tensor weight, Tensor bias,
            boolean training, double momentum, double eps) {
        return Tensor.wrap(ts_batch_norm(x.handle(), ShimCalls.orNull(weight), ShimCalls.orNull(bias),
                ShimCalls.orNull(runningMean), ShimCalls.orNull(runningVar), training, momentum, eps));
    }

    /**
     * Training-mode batch normalisation of a 4-D float32 or float64 CPU tensor, computed in channels-last layout
     * (input that is not channels-last is made so, and the output is channels-last) with every per-channel sum in
     * double. libtorch's own channels-last kernels sum in float, which loses precision when a channel has few
     * values; its row-major ones sum in double, and this matches them without a copy to row-major and back. Uses the
     * batch statistics; updates {@code runningMean} and {@code runningVar} in place when given, with the unbiased
     * variance, as {@link #batchNorm} does. Differentiable once (not with a graph of the gradient).
     *
     * @param weight      per-channel scale, or null for 1
     * @param bias        per-channel shift, or null for 0
     * @param runningMean running mean to update, or null
     * @param runningVar  running variance to update, or null
     * @throws org.amdim.bindings.TorchException for another device, dtype or rank, a single value per channel,
     *                                            or parameters of the wrong size
     */
    public static Tensor batchNormChannelsLast(Tensor x, Tensor runningMean, Tensor runningVar, Tensor weight,
            Tensor bias, double momentum, double eps) {
        return Tensor.wrap(ts_batch_norm_nhwc(x.handle(), ShimCalls.orNull(weight), ShimCalls.orNull(bias),
                ShimCalls.orNull(runningMean), ShimCalls.orNull(runningVar), momentum, eps));
    }

    /** Linear map {@code x W^T + b}. */
    public static Tensor linear(Tensor x, Tensor weight, Tensor bias) {
        return Tensor.wrap(ts_linear(x.handle(), weight.handle(), ShimCalls.orNull(bias)));
    }

    /** 2-D max pooling. */
    public static Tensor maxPool2d(Tensor x, long[] kernel, long[] stride, long[] padding, long[] dilation,
            boolean ceilMode) {
        MemorySegment s = ShimCalls.scratch();
        return Tensor.wrap(ts_max_pool2d(x.handle(), pair(s, 0, kernel), pair(s, 2, stride), pair(s, 4, padding),
                pair(s, 6, dilation), ceilMode));
    }

    /** 2-D max pooling with a square window, no padding. */
    public static Tensor maxPool2d(Tensor x, long kernel, long stride) {
        return maxPool2d(x, new long[] {kernel, kernel}, new long[] {stride, stride}, new long[] {0, 0},
                new long[] {1, 1}, false);
    }

    /** 2-D average pooling. */
    public static Tensor avgPool2d(Tensor x, long[] kernel, long[] stride, long[] padding, boolean ceilMode,
            boolean countIncludePad) {
        MemorySegment s = ShimCalls.scratch();
        return Tensor.wrap(ts_avg_pool2d(x.handle(), pair(s, 0, kernel), pair(s, 2, stride), pair(s, 4, padding),
                ceilMode, countIncludePad));
    }

    /** 2-D average pooling with a square window, no padding. */
    public static Tensor avgPool2d(Tensor x, long kernel, long stride) {
        return avgPool2d(x, new long[] {kernel, kernel}, new long[] {stride, stride}, new long[] {0, 0}, false,
                true);
    }

    /** Adaptive average pooling to {@code (outH, outW)}. */
    public static Tensor adaptiveAvgPool2d(Tensor x, long outH, long outW) {
        return Tensor.wrap(ts_adaptive_avg_pool2d(x.handle(), ShimCalls.longs(new long[] {outH, outW})));
    }

    /** Padding as {@code F.pad}: {@code pads} = (left, right, top, bottom, ...) from the last dimension. */
    public static Tensor pad(Tensor x, long[] pads, PadMode mode, double value) {
        return Tensor.wrap(ts_pad(x.handle(), ShimCalls.longs(pads), pads.length, mode.code, value));
    }

    /** Cross entropy of logits (N, C) against int64 targets (N), as {@code F.cross_entropy}. */
    public static Tensor crossEntropy(Tensor logits, Tensor target, Reduction reduction, long ignoreIndex) {
        return Tensor.wrap(ts_cross_entropy(logits.handle(), target.handle(), MemorySegment.NULL, reduction.code,
                ignoreIndex, 0.0));
    }

    /** Mean cross entropy with PyTorch's default ignore index (-100). */
    public static Tensor crossEntropy(Tensor logits, Tensor target) {
        return crossEntropy(logits, target, Reduction.MEAN, -100);
    }

    /** Negative log-likelihood of log-probabilities. */
    public static Tensor nllLoss(Tensor logProbs, Tensor target, Reduction reduction, long ignoreIndex) {
        return Tensor.wrap(ts_nll_loss(logProbs.handle(), target.handle(), reduction.code, ignoreIndex));
    }

    /** Mean squared error. */
    public static Tensor mseLoss(Tensor a, Tensor b, Reduction reduction) {
        return Tensor.wrap(ts_mse_loss(a.handle(), b.handle(), reduction.code));
    }

    /** Dropout: in training zeroes elements with probability p and scales the rest by 1/(1-p). */
    public static Tensor dropout(Tensor x, double p, boolean training) {
        return Tensor.wrap(ts_dropout(x.handle(), p, training));
    }

    /** Sampling grid for affine matrices {@code theta} (N, 2, 3) and output size (N, C, H, W). */
    public static Tensor affineGrid(Tensor theta, long[] size, boolean alignCorners) {
        return Tensor.wrap(ts_affine_grid(theta.handle(), ShimCalls.longs(size), size.length, alignCorners));
    }

    /** Samples {@code x} at {@code grid} locations, as {@code F.grid_sample}. */
    public static Tensor gridSample(Tensor x, Tensor grid, Interpolation mode, GridPadding padding,
            boolean alignCorners) {
        return Tensor.wrap(ts_grid_sample(x.handle(), grid.handle(), mode.code, padding.code, alignCorners));
    }

    /** Resizes (N, C, H, W) to (outH, outW). */
    public static Tensor interpolate(Tensor x, long outH, long outW, Interpolation mode, boolean alignCorners) {
        return Tensor.wrap(ts_interpolate(x.handle(), outH, outW, mode.code, alignCorners));
    }

    /** One-hot encoding of int64 labels. */
    public static Tensor oneHot(Tensor labels, long numClasses) {
        return Tensor.wrap(ts_one_hot(labels.handle(), numClasses));
    }

    /**
     * The NCE log-softmax terms of one direction of AMDIM's global-to-local objective and its score regulariser,
     * as one operator with its own backward (the composed form makes about 27 passes over the score tensor, this
     * one 9). With {@code raw = scale·scores} and {@code s = tclip·tanh(raw / tclip)}:
     * {@code nce[g,i,l] = s[g,i,i,l] − log(exp(s[g,i,i,l]) + Σ_{b≠i, l'} exp(s[g,i,b,l']))} and
     * {@code regulariser = regWeight·mean(raw²)}. CPU only; not differentiable twice.
     *
     * @param scores    (G, B, B, L) float32 or float64 score products, before scaling
     * @param scale     the factor of the scores ({@code 1/√R} in AMDIM), positive
     * @param tclip     the soft clip {@code c}, positive
     * @param regWeight the regulariser's weight
     * @return the (G, B, L) terms and the scalar regulariser; the caller owns both
     * @throws org.amdim.bindings.TorchException for other shapes, dtypes or devices, or a non-positive scale or clip
     */
    public static NceTerms nceTerms(Tensor scores, double scale, double tclip, double regWeight) {
        MemorySegment s = ShimCalls.scratch();
        ShimCalls.check(ts_nce_terms(scores.handle(), scale, tclip, regWeight, s, s.asSlice(8)));
        return new NceTerms(Tensor.wrap(ShimCalls.pointerAt(s, 0)), Tensor.wrap(ShimCalls.pointerAt(s, 1)));
    }

    /**
     * What {@link #nceTerms} returns.
     *
     * @param nce         (G, B, L) log-softmax terms
     * @param regulariser the scalar score regulariser
     */
    public record NceTerms(Tensor nce, Tensor regulariser) implements AutoCloseable {
        /** Closes both tensors. */
        @Override
        public void close() {
            nce.close();
            regulariser.close();
        }
    }
}
