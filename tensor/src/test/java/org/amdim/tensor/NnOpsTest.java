package org.amdim.tensor;

import static org.junit.jupiter.api.Assertions.*;

import org.amdim.tensor.Functional.GridPadding;
import org.amdim.tensor.Functional.Interpolation;
import org.amdim.tensor.Functional.PadMode;
import org.amdim.tensor.Functional.Reduction;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Neural-network functions against values computed by hand. */
@ExtendWith(NoLeaks.class)
class NnOpsTest {

    @Test
    void conv2dMatchesHandComputedSums() {
        try (var scope = TensorScope.open()) {
            // 1x1x3x3 input 1..9, 2x2 kernel of ones: each output is the sum of a 2x2 window.
            Tensor x = Tensor.arange(1, 10, 1, DType.FLOAT32, Device.CPU).reshape(1, 1, 3, 3);
            Tensor w = Tensor.ones(1, 1, 2, 2);
            assertArrayEquals(new float[] {12, 16, 24, 28}, Functional.conv2d(x, w, null, 1, 0).toFloatArray());
            Tensor bias = Tensor.of(new float[] {1});
            assertArrayEquals(new float[] {13, 17, 25, 29}, Functional.conv2d(x, w, bias, 1, 0).toFloatArray());
            // padding 1, stride 2: corners of the zero-padded 5x5.
            assertArrayEquals(new float[] {1, 5, 11, 28},
                    Functional.conv2d(x, w, null, new long[] {2, 2}, new long[] {1, 1}, new long[] {1, 1}, 1)
                            .toFloatArray());
            // dilation 2 with a 2x2 kernel touches the four corners: 1 + 3 + 7 + 9.
            assertArrayEquals(new float[] {20},
                    Functional.conv2d(x, w, null, new long[] {1, 1}, new long[] {0, 0}, new long[] {2, 2}, 1)
                            .toFloatArray());
            // groups 2: each output channel sees its own input channel.
            Tensor x2 = Tensor.cat(java.util.List.of(x, x.mul(10)), 1);
            Tensor w2 = Tensor.ones(2, 1, 3, 3);
            assertArrayEquals(new float[] {45, 450},
                    Functional.conv2d(x2, w2, null, new long[] {1, 1}, new long[] {0, 0}, new long[] {1, 1}, 2)
                            .toFloatArray());
        }
    }

    @Test
    void batchNormTrainingUsesBiasedVarianceAndUpdatesRunningStatsUnbiased() {
        try (var scope = TensorScope.open()) {
            Tensor x = Tensor.of(new float[] {1, 3, 5, 7}, 4, 1); // mean 4, biased var 5, unbiased 20/3
            Tensor rm = Tensor.zeros(1);
            Tensor rv = Tensor.ones(1);
            Tensor y = Functional.batchNorm(x, rm, rv, Tensor.ones(1), Tensor.zeros(1), true, 0.1, 1e-5);
            double s = Math.sqrt(5 + 1e-5);
            assertArrayEquals(new float[] {(float) (-3 / s), (float) (-1 / s), (float) (1 / s), (float) (3 / s)},
                    y.toFloatArray(), 1e-6f);
            assertEquals(0.4, rm.item(), 1e-6);
            assertEquals(0.9 + 0.1 * 20.0 / 3, rv.item(), 1e-6);
            Tensor e = Functional.batchNorm(x, rm, rv, null, null, false, 0.1, 1e-5);
            assertEquals((1 - 0.4) / Math.sqrt(rv.item() + 1e-5), e.toFloatArray()[0], 1e-6);
        }
    }

    @Test
    void poolingAndPadding() {
        try (var scope = TensorScope.open()) {
            Tensor x = Tensor.arange(1, 17, 1, DType.FLOAT32, Device.CPU).reshape(1, 1, 4, 4);
            assertArrayEquals(new float[] {6, 8, 14, 16}, Functional.maxPool2d(x, 2, 2).toFloatArray());
            assertArrayEquals(new float[] {3.5f, 5.5f, 11.5f, 13.5f}, Functional.avgPool2d(x, 2, 2).toFloatArray());
            assertArrayEquals(new float[] {8.5f}, Functional.adaptiveAvgPool2d(x, 1, 1).toFloatArray());
            Tensor r = Tensor.of(new float[] {1, 2, 3}, 1, 1, 1, 3);
            assertArrayEquals(new float[] {3, 2, 1, 2, 3, 2, 1},
                    Functional.pad(r, new long[] {2, 2, 0, 0}, PadMode.REFLECT, 0).toFloatArray());
            assertArrayEquals(new float[] {9, 1, 2, 3, 9},
                    Functional.pad(r, new long[] {1, 1}, PadMode.CONSTANT, 9).toFloatArray());
            assertArrayEquals(new float[] {1, 1, 2, 3, 3},
                    Functional.pad(r, new long[] {1, 1, 0, 0}, PadMode.REPLICATE, 0).toFloatArray());
        }
    }

