package org.amdim.embed;

import java.awt.image.BufferedImage;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentLinkedQueue;

import org.amdim.data.ImageBuffer;
import org.amdim.data.SampleTransform;
import org.amdim.data.augment.AmdimTransform;
import org.amdim.data.augment.AugmentationPreset;
import org.amdim.data.io.ImageFolderDataset;

/**
 * A preset's evaluation transform ({@link AmdimTransform#test}, the one the training loop's evaluation and the
 * original's test loader use) applied to decoded images, from any number of threads at once: each call borrows
 * a scratch set (transform worker, RGB buffer, one view) from a pool and gives it back, so steady use allocates
 * nothing but the decoded image, and the pool never holds more sets than threads ever ran here at once.
 */
final class EvalPreprocessing {
    private final AugmentationPreset preset;
    private final AmdimTransform transform;
    private final ConcurrentLinkedQueue<Scratch> idle = new ConcurrentLinkedQueue<>();

    /** One thread's working set. The test transform draws no random numbers; the generator only fills a slot. */
    private record Scratch(SampleTransform.Worker worker, ImageBuffer rgb, float[][] view, SplittableRandom rng) {
    }

    EvalPreprocessing(AugmentationPreset preset) {
        this.preset = preset;
        this.transform = AmdimTransform.test(preset);
    }

    /** Floats per preprocessed image: 3·S·S. */
    int viewLength() {
        return transform.viewLength();
    }

    /**
     * Writes one image's normalised (3, S, S) view into {@code dst} at {@code offset}.
     *
     * @throws IllegalArgumentException when the preset does not resize and the image is not S×S
     */
    void apply(BufferedImage image, float[] dst, int offset) {
        Objects.requireNonNull(image, "image");
        Scratch s = idle.poll();
        if (s == null) {
            s = new Scratch(transform.newWorker(), new ImageBuffer(), new float[1][transform.viewLength()],
                    new SplittableRandom(0));
        }
        try {
            ImageFolderDataset.toRgb(image, s.rgb());
            s.worker().apply(s.rgb(), s.rng(), s.view());
            System.arraycopy(s.view()[0], 0, dst, offset, transform.viewLength());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("the " + preset.name() + " evaluation transform cannot take this image: "
                    + e.getMessage(), e);
        } finally {
            idle.add(s);
        }
    }
}
