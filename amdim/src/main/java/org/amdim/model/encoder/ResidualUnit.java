package org.amdim.model.encoder;

import org.amdim.nn.Module;
import org.amdim.nn.layers.Conv2d;
import org.amdim.tensor.Functional;
import org.amdim.tensor.Functional.PadMode;
import org.amdim.tensor.Tensor;
import org.amdim.tensor.TensorScope;

/**
 * The encoder's residual unit: {@code conv2(relu([bn1](conv1(x)))) + shortcut(x)}, with no activation after the
 * sum.
 *
 * <ul>
 *   <li>{@code conv1}: k×k, stride s, no padding, no bias, in→out channels.</li>
 *   <li>{@code bn1}: a {@link MaybeBatchNorm}, applied only with use_bn.</li>
 *   <li>{@code conv2}: 1×1, no bias, out→out.</li>
 *   <li>shortcut: k×k stride-s average pooling of {@code x} (same output size as conv1), then out−in zero
 *       channels appended after the input channels. With a 1×1 stride-1 window and equal channel counts it is the
 *       identity, and then costs nothing.</li>
 * </ul>
 */
public final class ResidualUnit extends Module {
    private final Conv2d conv1;
    private final Conv2d conv2;
    private final MaybeBatchNorm bn1;
    private final long in;
    private final long out;
    private final long kernel;
    private final long stride;

    /**
     * A residual unit.
     *
     * @param in     input channels
     * @param out    output channels; at least {@code in}, since the shortcut can only append channels
     * @param kernel kernel of conv1 and the pooling window of the shortcut
     * @param stride stride of conv1 and of the shortcut
     * @param useBn  whether {@code bn1} is applied
     */
    public ResidualUnit(long in, long out, long kernel, long stride, boolean useBn) {
        if (out < in) {
            throw new IllegalArgumentException("a residual unit cannot shrink channels (" + in + " -> " + out
                    + "): its average-pool shortcut only appends zero channels");
        }
        this.in = in;
        this.out = out;
        this.kernel = kernel;
        this.stride = stride;
        Conv2d.Options noBias = Conv2d.Options.defaults().withBias(false);
        // Registration order follows the original module (conv1, conv2, bn1), which fixes parameter order.
        this.conv1 = registerModule("conv1", new Conv2d(in, out, kernel, noBias.withStride(stride)));
        this.conv2 = registerModule("conv2", new Conv2d(out, out, 1, noBias));
        this.bn1 = registerModule("bn1", new MaybeBatchNorm(out, useBn));
    }

    /** The k×k convolution of the residual branch. */
    public Conv2d conv1() {
        return conv1;
    }

    /** The 1×1 convolution of the residual branch. */
    public Conv2d conv2() {
        return conv2;
    }

    /** The optional batch norm after conv1. */
    MaybeBatchNorm bn1() {
        return bn1;
    }

    /** Input channels. */
    long in() {
        return in;
    }

    /** Output channels. */
    long out() {
        return out;
    }

    /** The kernel of conv1 and the pooling window of the shortcut. */
    long kernel() {
        return kernel;
    }

    /** The stride of conv1 and of the shortcut. */
    long stride() {
        return stride;
    }

    /** Whether the shortcut is the identity (1×1 window, stride 1, no new channels). */
    public boolean hasIdentityShortcut() {
        return kernel == 1 && stride == 1 && in == out;
    }

    /**
     * AMDIM's init: conv1 ← kaiming-uniform(a = √5) · {@code initScale} (PyTorch's default conv init, rescaled),
     * conv2 ← 0, so that the unit starts as its shortcut.
     */
    public void initWeights(double initScale) {
        ResidualBranchInit.apply(conv1, conv2, initScale);
    }

    @Override
    public Tensor forward(Tensor x) {
        try (var scope = TensorScope.open()) {
            // relu_ in place is safe: conv1's (or bn1's) backward does not need this output.
            Tensor hidden = bn1.forward(conv1.forward(x)).relu_();
            // add_ in place is safe: conv2's backward needs its input and weight, not its output.
            Tensor y = conv2.forward(hidden);
            if (hasIdentityShortcut()) {
                y.add_(x);
            } else {
                Tensor pooled = Functional.avgPool2d(x, kernel, stride);
                y.add_(out > in ? Functional.pad(pooled, new long[] {0, 0, 0, 0, 0, out - in}, PadMode.CONSTANT, 0)
                        : pooled);
            }
            return scope.keep(y);
        }
    }

    @Override
    protected String extraRepr() {
        return in + ", " + out + ", kernel_size=" + kernel + ", stride=" + stride;
    }
}
