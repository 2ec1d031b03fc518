package org.amdim.nn.optim;

import static org.junit.jupiter.api.Assertions.*;

import java.util.List;

import org.amdim.bindings.TorchException;
import org.amdim.tensor.Closeness;
import org.amdim.tensor.DType;
import org.amdim.tensor.Device;
import org.amdim.tensor.Tensor;
import org.amdim.tensor.TensorScope;
import org.amdim.tensor.Torch;
import org.junit.jupiter.api.Test;

/**
 * {@link Adam.Options#singlePass}: in float32 it stays within float32's rounding of torch.optim's exact update
 * (the float64 formula is checked against the hand computation in {@code OptimizerMathTest}), and parameters the
 * single pass does not take are updated by the exact update, bit for bit.
 */
class AdamSinglePassTest {
    private static final int STEPS = 25;
    /** float32's unit roundoff, 2^-24. */
    private static final double U32 = 0x1p-24;

    private record Trajectory(Tensor p, Tensor m, Tensor v) {
    }

    /** {@code STEPS} updates of a copy of {@code start} with the given gradients; the final parameter and moments. */
    private static Trajectory train(Tensor start, List<Tensor> grads, double lr, double wd, Adam.Options options) {
        Tensor p = start.detach().clone().requiresGrad(true);
        try (Adam adam = new Adam(List.of(p), lr, wd, options)) {
            for (Tensor g : grads) {
                p.setGrad(g.clone());
                adam.step();
            }
            return new Trajectory(p.detach(), adam.expAvg(0).clone(), adam.expAvgSq(0).clone());
        }
    }

    @Test
    void float32StaysWithinItsRoundingOfTheExactUpdate() {
        Torch.manualSeed(31);
        double lr = 1e-2;
        for (Adam.Options o : List.of(Adam.Options.adam(), Adam.Options.adamW(),
                Adam.Options.adam().withBetas(0.8, 0.999).withAmsgrad(true))) {
            for (double wd : new double[] {0, 1e-2}) {
                try (var scope = TensorScope.open()) {
                    Tensor start = Tensor.randn(DType.FLOAT32, Device.CPU, 3000).mul(3);
                    // 3000 elements: spans of both parallel halves and a vector tail of every width.
                    List<Tensor> grads = new java.util.ArrayList<>();
                    for (int t = 0; t < STEPS; t++) {
                        grads.add(Tensor.randn(DType.FLOAT32, Device.CPU, 3000).mul(t < 3 ? 5 : 0.5));
                    }
                    Trajectory exact = train(start, grads, lr, wd, o);
                    Trajectory single = train(start, grads, lr, wd, o.withSinglePass(true));
                    // Per step the two differ only in roundings: the first moment's and second moment's update
                    // (a fused multiply-add there, a multiply and an add here: at most 2u of their terms), the
                    // denominator and the step (a few u of the step, whose size is at most lr·(1−β1)/√(1−β2) ≤
                    // 3.2·lr for these betas), and the parameter's own rounding after the update (u of |p|, once
                    // the two parameters differ in their last bit). Over T steps, with a factor 2 for the
                    // decoupled decay's extra rounding: T·(2u·|p| + 16u·3.2·lr) for p; the moments are blends
                    // that forget, so T·4u of their largest value bounds them.
                    double pBound = STEPS * (2 * U32 * maxAbs(exact.p()) + 16 * U32 * 3.2 * lr);
                    String what = o + " wd " + wd;
                    Closeness.assertWithin(what + " p", single.p(), exact.p(), pBound, 0);
                    Closeness.assertWithin(what + " m", single.m(), exact.m(), STEPS * 4 * U32 * maxAbs(exact.m()), 0);
                    Closeness.assertWithin(what + " v", single.v(), exact.v(), STEPS * 4 * U32 * maxAbs(exact.v()), 0);
                    // ... and the parameters did move by many times that (the check can fail).
                    assertTrue(maxAbs(exact.p().sub(start)) > 100 * pBound, what);
                }
            }
        }
    }

    @Test
    void parametersOutsideTheSinglePassTakeTheExactUpdate() {
        Torch.manualSeed(32);
        try (var scope = TensorScope.open()) {
            // A transposed (non-contiguous) parameter: the single pass leaves it to the exact update.
            Tensor start = Tensor.randn(DType.FLOAT32, Device.CPU, 40, 30).t();
            assertFalse(start.isContiguous());
            List<Tensor> grads = List.of(Tensor.randn(30, 40), Tensor.randn(30, 40), Tensor.randn(30, 40));
            Trajectory exact = train(start.t().contiguous().t(), grads, 1e-2, 0.1, Adam.Options.adam());
            Trajectory single = train(start.t().contiguous().t(), grads, 1e-2, 0.1,
                    Adam.Options.adam().withSinglePass(true));
            assertArrayEquals(exact.p().toDoubleArray(), single.p().toDoubleArray());
            assertArrayEquals(exact.v().toDoubleArray(), single.v().toDoubleArray());
        }
    }

    @Test
    void aGraphThatSavedTheParameterRefusesBackwardAfterTheStepAsWithTheExactUpdate() {
        for (boolean singlePass : new boolean[] {false, true}) {
            try (var scope = TensorScope.open()) {
                Tensor p = Tensor.randn(DType.FLOAT32, Device.CPU, 64).requiresGrad(true);
                Tensor saved = p.mul(p).sum(); // mul saves p for its backward
                p.setGrad(Tensor.randn(64));
                try (Adam adam = new Adam(List.of(p), 1e-2, 0, Adam.Options.adam().withSinglePass(singlePass))) {
                    adam.step();
                }
                TorchException e = assertThrows(TorchException.class, saved::backward, "single pass " + singlePass);
                assertTrue(e.getMessage().contains("inplace"), e.getMessage());
            }
        }
    }

    @Test
    void theOptionSurvivesTheOtherWithers() {
        Adam.Options o = Adam.Options.adam().withSinglePass(true).withBetas(0.8, 0.99).withEps(1e-6).withAmsgrad(true);
        assertTrue(o.singlePass());
        assertFalse(Adam.Options.adam().singlePass());
        assertFalse(Adam.Options.adamW().singlePass());
    }

    private static double maxAbs(Tensor t) {
        return t.abs().max().item();
    }
}
