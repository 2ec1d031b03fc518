package org.amdim.nn.layers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;

import org.amdim.tensor.NoLeaks;
import org.amdim.nn.References;
import org.amdim.tensor.Autograd;
import org.amdim.tensor.DType;
import org.amdim.tensor.Tensor;
import org.amdim.tensor.TensorScope;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Batch norm's train and eval behaviour against hand computations: batch statistics with the biased variance,
 * running statistics updated with the unbiased variance and the momentum, {@code num_batches_tracked}, the
 * cumulative average for momentum None, and the affine / track_running_stats switches.
 */
@ExtendWith(NoLeaks.class)
class BatchNormTest {
    private static final double EPS = 1e-5;
    private static final double TOL = 1e-12;

    /** Per-channel statistics of a row-major (N, C, rest) array: {mean, biased var, unbiased var}. */
    private static double[][] stats(double[] x, int n, int c, int rest) {
        double[][] out = new double[3][c];
        int count = n * rest;
        for (int ch = 0; ch < c; ch++) {
            double sum = 0;
            for (int i = 0; i < n; i++) {
                for (int r = 0; r < rest; r++) {
                    sum += x[(i * c + ch) * rest + r];
                }
            }
            double mean = sum / count;
            double sq = 0;
            for (int i = 0; i < n; i++) {
                for (int r = 0; r < rest; r++) {
                    double d = x[(i * c + ch) * rest + r] - mean;
                    sq += d * d;
                }
            }
            out[0][ch] = mean;
            out[1][ch] = sq / count;
            out[2][ch] = sq / (count - 1);
        }
        return out;
    }

    private static double[] normalise(double[] x, int n, int c, int rest, double[] mean, double[] var,
            double[] w, double[] b) {
        double[] y = new double[x.length];
        for (int i = 0; i < n; i++) {
            for (int ch = 0; ch < c; ch++) {
                for (int r = 0; r < rest; r++) {
                    int k = (i * c + ch) * rest + r;
                    double v = (x[k] - mean[ch]) / Math.sqrt(var[ch] + EPS);
                    y[k] = w == null ? v : v * w[ch] + b[ch];
                }
            }
        }
        return y;
    }

    private static double[] blend(double[] running, double[] batch, double m) {
        double[] out = new double[running.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = (1 - m) * running[i] + m * batch[i];
        }
        return out;
    }

    private static void setAffine(BatchNorm bn, double[] w, double[] b) {
        bn.loadStateDict(Map.of("weight", Tensor.of(w), "bias", Tensor.of(b)), false);
    }

    private static final double[] X1 = {1, -2, 0.5, 3, 4, -1, -1, 0, 2.5, 0.25, 7, 1};
    private static final double[] X2 = {2, 2, -3, 0, 1, 5, 4, -4, 1, 1.5, 0, 0.5};
    private static final double[] X3 = {-1, 3, 3, 2, -2, 0, 0.5, 1, -1, 5, 6, -2};

    @Test
    void batchNorm1dTrainingUsesBatchStatisticsAndUpdatesRunningOnes() {
        try (var scope = TensorScope.open(); var bn = new BatchNorm1d(3)) {
            bn.to(DType.FLOAT64);
            double[] w = {1.5, -0.5, 2};
            double[] b = {0.1, 0.2, -0.3};
            setAffine(bn, w, b);
            double[] rm = {0, 0, 0};
            double[] rv = {1, 1, 1};
            int step = 0;
            for (double[] x : List.of(X1, X2)) {
                double[][] s = stats(x, 4, 3, 1);
                Tensor y = bn.forward(Tensor.of(x, 4, 3));
                References.assertClose("output", normalise(x, 4, 3, 1, s[0], s[1], w, b), y, TOL);
                rm = blend(rm, s[0], 0.1);
                rv = blend(rv, s[2], 0.1);
                step++;
                Map<String, Tensor> st = bn.stateDict();
                References.assertClose("running_mean", rm, st.get("running_mean"), TOL);
                References.assertClose("running_var (unbiased)", rv, st.get("running_var"), TOL);
                assertEquals(DType.INT64, st.get("num_batches_tracked").dtype());
                assertEquals(0, st.get("num_batches_tracked").dim());
                assertEquals(step, st.get("num_batches_tracked").itemLong());
            }
        }
    }

