package org.amdim.data.augment;

/**
 * The geometric step of a view: what happens to the (possibly flipped) image before colour
 * jitter. Each preset has one for training and one for evaluation.
 */
public sealed interface ViewGeometry {

    /** No geometric change (CIFAR evaluation); the image must already have the output size. */
    record Identity() implements ViewGeometry {}

    /**
     * AMDIM's {@code RandomApply([RandomTranslateWithReflect(maxShift)], p)}: with probability p,
     * shift by dx, dy drawn uniformly from {@code −maxShift..maxShift}, reflect-padding the edges;
     * the image must already have the output size.
     *
     * @param maxShift the largest shift in pixels (AMDIM: 4)
     * @param probability the chance of translating at all (AMDIM: 0.8)
     */
    record Translate(int maxShift, double probability) implements ViewGeometry {
        /** Validates the fields. */
        public Translate {
            if (maxShift < 0 || !(probability >= 0 && probability <= 1)) {
                throw new IllegalArgumentException("bad translation " + maxShift + ", p=" + probability);
            }
        }
    }

    /**
     * {@code RandomResizedCrop}, bicubic; handles any input size.
     *
     * @param crop the crop parameters
     */
    record ResizedCrop(RandomResizedCrop crop) implements ViewGeometry {}

    /**
     * {@code Resize(resize, BICUBIC)} (shorter side) then {@code CenterCrop(crop)}; handles any
     * input size.
     *
     * @param resize the shorter side after resizing
     * @param crop the side of the centred square crop
     */
    record ResizeCenterCrop(int resize, int crop) implements ViewGeometry {
        /** Validates the fields. */
        public ResizeCenterCrop {
            if (resize < 1 || crop < 1) {
                throw new IllegalArgumentException("bad resize " + resize + " / crop " + crop);
            }
        }
    }

    /** {@return whether this geometry keeps the input size, so inputs must come at the output size} */
    default boolean keepsSize() {
        return this instanceof Identity || this instanceof Translate;
    }
}
