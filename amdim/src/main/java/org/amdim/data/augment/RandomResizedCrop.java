package org.amdim.data.augment;

import java.util.random.RandomGenerator;

/**
 * torchvision's {@code RandomResizedCrop(size, scale, ratio, BICUBIC)}: pick a crop covering a
 * random fraction of the image area with a random aspect ratio, then resize it to
 * {@code size × size}.
 *
 * @param size the output side
 * @param scaleMin smallest area fraction (AMDIM: 0.3)
 * @param scaleMax largest area fraction (AMDIM: 1.0)
 * @param ratioMin smallest aspect ratio w/h (AMDIM: 0.7)
 * @param ratioMax largest aspect ratio w/h (AMDIM: 1.4)
 */
public record RandomResizedCrop(int size, double scaleMin, double scaleMax, double ratioMin, double ratioMax) {

    /** Validates the ranges. */
    public RandomResizedCrop {
        if (size < 1) {
            throw new IllegalArgumentException("size must be positive, got " + size);
        }
        if (!(0 < scaleMin && scaleMin <= scaleMax) || !(0 < ratioMin && ratioMin <= ratioMax)) {
            throw new IllegalArgumentException("bad scale (" + scaleMin + ", " + scaleMax + ") or ratio ("
                    + ratioMin + ", " + ratioMax + ")");
        }
    }

    /**
     * {@code RandomResizedCrop.get_params}: up to 10 attempts of area = U(scale)·W·H and
     * ratio = exp(U(log ratioMin, log ratioMax)), with w = round(√(area·ratio)) and
     * h = round(√(area/ratio)) (round half to even, as Python's {@code round}); the first attempt
     * with {@code 0 < w ≤ W} and {@code 0 < h ≤ H} wins, its corner uniform over the valid
     * positions. Otherwise the fallback is a central crop whose ratio is clamped to the range.
     *
     * @param width the image width W
     * @param height the image height H
     * @param rng the random source
     * @return the crop
     */
    public CropBox sample(int width, int height, RandomGenerator rng) {
        double area = (double) width * height;
        double logMin = Math.log(ratioMin);
        double logMax = Math.log(ratioMax);
        for (int attempt = 0; attempt < 10; attempt++) {
            double targetArea = area * uniform(rng, scaleMin, scaleMax);
            double aspect = Math.exp(uniform(rng, logMin, logMax));
            int w = (int) Math.rint(Math.sqrt(targetArea * aspect));
            int h = (int) Math.rint(Math.sqrt(targetArea / aspect));
            if (0 < w && w <= width && 0 < h && h <= height) {
                int top = rng.nextInt(height - h + 1);
                int left = rng.nextInt(width - w + 1);
                return new CropBox(top, left, h, w);
            }
        }
        double inRatio = (double) width / height;
        int w;
        int h;
        if (inRatio < ratioMin) {
            w = width;
            h = (int) Math.rint(w / ratioMin);
        } else if (inRatio > ratioMax) {
            h = height;
            w = (int) Math.rint(h * ratioMax);
        } else {
            w = width;
            h = height;
        }
        return new CropBox((height - h) / 2, (width - w) / 2, h, w);
    }

    static double uniform(RandomGenerator rng, double lo, double hi) {
        return lo == hi ? lo : rng.nextDouble(lo, hi);
    }
}
