package org.amdim.data.augment;

import java.util.random.RandomGenerator;
import org.amdim.data.ImageBuffer;
import org.amdim.data.ImageDataset;
import org.amdim.data.SampleTransform;

/**
 * AMDIM's sample transform. For training ({@link #train}) it reproduces the original's
 * {@code __call__}: one random horizontal flip of the input, shared by both views, then the same
 * random pipeline run twice with independent randomness (geometry, colour jitter with probability,
 * random grayscale, normalisation). For evaluation ({@link #test}) it makes one deterministic view
 * (the preset's test geometry and normalisation).
 *
 * <p>Grayscale inputs are replicated to RGB first, as PIL's {@code convert("RGB")} would.
 */
public final class AmdimTransform implements SampleTransform {

    private final AugmentationPreset preset;
    private final boolean training;
    private final float[] table;

    private AmdimTransform(AugmentationPreset preset, boolean training) {
        this.preset = preset;
        this.training = training;
        this.table = preset.normalization().table();
    }

    /**
     * The two-view training transform.
     *
     * @param preset the resolution's settings
     * @return the transform
     */
    public static AmdimTransform train(AugmentationPreset preset) {
        return new AmdimTransform(preset, true);
    }

    /**
     * The one-view evaluation transform.
     *
     * @param preset the resolution's settings
     * @return the transform
     */
    public static AmdimTransform test(AugmentationPreset preset) {
        return new AmdimTransform(preset, false);
    }

    /** {@return the preset} */
    public AugmentationPreset preset() {
        return preset;
    }

    /** {@return whether this is the training (two-view) transform} */
    public boolean training() {
        return training;
    }

    @Override
    public int views() {
        return training ? 2 : 1;
    }

    @Override
    public int outputChannels() {
        return 3;
    }

    @Override
    public int outputHeight() {
        return preset.outputSize();
    }

    @Override
    public int outputWidth() {
        return preset.outputSize();
    }

    @Override
    public void checkCompatible(ImageDataset dataset) {
        ViewGeometry geometry = training ? preset.trainGeometry() : preset.testGeometry();
        if (!geometry.keepsSize()) {
            return;
        }
        int size = preset.outputSize();
        if (!dataset.fixedSize() || dataset.height() != size || dataset.width() != size) {
            throw new IllegalArgumentException("the " + preset.name() + " augmentation does not resize, so it needs "
                    + size + "x" + size + " images, but " + dataset.name() + " has "
                    + (dataset.fixedSize() ? dataset.height() + "x" + dataset.width() : "images of varying size")
                    + "; pick a preset that resizes (stl64, imagenet128) or a dataset of that size");
        }
    }

    @Override
    public SampleTransform.Worker newWorker() {
        return new Worker();
    }

    /** Per-thread scratch: the shared (flipped) input, the current view, and resampling buffers. */
    private final class Worker implements SampleTransform.Worker {
        private final ImageBuffer rgb = new ImageBuffer();
        private final ImageBuffer view = new ImageBuffer();
        private final ImageBuffer resized = new ImageBuffer();
        private final BicubicResampler resampler = new BicubicResampler();

        @Override
        public void apply(ImageBuffer image, RandomGenerator rng, float[][] out) {
            ImageBuffer src = image;
            if (src.channels() == 1) {
                expandToRgb(src, rgb);
                src = rgb;
            }
            if (!training) {
                geometry(preset.testGeometry(), src, rng);
                Normalization.toChw(view, table, out[0]);
                return;
            }
            // The flip comes before both views, so they share it (the input is ours to modify).
            if (rng.nextDouble() < preset.flipProbability()) {
                Geometry.flipHorizontal(src);
            }
            for (int v = 0; v < 2; v++) {
                geometry(preset.trainGeometry(), src, rng);
                if (rng.nextDouble() < preset.jitterProbability()) {
                    ColorJitter jitter = preset.jitter();
                    jitter.apply(view, jitter.sample(rng));
                }
                if (rng.nextDouble() < preset.grayscaleProbability()) {
                    ColorAdjustments.grayscale(view);
                }
                Normalization.toChw(view, table, out[v]);
            }
        }

        /** Runs one geometric step from {@code src} into {@link #view}. */
        private void geometry(ViewGeometry geometry, ImageBuffer src, RandomGenerator rng) {
            int size = preset.outputSize();
            switch (geometry) {
                case ViewGeometry.Identity() -> {
                    requireSize(src, size);
                    view.copyFrom(src);
                }
                case ViewGeometry.Translate(int maxShift, double probability) -> {
                    requireSize(src, size);
                    if (rng.nextDouble() < probability) {
                        int dx = rng.nextInt(-maxShift, maxShift + 1);
                        int dy = rng.nextInt(-maxShift, maxShift + 1);
                        Geometry.translateReflect(src, dx, dy, view);
                    } else {
                        view.copyFrom(src);
                    }
                }
                case ViewGeometry.ResizedCrop(RandomResizedCrop crop) -> {
                    CropBox box = crop.sample(src.width(), src.height(), rng);
                    resampler.resizeCrop(src, box.top(), box.left(), box.height(), box.width(), size, size, view);
                }
                case ViewGeometry.ResizeCenterCrop(int resize, int crop) -> {
                    int[] hw = Geometry.resizedShorterSide(src.height(), src.width(), resize);
                    ImageBuffer scaled = src;
                    // torchvision returns the image untouched when the shorter side already fits.
                    boolean fits = Math.min(src.height(), src.width()) == resize;
                    if (!fits) {
                        resampler.resize(src, hw[0], hw[1], resized);
                        scaled = resized;
                    }
                    Geometry.centerCrop(scaled, crop, crop, view);
                }
            }
        }
    }

    private static void requireSize(ImageBuffer img, int size) {
        if (img.height() != size || img.width() != size) {
            throw new IllegalArgumentException("expected a " + size + "x" + size + " image, got "
                    + img.height() + "x" + img.width());
        }
    }

    private static void expandToRgb(ImageBuffer gray, ImageBuffer rgb) {
        int n = gray.height() * gray.width();
        rgb.reshape(gray.height(), gray.width(), 3);
        byte[] in = gray.data();
        byte[] out = rgb.data();
        for (int i = 0, p = 0; i < n; i++, p += 3) {
            byte v = in[i];
            out[p] = v;
            out[p + 1] = v;
            out[p + 2] = v;
        }
    }
}
