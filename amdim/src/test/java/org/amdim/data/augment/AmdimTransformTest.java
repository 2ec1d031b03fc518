package org.amdim.data.augment;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.amdim.data.ImageBuffer;
import org.amdim.data.SampleTransform;
import org.amdim.data.synthetic.SyntheticShapesDataset;
import org.junit.jupiter.api.Test;

/** Statistical and exact tests of the whole two-view pipeline. */
class AmdimTransformTest {

    /** Normalisation that maps a byte v to the float v, so views can be read back as bytes. */
    private static final Normalization BYTES = new Normalization(0, 0, 0, 1 / 255.0, 1 / 255.0, 1 / 255.0);
    private static final ColorJitter NO_JITTER = new ColorJitter(0, 0, 0, 0);

    private static AugmentationPreset preset(double flip, ViewGeometry train, double jitterP, double grayP) {
        return new AugmentationPreset("test", 32, train, new ViewGeometry.Identity(), flip,
                jitterP > 0 ? new ColorJitter(0.4, 0.4, 0.4, 0.2) : NO_JITTER, jitterP, grayP, BYTES);
    }

    /** A 32×32 image whose pixel (y, x) encodes x in red and y in green, plus some blue texture. */
    private static ImageBuffer coordinateImage() {
        ImageBuffer img = new ImageBuffer(32, 32, 3);
        for (int y = 0; y < 32; y++) {
            for (int x = 0; x < 32; x++) {
                img.set(y, x, 0, 7 * x + 3);
                img.set(y, x, 1, 7 * y + 5);
                img.set(y, x, 2, (x * 13 + y * 29) & 0xFF);
            }
        }
        return img;
    }

    /** Reads a view written with {@link #BYTES} back into an HWC image. */
    private static ImageBuffer toImage(float[] chw, int side) {
        ImageBuffer img = new ImageBuffer(side, side, 3);
        int plane = side * side;
        for (int c = 0; c < 3; c++) {
            for (int i = 0; i < plane; i++) {
                img.data()[i * 3 + c] = (byte) Math.round(chw[c * plane + i]);
            }
        }
        return img;
    }

    private static float[][] run(SampleTransform.Worker worker, ImageBuffer src, long seed, int views, int length) {
        float[][] out = new float[views][length];
        worker.apply(new ImageBuffer().copyFrom(src), new SplittableRandom(seed), out);
        return out;
    }

    @Test
    void flipIsSharedByBothViewsAndHappensHalfTheTime() {
        AmdimTransform t = AmdimTransform.train(preset(0.5, new ViewGeometry.Translate(4, 0.0), 0, 0));
        SampleTransform.Worker w = t.newWorker();
        ImageBuffer src = coordinateImage();
        ImageBuffer flipped = new ImageBuffer().copyFrom(src);
        Geometry.flipHorizontal(flipped);
        int n = 4000;
        int flips = 0;
        for (int i = 0; i < n; i++) {
            float[][] out = run(w, src, i, 2, t.viewLength());
            assertArrayEquals(out[0], out[1], "without other randomness both views are the same flip");
            byte[] v = toImage(out[0], 32).toByteArray();
            boolean isFlipped = Arrays.equals(v, flipped.toByteArray());
            assertTrue(isFlipped || Arrays.equals(v, src.toByteArray()));
            flips += isFlipped ? 1 : 0;
        }
        assertEquals(0.5, flips / (double) n, 0.035);
    }

    @Test
    void translationsAreWithinFourPixelsAndAppliedWithProbabilityPointEight() {
        AmdimTransform t = AmdimTransform.train(preset(0, new ViewGeometry.Translate(4, 0.8), 0, 0));
        SampleTransform.Worker w = t.newWorker();
        ImageBuffer src = coordinateImage();
        ImageBuffer expected = new ImageBuffer();
        int[] dxCounts = new int[9];
        int moved = 0;
        int sameShift = 0;
        int n = 3000;
        for (int i = 0; i < n; i++) {
            float[][] out = run(w, src, i, 2, t.viewLength());
            int[] shift = new int[4];
            for (int v = 0; v < 2; v++) {
                ImageBuffer view = toImage(out[v], 32);
                int dx = 16 - (view.get(16, 16, 0) - 3) / 7;
                int dy = 16 - (view.get(16, 16, 1) - 5) / 7;
                assertTrue(Math.abs(dx) <= 4 && Math.abs(dy) <= 4, "shift " + dx + "," + dy);
                Geometry.translateReflect(src, dx, dy, expected);
                assertArrayEquals(expected.toByteArray(), view.toByteArray(), "view is a reflect-translation");
                dxCounts[dx + 4]++;
                moved += dx != 0 || dy != 0 ? 1 : 0;
                shift[2 * v] = dx;
                shift[2 * v + 1] = dy;
            }
            sameShift += shift[0] == shift[2] && shift[1] == shift[3] ? 1 : 0;
        }
        // P(moved) = 0.8 · 80/81; the two views are independent.
        assertEquals(0.8 * 80 / 81, moved / (2.0 * n), 0.025);
        assertTrue(sameShift < 0.15 * n, "views share their shift too often: " + sameShift);
        // dx = 0 gets the 20% untranslated views on top of its ninth of the translated ones.
        for (int k = 0; k < 9; k++) {
            double expectedShare = 0.8 / 9 + (k == 4 ? 0.2 : 0);
            assertEquals(expectedShare, dxCounts[k] / (2.0 * n), 0.02, "dx = " + (k - 4));
        }
    }

