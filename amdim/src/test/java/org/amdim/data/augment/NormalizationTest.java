package org.amdim.data.augment;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.amdim.data.ImageBuffer;
import org.junit.jupiter.api.Test;

/** ToTensor + Normalize in float32, as torch computes it. */
class NormalizationTest {

    @Test
    void cifarTableMatchesFloat32Formula() {
        float[] t = Normalization.CIFAR.table();
        float m = (float) (125.3 / 255.0);
        float s = (float) (63.0 / 255.0);
        assertEquals((0f / 255f - m) / s, t[0], 0f);
        assertEquals((255f / 255f - m) / s, t[255], 0f);
        assertEquals(-1.988889f, t[0], 1e-5f); // −125.3 / 63
        float mb = (float) (113.9 / 255.0);
        float sb = (float) (66.7 / 255.0);
        assertEquals((200f / 255f - mb) / sb, t[512 + 200], 0f);
    }

    @Test
    void writesPlanarChannels() {
        ImageBuffer img = new ImageBuffer(1, 2, 3);
        byte[] d = img.data();
        d[0] = 0; d[1] = 1; d[2] = 2; d[3] = 3; d[4] = 4; d[5] = 5;
        Normalization identity = new Normalization(0, 0, 0, 1 / 255.0, 1 / 255.0, 1 / 255.0);
        float[] out = new float[6];
        Normalization.toChw(img, identity.table(), out);
        float[] expected = {0, 3, 1, 4, 2, 5};
        for (int i = 0; i < 6; i++) {
            assertEquals(expected[i], out[i], 1e-4f);
        }
    }

    @Test
    void stlAndImagenetStatistics() {
        assertEquals((128f / 255f - 0.43f) / 0.27f, Normalization.STL10.table()[128], 0f);
        assertEquals((0f - 0.485f) / 0.229f, Normalization.IMAGENET.table()[0], 0f);
        assertEquals((17f / 255f - 0.406f) / 0.225f, Normalization.IMAGENET.table()[512 + 17], 0f);
    }
}
