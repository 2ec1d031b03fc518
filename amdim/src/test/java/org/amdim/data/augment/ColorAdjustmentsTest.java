package org.amdim.data.augment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.amdim.data.ImageBuffer;
import org.junit.jupiter.api.Test;

/** Hand-computed cases of PIL's integer colour arithmetic. */
class ColorAdjustmentsTest {

    @Test
    void lumaUsesPilFixedPointRounding() {
        assertEquals(76, ColorAdjustments.luma(255, 0, 0)); // 255·19595 + 0x8000 = 5029493 → >>16 = 76
        assertEquals(150, ColorAdjustments.luma(0, 255, 0));
        assertEquals(29, ColorAdjustments.luma(0, 0, 255));
        assertEquals(255, ColorAdjustments.luma(255, 255, 255));
        assertEquals(2, ColorAdjustments.luma(1, 2, 3)); // (19595 + 76940 + 22413 + 32768) >> 16 = 2
    }

    @Test
    void blendTruncatesAndClips() {
        assertEquals(150, ColorAdjustments.blend(200, 100, 0.5f));
        assertEquals(13, ColorAdjustments.blend(0, 10, 1.37f)); // 13.7 → 13
        assertEquals(255, ColorAdjustments.blend(0, 200, 1.4f)); // 280 → clipped
        assertEquals(0, ColorAdjustments.blend(100, 0, 1.4f)); // −40 → clipped
    }

    @Test
    void contrastBlendsWithRoundedMeanLuma() {
        ImageBuffer img = new ImageBuffer(1, 2, 3);
        img.set(0, 0, 0, 255); // red: luma 76
        img.set(0, 1, 2, 255); // blue: luma 29 → mean 52.5 → 53
        assertEquals(53, ColorAdjustments.meanLuma(img));
        ColorAdjustments.adjustContrast(img, 0.0);
        for (int i = 0; i < 6; i++) {
            assertEquals(53, img.data()[i] & 0xFF);
        }
    }

    @Test
    void hueShiftTruncatesTowardZeroAndWraps() {
        assertEquals(51, ColorAdjustments.hueShift(0.2)); // 51.0
        assertEquals(244, ColorAdjustments.hueShift(-0.05)); // −12.75 → −12 → 244
        assertEquals(129, ColorAdjustments.hueShift(-0.5)); // −127.5 → −127 → 129
        assertEquals(0, ColorAdjustments.hueShift(0.003));
    }

    @Test
    void grayIsAFixedPointOfHsvRoundTrip() {
        for (int v = 0; v < 256; v++) {
            int hsv = ColorAdjustments.rgbToHsv(v, v, v);
            assertEquals(v, hsv, "gray has zero hue and saturation");
            assertEquals(v << 16 | v << 8 | v, ColorAdjustments.hsvToRgb(0, 0, v));
        }
    }

    @Test
    void hsvRoundTripIsCloseForAllSaturatedColours() {
        // PIL's 8-bit HSV is lossy; the round trip may move a channel by a few levels, never more.
        int worst = 0;
        for (int r = 0; r < 256; r += 5) {
            for (int g = 0; g < 256; g += 5) {
                for (int b = 0; b < 256; b += 5) {
                    int hsv = ColorAdjustments.rgbToHsv(r, g, b);
                    int rgb = ColorAdjustments.hsvToRgb(hsv >>> 16, (hsv >>> 8) & 0xFF, hsv & 0xFF);
                    worst = Math.max(worst, Math.abs((rgb >>> 16) - r));
                    worst = Math.max(worst, Math.abs(((rgb >>> 8) & 0xFF) - g));
                    worst = Math.max(worst, Math.abs((rgb & 0xFF) - b));
                }
            }
        }
        assertEquals(true, worst <= 6, "worst channel error " + worst);
    }

    @Test
    void hueRejectsFactorsOutsideHalfCircle() {
        ImageBuffer img = new ImageBuffer(1, 1, 3);
        assertThrows(IllegalArgumentException.class, () -> ColorAdjustments.adjustHue(img, 0.6));
    }

    @Test
    void saturationAndHueLeaveGrayscaleBuffersAlone() {
        ImageBuffer img = new ImageBuffer(1, 3, 1);
        img.set(0, 0, 0, 10);
        img.set(0, 1, 0, 100);
        img.set(0, 2, 0, 200);
        ColorAdjustments.adjustSaturation(img, 0.0);
        ColorAdjustments.adjustHue(img, 0.3);
        assertEquals(100, img.get(0, 1, 0));
        ColorAdjustments.adjustBrightness(img, 0.5);
        assertEquals(50, img.get(0, 1, 0));
    }
}
