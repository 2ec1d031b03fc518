package org.amdim.model.encoder;

import org.amdim.tensor.NoLeaks;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.amdim.nn.layers.Conv2d;
import org.amdim.tensor.Autograd;
import org.amdim.tensor.Tensor;
import org.amdim.tensor.TensorScope;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The building blocks against plain-Java loops over small inputs. */
@ExtendWith(NoLeaks.class)
class ResidualUnitTest {

    /** Unpadded k×k stride-s convolution of one image (c, h, w) with weight (o, c, k, k), no bias. */
    private static double[][][] conv(double[][][] x, double[][][][] w, int stride) {
        int k = w[0][0].length;
        int side = (x[0].length - k) / stride + 1;
        double[][][] y = new double[w.length][side][side];
        for (int o = 0; o < w.length; o++) {
            for (int i = 0; i < side; i++) {
                for (int j = 0; j < side; j++) {
                    double s = 0;
                    for (int c = 0; c < x.length; c++) {
                        for (int a = 0; a < k; a++) {
                            for (int b = 0; b < k; b++) {
                                s += w[o][c][a][b] * x[c][i * stride + a][j * stride + b];
                            }
                        }
                    }
                    y[o][i][j] = s;
                }
            }
        }
        return y;
    }

    private static double[][][] relu(double[][][] x) {
        double[][][] y = new double[x.length][x[0].length][x[0].length];
        for (int c = 0; c < x.length; c++) {
            for (int i = 0; i < x[0].length; i++) {
                for (int j = 0; j < x[0].length; j++) {
                    y[c][i][j] = Math.max(0, x[c][i][j]);
                }
            }
        }
        return y;
    }

    /** Deterministic, sign-mixed test values. */
    private static double value(int seed) {
        return Math.sin(seed * 0.7 + 0.3) * 1.5;
    }

    private static double[][][] image(int channels, int side, int salt) {
        double[][][] x = new double[channels][side][side];
        for (int c = 0; c < channels; c++) {
            for (int i = 0; i < side; i++) {
                for (int j = 0; j < side; j++) {
                    x[c][i][j] = value(salt + c * 100 + i * 10 + j);
                }
            }
        }
        return x;
    }

    private static double[][][][] weights(int out, int in, int k, int salt) {
        double[][][][] w = new double[out][in][k][k];
        for (int o = 0; o < out; o++) {
            for (int c = 0; c < in; c++) {
                for (int a = 0; a < k; a++) {
                    for (int b = 0; b < k; b++) {
                        w[o][c][a][b] = 0.3 * value(salt + o * 1000 + c * 100 + a * 10 + b);
                    }
                }
            }
        }
        return w;
    }

    private static float[] flat(double[][][]... xs) {
        int n = 0;
        for (double[][][] x : xs) {
            n += x.length * x[0].length * x[0][0].length;
        }
        float[] out = new float[n];
        int p = 0;
        for (double[][][] x : xs) {
            for (double[][] plane : x) {
                for (double[] row : plane) {
                    for (double v : row) {
                        out[p++] = (float) v;
                    }
                }
            }
        }
        return out;
    }

    private static void set(Conv2d conv, double[][][][] w) {
        try (var ng = Autograd.noGrad(); Tensor t = Tensor.of(flat(w), conv.weight().shape())) {
            conv.weight().copy_(t);
        }
    }

