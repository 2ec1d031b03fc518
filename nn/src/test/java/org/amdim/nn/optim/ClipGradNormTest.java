package org.amdim.nn.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.List;

import org.amdim.tensor.NoLeaks;
import org.amdim.nn.References;
import org.amdim.tensor.FusedOptim;
import org.amdim.tensor.Tensor;
import org.amdim.tensor.TensorScope;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Gradient clipping by global L2 norm ({@link FusedOptim#clipGradNorm}, torch.nn.utils.clip_grad_norm_) against
 * hand-computed values: scale {@code maxNorm / (norm + 1e-6)} only when that is below 1.
 */
@ExtendWith(NoLeaks.class)
class ClipGradNormTest {
    private static final double[] G1 = {3, -4, 0};
    private static final double[] G2 = {1, 2, -2, 0.5};
    /** √(9 + 16 + 1 + 4 + 4 + 0.25). */
    private static final double NORM = Math.sqrt(34.25);

    private static Tensor withGrad(double[] g) {
        Tensor p = Tensor.zeros(org.amdim.tensor.DType.FLOAT64, org.amdim.tensor.Device.CPU, g.length)
                .requiresGrad(true);
        p.setGrad(Tensor.of(g));
        return p;
    }

    private static double[] scaled(double[] g, double s) {
        double[] out = new double[g.length];
        for (int i = 0; i < g.length; i++) {
            out[i] = g[i] * s;
        }
        return out;
    }

    @Test
    void largeGradientsAreScaledToTheMaximumNorm() {
        try (var scope = TensorScope.open()) {
            Tensor a = withGrad(G1);
            Tensor b = withGrad(G2.clone());
            Tensor none = Tensor.zeros(3).requiresGrad(true);
            double norm = FusedOptim.clipGradNorm(List.of(a, none, b), 2.0);
            assertEquals(NORM, norm, 1e-14);
            double coef = 2.0 / (NORM + 1e-6);
            References.assertClose("a", scaled(G1, coef), a.grad(), 1e-14);
            References.assertClose("b", scaled(G2, coef), b.grad(), 1e-14);
            assertNull(none.grad(), "parameters without gradient are left out");
            double after = Math.sqrt(a.grad().square().sum().item() + b.grad().square().sum().item());
            assertEquals(2.0 * NORM / (NORM + 1e-6), after, 1e-14);
        }
    }

    @Test
    void smallGradientsAreLeftExactlyAsTheyAre() {
        try (var scope = TensorScope.open()) {
            Tensor a = withGrad(G1);
            Tensor b = withGrad(G2);
            assertEquals(NORM, FusedOptim.clipGradNorm(List.of(a, b), 10), 1e-14);
            assertArrayEquals(G1, a.grad().toDoubleArray());
            assertArrayEquals(G2, b.grad().toDoubleArray());
            // at exactly the norm the coefficient is just below 1 (the 1e-6), so the gradients shrink a hair
            FusedOptim.clipGradNorm(List.of(a, b), NORM);
            References.assertClose("a", scaled(G1, NORM / (NORM + 1e-6)), a.grad(), 1e-14);
        }
    }

    @Test
    void noGradientsGiveNormZero() {
        try (var scope = TensorScope.open()) {
            Tensor p = Tensor.zeros(3).requiresGrad(true);
            assertEquals(0.0, FusedOptim.clipGradNorm(List.of(p), 1));
            assertEquals(0.0, FusedOptim.clipGradNorm(List.of(), 1));
        }
    }
}
