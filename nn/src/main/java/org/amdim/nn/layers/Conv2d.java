package org.amdim.nn.layers;

import java.util.Locale;
import java.util.Objects;

import org.amdim.nn.Init;
import org.amdim.nn.Module;
import org.amdim.tensor.Functional;
import org.amdim.tensor.Functional.PadMode;
import org.amdim.tensor.MemoryFormat;
import org.amdim.tensor.Tensor;
import org.amdim.tensor.TensorScope;

/**
 * 2-D convolution as {@code torch.nn.Conv2d}: weight (out, in/groups, kh, kw), optional bias, stride, padding,
 * dilation, groups, and padding mode zeros, reflect or replicate. Initialised with PyTorch's default.
 */
public final class Conv2d extends Module {
    private final long in;
    private final long out;
    private final long[] kernel;
    private final long[] stride;
    private final long[] padding;
    private final long[] dilation;
    private final long groups;
    private final PadMode paddingMode;

    /**
     * Configuration with PyTorch's defaults: stride 1, padding 0, dilation 1, groups 1, bias, zeros padding
     * ({@link PadMode#CONSTANT}).
     *
     * @param stride      step of the window, at least 1
     * @param padding     padding on every side, at least 0
     * @param dilation    spacing of the kernel taps, at least 1
     * @param groups      number of blocked connections from input to output channels, at least 1
     * @param bias        whether to learn an additive bias
     * @param paddingMode CONSTANT (zeros), REFLECT or REPLICATE
     */
    public record Options(long stride, long padding, long dilation, long groups, boolean bias, PadMode paddingMode) {
        /** Checks the ranges. */
        public Options {
            if (stride < 1 || padding < 0 || dilation < 1 || groups < 1) {
                throw new IllegalArgumentException("invalid convolution options: stride " + stride + ", padding "
                        + padding + ", dilation " + dilation + ", groups " + groups);
            }
            Objects.requireNonNull(paddingMode, "paddingMode");
        }

        /** PyTorch's defaults. */
        public static Options defaults() {
            return new Options(1, 0, 1, 1, true, PadMode.CONSTANT);
        }

        /** With another stride. */
        public Options withStride(long s) {
            return new Options(s, padding, dilation, groups, bias, paddingMode);
        }

        /** With another padding. */
        public Options withPadding(long p) {
            return new Options(stride, p, dilation, groups, bias, paddingMode);
        }

        /** With another dilation. */
        public Options withDilation(long d) {
            return new Options(stride, padding, d, groups, bias, paddingMode);
        }

        /** With another group count. */
        public Options withGroups(long g) {
            return new Options(stride, padding, dilation, g, bias, paddingMode);
        }

        /** With or without bias. */
        public Options withBias(boolean b) {
            return new Options(stride, padding, dilation, groups, b, paddingMode);
        }

        /** With another padding mode (CONSTANT means zeros, as PyTorch's {@code 'zeros'}). */
        public Options withPaddingMode(PadMode m) {
            return new Options(stride, padding, dilation, groups, bias, m);
        }
    }

    /** A square-kernel convolution with default options. */
    public Conv2d(long in, long out, long kernel) {
        this(in, out, kernel, Options.defaults());
    }

    /** A square-kernel convolution. */
    public Conv2d(long in, long out, long kernel, Options o) {
        if (in % o.groups() != 0 || out % o.groups() != 0) {
            throw new IllegalArgumentException("channels (" + in + ", " + out + ") must be divisible by groups "
                    + o.groups());
        }
        this.in = in;
        this.out = out;
        this.kernel = new long[] {kernel, kernel};
        this.stride = new long[] {o.stride(), o.stride()};
        this.padding = new long[] {o.padding(), o.padding()};
        this.dilation = new long[] {o.dilation(), o.dilation()};
        this.groups = o.groups();
        this.paddingMode = o.paddingMode();
        Tensor w = registerParameter("weight", Tensor.empty(out, in / groups, kernel, kernel));
        Tensor b = o.bias() ? registerParameter("bias", Tensor.empty(out)) : null;
        Init.pytorchDefault(w, b);
    }

    /** The weight (out, in/groups, kh, kw). */
    public Tensor weight() {
        return parameter("weight");
    }

    /** The bias, or null. */
    public Tensor bias() {
        return parameter("bias");
    }

