package org.amdim.nn.layers;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Map;

import org.amdim.nn.Module;
import org.amdim.tensor.NoLeaks;
import org.amdim.nn.References;
import org.amdim.tensor.DType;
import org.amdim.tensor.Device;
import org.amdim.tensor.Functional.PadMode;
import org.amdim.tensor.Tensor;
import org.amdim.tensor.TensorScope;
import org.amdim.tensor.Torch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Forward values of the layers against direct loops over PyTorch's definitions, in float64: convolution with
 * every option and padding mode, pooling windows, linear maps, flattening, and the shapes that follow.
 */
@ExtendWith(NoLeaks.class)
class LayerForwardTest {
    private static final double TOL = 1e-12;

    /** Index into an (n, c, h, w) row-major array. */
    private static int at(long[] s, long n, long c, long h, long w) {
        return (int) (((n * s[1] + c) * s[2] + h) * s[3] + w);
    }

    /** Input value at padded position (h, w) (coordinates of the unpadded input, may be outside it). */
    private static double padded(double[] x, long[] s, long n, long c, long h, long w, PadMode mode) {
        long hh = s[2];
        long ww = s[3];
        if (h >= 0 && h < hh && w >= 0 && w < ww) {
            return x[at(s, n, c, h, w)];
        }
        return switch (mode) {
            case CONSTANT -> 0;
            // reflection about the edge element, which is not repeated
            case REFLECT -> x[at(s, n, c, h < 0 ? -h : h >= hh ? 2 * (hh - 1) - h : h,
                    w < 0 ? -w : w >= ww ? 2 * (ww - 1) - w : w)];
            case REPLICATE -> x[at(s, n, c, Math.clamp(h, 0, hh - 1), Math.clamp(w, 0, ww - 1))];
        };
    }

    private static double[] naiveConv(double[] x, long[] s, double[] wt, double[] bias, long out, long k,
            long stride, long pad, long dil, long groups, PadMode mode, long[] outShape) {
        long inPerGroup = s[1] / groups;
        long outPerGroup = out / groups;
        long oh = (s[2] + 2 * pad - dil * (k - 1) - 1) / stride + 1;
        long ow = (s[3] + 2 * pad - dil * (k - 1) - 1) / stride + 1;
        long[] os = {s[0], out, oh, ow};
        System.arraycopy(os, 0, outShape, 0, 4);
        double[] y = new double[(int) (s[0] * out * oh * ow)];
        for (long n = 0; n < s[0]; n++) {
            for (long o = 0; o < out; o++) {
                long g = o / outPerGroup;
                for (long i = 0; i < oh; i++) {
                    for (long j = 0; j < ow; j++) {
                        double acc = bias == null ? 0 : bias[(int) o];
                        for (long ci = 0; ci < inPerGroup; ci++) {
                            for (long a = 0; a < k; a++) {
                                for (long b = 0; b < k; b++) {
                                    double v = padded(x, s, n, g * inPerGroup + ci, i * stride - pad + a * dil,
                                            j * stride - pad + b * dil, mode);
                                    acc += v * wt[(int) (((o * inPerGroup + ci) * k + a) * k + b)];
                                }
                            }
                        }
                        y[at(os, n, o, i, j)] = acc;
                    }
                }
            }
        }
        return y;
    }

