package org.amdim.data.synthetic;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** Determinism, balance and class separability of the synthetic dataset. */
class SyntheticShapesDatasetTest {

    private static final SyntheticShapesDataset.Options OPTIONS = SyntheticShapesDataset.Options.DEFAULT.withSize(1000);

    @Test
    void imagesDependOnlyOnSeedAndIndex() {
        SyntheticShapesDataset a = new SyntheticShapesDataset(OPTIONS);
        SyntheticShapesDataset b = new SyntheticShapesDataset(OPTIONS);
        byte[][] sequential = new byte[50][3072];
        for (int i = 0; i < 50; i++) {
            a.readImage(i, sequential[i]);
        }
        byte[][] parallel = new byte[50][3072];
        IntStream.range(0, 50).parallel().map(i -> 49 - i).forEach(i -> b.readImage(i, parallel[i]));
        for (int i = 0; i < 50; i++) {
            assertArrayEquals(sequential[i], parallel[i], "image " + i);
        }
        byte[] other = new byte[3072];
        new SyntheticShapesDataset(OPTIONS.withSeed(1)).readImage(7, other);
        assertFalse(Arrays.equals(sequential[7], other), "another seed draws other images");
        assertFalse(Arrays.equals(sequential[7], sequential[17]), "same class, other image");
    }

    @Test
    void anySizeWorks() {
        for (int side : new int[] {8, 32, 64, 96}) {
            SyntheticShapesDataset d = new SyntheticShapesDataset(OPTIONS.withImageSize(side));
            byte[] img = new byte[side * side * 3];
            d.readImage(3, img);
            assertEquals(side, d.height());
        }
        SyntheticShapesDataset wide = new SyntheticShapesDataset(new SyntheticShapesDataset.Options(10, 20, 50, 0));
        wide.readImage(9, new byte[20 * 50 * 3]);
    }

    @Test
    void labelsAreBalanced() {
        int[] counts = new int[10];
        SyntheticShapesDataset d = new SyntheticShapesDataset(OPTIONS.withSize(1003));
        for (int i = 0; i < d.size(); i++) {
            counts[d.label(i)]++;
        }
        assertArrayEquals(new int[] {101, 101, 101, 100, 100, 100, 100, 100, 100, 100}, counts);
        assertEquals("striped triangle", SyntheticShapesDataset.className(5));
    }

    /** Rotation-invariant shape and texture features, computed from the coverage mask and the image. */
    private static double[] features(SyntheticShapesDataset d, int index) {
        int h = d.height();
        int w = d.width();
        byte[] mask = new byte[h * w];
        byte[] img = new byte[h * w * 3];
        d.coverage(index, mask);
        d.readImage(index, img);
        double area = 0;
        int boundary = 0;
        for (byte m : mask) {
            area += m / 4.0;
            boundary += m > 0 && m < 4 ? 1 : 0;
        }
        // Solid shapes have a perfectly uniform interior; stripes make neighbouring pixels differ.
        int varying = 0;
        for (int y = 1; y < h - 1; y++) {
            for (int x = 1; x < w - 2; x++) {
                int i = y * w + x;
                if (mask[i] == 4 && mask[i + 1] == 4 && mask[i - w] == 4 && mask[i + w] == 4) {
                    int o = i * 3;
                    varying += img[o] != img[o + 3] || img[o + 1] != img[o + 4] || img[o + 2] != img[o + 5] ? 1 : 0;
                }
            }
        }
        return new double[] {boundary * (double) boundary / area, varying};
    }

    private static double[] meanColour(SyntheticShapesDataset d, int index) {
        byte[] img = new byte[d.height() * d.width() * 3];
        d.readImage(index, img);
        double[] m = new double[3];
        for (int i = 0; i < img.length; i++) {
            m[i % 3] += img[i] & 0xFF;
        }
        for (int c = 0; c < 3; c++) {
            m[c] /= img.length / 3.0;
        }
        return m;
    }

    @Test
    void texturesSeparateSolidFromStriped() {
        SyntheticShapesDataset d = new SyntheticShapesDataset(OPTIONS.withSize(400));
        int stripedWithTexture = 0;
        for (int i = 0; i < d.size(); i++) {
            double varying = features(d, i)[1];
            if (d.label(i) % 2 == 0) {
                assertEquals(0.0, varying, "solid shape " + i + " has a uniform interior");
            } else {
                stripedWithTexture += varying > 0 ? 1 : 0;
            }
        }
        assertTrue(stripedWithTexture >= 190, "striped images with visible stripes: " + stripedWithTexture + " of 200");
    }

    @Test
    void shapesDifferInCompactness() {
        // boundary² / area grows from disk to square, triangle, cross and ring.
        SyntheticShapesDataset d = new SyntheticShapesDataset(OPTIONS.withSize(500));
        double[] mean = new double[5];
        for (int i = 0; i < d.size(); i++) {
            mean[d.label(i) / 2] += features(d, i)[0] / 100.0;
        }
        int[] order = {0, 1, 2, 4, 3}; // disk, square, triangle, cross, ring
        for (int k = 1; k < order.length; k++) {
            assertTrue(mean[order[k]] > mean[order[k - 1]] + 1.0, Arrays.toString(mean));
        }
    }

    @Test
    void colourDoesNotPredictTheClassButShapeAndTextureDo() {
        SyntheticShapesDataset d = new SyntheticShapesDataset(OPTIONS.withSize(1000));
        double colourAccuracy = nearestCentroidAccuracy(d, i -> meanColour(d, i));
        double shapeAccuracy = nearestCentroidAccuracy(d, i -> {
            double[] f = features(d, i);
            return new double[] {f[0], f[1] > 0 ? 20 : 0};
        });
        assertTrue(colourAccuracy < 0.2, "mean colour predicts the class too well: " + colourAccuracy);
        assertTrue(shapeAccuracy > 0.5, "two shape/texture features classify only " + shapeAccuracy);
    }

    /** Trains class centroids on even indices' first half and classifies the second half. */
    private static double nearestCentroidAccuracy(SyntheticShapesDataset d, java.util.function.IntFunction<double[]> feature) {
        int half = d.size() / 2;
        double[][] centroid = null;
        int[] counts = new int[10];
        for (int i = 0; i < half; i++) {
            double[] f = feature.apply(i);
            if (centroid == null) {
                centroid = new double[10][f.length];
            }
            for (int k = 0; k < f.length; k++) {
                centroid[d.label(i)][k] += f[k];
            }
            counts[d.label(i)]++;
        }
        for (int c = 0; c < 10; c++) {
            for (int k = 0; k < centroid[c].length; k++) {
                centroid[c][k] /= counts[c];
            }
        }
        int correct = 0;
        for (int i = half; i < d.size(); i++) {
            double[] f = feature.apply(i);
            int best = -1;
            double bestDistance = Double.MAX_VALUE;
            for (int c = 0; c < 10; c++) {
                double dist = 0;
                for (int k = 0; k < f.length; k++) {
                    dist += (f[k] - centroid[c][k]) * (f[k] - centroid[c][k]);
                }
                if (dist < bestDistance) {
                    bestDistance = dist;
                    best = c;
                }
            }
            correct += best == d.label(i) ? 1 : 0;
        }
        return correct / (double) (d.size() - half);
    }
}
