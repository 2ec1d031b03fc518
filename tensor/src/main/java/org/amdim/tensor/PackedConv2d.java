package org.amdim.tensor;

import java.util.Arrays;
import java.util.Objects;

/**
 * A 2-D convolution prepared for CPU inference: its weight reordered once into oneDNN's blocked format, its bias
 * copied, and its settings fixed. {@link #apply} takes and returns {@link Layout#MKLDNN} tensors, so that a chain
 * of convolutions (with ReLU, additions and pooling between them, which also run on that layout) converts its
 * activations only at its two ends.
 *
 * <pre>{@code
 * try (PackedConv2d conv = PackedConv2d.of(weight, bias, 1, 0); var scope = TensorScope.open()) {
 *     Tensor y = conv.apply(x.toMkldnn()).relu_().toDense();
 * }
 * }</pre>
 *
 * <p>It is a snapshot: later changes to the tensors it was made from are not seen. It owns two tensors until
 * {@link #close()} (idempotent; {@link #apply} afterwards throws {@link IllegalStateException}). Like a
 * {@link Tensor}, it is confined to one thread at a time.
 */
public final class PackedConv2d implements AutoCloseable {
    private final Tensor weight;
    private final Tensor bias;
    private final long[] stride;
    private final long[] padding;
    private final long[] dilation;
    private final long groups;
    private final long[] weightShape;

    private PackedConv2d(Tensor weight, Tensor bias, long[] stride, long[] padding, long[] dilation, long groups,
            long[] weightShape) {
        this.weight = weight;
        this.bias = bias;
        this.stride = stride;
        this.padding = padding;
        this.dilation = dilation;
        this.groups = groups;
        this.weightShape = weightShape;
    }

    /** A convolution with square stride and zero padding, no dilation, one group; {@code bias} may be null. */
    public static PackedConv2d of(Tensor weight, Tensor bias, long stride, long padding) {
        return of(weight, bias, new long[] {stride, stride}, new long[] {padding, padding}, new long[] {1, 1}, 1);
    }

    /**
     * Packs a convolution as {@code F.conv2d(x, weight, bias, stride, padding, dilation, groups)} computes it.
     *
     * @param weight   (out, in/groups, kh, kw) float32 (or bfloat16) CPU tensor, strided; copied
     * @param bias     (out) tensor of the weight's dtype, or null; copied
     * @param stride   (h, w)
     * @param padding  (h, w) zeros on each side
     * @param dilation (h, w)
     * @param groups   at least 1
     * @throws IllegalArgumentException when a pair does not have 2 values or the bias does not have {@code out}
     *     elements
     * @throws org.amdim.bindings.TorchException when libtorch refuses the weight (rank, dtype, device) or the
     *     settings
     */
    public static PackedConv2d of(Tensor weight, Tensor bias, long[] stride, long[] padding, long[] dilation,
            long groups) {
        Objects.requireNonNull(weight, "weight");
        long[] shape = weight.shape();
        if (bias != null) {
            long[] b = bias.shape();
            if (b.length != 1 || shape.length == 0 || b[0] != shape[0]) {
                throw new IllegalArgumentException("the bias must have one value per output channel: weight "
                        + Arrays.toString(shape) + ", bias " + Arrays.toString(b));
            }
        }
        Tensor packed = TensorScope.escape(Functional.packConv2dWeight(weight, stride, padding, dilation, groups));
        Tensor biasCopy = null;
        try {
            if (bias != null) {
                // A copy, not a view: the snapshot must not follow later changes to the module's bias.
                try (Tensor detached = bias.detach(); Tensor copy = detached.clone()) {
                    biasCopy = TensorScope.escape(copy.contiguous());
                }
            }
        } catch (RuntimeException e) {
            packed.close();
            throw e;
        }
        return new PackedConv2d(packed, biasCopy, stride.clone(), padding.clone(), dilation.clone(), groups, shape);
    }

    /**
     * The convolution of {@code x}.
     *
     * @param x (N, in, H, W) in {@link Layout#MKLDNN} layout ({@link Tensor#toMkldnn()})
     * @return (N, out, H', W') in mkldnn layout; no gradient is recorded
     * @throws IllegalStateException after {@link #close()}, or when {@code x} is closed
     * @throws org.amdim.bindings.TorchException when {@code x} is strided or its shape does not fit (libtorch's
     *     message names the expected channels)
     */
    public Tensor apply(Tensor x) {
        if (weight.isClosed()) {
            throw new IllegalStateException("the packed convolution is closed");
        }
        return Functional.mkldnnConv2d(x, weight, bias, stride, padding, dilation, groups);
    }

    /** Output channels. */
    public long outChannels() {
        return weightShape[0];
    }

    /** Input channels ({@code in/groups} of the weight times the groups). */
    public long inChannels() {
        return weightShape[1] * groups;
    }

    /** The weight's shape (out, in/groups, kh, kw). */
    public long[] weightShape() {
        return weightShape.clone();
    }

    /** Whether {@link #close()} has been called. */
    public boolean isClosed() {
        return weight.isClosed();
    }

    /** Frees the packed weight and the bias copy. Idempotent. */
    @Override
    public void close() {
        weight.close();
        if (bias != null) {
            bias.close();
        }
    }

    @Override
    public String toString() {
        return "PackedConv2d(" + inChannels() + ", " + outChannels() + ", kernel_size=(" + weightShape[2] + ", "
                + weightShape[3] + "), stride=" + Arrays.toString(stride) + ", padding=" + Arrays.toString(padding)
                + (bias == null ? ", bias=False" : "") + (isClosed() ? ", closed" : "") + ")";
    }
}
