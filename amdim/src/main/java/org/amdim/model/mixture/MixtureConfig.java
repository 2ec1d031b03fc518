package org.amdim.model.mixture;

/**
 * Settings of the mixture-based representations (the AMDIM paper's extension; see {@link MixtureHeads}).
 *
 * @param enabled     whether the model builds the heads and adds their loss (default false)
 * @param components  number of mixture components {@code k ≥ 1} (default 4)
 * @param tau         sharpness {@code τ > 0} of the soft assignment {@code q(j|i) = softmax_j(τ·s_ij)}; the
 *                    objective tends to the hard maximum over components as τ grows (default 1)
 * @param hidden      hidden width of each component's MLP; 0 means the feature size (default 0)
 */
public record MixtureConfig(boolean enabled, int components, double tau, long hidden) {
    /** Validates the values. */
    public MixtureConfig {
        if (components < 1) {
            throw new IllegalArgumentException("need at least one mixture component, got " + components);
        }
        if (!(tau > 0) || Double.isInfinite(tau)) {
            throw new IllegalArgumentException("tau must be positive and finite, got " + tau);
        }
        if (hidden < 0) {
            throw new IllegalArgumentException("hidden width must be >= 0, got " + hidden);
        }
    }

    /** The defaults: disabled, 4 components, τ = 1, hidden width = feature size. */
    public static MixtureConfig defaults() {
        return new MixtureConfig(false, 4, 1.0, 0);
    }

    /** Enabled with {@code components} components and sharpness {@code tau}, hidden width = feature size. */
    public static MixtureConfig of(int components, double tau) {
        return new MixtureConfig(true, components, tau, 0);
    }
}
