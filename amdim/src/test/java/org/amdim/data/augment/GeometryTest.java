package org.amdim.data.augment;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.SplittableRandom;
import org.amdim.data.ImageBuffer;
import org.junit.jupiter.api.Test;

/** Exact tests of flip, reflect-translation, center crop, resize sizes and a hand-computed bicubic case. */
class GeometryTest {

    /** A 1-row grayscale image with the given values. */
    private static ImageBuffer row(int... values) {
        ImageBuffer img = new ImageBuffer(1, values.length, 1);
        for (int x = 0; x < values.length; x++) {
            img.set(0, x, 0, values[x]);
        }
        return img;
    }

    private static int[] values(ImageBuffer img) {
        int[] out = new int[img.length()];
        for (int i = 0; i < out.length; i++) {
            out[i] = img.data()[i] & 0xFF;
        }
        return out;
    }

    @Test
    void reflectDoesNotRepeatTheEdge() {
        assertEquals(1, Geometry.reflect(-1, 5));
        assertEquals(4, Geometry.reflect(-4, 5));
        assertEquals(3, Geometry.reflect(5, 5));
        assertEquals(0, Geometry.reflect(8, 5));
        assertEquals(2, Geometry.reflect(2, 5));
    }

    @Test
    void translateReflectOnATinyRow() {
        ImageBuffer src = row(10, 20, 30, 40);
        ImageBuffer dst = new ImageBuffer();
        Geometry.translateReflect(src, 2, 0, dst); // content moves right; the left is mirrored
        assertArrayEquals(new int[] {30, 20, 10, 20}, values(dst));
        Geometry.translateReflect(src, -1, 0, dst);
        assertArrayEquals(new int[] {20, 30, 40, 30}, values(dst));
        Geometry.translateReflect(src, 0, 0, dst);
        assertArrayEquals(new int[] {10, 20, 30, 40}, values(dst));
    }

    @Test
    void translateReflectMatchesTheDefinitionIn2d() {
        SplittableRandom rng = new SplittableRandom(3);
        ImageBuffer src = new ImageBuffer(9, 7, 3);
        for (int i = 0; i < src.length(); i++) {
            src.data()[i] = (byte) rng.nextInt(256);
        }
        ImageBuffer dst = new ImageBuffer();
        for (int dy = -4; dy <= 4; dy++) {
            for (int dx = -4; dx <= 4; dx++) {
                Geometry.translateReflect(src, dx, dy, dst);
                for (int y = 0; y < 9; y++) {
                    for (int x = 0; x < 7; x++) {
                        for (int c = 0; c < 3; c++) {
                            assertEquals(src.get(Geometry.reflect(y - dy, 9), Geometry.reflect(x - dx, 7), c),
                                    dst.get(y, x, c), "dx " + dx + " dy " + dy);
                        }
                    }
                }
            }
        }
    }

    @Test
    void translateRejectsShiftsBeyondOneReflection() {
        assertThrows(IllegalArgumentException.class, () -> Geometry.translateReflect(row(1, 2, 3), 3, 0, new ImageBuffer()));
    }

    @Test
    void flipMirrorsRows() {
        ImageBuffer img = new ImageBuffer(1, 3, 3);
        for (int x = 0; x < 3; x++) {
            img.set(0, x, 0, x);
            img.set(0, x, 1, 10 + x);
            img.set(0, x, 2, 20 + x);
        }
        Geometry.flipHorizontal(img);
        assertArrayEquals(new int[] {2, 12, 22, 1, 11, 21, 0, 10, 20}, values(img));
    }

    @Test
    void centerCropRoundsHalfToEven() {
        // A 5-row, 6-column image; a 3x3 crop starts at row round(1.0) = 1, column round(1.5) = 2.
        ImageBuffer img = new ImageBuffer(5, 6, 1);
        for (int y = 0; y < 5; y++) {
            for (int x = 0; x < 6; x++) {
                img.set(y, x, 0, 10 * y + x);
            }
        }
        ImageBuffer out = new ImageBuffer();
        Geometry.centerCrop(img, 3, 3, out);
        assertArrayEquals(new int[] {12, 13, 14, 22, 23, 24, 32, 33, 34}, values(out));
        // A 4x4 crop of a 5x6 image: rows round(0.5) = 0, columns round(1.0) = 1.
        Geometry.centerCrop(img, 4, 4, out);
        assertEquals(1, out.get(0, 0, 0));
    }

    @Test
    void centerCropPadsSmallImagesWithZeros() {
        ImageBuffer img = row(7, 8); // 1x2
        ImageBuffer out = new ImageBuffer();
        Geometry.centerCrop(img, 3, 5, out);
        // Rows: pad 1 above, 1 below; columns: pad 1 left, 2 right.
        assertArrayEquals(new int[] {0, 0, 0, 0, 0, 0, 7, 8, 0, 0, 0, 0, 0, 0, 0}, values(out));
    }

    @Test
    void resizeKeepsAspectAndTruncates() {
        assertArrayEquals(new int[] {70, 70}, Geometry.resizedShorterSide(96, 96, 70));
        assertArrayEquals(new int[] {146, 219}, Geometry.resizedShorterSide(200, 300, 146)); // 219.0
        assertArrayEquals(new int[] {194, 146}, Geometry.resizedShorterSide(375, 282, 146)); // 194.15 → 194
    }

    @Test
    void bicubicHalvingTwoPixelsByHand() {
        // Width 2 → 1: scale 2, support 4, centre 1.0; both taps weigh bicubic(±0.25) = 0.8671875,
        // normalised to 1/2 each = 2^21 in fixed point; (2^21 + 255·2^21) >> 22 = 128.
        BicubicResampler r = new BicubicResampler();
        ImageBuffer out = new ImageBuffer();
        r.resize(row(0, 255), 1, 1, out);
        assertArrayEquals(new int[] {128}, values(out));
        assertEquals(0.8671875, BicubicResampler.bicubic(0.25), 0.0);
        assertEquals(-0.0703125, BicubicResampler.bicubic(1.25), 0.0);
    }

    @Test
    void bicubicUpscalingByHand() {
        // Width 2 → 4, scale 0.5, support 2. Output 1 has centre 0.75; its taps are the two input
        // pixels at distances 0.25 and 0.75: bicubic(0.25) = 0.8671875, bicubic(0.75) = 0.2265625,
        // normalised to 0.79286 and 0.20714, so 255 · 0.20714 = 52.8 → 53. Output 0 (centre 0.25)
        // weighs the 255 with bicubic(1.25) < 0 and clips to 0; outputs 2 and 3 mirror these.
        BicubicResampler r = new BicubicResampler();
        ImageBuffer out = new ImageBuffer();
        r.resize(row(0, 255), 1, 4, out);
        assertArrayEquals(new int[] {0, 53, 202, 255}, values(out));
        assertEquals(0.2265625, BicubicResampler.bicubic(0.75), 0.0);
    }

    @Test
    void sameSizeResizeIsACopy() {
        BicubicResampler r = new BicubicResampler();
        ImageBuffer src = row(1, 2, 3, 4, 5);
        ImageBuffer out = new ImageBuffer();
        r.resizeCrop(src, 0, 1, 1, 3, 1, 3, out);
        assertArrayEquals(new int[] {2, 3, 4}, values(out));
    }
}
