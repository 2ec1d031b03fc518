package org.amdim.model.encoder;

import org.amdim.nn.Init;
import org.amdim.nn.Module;
import org.amdim.nn.layers.Conv2d;
import org.amdim.tensor.Autograd;
import org.amdim.tensor.Tensor;
import org.amdim.tensor.TensorScope;

/**
 * The embedding head that turns a local feature map into n_rkhs-dimensional embeddings ({@code rkhs_block_5},
 * {@code rkhs_block_7}): a residual 1×1 MLP {@code bn_out(conv2(relu([bn_hid](conv1(x)))) + shortcut(x))}.
 *
 * <ul>
 *   <li>{@code conv1} (in→out) and {@code conv2} (out→out): 1×1, no bias.</li>
 *   <li>{@code bn_hid}: applied only with use_bn. {@code bn_out}: always applied.</li>
 *   <li>{@code shortcut}: a 1×1 convolution with bias. When out ≥ in its weight starts near the identity:
 *       U(−0.01, 0.01) with 1 on the diagonal (bias keeps PyTorch's default).</li>
 * </ul>
 */
public final class EmbeddingHead extends Module {
    private final Conv2d conv1;
    private final Conv2d conv2;
    private final MaybeBatchNorm bnHid;
    private final MaybeBatchNorm bnOut;
    private final Conv2d shortcut;
    private final long in;
    private final long out;

    /**
     * An embedding head.
     *
     * @param in    channels of the feature map
     * @param out   embedding width (n_rkhs)
     * @param useBn whether the hidden batch norm is applied
     */
    public EmbeddingHead(long in, long out, boolean useBn) {
        this.in = in;
        this.out = out;
        Conv2d.Options noBias = Conv2d.Options.defaults().withBias(false);
        // Registration order follows the original module, which fixes parameter order.
        this.conv1 = registerModule("conv1", new Conv2d(in, out, 1, noBias));
        this.conv2 = registerModule("conv2", new Conv2d(out, out, 1, noBias));
        this.bnHid = registerModule("bn_hid", new MaybeBatchNorm(out, useBn));
        this.bnOut = registerModule("bn_out", new MaybeBatchNorm(out, true));
        this.shortcut = registerModule("shortcut", new Conv2d(in, out, 1));
        if (out >= in) {
            initNearIdentity(shortcut.weight(), in);
        }
    }

    /** Parameter elements of a head from {@code in} channels to {@code out} (dead bn_hid included). */
    public static long parameterCount(long in, long out) {
        return out * in + out * out + 2 * out + 2 * out + out * in + out;
    }

    private static void initNearIdentity(Tensor weight, long in) {
        Init.uniform(weight, -0.01, 0.01);
        try (var scope = TensorScope.open(); var ng = Autograd.noGrad()) {
            // weight is (out, in, 1, 1): the diagonal of its leading (in, in) square becomes 1.
            Tensor square = weight.narrow(0, 0, in).reshape(in, in);
            Tensor diagonal = square.flatten().slice(0, 0, in * in, in + 1);
            diagonal.fill_(1.0);
        }
    }

    /** The first 1×1 convolution of the residual branch. */
    public Conv2d conv1() {
        return conv1;
    }

    /** The second 1×1 convolution of the residual branch. */
    public Conv2d conv2() {
        return conv2;
    }

    /** The hidden batch norm (applied only with use_bn). */
    MaybeBatchNorm bnHid() {
        return bnHid;
    }

    /** The output batch norm (always applied). */
    MaybeBatchNorm bnOut() {
        return bnOut;
    }

    /** The 1×1 shortcut convolution. */
    public Conv2d shortcut() {
        return shortcut;
    }

    /**
     * AMDIM's init of the residual branch: conv1 ← kaiming-uniform(a = √5) · {@code initScale}, conv2 ← 0. The
     * shortcut keeps its near-identity initialisation from construction.
     */
    public void initWeights(double initScale) {
        ResidualBranchInit.apply(conv1, conv2, initScale);
    }

    @Override
    public Tensor forward(Tensor x) {
        try (var scope = TensorScope.open()) {
            Tensor hidden = bnHid.forward(conv1.forward(x)).relu_();
            // add_ in place is safe: conv2's backward does not need its output.
            Tensor sum = conv2.forward(hidden).add_(shortcut.forward(x));
            // bn_out runs in the encoder's format. Channels-last embeddings are what the NCE wants: its (R, B·L)
            // target matrices are views of them, and the gradient reaches conv2 and the shortcut in their own
            // format. (A row-major copy here cost a copy forward, one per convolution backward and one per NCE
            // target.) BatchNorm sums channels-last statistics in double (Functional.batchNormChannelsLast), as
            // libtorch's row-major kernels do. That matters for the shortcut's bias: bn_out removes every
            // per-channel shift, so its true gradient is zero and it holds rounding noise only, which float sums
            // (libtorch's channels-last kernels) make about 40 times larger. The reference tests check that noise
            // by size, against the float32 allowance of the other gradients.
            return scope.keep(bnOut.forward(sum));
        }
    }

    @Override
    protected String extraRepr() {
        return in + ", " + out;
    }
}