    @Test
    void batchNorm2dNormalisesOverBatchAndSpace() {
        try (var scope = TensorScope.open(); var bn = new BatchNorm2d(3)) {
            bn.to(DType.FLOAT64);
            double[] w = {0.5, 1, -2};
            double[] b = {1, 0, 0.5};
            setAffine(bn, w, b);
            double[] x = new double[2 * 3 * 2 * 2];
            for (int i = 0; i < x.length; i++) {
                x[i] = Math.sin(1.7 * i) * (1 + i % 5);
            }
            double[][] s = stats(x, 2, 3, 4);
            Tensor y = bn.forward(Tensor.of(x, 2, 3, 2, 2));
            References.assertClose("output", normalise(x, 2, 3, 4, s[0], s[1], w, b), y, TOL);
            // n = N·H·W = 8 for the unbiased variance
            References.assertClose("running_mean", blend(new double[] {0, 0, 0}, s[0], 0.1),
                    bn.stateDict().get("running_mean"), TOL);
            References.assertClose("running_var", blend(new double[] {1, 1, 1}, s[2], 0.1),
                    bn.stateDict().get("running_var"), TOL);
        }
    }

    @Test
    void float32MatchesTheSameHandComputation() {
        try (var scope = TensorScope.open(); var bn = new BatchNorm1d(3)) {
            double[][] s = stats(X1, 4, 3, 1);
            Tensor y = bn.forward(Tensor.of(X1, 4, 3).to(DType.FLOAT32));
            assertEquals(DType.FLOAT32, y.dtype());
            References.assertClose("output", normalise(X1, 4, 3, 1, s[0], s[1], null, null), y, 1e-6);
            References.assertClose("running_var", blend(new double[] {1, 1, 1}, s[2], 0.1),
                    bn.stateDict().get("running_var"), 1e-6);
        }
    }

    @Test
    void evaluationUsesRunningStatisticsAndChangesNothing() {
        try (var scope = TensorScope.open(); var bn = new BatchNorm1d(3)) {
            bn.to(DType.FLOAT64);
            double[] w = {1.5, -0.5, 2};
            double[] b = {0.1, 0.2, -0.3};
            setAffine(bn, w, b);
            bn.forward(Tensor.of(X1, 4, 3));
            double[] rm = bn.stateDict().get("running_mean").toDoubleArray();
            double[] rv = bn.stateDict().get("running_var").toDoubleArray();
            bn.eval();
            Tensor y = bn.forward(Tensor.of(X2, 4, 3));
            References.assertClose("eval output", normalise(X2, 4, 3, 1, rm, rv, w, b), y, TOL);
            References.assertClose("running_mean", rm, bn.stateDict().get("running_mean"), 0);
            References.assertClose("running_var", rv, bn.stateDict().get("running_var"), 0);
            assertEquals(1, bn.stateDict().get("num_batches_tracked").itemLong());
            // a single sample is fine in evaluation
            assertEquals(3, bn.forward(Tensor.of(new double[] {1, 2, 3}, 1, 3)).numel());
        }
    }

    @Test
    void otherMomentumBlendsWithIt() {
        try (var scope = TensorScope.open();
                var bn = new BatchNorm1d(3, new BatchNorm.Options(1e-5, 0.3, true, true))) {
            bn.to(DType.FLOAT64);
            bn.forward(Tensor.of(X1, 4, 3));
            bn.forward(Tensor.of(X2, 4, 3));
            double[] rm = blend(blend(new double[3], stats(X1, 4, 3, 1)[0], 0.3), stats(X2, 4, 3, 1)[0], 0.3);
            double[] rv = blend(blend(new double[] {1, 1, 1}, stats(X1, 4, 3, 1)[2], 0.3), stats(X2, 4, 3, 1)[2],
                    0.3);
            References.assertClose("running_mean", rm, bn.stateDict().get("running_mean"), TOL);
            References.assertClose("running_var", rv, bn.stateDict().get("running_var"), TOL);
        }
    }

    @Test
    void momentumNoneKeepsTheCumulativeAverage() {
        try (var scope = TensorScope.open();
                var bn = new BatchNorm1d(3, new BatchNorm.Options(1e-5, null, true, true))) {
            bn.to(DType.FLOAT64);
            double[] mean = new double[3];
            double[] var = new double[3];
            List<double[]> batches = List.of(X1, X2, X3);
            for (double[] x : batches) {
                bn.forward(Tensor.of(x, 4, 3));
                double[][] s = stats(x, 4, 3, 1);
                for (int c = 0; c < 3; c++) {
                    mean[c] += s[0][c] / batches.size();
                    var[c] += s[2][c] / batches.size();
                }
            }
            // factor 1/num_batches_tracked: the first batch replaces the initial 0 / 1 entirely
            References.assertClose("running_mean", mean, bn.stateDict().get("running_mean"), TOL);
            References.assertClose("running_var", var, bn.stateDict().get("running_var"), TOL);
            assertEquals(3, bn.stateDict().get("num_batches_tracked").itemLong());
            assertTrue(bn.toString().contains("momentum=None"), bn.toString());
        }
    }

