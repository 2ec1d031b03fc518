package org.amdim.tools.render;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.awt.image.BufferedImage;

import org.amdim.data.augment.Normalization;
import org.junit.jupiter.api.Test;

/** Undoing the input normalisation gives back the bytes the normalisation started from. */
class DenormalizerTest {
    @Test
    void everyByteOfEveryChannelRoundTrips() {
        for (Normalization n : new Normalization[] {Normalization.CIFAR, Normalization.STL10, Normalization.IMAGENET}) {
            float[] table = n.table();
            Denormalizer d = new Denormalizer(n);
            for (int c = 0; c < 3; c++) {
                for (int v = 0; v < 256; v++) {
                    assertEquals(v, d.toByte(c, table[c * 256 + v]), n + " channel " + c + " byte " + v);
                }
            }
        }
    }

    @Test
    void valuesOutsideTheByteRangeAreClamped() {
        Denormalizer d = new Denormalizer(Normalization.CIFAR);
        assertEquals(0, d.toByte(0, -100f));
        assertEquals(255, d.toByte(1, 100f));
        assertEquals(0, d.toByte(2, Float.NaN));
    }

    @Test
    void chwPlanesBecomeRgbPixels() {
        // mean 0, std 1: the normalised value is v/255, so the planes below encode known bytes.
        Denormalizer d = new Denormalizer(new Normalization(0, 0, 0, 1, 1, 1));
        int h = 2;
        int w = 3;
        float[] chw = new float[1 + 3 * h * w]; // one leading float to exercise the offset
        for (int i = 0; i < h * w; i++) {
            chw[1 + i] = (10 * i) / 255f;
            chw[1 + h * w + i] = (100 + i) / 255f;
            chw[1 + 2 * h * w + i] = (255 - i) / 255f;
        }
        BufferedImage img = d.image(chw, 1, h, w);
        assertEquals(w, img.getWidth());
        assertEquals(h, img.getHeight());
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int i = y * w + x;
                assertEquals((10 * i) << 16 | (100 + i) << 8 | (255 - i), img.getRGB(x, y) & 0xFFFFFF, "pixel " + i);
            }
        }
    }
}