    @ParameterizedTest(name = "in {0} out {1} k {2} stride {3} pad {4} dilation {5} groups {6} {7} bias {8}")
    @CsvSource({
        "3, 4, 3, 1, 0, 1, 1, CONSTANT, true",
        "3, 4, 3, 2, 1, 1, 1, CONSTANT, true",
        "2, 3, 3, 1, 2, 2, 1, CONSTANT, false",
        "4, 6, 3, 1, 1, 1, 2, CONSTANT, true",
        "3, 3, 3, 1, 1, 1, 3, CONSTANT, false",
        "3, 8, 5, 2, 2, 1, 1, REFLECT, true",
        "2, 3, 3, 1, 1, 1, 1, REFLECT, true",
        "2, 3, 3, 2, 1, 1, 1, REPLICATE, true",
        "4, 4, 2, 2, 0, 1, 4, CONSTANT, true"})
    void conv2dMatchesTheDefinition(long in, long out, long k, long stride, long pad, long dil, long groups,
            PadMode mode, boolean bias) {
        Torch.manualSeed(3);
        Conv2d.Options o = Conv2d.Options.defaults().withStride(stride).withPadding(pad).withDilation(dil)
                .withGroups(groups).withPaddingMode(mode).withBias(bias);
        try (Conv2d conv = new Conv2d(in, out, k, o); var scope = TensorScope.open()) {
            conv.to(DType.FLOAT64);
            assertArrayEquals(new long[] {out, in / groups, k, k}, conv.weight().shape());
            long[] s = {2, in, 9, 8};
            Tensor x = Tensor.randn(DType.FLOAT64, Device.CPU, s);
            long[] outShape = new long[4];
            double[] expected = naiveConv(x.toDoubleArray(), s, conv.weight().toDoubleArray(),
                    bias ? conv.bias().toDoubleArray() : null, out, k, stride, pad, dil, groups, mode, outShape);
            Tensor y = conv.forward(x);
            assertArrayEquals(outShape, y.shape());
            References.assertClose("conv2d", expected, y, TOL);
        }
    }

    @Test
    void conv2dRejectsBadOptions() {
        Conv2d.Options twoGroups = Conv2d.Options.defaults().withGroups(2);
        assertThrows(IllegalArgumentException.class, () -> new Conv2d(3, 4, 3, twoGroups));
        assertThrows(IllegalArgumentException.class, () -> Conv2d.Options.defaults().withStride(0));
        assertThrows(IllegalArgumentException.class, () -> Conv2d.Options.defaults().withPadding(-1));
        assertThrows(IllegalArgumentException.class, () -> Conv2d.Options.defaults().withDilation(0));
        assertThrows(IllegalArgumentException.class, () -> Conv2d.Options.defaults().withGroups(0));
    }

    private enum Pool { MAX, AVG }

    private static double[] naivePool(double[] x, long[] s, long k, long stride, long pad, Pool kind,
            long[] outShape) {
        long oh = (s[2] + 2 * pad - k) / stride + 1;
        long ow = (s[3] + 2 * pad - k) / stride + 1;
        long[] os = {s[0], s[1], oh, ow};
        System.arraycopy(os, 0, outShape, 0, 4);
        double[] y = new double[(int) (s[0] * s[1] * oh * ow)];
        for (long n = 0; n < s[0]; n++) {
            for (long c = 0; c < s[1]; c++) {
                for (long i = 0; i < oh; i++) {
                    for (long j = 0; j < ow; j++) {
                        double max = Double.NEGATIVE_INFINITY;
                        double sum = 0;
                        for (long a = 0; a < k; a++) {
                            for (long b = 0; b < k; b++) {
                                long h = i * stride - pad + a;
                                long w = j * stride - pad + b;
                                boolean inside = h >= 0 && h < s[2] && w >= 0 && w < s[3];
                                // max pooling pads with -inf; average pooling counts zero padding in
                                // the divisor (count_include_pad=True)
                                if (inside) {
                                    max = Math.max(max, x[at(s, n, c, h, w)]);
                                    sum += x[at(s, n, c, h, w)];
                                }
                            }
                        }
                        y[at(os, n, c, i, j)] = kind == Pool.MAX ? max : sum / (k * k);
                    }
                }
            }
        }
        return y;
    }

    @ParameterizedTest(name = "{0} k {1} stride {2} pad {3}")
    @CsvSource({"MAX, 2, 2, 0", "MAX, 3, 2, 1", "MAX, 3, 1, 1", "AVG, 2, 2, 0", "AVG, 3, 2, 1", "AVG, 3, 1, 1"})
    void poolingMatchesTheDefinition(Pool kind, long k, long stride, long pad) {
        Module pool = kind == Pool.MAX ? new MaxPool2d(k, stride, pad) : new AvgPool2d(k, stride, pad);
        try (pool; var scope = TensorScope.open()) {
            Torch.manualSeed(5);
            long[] s = {2, 3, 7, 6};
            Tensor x = Tensor.randn(DType.FLOAT64, Device.CPU, s);
            long[] outShape = new long[4];
            double[] expected = naivePool(x.toDoubleArray(), s, k, stride, pad, kind, outShape);
            Tensor y = pool.forward(x);
            assertArrayEquals(outShape, y.shape());
            References.assertClose(kind + " pool", expected, y, TOL);
        }
    }

