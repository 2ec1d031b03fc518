package org.amdim.nn;

import org.amdim.tensor.NoLeaks;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;

import org.amdim.nn.layers.Conv2d;
import org.amdim.nn.layers.Linear;
import org.amdim.tensor.DType;
import org.amdim.tensor.Device;
import org.amdim.tensor.Tensor;
import org.amdim.tensor.TensorScope;
import org.amdim.tensor.Torch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Initialisers: bounds and moments over large tensors (tolerances of several standard errors), the fan and
 * gain formulas, PyTorch's defaults for conv and linear layers, and reproducibility under
 * {@link Torch#manualSeed(long)}.
 */
@ExtendWith(NoLeaks.class)
class InitTest {
    /** Elements per statistics check: the sample mean's standard error is σ/1000. */
    private static final int ROWS = 1000;
    private static final int COLS = 1000;
    private static final int N = ROWS * COLS;

    /** {min, max, mean, standard deviation}. */
    private static double[] moments(Tensor t) {
        double[] v = t.toDoubleArray();
        double min = Double.POSITIVE_INFINITY;
        double max = Double.NEGATIVE_INFINITY;
        double sum = 0;
        for (double x : v) {
            min = Math.min(min, x);
            max = Math.max(max, x);
            sum += x;
        }
        double mean = sum / v.length;
        double sq = 0;
        for (double x : v) {
            sq += (x - mean) * (x - mean);
        }
        return new double[] {min, max, mean, Math.sqrt(sq / (v.length - 1))};
    }

    /** Checks U(low, high): inside the bounds, reaching close to both, with the uniform's mean and std. */
    private static void assertUniform(Tensor t, double low, double high) {
        double[] m = moments(t);
        double width = high - low;
        // float32 draws may round onto a bound's float32 neighbour
        double slack = t.dtype() == DType.FLOAT32 ? 2 * Math.ulp((float) Math.max(-low, high)) : 0;
        assertTrue(m[0] >= low - slack && m[1] <= high + slack,
                "within [" + low + ", " + high + "]: " + Arrays.toString(m));
        // the extremes of 10^6 draws are within 1e-5·width of the bounds with overwhelming probability
        assertEquals(low, m[0], 1e-4 * width);
        assertEquals(high, m[1], 1e-4 * width);
        double std = width / Math.sqrt(12);
        assertEquals((low + high) / 2, m[2], 5 * std / Math.sqrt(t.numel()));
        // the sample std of a uniform has relative standard error ≈ 0.45/√n; allow 5 of them
        assertEquals(std, m[3], 5 * 0.45 * std / Math.sqrt(t.numel()));
    }

    /** Checks N(mean, std²) by its first two moments (std rel. standard error 1/√(2n), allow 5). */
    private static void assertNormal(Tensor t, double mean, double std) {
        double[] m = moments(t);
        assertEquals(mean, m[2], 5 * std / Math.sqrt(t.numel()));
        assertEquals(std, m[3], 5 * std / Math.sqrt(2.0 * t.numel()));
    }

    @Test
    void fansAndGains() {
        try (var scope = TensorScope.open()) {
            assertArrayEquals(new long[] {3 * 25, 8 * 25}, Init.fans(Tensor.empty(8, 3, 5, 5)));
            assertArrayEquals(new long[] {32, 10}, Init.fans(Tensor.empty(10, 32)));
            assertThrows(IllegalArgumentException.class, () -> Init.fans(Tensor.empty(10)));
            assertEquals(1.0, Init.gain(Init.Nonlinearity.LINEAR, 0));
            assertEquals(Math.sqrt(2), Init.gain(Init.Nonlinearity.RELU, 0));
            assertEquals(Math.sqrt(2.0 / 6), Init.gain(Init.Nonlinearity.LEAKY_RELU, Math.sqrt(5)), 1e-15);
            assertEquals(Math.sqrt(2.0 / 1.0001), Init.gain(Init.Nonlinearity.LEAKY_RELU, 0.01), 1e-15);
            assertEquals(5.0 / 3, Init.gain(Init.Nonlinearity.TANH, 0));
        }
    }

    @Test
    void uniformAndNormal() {
        Torch.manualSeed(100);
        try (var scope = TensorScope.open()) {
            Tensor t = Tensor.empty(ROWS, COLS);
            assertSame(t, Init.uniform(t, -0.5, 2));
            assertUniform(t, -0.5, 2);
            Init.normal(t, 3, 0.25);
            assertNormal(t, 3, 0.25);
            Tensor d = Tensor.empty(DType.FLOAT64, Device.CPU, N);
            Init.uniform(d, 1, 1.5);
            assertUniform(d, 1, 1.5);
            Init.constant(d, 0.75);
            assertEquals(0.75 * N, d.sum().item(), 1e-6);
            Init.zeros(d);
            assertEquals(0, d.abs().max().item());
        }
    }

    @Test
    void kaimingUniformAndNormal() {
        Torch.manualSeed(101);
        try (var scope = TensorScope.open()) {
            // fan_in = 250 · 4 = 1000
            Tensor t = Tensor.empty(1000, 250, 2, 2);
            Init.kaimingUniform(t, 0, Init.Nonlinearity.RELU);
            double bound = Math.sqrt(2) * Math.sqrt(3.0 / 1000);
            assertUniform(t, -bound, bound);
            Init.kaimingUniform(t, 0.2, Init.Nonlinearity.LEAKY_RELU);
            bound = Math.sqrt(2 / 1.04) * Math.sqrt(3.0 / 1000);
            assertUniform(t, -bound, bound);
            Init.kaimingNormal(t, 0, Init.Nonlinearity.RELU);
            assertNormal(t, 0, Math.sqrt(2.0 / 1000));
            Init.kaimingNormal(t, 0, Init.Nonlinearity.TANH);
            assertNormal(t, 0, 5.0 / 3 / Math.sqrt(1000));
        }
    }

    @Test
    void xavierUniformAndNormal() {
        Torch.manualSeed(102);
        try (var scope = TensorScope.open()) {
            // fan_in 600, fan_out 1600
            Tensor t = Tensor.empty(400, 150, 2, 2);
            Init.xavierUniform(t, 1);
            assertUniform(t, -Math.sqrt(6.0 / 2200), Math.sqrt(6.0 / 2200));
            Init.xavierUniform(t, 2);
            assertUniform(t, -2 * Math.sqrt(6.0 / 2200), 2 * Math.sqrt(6.0 / 2200));
            Init.xavierNormal(t, 1.5);
            assertNormal(t, 0, 1.5 * Math.sqrt(2.0 / 2200));
        }
    }

    @Test
    void pytorchDefaultsForLinearAndConv() {
        Torch.manualSeed(103);
        try (Linear lin = new Linear(400, 2500); var scope = TensorScope.open()) {
            // kaiming_uniform(a=√5) is U(±1/√fan_in); the bias shares the bound
            double bound = 1 / Math.sqrt(400);
            assertUniform(lin.weight(), -bound, bound);
            double[] b = moments(lin.bias());
            assertTrue(b[0] >= -bound * (1 + 1e-7) && b[1] <= bound * (1 + 1e-7));
            assertTrue(b[1] - b[0] > 1.9 * bound, "2500 draws spread over the interval");
        }
        try (Conv2d conv = new Conv2d(64, 1024, 3, Conv2d.Options.defaults().withGroups(4))) {
            // fan_in = in/groups · k² = 16 · 9
            double bound = 1 / Math.sqrt(16 * 9);
            assertUniform(conv.weight(), -bound, bound);
            double[] b = moments(conv.bias());
            assertTrue(b[0] >= -bound * (1 + 1e-7) && b[1] <= bound * (1 + 1e-7));
            assertTrue(b[1] - b[0] > 1.9 * bound);
        }
    }

    @Test
    void seededInitialisationIsReproducible() {
        float[][] first = new float[2][];
        float[][] again = new float[2][];
        Torch.manualSeed(7);
        try (Conv2d c = new Conv2d(3, 8, 3); Linear l = new Linear(8, 4)) {
            first[0] = c.weight().toFloatArray();
            first[1] = l.bias().toFloatArray();
        }
        Torch.manualSeed(7);
        try (Conv2d c = new Conv2d(3, 8, 3); Linear l = new Linear(8, 4)) {
            again[0] = c.weight().toFloatArray();
            again[1] = l.bias().toFloatArray();
        }
        assertArrayEquals(first[0], again[0]);
        assertArrayEquals(first[1], again[1]);
        Torch.manualSeed(8);
        try (Conv2d c = new Conv2d(3, 8, 3)) {
            assertFalse(Arrays.equals(first[0], c.weight().toFloatArray()));
        }
    }

    @Test
    void initialisersRecordNoGradientAndKeepTheTensor() {
        try (Linear lin = new Linear(4, 3); var scope = TensorScope.open()) {
            Tensor w = lin.weight();
            Init.xavierNormal(w, 1);
            assertTrue(w.isLeaf() && w.requiresGrad());
            assertSame(w, lin.weight());
            // an empty weight is left alone (PyTorch warns), and its layer's bias becomes 0
            try (Linear empty = new Linear(0, 3)) {
                assertEquals(0, empty.bias().abs().sum().item());
            }
        }
    }
}
