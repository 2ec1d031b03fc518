package org.amdim.tools.bench;

import java.util.List;

import org.amdim.data.augment.AugmentationPreset;
import org.amdim.model.encoder.EncoderConfig;
import org.amdim.tools.EncoderOptions;

/**
 * The dataset settings the model-scale benchmarks take by name (their {@code preset} parameter): the original
 * training script's default encoder for the input size (or a smaller one), the training augmentation, and the side
 * of the stored images the augmentation starts from.
 *
 * @param name         the parameter value: {@code cifar10}, {@code stl10}, {@code imagenet} or {@code small}
 * @param encoder      the encoder at the script's defaults (ndf 128, n_rkhs 1024, n_depth 3), or for {@code small}
 *                     the CLI's small preset
 * @param augmentation the training transform's settings
 * @param sourceSide   the side of the stored square images: 32 for CIFAR, 96 for STL-10 (cropped to 64), and
 *                     146 for ImageNet-style folders (the evaluation resize; training crops are taken from it)
 */
record BenchPreset(String name, EncoderConfig encoder, AugmentationPreset augmentation, int sourceSide) {
    /** CIFAR-10: 32×32 images, 32×32 views. */
    static final BenchPreset CIFAR10 = new BenchPreset("cifar10", EncoderConfig.cifar10Default(),
            AugmentationPreset.CIFAR32, 32);
    /** STL-10: 96×96 images, 64×64 views. */
    static final BenchPreset STL10 = new BenchPreset("stl10", EncoderConfig.stl10Default(),
            AugmentationPreset.STL64, 96);
    /** ImageNet-style: 128×128 views. */
    static final BenchPreset IMAGENET = new BenchPreset("imagenet", EncoderConfig.imagenetDefault(),
            AugmentationPreset.IMAGENET128, 146);

    /** CIFAR-10 with the CLI's {@code --preset small} encoder (ndf 32, n_rkhs 256, n_depth 2): 32×32 views. */
    static final BenchPreset SMALL = new BenchPreset("small", EncoderOptions.preset("small", 32),
            AugmentationPreset.CIFAR32, 32);

    private static final List<BenchPreset> ALL = List.of(CIFAR10, STL10, IMAGENET, SMALL);

    /**
     * The preset called {@code name}.
     *
     * @throws IllegalArgumentException for an unknown name (the message lists the known ones)
     */
    static BenchPreset named(String name) {
        for (BenchPreset p : ALL) {
            if (p.name().equals(name)) {
                return p;
            }
        }
        throw new IllegalArgumentException("unknown preset '" + name + "': expected "
                + String.join(", ", ALL.stream().map(BenchPreset::name).toList()));
    }

    /** The side of the views the encoder sees. */
    int viewSide() {
        return encoder.inputSize();
    }
}