    @Test
    void poolingWithKernelOnlyUsesStrideEqualToKernel() {
        try (var scope = TensorScope.open(); var max = new MaxPool2d(2); var avg = new AvgPool2d(3)) {
            Tensor x = Tensor.arange(0, 36, 1, DType.FLOAT64, Device.CPU).reshape(1, 1, 6, 6);
            References.assertClose("max", new double[] {7, 9, 11, 19, 21, 23, 31, 33, 35}, max.forward(x), 0);
            // 3x3 windows of 0..35 on a 6-wide grid: the means are the centres
            References.assertClose("avg", new double[] {7, 10, 25, 28}, avg.forward(x), TOL);
        }
    }

    @Test
    void adaptiveAveragePoolingUsesPyTorchsWindows() {
        try (var scope = TensorScope.open(); var pool = new AdaptiveAvgPool2d(2, 3)) {
            Torch.manualSeed(6);
            long[] s = {2, 2, 5, 7};
            Tensor x = Tensor.randn(DType.FLOAT64, Device.CPU, s);
            double[] v = x.toDoubleArray();
            double[] expected = new double[2 * 2 * 2 * 3];
            long[] os = {2, 2, 2, 3};
            for (int n = 0; n < 2; n++) {
                for (int c = 0; c < 2; c++) {
                    for (int i = 0; i < 2; i++) {
                        for (int j = 0; j < 3; j++) {
                            // window [floor(i·H/out), ceil((i+1)·H/out))
                            int h0 = Math.floorDiv(i * 5, 2);
                            int h1 = -Math.floorDiv(-(i + 1) * 5, 2);
                            int w0 = Math.floorDiv(j * 7, 3);
                            int w1 = -Math.floorDiv(-(j + 1) * 7, 3);
                            double sum = 0;
                            for (int h = h0; h < h1; h++) {
                                for (int w = w0; w < w1; w++) {
                                    sum += v[at(s, n, c, h, w)];
                                }
                            }
                            expected[at(os, n, c, i, j)] = sum / ((h1 - h0) * (w1 - w0));
                        }
                    }
                }
            }
            References.assertClose("adaptive avg", expected, pool.forward(x), TOL);
        }
    }

    @Test
    void linearComputesXWTransposedPlusB() {
        try (var scope = TensorScope.open(); var lin = new Linear(3, 2)) {
            lin.to(DType.FLOAT64);
            lin.loadStateDict(Map.of("weight", Tensor.of(new double[] {1, 2, 3, -1, 0.5, 0}, 2, 3),
                    "bias", Tensor.of(new double[] {0.25, -2})), true);
            Tensor x = Tensor.of(new double[] {1, 0, -1, 2, 2, 2}, 2, 3);
            References.assertClose("linear", new double[] {1 - 3 + 0.25, -1 - 2, 12 + 0.25, -1 - 2}, lin.forward(x),
                    0);
            assertEquals(DType.FLOAT64, lin.forward(x).dtype());
        }
    }

    @Test
    void flattenReluAndIdentity() {
        try (var scope = TensorScope.open(); var flat = new Flatten(); var mid = new Flatten(1, 2);
                var relu = new ReLU(); var id = new Identity()) {
            Tensor x = Tensor.arange(0, 24, 1, DType.FLOAT32, Device.CPU).sub(12).reshape(2, 3, 2, 2);
            assertArrayEquals(new long[] {2, 12}, flat.forward(x).shape());
            assertArrayEquals(new long[] {2, 6, 2}, mid.forward(x).shape());
            float[] r = relu.forward(x).toFloatArray();
            float[] in = x.toFloatArray();
            for (int i = 0; i < in.length; i++) {
                assertEquals(Math.max(0, in[i]), r[i]);
            }
            Tensor same = id.forward(x);
            assertArrayEquals(in, same.toFloatArray());
            same.close();
            // Identity hands back a new handle: closing it leaves the input usable
            assertEquals(24, x.numel());
        }
    }
}