    /** The stride (h, w) (a fresh array). */
    public long[] stride() {
        return stride.clone();
    }

    /** The padding (h, w) on each side (a fresh array), filled as {@link #paddingMode()} says. */
    public long[] padding() {
        return padding.clone();
    }

    /** The dilation (h, w) (a fresh array). */
    public long[] dilation() {
        return dilation.clone();
    }

    /** The number of groups. */
    public long groups() {
        return groups;
    }

    /** How the padding is filled: zeros ({@link PadMode#CONSTANT}), or explicitly by reflection or replication. */
    public PadMode paddingMode() {
        return paddingMode;
    }

    @Override
    public Tensor forward(Tensor x) {
        // As PyTorch: non-zero padding modes pad explicitly (F.pad order: left, right, top, bottom), then
        // convolve without padding.
        if (paddingMode != PadMode.CONSTANT && (padding[0] > 0 || padding[1] > 0)) {
            try (Tensor padded = Functional.pad(x, new long[] {padding[1], padding[1], padding[0], padding[0]},
                    paddingMode, 0)) {
                return Functional.conv2d(padded, weight(), bias(), stride, new long[] {0, 0}, dilation, groups);
            }
        }
        if (coversWholeInput(x)) {
            return asMatrixProduct(x);
        }
        return Functional.conv2d(x, weight(), bias(), stride, padding, dilation, groups);
    }

    /**
     * Whether the window covers the whole unpadded input, so that there is one output position and the
     * convolution is a matrix product (the AMDIM encoder's last units: 3×3 on its 3×3 map, then 1×1 on 1×1). Only
     * on the CPU, where it was measured: libtorch 1.13's oneDNN kernels run that case at about 37 GFLOP/s against
     * 150–200 for the encoder's other convolutions (2 threads, AVX-512), and the product 3–4 times faster
     * (forward and backward of the CIFAR encoder's 512→1024 3×3 unit at 64 or 128 images: 53 → 14 ms, 85 → 23 ms).
     */
    boolean coversWholeInput(Tensor x) {
        return x.dim() == 4 && !x.device().isCuda() && groups == 1 && dilation[0] == 1 && dilation[1] == 1
                && padding[0] == 0 && padding[1] == 0 && x.size(1) == in && x.size(2) == kernel[0]
                && x.size(3) == kernel[1];
    }

    /**
     * The whole-window convolution as {@code linear(x flattened, weight flattened, bias)}, shaped (N, out, 1, 1):
     * the same sums, in another order. Both are flattened in the weight's memory order, (c, h, w) row-major or
     * (h, w, c) channels-last, so the weight, the larger of the two, is a view rather than a copy; the result is
     * both row-major and channels-last, as the convolution's.
     */
    private Tensor asMatrixProduct(Tensor x) {
        long n = x.size(0);
        try (var scope = TensorScope.open()) {
            Tensor w = weight();
            boolean nhwc = !w.isContiguous() && w.isContiguous(MemoryFormat.CHANNELS_LAST);
            Tensor xf = (nhwc ? x.permute(0, 2, 3, 1) : x).reshape(n, -1);
            Tensor wf = (nhwc ? w.permute(0, 2, 3, 1) : w).reshape(out, -1);
            return scope.keep(Functional.linear(xf, wf, bias()).reshape(n, out, 1, 1));
        }
    }

    @Override
    protected String extraRepr() {
        StringBuilder sb = new StringBuilder().append(in).append(", ").append(out).append(", kernel_size=(")
                .append(kernel[0]).append(", ").append(kernel[1]).append("), stride=(").append(stride[0]).append(", ")
                .append(stride[1]).append(")");
        if (padding[0] != 0) {
            sb.append(", padding=(").append(padding[0]).append(", ").append(padding[1]).append(")");
        }
        if (dilation[0] != 1) {
            sb.append(", dilation=(").append(dilation[0]).append(", ").append(dilation[1]).append(")");
        }
        if (groups != 1) {
            sb.append(", groups=").append(groups);
        }
        if (bias() == null) {
            sb.append(", bias=False");
        }
        if (paddingMode != PadMode.CONSTANT) {
            sb.append(", padding_mode=").append(paddingMode.name().toLowerCase(Locale.ROOT));
        }
        return sb.toString();
    }
}