    @Test
    void grayscaleHappensAQuarterOfTheTime() {
        AmdimTransform t = AmdimTransform.train(preset(0, new ViewGeometry.Translate(4, 0.0), 0, 0.25));
        SampleTransform.Worker w = t.newWorker();
        ImageBuffer src = coordinateImage();
        ImageBuffer gray = new ImageBuffer().copyFrom(src);
        ColorAdjustments.grayscale(gray);
        int grays = 0;
        int n = 3000;
        for (int i = 0; i < n; i++) {
            float[][] out = run(w, src, i, 2, t.viewLength());
            for (int v = 0; v < 2; v++) {
                byte[] view = toImage(out[v], 32).toByteArray();
                boolean isGray = Arrays.equals(view, gray.toByteArray());
                assertTrue(isGray || Arrays.equals(view, src.toByteArray()));
                grays += isGray ? 1 : 0;
            }
        }
        assertEquals(0.25, grays / (2.0 * n), 0.02);
    }

    @Test
    void jitterIsAppliedWithProbabilityPointEight() {
        AmdimTransform t = AmdimTransform.train(preset(0, new ViewGeometry.Translate(4, 0.0), 0.8, 0));
        SampleTransform.Worker w = t.newWorker();
        ImageBuffer src = coordinateImage();
        int changed = 0;
        int n = 2000;
        for (int i = 0; i < n; i++) {
            float[][] out = run(w, src, i, 2, t.viewLength());
            for (int v = 0; v < 2; v++) {
                changed += Arrays.equals(toImage(out[v], 32).toByteArray(), src.toByteArray()) ? 0 : 1;
            }
        }
        assertEquals(0.8, changed / (2.0 * n), 0.025);
    }

    @Test
    void cifarViewsDifferButAreReproducible() {
        AmdimTransform t = AmdimTransform.train(AugmentationPreset.CIFAR32);
        SampleTransform.Worker w = t.newWorker();
        var data = new SyntheticShapesDataset(SyntheticShapesDataset.Options.DEFAULT.withSize(200));
        ImageBuffer img = new ImageBuffer();
        int differ = 0;
        for (int i = 0; i < 200; i++) {
            data.readImage(i, img);
            float[][] a = run(w, img, 1000 + i, 2, t.viewLength());
            differ += Arrays.equals(a[0], a[1]) ? 0 : 1;
            float[][] b = run(t.newWorker(), img, 1000 + i, 2, t.viewLength());
            assertArrayEquals(a[0], b[0]);
            assertArrayEquals(a[1], b[1]);
        }
        assertTrue(differ > 190, "views differ in only " + differ + " of 200 samples");
    }

    @Test
    void stlTestViewIsResizeThenCenterCrop() {
        AmdimTransform t = AmdimTransform.test(AugmentationPreset.STL64);
        assertEquals(1, t.views());
        var data = new SyntheticShapesDataset(SyntheticShapesDataset.Options.DEFAULT.withSize(3).withImageSize(96));
        ImageBuffer img = new ImageBuffer();
        data.readImage(2, img);
        float[][] out = new float[1][t.viewLength()];
        t.newWorker().apply(new ImageBuffer().copyFrom(img), new SplittableRandom(0), out);

        ImageBuffer resized = new ImageBuffer();
        new BicubicResampler().resize(img, 70, 70, resized);
        ImageBuffer cropped = new ImageBuffer();
        Geometry.centerCrop(resized, 64, 64, cropped);
        assertEquals(resized.get(3, 3, 1), cropped.get(0, 0, 1), "crop starts at (3, 3)");
        float[] expected = new float[t.viewLength()];
        Normalization.toChw(cropped, Normalization.STL10.table(), expected);
        assertArrayEquals(expected, out[0]);
    }

    @Test
    void stlTrainViewsHaveTheOutputSize() {
        AmdimTransform t = AmdimTransform.train(AugmentationPreset.STL64);
        assertEquals(3 * 64 * 64, t.viewLength());
        var data = new SyntheticShapesDataset(SyntheticShapesDataset.Options.DEFAULT.withSize(5).withImageSize(96));
        ImageBuffer img = new ImageBuffer();
        SampleTransform.Worker w = t.newWorker();
        for (int i = 0; i < 5; i++) {
            data.readImage(i, img);
            float[][] out = run(w, img, i, 2, t.viewLength());
            for (float[] view : out) {
                for (float f : view) {
                    assertTrue(f >= -1.62f && f <= 2.26f, "normalised value " + f);
                }
            }
            assertFalse(Arrays.equals(out[0], out[1]));
        }
    }

    @Test
    void grayscaleInputsAreExpandedToRgb() {
        AmdimTransform t = AmdimTransform.test(preset(0, new ViewGeometry.Identity(), 0, 0));
        ImageBuffer gray = new ImageBuffer(32, 32, 1);
        for (int i = 0; i < 32 * 32; i++) {
            gray.data()[i] = (byte) i;
        }
        float[][] out = new float[1][t.viewLength()];
        t.newWorker().apply(gray, new SplittableRandom(0), out);
        ImageBuffer back = toImage(out[0], 32);
        for (int i = 0; i < 32 * 32; i++) {
            int v = i & 0xFF;
            assertEquals(v, back.data()[3 * i] & 0xFF);
            assertEquals(v, back.data()[3 * i + 1] & 0xFF);
            assertEquals(v, back.data()[3 * i + 2] & 0xFF);
        }
    }

    @Test
    void presetsWithoutResizingRejectOtherSizes() {
        var data = new SyntheticShapesDataset(SyntheticShapesDataset.Options.DEFAULT.withSize(5).withImageSize(96));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> AmdimTransform.train(AugmentationPreset.CIFAR32).checkCompatible(data));
        assertTrue(e.getMessage().contains("32x32"), e.getMessage());
        AmdimTransform.train(AugmentationPreset.STL64).checkCompatible(data);
        assertEquals(AugmentationPreset.IMAGENET128, AugmentationPreset.named("ImageNet128"));
    }
}
