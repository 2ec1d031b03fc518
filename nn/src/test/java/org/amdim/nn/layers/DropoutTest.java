package org.amdim.nn.layers;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.amdim.tensor.NoLeaks;
import org.amdim.tensor.DType;
import org.amdim.tensor.Device;
import org.amdim.tensor.Tensor;
import org.amdim.tensor.TensorScope;
import org.amdim.tensor.Torch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Dropout in training (random zeros, survivors scaled by 1/(1−p), matching backward) and evaluation (identity). */
@ExtendWith(NoLeaks.class)
class DropoutTest {
    private static final int N = 200_000;

    @Test
    void trainingDropsAFractionPAndScalesTheRest() {
        double p = 0.3;
        try (var scope = TensorScope.open(); var drop = new Dropout(p)) {
            Torch.manualSeed(1);
            Tensor x = Tensor.rand(DType.FLOAT64, Device.CPU, N).add(0.5).requiresGrad(true);
            Tensor y = drop.forward(x);
            Tensor w = Tensor.randn(DType.FLOAT64, Device.CPU, N);
            y.mul(w).sum().backward();
            double[] in = x.toDoubleArray();
            double[] out = y.toDoubleArray();
            double[] weights = w.toDoubleArray();
            double[] grad = x.grad().toDoubleArray();
            int zeros = 0;
            for (int i = 0; i < N; i++) {
                if (out[i] == 0) {
                    zeros++;
                    assertEquals(0, grad[i], 0.0, "dropped elements get no gradient");
                } else {
                    assertEquals(in[i] / (1 - p), out[i], 1e-12 * out[i]);
                    assertEquals(weights[i] / (1 - p), grad[i], 1e-12 * Math.abs(grad[i]));
                }
            }
            // binomial: standard deviation √(N p (1−p)) ≈ 205 elements, allow 5σ
            assertEquals(p * N, zeros, 5 * Math.sqrt(N * p * (1 - p)));
        }
    }

    @Test
    void masksFollowTheSeed() {
        try (var scope = TensorScope.open(); var drop = new Dropout(0.5)) {
            Tensor x = Tensor.ones(1000);
            Torch.manualSeed(9);
            float[] a = drop.forward(x).toFloatArray();
            Torch.manualSeed(9);
            float[] b = drop.forward(x).toFloatArray();
            float[] c = drop.forward(x).toFloatArray();
            assertArrayEquals(a, b);
            assertFalse(java.util.Arrays.equals(a, c));
        }
    }

    @Test
    void evaluationIsTheIdentityOnANewHandle() {
        try (var scope = TensorScope.open(); var drop = new Dropout(0.5)) {
            drop.eval();
            Tensor x = Tensor.randn(50);
            Tensor y = drop.forward(x);
            assertArrayEquals(x.toFloatArray(), y.toFloatArray());
            y.close();
            assertEquals(50, x.numel(), "closing the output must not close the input");
        }
    }

    @Test
    void probabilityZeroAndOne() {
        try (var scope = TensorScope.open(); var none = new Dropout(0); var all = new Dropout(1)) {
            Tensor x = Tensor.randn(100);
            assertArrayEquals(x.toFloatArray(), none.forward(x).toFloatArray());
            assertArrayEquals(new float[100], all.forward(x).toFloatArray(), 0f);
            all.eval();
            assertArrayEquals(x.toFloatArray(), all.forward(x).toFloatArray());
        }
    }

    @Test
    void containersSwitchDropoutWithTrainAndEval() {
        try (var scope = TensorScope.open(); var seq = new Sequential(new Dropout(0.9), new Identity())) {
            Tensor x = Tensor.ones(1000);
            Torch.manualSeed(2);
            assertNotEquals(1000.0, seq.forward(x).sum().item());
            seq.eval();
            assertEquals(1000.0, seq.forward(x).sum().item());
            seq.train();
            assertNotEquals(1000.0, seq.forward(x).sum().item());
        }
    }

    @Test
    void probabilityOutsideTheUnitIntervalIsRejected() {
        assertThrows(IllegalArgumentException.class, () -> new Dropout(-0.1));
        assertThrows(IllegalArgumentException.class, () -> new Dropout(1.1));
        assertThrows(IllegalArgumentException.class, () -> new Dropout(Double.NaN));
    }
}
