package org.amdim.nn.layers;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.stream.Stream;

import org.amdim.tensor.DType;
import org.amdim.tensor.Functional;
import org.amdim.tensor.MemoryFormat;
import org.amdim.tensor.NoLeaks;
import org.amdim.tensor.Tensor;
import org.amdim.tensor.TensorScope;
import org.amdim.tensor.Torch;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A convolution whose window covers its whole input runs as a matrix product ({@link Conv2d}): its output and the
 * gradients of input, weight and bias equal libtorch's convolution up to float32 rounding, in both memory formats,
 * and the output keeps the convolution's layout.
 *
 * <p>The bound is the deterministic one for sums in any order: a float32 sum of n products is within
 * γ_n·Σ|terms| of the exact value, γ_n = n·u/(1 − n·u), u = 2^-24; two such sums of the same terms are within
 * 2·γ_n·Σ|terms| of each other. Σ|terms| of every output and gradient element is the same computation on
 * absolute values (the convolution of |x| and |w| plus |b|, and its backward with |upstream gradient|), done in
 * float64. n is C·k² + 1 for the output, the output channels for the input's gradient, the batch for the weight's
 * and the bias's.
 */
@ExtendWith(NoLeaks.class)
class Conv2dWholeWindowTest {
    private static final double U = Math.pow(2, -24);

    static Stream<Arguments> cases() {
        return Stream.of(
                Arguments.of(MemoryFormat.CONTIGUOUS, 3, 1, true),
                Arguments.of(MemoryFormat.CHANNELS_LAST, 3, 1, true),
                Arguments.of(MemoryFormat.CHANNELS_LAST, 3, 2, false),
                Arguments.of(MemoryFormat.CONTIGUOUS, 1, 1, false),
                Arguments.of(MemoryFormat.CHANNELS_LAST, 1, 1, true));
    }

    private static double gamma(long n) {
        return n * U / (1 - n * U);
    }

    @ParameterizedTest
    @MethodSource("cases")
    void equalsTheConvolutionWithinRounding(MemoryFormat format, int kernel, int stride, boolean bias) {
        long n = 6;
        long c = 40;
        long o = 24;
        Torch.manualSeed(11);
        try (Conv2d conv = new Conv2d(c, o, kernel, Conv2d.Options.defaults().withStride(stride).withBias(bias));
                var scope = TensorScope.open()) {
            conv.to(format);
            Tensor x = Tensor.randn(n, c, kernel, kernel).contiguous(format).requiresGrad(true);
            Tensor g = Tensor.randn(n, o, 1, 1);

            assertTrue(conv.coversWholeInput(x), "runs as a matrix product");
            Tensor fast = conv.forward(x);
            assertTrue(fast.isContiguous(format), "the output keeps the layout");
            fast.mul(g).sum().backward();
            Tensor fastX = x.grad();
            Tensor fastW = conv.weight().grad();
            Tensor fastB = bias ? conv.bias().grad() : null;
            x.zeroGrad();
            conv.zeroGrad();

            Tensor ref = Functional.conv2d(x, conv.weight(), conv.bias(), stride, 0);
            ref.mul(g).sum().backward();

            // Σ|terms| of each element: the same computation on absolute values, in float64.
            Tensor ax = x.detach().abs().to(DType.FLOAT64).requiresGrad(true);
            Tensor aw = conv.weight().detach().abs().to(DType.FLOAT64).requiresGrad(true);
            Tensor ab = bias ? conv.bias().detach().abs().to(DType.FLOAT64).requiresGrad(true) : null;
            Tensor absOut = Functional.conv2d(ax, aw, ab, stride, 0);
            absOut.mul(g.abs().to(DType.FLOAT64)).sum().backward();

            check("output", fast, ref, absOut, gamma(c * kernel * kernel + 1));
            check("input gradient", fastX, x.grad(), ax.grad(), gamma(o));
            check("weight gradient", fastW, conv.weight().grad(), aw.grad(), gamma(n));
            if (bias) {
                check("bias gradient", fastB, conv.bias().grad(), ab.grad(), gamma(n));
            }
        }
    }

    /** |a − b| ≤ 2·γ·Σ|terms| element-wise. */
    private static void check(String what, Tensor a, Tensor b, Tensor absTerms, double gamma) {
        double[] x = a.contiguous().toDoubleArray();
        double[] y = b.contiguous().toDoubleArray();
        double[] t = absTerms.contiguous().toDoubleArray();
        double worst = 0;
        for (int i = 0; i < x.length; i++) {
            double err = Math.abs(x[i] - y[i]);
            double allowed = 2 * gamma * t[i];
            assertTrue(err <= allowed, what + "[" + i + "]: " + x[i] + " vs " + y[i] + ", allowed " + allowed);
            worst = Math.max(worst, allowed == 0 ? 0 : err / allowed);
        }
        System.out.printf("[check] %-40s worst err/tol %.3f%n", what, worst);
    }
}
