package org.amdim.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.Map;

import org.amdim.tensor.Autograd;
import org.amdim.tensor.DType;
import org.amdim.tensor.Device;
import org.amdim.tensor.Tensor;
import org.amdim.tensor.TensorScope;
import org.amdim.tensor.Torch;

/**
 * Compares a module's autograd gradients, for its input and every parameter, with central finite differences in
 * float64. The output is reduced to a scalar with fixed random weights, so every output element counts
 * differently. Parameters are perturbed in place and restored.
 */
public final class GradCheck {
    private GradCheck() {
    }

    /**
     * Checks {@code module} (already converted to float64) at {@code input}.
     *
     * @param eps finite-difference step
     * @param tol allowed |numeric − analytic| / max(1, |numeric|)
     * @return the largest such error seen
     */
    public static double check(Module module, Tensor input, double eps, double tol) {
        for (var e : module.namedParameters().entrySet()) {
            assertEquals(DType.FLOAT64, e.getValue().dtype(), "parameter " + e.getKey() + " must be float64");
        }
        module.zeroGrad();
        double worst = 0;
        try (var scope = TensorScope.open()) {
            Tensor x = input.to(DType.FLOAT64).detach().requiresGrad(true);
            Tensor out = module.forward(x);
            Torch.manualSeed(1234);
            Tensor weights = Tensor.randn(DType.FLOAT64, Device.CPU, out.shape());
            out.mul(weights).sum().backward();

            Map<String, Tensor> targets = new LinkedHashMap<>();
            targets.put("input", x);
            targets.putAll(module.namedParameters());
            for (var e : targets.entrySet()) {
                Tensor target = e.getValue();
                Tensor g = target.grad();
                assertNotNull(g, "no gradient for " + e.getKey());
                double[] analytic = g.toDoubleArray();
                double[] base = target.toDoubleArray();
                long[] shape = target.shape();
                for (int i = 0; i < base.length; i++) {
                    double plus = evaluate(module, x, target, base, shape, i, eps, weights);
                    double minus = evaluate(module, x, target, base, shape, i, -eps, weights);
                    double numeric = (plus - minus) / (2 * eps);
                    double err = Math.abs(numeric - analytic[i]) / Math.max(1, Math.abs(numeric));
                    worst = Math.max(worst, err);
                    assertTrue(err <= tol, "d/d " + e.getKey() + "[" + i + "]: numeric " + numeric + ", autograd "
                            + analytic[i]);
                }
            }
        }
        module.zeroGrad();
        return worst;
    }

    /** The weighted output sum with element {@code i} of {@code target} moved by {@code delta}. */
    private static double evaluate(Module module, Tensor x, Tensor target, double[] base, long[] shape, int i,
            double delta, Tensor weights) {
        try (var scope = TensorScope.open(); var ng = Autograd.noGrad()) {
            double[] moved = base.clone();
            moved[i] += delta;
            target.copy_(Tensor.of(moved, shape));
            double value = module.forward(x).mul(weights).sum().item();
            target.copy_(Tensor.of(base, shape));
            return value;
        }
    }
}
