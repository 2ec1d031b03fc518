package org.amdim.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * Compares autograd gradients with central finite differences in float64. The function's output is reduced
 * to a scalar with fixed random weights so that every output element contributes differently.
 *
 * <p>The bound {@code tol·max(1, |numeric|)} covers the finite difference's own error, not a kernel's rounding:
 * with step eps the central difference is off by eps²/6·|f'''| (1e-13 for eps = 1e-6 and third derivatives of
 * order 1), plus float64 rounding of the two evaluations, about u·|f|/eps = 1.1e-16·|f|/1e-6 ≈ 1e-10·|f| for
 * weighted sums |f| of order 1 to 100; the autograd side is float64 too, about 1e-15 relative whatever the
 * kernels. So tol = 1e-6 leaves a margin of 1e3 or more and still fails on any wrong term of a derivative. The
 * two checks at 1e-5 have larger higher derivatives: a training-mode batch norm over 16 elements per channel
 * (1/σ³ terms), and bilinear grid sampling, whose weights are products of two coordinates.
 */
final class GradCheck {
    private GradCheck() {
    }

    static void check(Function<List<Tensor>, Tensor> f, List<Tensor> inputs, double eps, double tol) {
        try (var scope = TensorScope.open()) {
            List<Tensor> leaves = new ArrayList<>();
            for (Tensor in : inputs) {
                leaves.add(in.to(DType.FLOAT64).detach().requiresGrad(true));
            }
            Tensor out = f.apply(leaves);
            Torch.manualSeed(1234);
            Tensor weights = Tensor.randn(DType.FLOAT64, Device.CPU, out.shape());
            out.mul(weights).sum().backward();
            for (int k = 0; k < leaves.size(); k++) {
                Tensor leaf = leaves.get(k);
                Tensor g = leaf.grad();
                assertNotNull(g, "no gradient for input " + k);
                double[] analytic = g.toDoubleArray();
                double[] x = leaf.toDoubleArray();
                long[] shape = leaf.shape();
                for (int i = 0; i < x.length; i++) {
                    double plus = evaluate(f, leaves, k, x, shape, i, eps, weights);
                    double minus = evaluate(f, leaves, k, x, shape, i, -eps, weights);
                    double numeric = (plus - minus) / (2 * eps);
                    assertEquals(numeric, analytic[i], tol * Math.max(1, Math.abs(numeric)),
                            "d/d input" + k + "[" + i + "]");
                }
            }
        }
    }

    private static double evaluate(Function<List<Tensor>, Tensor> f, List<Tensor> leaves, int k, double[] x,
            long[] shape, int i, double delta, Tensor weights) {
        try (var scope = TensorScope.open(); var ng = Autograd.noGrad()) {
            double[] moved = x.clone();
            moved[i] += delta;
            List<Tensor> args = new ArrayList<>(leaves);
            args.set(k, Tensor.of(moved, shape));
            return f.apply(args).mul(weights).sum().item();
        }
    }
}
