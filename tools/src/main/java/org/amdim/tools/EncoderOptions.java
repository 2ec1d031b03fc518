package org.amdim.tools;

import java.util.Locale;

import org.amdim.model.encoder.EncoderConfig;

import picocli.CommandLine.Option;

/** The options that choose the encoder: a preset, optionally with custom sizes. */
public final class EncoderOptions {
    @Option(names = "--preset", defaultValue = "default",
            description = "Encoder preset: default (ndf 128, n_rkhs 1024, n_depth 3, as the original), large"
                    + " (CIFAR/STL 256/2048/10; ImageNet 320/2560/10), imagenet-standard (192/1536/8), small"
                    + " (32/256/2), tiny (16/128/2).")
    String preset;

    @Option(names = "--ndf", description = "Override the preset's base width.")
    Integer ndf;

    @Option(names = "--n-rkhs", description = "Override the preset's embedding size.")
    Integer nRkhs;

    @Option(names = "--n-depth", description = "Override the preset's residual depth.")
    Integer nDepth;

    @Option(names = "--use-bn", description = "Batch norm inside the residual units (the original's --use_bn).")
    boolean useBn;

    /** Checks the values' ranges (a usage error names the option). */
    void checkRanges(OptionRanges ranges) {
        if (ndf != null) {
            ranges.atLeast("--ndf", ndf, 1);
        }
        if (nRkhs != null) {
            ranges.atLeast("--n-rkhs", nRkhs, 1);
        }
        if (nDepth != null) {
            ranges.atLeast("--n-depth", nDepth, 1);
        }
    }

    /** The encoder configuration for images of {@code inputSize}. */
    public EncoderConfig config(int inputSize) {
        EncoderConfig base = preset(preset, inputSize);
        return new EncoderConfig(inputSize, ndf != null ? ndf : base.ndf(), nRkhs != null ? nRkhs : base.nRkhs(),
                nDepth != null ? nDepth : base.nDepth(), useBn);
    }

    /**
     * The encoder a {@code --preset} names, for images of {@code inputSize}, without batch norms (the one place
     * the presets' sizes are written; the benchmarks take theirs from here too).
     *
     * @throws IllegalArgumentException for an unknown name
     */
    public static EncoderConfig preset(String name, int inputSize) {
        int[] base = switch (name.toLowerCase(Locale.ROOT)) {
            case "default" -> new int[] {128, 1024, 3};
            case "large" -> inputSize == 128 ? new int[] {320, 2560, 10} : new int[] {256, 2048, 10};
            case "imagenet-standard" -> new int[] {192, 1536, 8};
            case "small" -> new int[] {32, 256, 2};
            case "tiny" -> new int[] {16, 128, 2};
            default -> throw new IllegalArgumentException("unknown --preset '" + name
                    + "': expected default, large, imagenet-standard, small or tiny");
        };
        return new EncoderConfig(inputSize, base[0], base[1], base[2], false);
    }
}