    @Test
    void softmaxAndCrossEntropy() {
        try (var scope = TensorScope.open()) {
            Tensor logits = Tensor.of(new float[] {1, 2, 3, 1, 1, 1}, 2, 3);
            double z = Math.exp(1) + Math.exp(2) + Math.exp(3);
            float[] sm = logits.softmax(1).toFloatArray();
            assertEquals(Math.exp(3) / z, sm[2], 1e-6);
            assertEquals(1.0 / 3, sm[4], 1e-6);
            assertEquals(Math.log(Math.exp(1) / z), logits.logSoftmax(1).toFloatArray()[0], 1e-6);
            Tensor target = Tensor.of(new long[] {2, 0});
            double expected = (-Math.log(Math.exp(3) / z) + Math.log(3)) / 2;
            assertEquals(expected, Functional.crossEntropy(logits, target).item(), 1e-6);
            // ignore index: only the first row counts.
            Tensor ignoring = Tensor.of(new long[] {2, -1});
            assertEquals(-Math.log(Math.exp(3) / z),
                    Functional.crossEntropy(logits, ignoring, Reduction.MEAN, -1).item(), 1e-6);
            assertArrayEquals(new long[] {2}, Functional.crossEntropy(logits, target, Reduction.NONE, -100).shape());
            assertEquals(2.5, Functional.mseLoss(Tensor.of(new float[] {1, 2}), Tensor.of(new float[] {2, 4}),
                    Reduction.MEAN).item(), 1e-6);
        }
    }

    @Test
    void dropoutScalesSurvivorsAndIsIdentityInEval() {
        try (var scope = TensorScope.open()) {
            Tensor x = Tensor.ones(10000);
            float[] y = Functional.dropout(x, 0.25, true).toFloatArray();
            int zeros = 0;
            for (float v : y) {
                if (v == 0) {
                    zeros++;
                } else {
                    assertEquals(1 / 0.75f, v, 1e-6f);
                }
            }
            assertEquals(0.25, zeros / 10000.0, 0.03);
            assertArrayEquals(x.toFloatArray(), Functional.dropout(x, 0.25, false).toFloatArray());
        }
    }

    @Test
    void affineGridAndGridSampleDoTranslationAndFlip() {
        try (var scope = TensorScope.open()) {
            Tensor img = Tensor.arange(1, 10, 1, DType.FLOAT32, Device.CPU).reshape(1, 1, 3, 3);
            // horizontal flip: x -> -x
            Tensor flip = Tensor.of(new float[] {-1, 0, 0, 0, 1, 0}, 1, 2, 3);
            Tensor grid = Functional.affineGrid(flip, new long[] {1, 1, 3, 3}, false);
            assertArrayEquals(new long[] {1, 3, 3, 2}, grid.shape());
            Tensor out = Functional.gridSample(img, grid, Interpolation.BILINEAR, GridPadding.ZEROS, false);
            assertArrayEquals(new float[] {3, 2, 1, 6, 5, 4, 9, 8, 7}, out.toFloatArray(), 1e-5f);
            // identity with nearest sampling
            Tensor id = Tensor.of(new float[] {1, 0, 0, 0, 1, 0}, 1, 2, 3);
            Tensor same = Functional.gridSample(img, Functional.affineGrid(id, new long[] {1, 1, 3, 3}, false),
                    Interpolation.NEAREST, GridPadding.BORDER, false);
            assertArrayEquals(img.toFloatArray(), same.toFloatArray(), 1e-6f);
            // resize 3x3 -> 6x6 keeps the mean for bilinear with align_corners=false (edge-replicated)
            Tensor up = Functional.interpolate(img, 6, 6, Interpolation.BILINEAR, false);
            assertArrayEquals(new long[] {1, 1, 6, 6}, up.shape());
            assertEquals(5, up.mean().item(), 1e-5);
            assertEquals(DType.INT64, Functional.oneHot(Tensor.of(new long[] {0, 2}), 3).dtype());
            assertArrayEquals(new long[] {1, 0, 0, 0, 0, 1},
                    Functional.oneHot(Tensor.of(new long[] {0, 2}), 3).toLongArray());
        }
    }
}
