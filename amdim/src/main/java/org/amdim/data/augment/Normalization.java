package org.amdim.data.augment;

import org.amdim.data.ImageBuffer;

/**
 * torchvision's {@code ToTensor()} followed by {@code Normalize(mean, std)}: each uint8 sample
 * {@code v} of channel {@code c} becomes {@code (v / 255 − mean[c]) / std[c]}, computed in float32
 * with mean and std rounded to float32 as torch stores them. The 256 possible results per channel
 * are tabulated once, so normalising is a table lookup.
 *
 * @param meanR mean of the red channel on the 0..1 scale
 * @param meanG mean of the green channel
 * @param meanB mean of the blue channel
 * @param stdR standard deviation of the red channel on the 0..1 scale
 * @param stdG standard deviation of the green channel
 * @param stdB standard deviation of the blue channel
 */
public record Normalization(double meanR, double meanG, double meanB, double stdR, double stdG, double stdB) {

    /** AMDIM's CIFAR statistics: mean (125.3, 123.0, 113.9)/255, std (63.0, 62.1, 66.7)/255. */
    public static final Normalization CIFAR = new Normalization(
            125.3 / 255.0, 123.0 / 255.0, 113.9 / 255.0, 63.0 / 255.0, 62.1 / 255.0, 66.7 / 255.0);

    /** AMDIM's STL-10 statistics: mean (0.43, 0.42, 0.39), std (0.27, 0.26, 0.27). */
    public static final Normalization STL10 = new Normalization(0.43, 0.42, 0.39, 0.27, 0.26, 0.27);

    /** The ImageNet statistics: mean (0.485, 0.456, 0.406), std (0.229, 0.224, 0.225). */
    public static final Normalization IMAGENET = new Normalization(0.485, 0.456, 0.406, 0.229, 0.224, 0.225);

    /** Validates the standard deviations. */
    public Normalization {
        if (!(stdR > 0 && stdG > 0 && stdB > 0)) {
            throw new IllegalArgumentException("standard deviations must be positive");
        }
    }

    /**
     * Returns the lookup table: entry {@code c·256 + v} is the normalised value of sample v in
     * channel c.
     *
     * @return a fresh 768-entry table
     */
    public float[] table() {
        double[] mean = {meanR, meanG, meanB};
        double[] std = {stdR, stdG, stdB};
        float[] lut = new float[3 * 256];
        for (int c = 0; c < 3; c++) {
            float m = (float) mean[c];
            float s = (float) std[c];
            for (int v = 0; v < 256; v++) {
                lut[c * 256 + v] = ((float) v / 255f - m) / s;
            }
        }
        return lut;
    }

    /**
     * Writes an RGB image as normalised CHW floats.
     *
     * @param img the image (3 channels)
     * @param table the table from {@link #table()}
     * @param out at least 3·H·W floats
     */
    public static void toChw(ImageBuffer img, float[] table, float[] out) {
        if (img.channels() != 3) {
            throw new IllegalArgumentException("normalisation needs an RGB image, got " + img);
        }
        byte[] d = img.data();
        int plane = img.height() * img.width();
        for (int i = 0, p = 0; i < plane; i++, p += 3) {
            out[i] = table[d[p] & 0xFF];
            out[plane + i] = table[256 + (d[p + 1] & 0xFF)];
            out[2 * plane + i] = table[512 + (d[p + 2] & 0xFF)];
        }
    }
}
