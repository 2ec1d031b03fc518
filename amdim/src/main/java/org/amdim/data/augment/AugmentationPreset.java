package org.amdim.data.augment;

/**
 * The augmentation settings of one input resolution, mirroring the transform classes of the
 * original {@code datasets.py} ({@code TransformsC10}, {@code TransformsSTL10},
 * {@code TransformsImageNet128}).
 *
 * @param name a short name for logs
 * @param outputSize the side of every view
 * @param trainGeometry the geometric step of training views
 * @param testGeometry the geometric step of evaluation views
 * @param flipProbability the chance of the horizontal flip shared by both training views (0.5)
 * @param jitter the colour jitter of training views
 * @param jitterProbability the chance of applying the jitter at all (0.8)
 * @param grayscaleProbability the chance of a grayscale training view
 * @param normalization the per-channel normalisation of every view
 */
public record AugmentationPreset(
        String name,
        int outputSize,
        ViewGeometry trainGeometry,
        ViewGeometry testGeometry,
        double flipProbability,
        ColorJitter jitter,
        double jitterProbability,
        double grayscaleProbability,
        Normalization normalization) {

    /**
     * CIFAR-10/100 at 32×32 ({@code TransformsC10}): training views translate by up to 4 pixels
     * with reflection (p = 0.8), jitter (0.4, 0.4, 0.4, 0.2) with p = 0.8, grayscale with p = 0.25;
     * evaluation only normalises. Inputs must be 32×32.
     */
    public static final AugmentationPreset CIFAR32 = new AugmentationPreset("cifar32", 32,
            new ViewGeometry.Translate(4, 0.8), new ViewGeometry.Identity(),
            0.5, new ColorJitter(0.4, 0.4, 0.4, 0.2), 0.8, 0.25, Normalization.CIFAR);

    /**
     * STL-10 at 64×64 ({@code TransformsSTL10}): training views are bicubic
     * {@code RandomResizedCrop(64, scale (0.3, 1), ratio (0.7, 1.4))}, jitter (0.4, 0.4, 0.4, 0.2)
     * with p = 0.8, grayscale with p = 0.25; evaluation resizes the shorter side to 70 and takes
     * the central 64×64.
     */
    public static final AugmentationPreset STL64 = new AugmentationPreset("stl64", 64,
            new ViewGeometry.ResizedCrop(new RandomResizedCrop(64, 0.3, 1.0, 0.7, 1.4)),
            new ViewGeometry.ResizeCenterCrop(70, 64),
            0.5, new ColorJitter(0.4, 0.4, 0.4, 0.2), 0.8, 0.25, Normalization.STL10);

    /**
     * ImageNet-style folders at 128×128 ({@code TransformsImageNet128}): bicubic
     * {@code RandomResizedCrop(128, scale (0.3, 1), ratio (0.7, 1.4))}, jitter (0.4, 0.4, 0.4, 0.2)
     * with p = 0.8 and grayscale with p = 0.2, as the original code has them (not 0.1 and 0.25);
     * evaluation resizes the shorter side to 146 and takes the central 128×128.
     */
    public static final AugmentationPreset IMAGENET128 = new AugmentationPreset("imagenet128", 128,
            new ViewGeometry.ResizedCrop(new RandomResizedCrop(128, 0.3, 1.0, 0.7, 1.4)),
            new ViewGeometry.ResizeCenterCrop(146, 128),
            0.5, new ColorJitter(0.4, 0.4, 0.4, 0.2), 0.8, 0.2, Normalization.IMAGENET);

    /** Validates the fields. */
    public AugmentationPreset {
        if (outputSize < 1) {
            throw new IllegalArgumentException("outputSize must be positive");
        }
        for (double p : new double[] {flipProbability, jitterProbability, grayscaleProbability}) {
            if (!(p >= 0 && p <= 1)) {
                throw new IllegalArgumentException("probabilities must lie in [0, 1], got " + p);
            }
        }
        if (trainGeometry instanceof ViewGeometry.ResizedCrop(RandomResizedCrop crop) && crop.size() != outputSize) {
            throw new IllegalArgumentException("crop size " + crop.size() + " differs from output size " + outputSize);
        }
        if (testGeometry instanceof ViewGeometry.ResizeCenterCrop(int resize, int crop) && crop != outputSize) {
            throw new IllegalArgumentException("center crop " + crop + " differs from output size " + outputSize);
        }
    }

    /**
     * Returns the preset whose name (case-insensitive) matches, for command lines.
     *
     * @param name cifar32, stl64 or imagenet128
     * @return the preset
     * @throws IllegalArgumentException for an unknown name
     */
    public static AugmentationPreset named(String name) {
        for (AugmentationPreset p : new AugmentationPreset[] {CIFAR32, STL64, IMAGENET128}) {
            if (p.name().equalsIgnoreCase(name)) {
                return p;
            }
        }
        throw new IllegalArgumentException("unknown augmentation preset '" + name + "' (cifar32, stl64, imagenet128)");
    }
}
