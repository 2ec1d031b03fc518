package org.amdim.data.augment;

import java.util.List;
import java.util.random.RandomGenerator;
import org.amdim.data.ImageBuffer;

/**
 * torchvision's {@code ColorJitter(brightness, contrast, saturation, hue)} on PIL images: factors
 * drawn uniformly from {@code [max(0, 1 − x), 1 + x]} (hue from {@code [−h, h]}), the four
 * adjustments applied in a fresh random order each time; an adjustment whose jitter is 0 is
 * skipped, as torchvision skips it.
 *
 * @param brightness brightness jitter, ≥ 0
 * @param contrast contrast jitter, ≥ 0
 * @param saturation saturation jitter, ≥ 0
 * @param hue hue jitter, in [0, 0.5]
 */
public record ColorJitter(double brightness, double contrast, double saturation, double hue) {

    /** The four adjustments, in torchvision's index order. */
    public enum Op {
        /** Blend with black. */
        BRIGHTNESS,
        /** Blend with the mean gray. */
        CONTRAST,
        /** Blend with the luma image. */
        SATURATION,
        /** Rotate the HSV hue. */
        HUE
    }

    private static final Op[] OPS = Op.values();

    /**
     * One draw of the jitter's parameters.
     *
     * @param order the order in which the adjustments are applied (a permutation of all four)
     * @param brightness the brightness factor
     * @param contrast the contrast factor
     * @param saturation the saturation factor
     * @param hue the hue factor
     */
    public record Params(List<Op> order, double brightness, double contrast, double saturation, double hue) {}

    /** Validates the ranges. */
    public ColorJitter {
        if (!(brightness >= 0 && contrast >= 0 && saturation >= 0 && hue >= 0 && hue <= 0.5)) {
            throw new IllegalArgumentException("bad jitter (" + brightness + ", " + contrast + ", " + saturation
                    + ", " + hue + ")");
        }
    }

    /**
     * Draws parameters as torchvision's {@code get_params} does: a random permutation, then the
     * brightness, contrast, saturation and hue factors in that order.
     *
     * @param rng the random source
     * @return the parameters
     */
    public Params sample(RandomGenerator rng) {
        Op[] order = OPS.clone();
        for (int i = order.length - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1);
            Op t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        double b = RandomResizedCrop.uniform(rng, Math.max(0, 1 - brightness), 1 + brightness);
        double c = RandomResizedCrop.uniform(rng, Math.max(0, 1 - contrast), 1 + contrast);
        double s = RandomResizedCrop.uniform(rng, Math.max(0, 1 - saturation), 1 + saturation);
        double h = RandomResizedCrop.uniform(rng, -hue, hue);
        return new Params(List.of(order), b, c, s, h);
    }

    /**
     * Applies drawn parameters in their order, in place.
     *
     * @param img the image
     * @param p the parameters
     */
    public void apply(ImageBuffer img, Params p) {
        for (Op op : p.order()) {
            switch (op) {
                case BRIGHTNESS -> {
                    if (brightness > 0) {
                        ColorAdjustments.adjustBrightness(img, p.brightness());
                    }
                }
                case CONTRAST -> {
                    if (contrast > 0) {
                        ColorAdjustments.adjustContrast(img, p.contrast());
                    }
                }
                case SATURATION -> {
                    if (saturation > 0) {
                        ColorAdjustments.adjustSaturation(img, p.saturation());
                    }
                }
                case HUE -> {
                    if (hue > 0) {
                        ColorAdjustments.adjustHue(img, p.hue());
                    }
                }
            }
        }
    }
}
