package org.amdim.data.augment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.EnumMap;
import java.util.HashSet;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Statistical tests of the sampled parameters (fixed seeds, so they are deterministic). */
class RandomParametersTest {

    @Test
    void resizedCropStaysWithinScaleAndRatio() {
        RandomResizedCrop crop = new RandomResizedCrop(64, 0.3, 1.0, 0.7, 1.4);
        SplittableRandom rng = new SplittableRandom(11);
        double minScale = 1;
        double maxScale = 0;
        double minRatio = 10;
        double maxRatio = 0;
        for (int i = 0; i < 20_000; i++) {
            CropBox b = crop.sample(96, 96, rng);
            assertTrue(b.top() >= 0 && b.left() >= 0 && b.top() + b.height() <= 96 && b.left() + b.width() <= 96, b::toString);
            double scale = (double) b.width() * b.height() / (96 * 96);
            double ratio = (double) b.width() / b.height();
            // Rounding w and h to integers moves area and ratio a little past the sampled values.
            assertTrue(scale >= 0.3 - 0.02 && scale <= 1.0, () -> "scale " + scale);
            assertTrue(ratio >= 0.7 - 0.03 && ratio <= 1.4 + 0.03, () -> "ratio " + ratio);
            minScale = Math.min(minScale, scale);
            maxScale = Math.max(maxScale, scale);
            minRatio = Math.min(minRatio, ratio);
            maxRatio = Math.max(maxRatio, ratio);
        }
        assertTrue(minScale < 0.32 && maxScale > 0.97, minScale + " " + maxScale);
        assertTrue(minRatio < 0.72 && maxRatio > 1.37, minRatio + " " + maxRatio);
    }

    @Test
    void resizedCropFallsBackToAClampedCentralCrop() {
        // A 10-wide, 200-tall image: no attempt can fit, so the crop is the full width with the
        // height set by the smallest ratio, h = round(10 / 0.7) = 14, centred.
        RandomResizedCrop crop = new RandomResizedCrop(64, 0.3, 1.0, 0.7, 1.4);
        CropBox b = crop.sample(10, 200, new SplittableRandom(1));
        assertEquals(new CropBox(93, 0, 14, 10), b);
        // A wide image: full height, width round(20 · 1.4) = 28.
        assertEquals(new CropBox(0, 86, 20, 28), crop.sample(200, 20, new SplittableRandom(1)));
    }

    @Test
    void jitterFactorsCoverTheirRangesAndOrdersArePermutations() {
        ColorJitter jitter = new ColorJitter(0.4, 0.4, 0.4, 0.2);
        SplittableRandom rng = new SplittableRandom(5);
        double[] min = {9, 9, 9, 9};
        double[] max = {-9, -9, -9, -9};
        Map<ColorJitter.Op, Integer> first = new EnumMap<>(ColorJitter.Op.class);
        int n = 20_000;
        for (int i = 0; i < n; i++) {
            ColorJitter.Params p = jitter.sample(rng);
            assertEquals(4, new HashSet<>(p.order()).size());
            first.merge(p.order().getFirst(), 1, Integer::sum);
            double[] f = {p.brightness(), p.contrast(), p.saturation(), p.hue()};
            for (int k = 0; k < 4; k++) {
                min[k] = Math.min(min[k], f[k]);
                max[k] = Math.max(max[k], f[k]);
            }
        }
        for (int k = 0; k < 3; k++) {
            assertTrue(min[k] >= 0.6 && min[k] < 0.601 && max[k] < 1.4 && max[k] > 1.399, k + ": " + min[k] + " " + max[k]);
        }
        assertTrue(min[3] >= -0.2 && min[3] < -0.199 && max[3] < 0.2 && max[3] > 0.199);
        for (ColorJitter.Op op : ColorJitter.Op.values()) {
            double share = first.get(op) / (double) n;
            assertTrue(Math.abs(share - 0.25) < 0.02, op + " first in " + share);
        }
    }

    @Test
    void jitterFactorRangeIsClampedAtZero() {
        ColorJitter jitter = new ColorJitter(1.5, 0, 0, 0);
        SplittableRandom rng = new SplittableRandom(2);
        for (int i = 0; i < 1000; i++) {
            ColorJitter.Params p = jitter.sample(rng);
            assertTrue(p.brightness() >= 0 && p.brightness() <= 2.5);
            assertEquals(1.0, p.contrast());
            assertEquals(0.0, p.hue(), 0.0);
        }
    }
}
