package org.amdim.data;

import java.util.random.RandomGenerator;

/**
 * Turns one decoded image into one or more float32 CHW views of a fixed size. AMDIM's training
 * transform makes two views, its test transform one.
 *
 * <p>A transform is an immutable description; the per-thread state (scratch buffers) lives in the
 * {@link Worker} each loader thread creates once, so steady-state transforming allocates nothing.
 */
public interface SampleTransform {

    /** {@return the number of views per sample (1 or 2)} */
    int views();

    /** {@return the channel count of every view} */
    int outputChannels();

    /** {@return the height of every view} */
    int outputHeight();

    /** {@return the width of every view} */
    int outputWidth();

    /** {@return the floats in one view: channels × height × width} */
    default int viewLength() {
        return outputChannels() * outputHeight() * outputWidth();
    }

    /**
     * Checks, before any worker starts, that this transform can handle the dataset's images (for
     * example that a transform without resizing gets images of its output size), so a mismatch
     * fails at construction with a clear message rather than inside a worker.
     *
     * @param dataset the dataset that will be transformed
     * @throws IllegalArgumentException when it cannot
     */
    default void checkCompatible(ImageDataset dataset) {}

    /**
     * Creates the state one thread needs; the result is not thread-safe.
     *
     * @return a new worker
     */
    Worker newWorker();

    /** Per-thread transform state. */
    interface Worker {

        /**
         * Transforms one image into {@link #views()} views.
         *
         * @param image the decoded image (may be modified as scratch)
         * @param rng the sample's own random source (seeded from seed, epoch and dataset index)
         * @param out one array per view, each at least {@link #viewLength()} floats, CHW order
         */
        void apply(ImageBuffer image, RandomGenerator rng, float[][] out);
    }
}