    private static void assertNear(float[] expected, float[] actual, double tol) {
        assertEquals(expected.length, actual.length);
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], actual[i], tol, "element " + i);
        }
    }

    @Test
    void downsamplingUnitAddsTheAveragePoolWithZeroChannelsAppended() {
        // unit 2 -> 3 channels, 2x2 window, stride 2, on a 5x5 input (the last row/column is dropped, unpadded)
        double[][][] x = image(2, 5, 1);
        double[][][][] w1 = weights(3, 2, 2, 2);
        double[][][][] w2 = weights(3, 3, 1, 3);
        double[][][] branch = conv(relu(conv(x, w1, 2)), w2, 1);
        double[][][] expected = new double[3][2][2];
        for (int c = 0; c < 3; c++) {
            for (int i = 0; i < 2; i++) {
                for (int j = 0; j < 2; j++) {
                    double pool = c < 2
                            ? (x[c][2 * i][2 * j] + x[c][2 * i][2 * j + 1] + x[c][2 * i + 1][2 * j]
                                    + x[c][2 * i + 1][2 * j + 1]) / 4
                            : 0; // the appended channel
                    expected[c][i][j] = branch[c][i][j] + pool;
                }
            }
        }
        try (ResidualUnit unit = new ResidualUnit(2, 3, 2, 2, false);
                var scope = TensorScope.open()) {
            assertFalse(unit.hasIdentityShortcut());
            set(unit.conv1(), w1);
            set(unit.conv2(), w2);
            Tensor y = unit.forward(Tensor.of(flat(x), 1, 2, 5, 5));
            assertArrayEquals(new long[] {1, 3, 2, 2}, y.shape());
            assertNear(flat(expected), y.toFloatArray(), 1e-5);

            // With AMDIM's init the branch is zero: the unit is its shortcut.
            unit.initWeights(1.0);
            Tensor y0 = unit.forward(Tensor.of(flat(x), 1, 2, 5, 5));
            float[] v = y0.toFloatArray();
            assertEquals((float) ((x[1][2][0] + x[1][2][1] + x[1][3][0] + x[1][3][1]) / 4), v[4 + 2], 1e-6);
            for (int p = 8; p < 12; p++) {
                assertEquals(0f, v[p], "appended channels are zero");
            }
        }
    }

    @Test
    void identityUnitAddsItsInputUnchanged() {
        double[][][] x = image(3, 4, 5);
        double[][][][] w1 = weights(3, 3, 1, 6);
        double[][][][] w2 = weights(3, 3, 1, 7);
        double[][][] branch = conv(relu(conv(x, w1, 1)), w2, 1);
        double[][][] expected = new double[3][4][4];
        for (int c = 0; c < 3; c++) {
            for (int i = 0; i < 4; i++) {
                for (int j = 0; j < 4; j++) {
                    expected[c][i][j] = branch[c][i][j] + x[c][i][j];
                }
            }
        }
        try (ResidualUnit unit = new ResidualUnit(3, 3, 1, 1, false);
                var scope = TensorScope.open()) {
            assertTrue(unit.hasIdentityShortcut());
            set(unit.conv1(), w1);
            set(unit.conv2(), w2);
            Tensor input = Tensor.of(flat(x), 1, 3, 4, 4);
            assertNear(flat(expected), unit.forward(input).toFloatArray(), 1e-5);
            unit.initWeights(1.0);
            assertArrayEquals(input.toFloatArray(), unit.forward(input).toFloatArray(), 0f);
            assertArrayEquals(flat(x), input.toFloatArray(), 0f, "the input is not modified in place");
        }
    }

    @Test
    void unitsCannotShrinkChannels() {
        var e = assertThrows(IllegalArgumentException.class, () -> new ResidualUnit(4, 3, 1, 1, false));
        assertTrue(e.getMessage().contains("cannot shrink"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new ResidualBlock(2, 2, 1, 1, 0, false));
    }

    @Test
    void convUnitReflectPadsThenConvolvesWithBiasAndRectifies() {
        // 1 -> 1 channel, 3x3 kernel of ones, stride 2, reflect padding 1 on a 3x3 input: 2x2 output
        double[][] x = {{1, -2, 3}, {-4, 5, -6}, {7, -8, 9}};
        double[][] padded = new double[5][5];
        for (int i = 0; i < 5; i++) {
            for (int j = 0; j < 5; j++) {
                int r = Math.abs(i - 1) - 2 * Math.max(0, i - 3);
                int c = Math.abs(j - 1) - 2 * Math.max(0, j - 3);
                padded[i][j] = x[r][c];
            }
        }
        float[] expected = new float[4];
        for (int i = 0; i < 2; i++) {
            for (int j = 0; j < 2; j++) {
                double s = -0.5;
                for (int a = 0; a < 3; a++) {
                    for (int b = 0; b < 3; b++) {
                        s += padded[2 * i + a][2 * j + b];
                    }
                }
                expected[i * 2 + j] = (float) Math.max(0, s);
            }
        }
        try (ConvUnit unit = new ConvUnit(1, 1, 3, 2, 1); var scope = TensorScope.open()) {
            try (var ng = Autograd.noGrad()) {
                unit.conv().weight().fill_(1);
                unit.conv().bias().fill_(-0.5);
            }
            Tensor y = unit.forward(Tensor.of(new float[] {1, -2, 3, -4, 5, -6, 7, -8, 9}, 1, 1, 3, 3));
            assertNear(expected, y.toFloatArray(), 1e-6);
        }
    }

    @Test
    void headInEvalModeIsItsShortcutOverTheOutputBatchNorm() {
        // With conv2 = 0 and default running statistics, eval mode gives shortcut(x) / sqrt(1 + eps).
        try (EmbeddingHead head = new EmbeddingHead(2, 3, false); var scope = TensorScope.open()) {
            head.initWeights(1.0);
            head.eval();
            float[] x = {1, 2, 3, 4, -1, -2, -3, -4};
            Tensor y = head.forward(Tensor.of(x, 1, 2, 2, 2));
            float[] w = head.shortcut().weight().toFloatArray();
            float[] b = head.shortcut().bias().toFloatArray();
            float[] expected = new float[12];
            for (int o = 0; o < 3; o++) {
                for (int p = 0; p < 4; p++) {
                    double s = b[o] + w[o * 2] * x[p] + w[o * 2 + 1] * x[4 + p];
                    expected[o * 4 + p] = (float) (s / Math.sqrt(1 + 1e-5));
                }
            }
            assertNear(expected, y.toFloatArray(), 1e-5);
        }
    }
}
