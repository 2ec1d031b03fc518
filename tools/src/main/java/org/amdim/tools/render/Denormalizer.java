package org.amdim.tools.render;

import java.awt.image.BufferedImage;

import org.amdim.data.augment.Normalization;

/**
 * Undoes a view's {@link Normalization} for display: each normalised value {@code x} of channel {@code c} becomes
 * the byte {@code round((x·std[c] + mean[c])·255)}, clamped to 0..255. For values the normalisation produced from
 * bytes this gives the original bytes back.
 */
public final class Denormalizer {
    private final float[] mean;
    private final float[] std;

    /** A denormaliser for the statistics of {@code norm}. */
    public Denormalizer(Normalization norm) {
        // float32, as the forward table uses them, so the inverse meets the forward values exactly.
        this.mean = new float[] {(float) norm.meanR(), (float) norm.meanG(), (float) norm.meanB()};
        this.std = new float[] {(float) norm.stdR(), (float) norm.stdG(), (float) norm.stdB()};
    }

    /** The display byte (0..255) of normalised value {@code x} in channel {@code c}. */
    public int toByte(int c, float x) {
        double v = ((double) x * std[c] + mean[c]) * 255.0;
        if (!(v > 0)) {
            return 0; // also NaN
        }
        return (int) Math.min(255, Math.round(v));
    }

    /**
     * The RGB image of one normalised CHW view.
     *
     * @param chw    at least {@code offset + 3·size·size} floats
     * @param offset where the view starts in {@code chw}
     * @param height rows
     * @param width  columns
     */
    public BufferedImage image(float[] chw, int offset, int height, int width) {
        int plane = height * width;
        if (chw.length < offset + 3L * plane) {
            throw new IllegalArgumentException("need " + 3L * plane + " floats from offset " + offset + ", have "
                    + (chw.length - offset));
        }
        int[] rgb = new int[plane];
        for (int i = 0; i < plane; i++) {
            int r = toByte(0, chw[offset + i]);
            int g = toByte(1, chw[offset + plane + i]);
            int b = toByte(2, chw[offset + 2 * plane + i]);
            rgb[i] = (r << 16) | (g << 8) | b;
        }
        BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        img.setRGB(0, 0, width, height, rgb, 0, width);
        return img;
    }
}
