package org.amdim.tensor;

import static org.junit.jupiter.api.Assertions.*;

import java.util.List;

import org.amdim.tensor.Functional.GridPadding;
import org.amdim.tensor.Functional.Interpolation;
import org.amdim.tensor.Functional.PadMode;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Autograd gradients against central finite differences in float64. */
@ExtendWith(NoLeaks.class)
class GradientCheckTest {
    private static final double EPS = 1e-6;
    private static final double TOL = 1e-6;

    @BeforeEach
    void seed() {
        Torch.manualSeed(42);
    }

    private static Tensor randn(long... shape) {
        return Tensor.randn(DType.FLOAT64, Device.CPU, shape);
    }

    @Test
    void conv2d() {
        try (var scope = TensorScope.open()) {
            GradCheck.check(in -> Functional.conv2d(in.get(0), in.get(1), in.get(2), new long[] {2, 1},
                    new long[] {1, 0}, new long[] {1, 1}, 1), List.of(randn(2, 2, 5, 4), randn(3, 2, 3, 2), randn(3)),
                    EPS, TOL);
        }
    }

    @Test
    void batchNormInTrainingMode() {
        try (var scope = TensorScope.open()) {
            GradCheck.check(in -> Functional.batchNorm(in.get(0), null, null, in.get(1), in.get(2), true, 0.1, 1e-5),
                    List.of(randn(4, 3, 2, 2), randn(3), randn(3)), EPS, 1e-5);
        }
    }

    @Test
    void maxAndAvgPooling() {
        try (var scope = TensorScope.open()) {
            GradCheck.check(in -> Functional.maxPool2d(in.get(0), 2, 2), List.of(randn(1, 2, 4, 4)), EPS, TOL);
            GradCheck.check(in -> Functional.avgPool2d(in.get(0), 3, 1), List.of(randn(1, 2, 4, 4)), EPS, TOL);
        }
    }

    @Test
    void mmLogSoftmaxTanh() {
        try (var scope = TensorScope.open()) {
            GradCheck.check(in -> in.get(0).mm(in.get(1)), List.of(randn(3, 4), randn(4, 2)), EPS, TOL);
            GradCheck.check(in -> in.get(0).logSoftmax(1), List.of(randn(3, 5)), EPS, TOL);
            GradCheck.check(in -> in.get(0).tanh(), List.of(randn(7)), EPS, TOL);
        }
    }

    @Test
    void reflectPad() {
        try (var scope = TensorScope.open()) {
            GradCheck.check(in -> Functional.pad(in.get(0), new long[] {2, 1, 1, 2}, PadMode.REFLECT, 0),
                    List.of(randn(1, 2, 4, 4)), EPS, TOL);
        }
    }

    @Test
    void gridSampleWrtInputAndGrid() {
        try (var scope = TensorScope.open()) {
            Tensor grid = Tensor.rand(DType.FLOAT64, Device.CPU, 1, 3, 3, 2).mul(1.6).sub(0.8);
            GradCheck.check(in -> Functional.gridSample(in.get(0), in.get(1), Interpolation.BILINEAR,
                    GridPadding.ZEROS, false), List.of(randn(1, 2, 4, 4), grid), EPS, 1e-5);
        }
    }

    @Test
    void autogradBasics() {
        try (var scope = TensorScope.open()) {
            Tensor w = Tensor.of(new float[] {1, 2, 3}).requiresGrad(true);
            assertTrue(w.requiresGrad());
            assertTrue(w.isLeaf());
            assertNull(w.grad());
            Tensor y = w.mul(w).sum();
            assertFalse(y.isLeaf());
            y.backward();
            assertArrayEquals(new float[] {2, 4, 6}, w.grad().toFloatArray());
            w.mul(w).sum().backward();
            assertArrayEquals(new float[] {4, 8, 12}, w.grad().toFloatArray(), "gradients accumulate");
            w.zeroGrad();
            assertNull(w.grad());
            w.mul(2).backward(Tensor.of(new float[] {1, 0, -1}));
            assertArrayEquals(new float[] {2, 0, -2}, w.grad().toFloatArray());
            w.setGrad(null);
            assertNull(w.grad());
            try (var ng = Autograd.noGrad()) {
                assertFalse(Autograd.isGradEnabled());
                assertFalse(w.mul(2).requiresGrad());
            }
            assertTrue(Autograd.isGradEnabled());
            assertFalse(w.detach().requiresGrad());
            Tensor z = w.mul(3).sum();
            z.backward(null, true);
            z.backward();
            assertArrayEquals(new float[] {6, 6, 6}, w.grad().toFloatArray(), "retained graph runs twice");
        }
    }
}