    @Test
    void withoutRunningStatisticsEvaluationStillUsesTheBatch() {
        try (var scope = TensorScope.open();
                var bn = new BatchNorm1d(3, new BatchNorm.Options(1e-5, 0.1, true, false))) {
            bn.to(DType.FLOAT64);
            assertEquals(List.of("weight", "bias"), List.copyOf(bn.stateDict().keySet()));
            assertTrue(bn.namedBuffers().isEmpty());
            double[][] s = stats(X1, 4, 3, 1);
            double[] expected = normalise(X1, 4, 3, 1, s[0], s[1], new double[] {1, 1, 1}, new double[3]);
            References.assertClose("train", expected, bn.forward(Tensor.of(X1, 4, 3)), TOL);
            bn.eval();
            References.assertClose("eval", expected, bn.forward(Tensor.of(X1, 4, 3)), TOL);
            // batch statistics need more than one value per channel, in evaluation too
            assertThrows(IllegalArgumentException.class, () -> bn.forward(Tensor.of(new double[] {1, 2, 3}, 1, 3)));
        }
    }

    @Test
    void withoutAffineThereAreNoParameters() {
        try (var scope = TensorScope.open();
                var bn = new BatchNorm2d(3, new BatchNorm.Options(1e-5, 0.1, false, true))) {
            bn.to(DType.FLOAT64);
            assertTrue(bn.namedParameters().isEmpty());
            assertEquals(List.of("running_mean", "running_var", "num_batches_tracked"),
                    List.copyOf(bn.stateDict().keySet()));
            assertEquals(0, bn.parameterCount());
            double[] x = new double[3 * 3 * 2 * 1];
            for (int i = 0; i < x.length; i++) {
                x[i] = Math.cos(0.9 * i) * (2 + i % 3);
            }
            double[][] s = stats(x, 3, 3, 2);
            References.assertClose("output", normalise(x, 3, 3, 2, s[0], s[1], null, null),
                    bn.forward(Tensor.of(x, 3, 3, 2, 1)), TOL);
        }
    }

    @Test
    void trainingOnOneValuePerChannelIsRefusedWithoutSideEffects() {
        try (var scope = TensorScope.open(); var bn1 = new BatchNorm1d(3); var bn2 = new BatchNorm2d(3)) {
            var e = assertThrows(IllegalArgumentException.class, () -> bn1.forward(Tensor.zeros(1, 3)));
            assertTrue(e.getMessage().contains("more than 1 value per channel"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> bn2.forward(Tensor.zeros(1, 3, 1, 1)));
            assertEquals(0, bn1.stateDict().get("num_batches_tracked").itemLong());
            References.assertClose("running_var", new double[] {1, 1, 1}, bn1.stateDict().get("running_var"), 0);
            // (N, C, L) with N = 1 but L > 1 is fine
            bn1.forward(Tensor.randn(1, 3, 4));
            assertEquals(1, bn1.stateDict().get("num_batches_tracked").itemLong());
        }
    }

    @Test
    void inputRankIsChecked() {
        try (var scope = TensorScope.open(); var bn1 = new BatchNorm1d(3); var bn2 = new BatchNorm2d(3)) {
            assertThrows(IllegalArgumentException.class, () -> bn1.forward(Tensor.zeros(2, 3, 2, 2)));
            assertThrows(IllegalArgumentException.class, () -> bn1.forward(Tensor.zeros(3)));
            assertThrows(IllegalArgumentException.class, () -> bn2.forward(Tensor.zeros(2, 3)));
        }
    }

    @Test
    void runningStatisticsDoNotTrackGradients() {
        try (var scope = TensorScope.open(); var bn = new BatchNorm1d(3)) {
            Tensor x = Tensor.randn(4, 3).requiresGrad(true);
            bn.forward(x).sum().backward();
            for (Tensor buffer : bn.namedBuffers().values()) {
                assertFalse(buffer.requiresGrad());
            }
            try (var ng = Autograd.noGrad()) {
                assertEquals(1, bn.stateDict().get("num_batches_tracked").itemLong());
            }
        }
    }
}
