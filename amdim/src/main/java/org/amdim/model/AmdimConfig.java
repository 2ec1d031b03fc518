package org.amdim.model;

import org.amdim.model.encoder.EncoderConfig;
import org.amdim.model.heads.Evaluator;
import org.amdim.model.mixture.MixtureConfig;
import org.amdim.model.nce.MultiScaleNceLoss;

/**
 * Everything that fixes the shape of an {@link AmdimModel}, with the training script's defaults.
 *
 * @param encoder          the encoder's hyper-parameters (default {@link EncoderConfig#cifar10Default()})
 * @param classes          number of classes of the online classifiers (default 10)
 * @param tclip            soft clip of the NCE scores (default 20, the script's {@code --tclip})
 * @param evaluatorDropout dropout probability of the MLP classifier head (default 0.2)
 * @param mixture          mixture-based representations (default off)
 * @param seed             seed of the generator that draws the 5×5 NCE source locations (default 0)
 */
public record AmdimConfig(EncoderConfig encoder, int classes, double tclip, double evaluatorDropout,
        MixtureConfig mixture, long seed) {
    /** Validates the values. */
    public AmdimConfig {
        if (encoder == null || mixture == null) {
            throw new IllegalArgumentException("encoder and mixture configurations are required");
        }
        if (classes < 1) {
            throw new IllegalArgumentException("need at least one class, got " + classes);
        }
        if (!(tclip > 0) || Double.isInfinite(tclip)) {
            throw new IllegalArgumentException("tclip must be positive and finite, got " + tclip);
        }
        if (!(evaluatorDropout >= 0 && evaluatorDropout < 1)) {
            throw new IllegalArgumentException("dropout must be in [0, 1), got " + evaluatorDropout);
        }
    }

    /** The script's defaults around the given encoder and class count. */
    public static AmdimConfig of(EncoderConfig encoder, int classes) {
        return new AmdimConfig(encoder, classes, MultiScaleNceLoss.DEFAULT_TCLIP, Evaluator.DEFAULT_DROPOUT,
                MixtureConfig.defaults(), 0L);
    }

    /** This configuration with another evaluator dropout. */
    public AmdimConfig withEvaluatorDropout(double p) {
        return new AmdimConfig(encoder, classes, tclip, p, mixture, seed);
    }

    /** This configuration with another mixture setting. */
    public AmdimConfig withMixture(MixtureConfig m) {
        return new AmdimConfig(encoder, classes, tclip, evaluatorDropout, m, seed);
    }

    /** This configuration with another seed for the NCE source locations. */
    public AmdimConfig withSeed(long s) {
        return new AmdimConfig(encoder, classes, tclip, evaluatorDropout, mixture, s);
    }
}
