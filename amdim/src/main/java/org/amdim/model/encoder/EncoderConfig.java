package org.amdim.model.encoder;

/**
 * Hyper-parameters of an AMDIM {@link Encoder}, with the original training script's defaults and its published
 * larger configurations as presets.
 *
 * <p>The architecture is fixed per input size; the numbers here only scale it:
 * <ul>
 *   <li>{@code inputSize}: 32 (CIFAR-10/100), 64 (STL-10 crops) or 128 (ImageNet, Places205). Selects the
 *       layer layout (see {@link EncoderLayout}).</li>
 *   <li>{@code ndf}: base feature width. Stages use ndf, 2·ndf, 4·ndf and (64/128 only) 8·ndf channels.
 *       Default 128.</li>
 *   <li>{@code nRkhs}: width of the three output embeddings r1, r5, r7. Default 1024.</li>
 *   <li>{@code nDepth}: residual units per residual block. Every block is one unit that changes size
 *       (k×k kernel, stride s) followed by {@code nDepth − 1} units with 1×1 kernels that keep it; the number of
 *       blocks is fixed by the layout. Default 3.</li>
 *   <li>{@code useBn}: whether the optional batch norms run (inside residual units, in the embedding heads'
 *       hidden layer, and the middle one after the last down-sampling block). Their parameters exist either
 *       way, so state dicts have the same keys. The final batch norm and the heads' output batch norms always
 *       run. Default false (the training script's {@code --use_bn 0}).</li>
 * </ul>
 *
 * @param inputSize image side in pixels: 32, 64 or 128
 * @param ndf       base number of feature channels, at least 1
 * @param nRkhs     embedding width; at least the channel count entering the last residual unit (4·ndf for 32,
 *                  8·ndf for 64/128), because residual units can only keep or grow their channel count
 * @param nDepth    residual units per residual block, at least 1
 * @param useBn     whether the optional batch norms are applied
 */
public record EncoderConfig(int inputSize, int ndf, int nRkhs, int nDepth, boolean useBn) {
    /** The training script's default base width. */
    public static final int DEFAULT_NDF = 128;
    /** The training script's default embedding width. */
    public static final int DEFAULT_N_RKHS = 1024;
    /** The training script's default number of residual units per block. */
    public static final int DEFAULT_N_DEPTH = 3;

    /**
     * Validates the configuration.
     *
     * @throws IllegalArgumentException for an unsupported input size, non-positive widths or depth, or an
     *                                  embedding narrower than the features it is computed from
     */
    public EncoderConfig {
        if (inputSize != 32 && inputSize != 64 && inputSize != 128) {
            throw new IllegalArgumentException("input size must be 32, 64 or 128 (the original's encoder layouts), got "
                    + inputSize);
        }
        if (ndf < 1) {
            throw new IllegalArgumentException("ndf must be at least 1, got " + ndf);
        }
        if (nDepth < 1) {
            throw new IllegalArgumentException("n_depth (residual units per block) must be at least 1, got " + nDepth);
        }
        int widest = widestStageMultiplier(inputSize);
        if (nRkhs < (long) widest * ndf) {
            throw new IllegalArgumentException("n_rkhs (" + nRkhs + ") must be at least " + widest + "*ndf = "
                    + (long) widest * ndf + " for the " + inputSize + "x" + inputSize + " encoder: its last residual"
                    + " unit maps " + widest + "*ndf channels to n_rkhs, and a residual unit can only keep or grow"
                    + " the channel count (its shortcut appends zero channels), as the original asserts");
        }
    }

    /** 4 for the 32×32 layout, 8 for the 64×64 and 128×128 layouts: the widest stage is this many times ndf. */
    static int widestStageMultiplier(int inputSize) {
        return inputSize == 32 ? 4 : 8;
    }

    /** Channels of the widest stage (the 7×7 and 5×5 feature maps): 4·ndf or 8·ndf. */
    public int stageChannels() {
        return widestStageMultiplier(inputSize) * ndf;
    }

    /** The same configuration with the optional batch norms switched on or off. */
    public EncoderConfig withUseBn(boolean on) {
        return new EncoderConfig(inputSize, ndf, nRkhs, nDepth, on);
    }

    // ---------------------------------------------------------------- presets: the training script's defaults

    /** CIFAR-10 / CIFAR-100 (32×32) with the training script's defaults: ndf 128, n_rkhs 1024, n_depth 3. */
    public static EncoderConfig cifar10Default() {
        return new EncoderConfig(32, DEFAULT_NDF, DEFAULT_N_RKHS, DEFAULT_N_DEPTH, false);
    }

    /** STL-10 (64×64 crops) with the training script's defaults: ndf 128, n_rkhs 1024, n_depth 3. */
    public static EncoderConfig stl10Default() {
        return new EncoderConfig(64, DEFAULT_NDF, DEFAULT_N_RKHS, DEFAULT_N_DEPTH, false);
    }

    /** ImageNet / Places205 (128×128) with the training script's defaults: ndf 128, n_rkhs 1024, n_depth 3. */
    public static EncoderConfig imagenetDefault() {
        return new EncoderConfig(128, DEFAULT_NDF, DEFAULT_N_RKHS, DEFAULT_N_DEPTH, false);
    }

    // ---------------------------------------------------------------- presets: larger published configurations

    /**
     * A large 32×32 configuration: ndf 256, n_rkhs 2048, n_depth 10 (the width and depth of the original's released
     * "AMDIM-Medium" model, on the CIFAR layout).
     */
    public static EncoderConfig cifarLarge() {
        return new EncoderConfig(32, 256, 2048, 10, false);
    }

    /** A large 64×64 configuration: ndf 256, n_rkhs 2048, n_depth 10 (as {@link #cifarLarge()}, STL-10 layout). */
    public static EncoderConfig stl10Large() {
        return new EncoderConfig(64, 256, 2048, 10, false);
    }

    /**
     * The 128×128 configuration of the original's README training command (four GPUs, batch 480):
     * ndf 192, n_rkhs 1536, n_depth 8.
     */
    public static EncoderConfig imagenetStandard() {
        return new EncoderConfig(128, 192, 1536, 8, false);
    }

    /** The 128×128 configuration of the released "AMDIM-Medium" checkpoint: ndf 256, n_rkhs 2048, n_depth 10. */
    public static EncoderConfig imagenetMedium() {
        return new EncoderConfig(128, 256, 2048, 10, false);
    }

    /** The 128×128 configuration of the released "AMDIM-Large" checkpoint: ndf 320, n_rkhs 2560, n_depth 10. */
    public static EncoderConfig imagenetLarge() {
        return new EncoderConfig(128, 320, 2560, 10, false);
    }
}
