package org.amdim.nn.optim;

/**
 * A learning-rate multiplier as a function of the update count (and, for epoch-based decays, of the epoch).
 * Schedules compose by multiplication ({@link #times}), e.g. AMDIM's warm-up × multi-step decay:
 *
 * <pre>{@code
 * LrSchedule s = LrSchedule.linearWarmup(500).times(LrSchedule.multiStep(new int[] {250, 280}, 0.2));
 * s.apply(optimizer, step, epoch);
 * }</pre>
 */
@FunctionalInterface
public interface LrSchedule {
    /**
     * The factor applied to each group's initial learning rate.
     *
     * @param step  updates done so far
     * @param epoch epochs completed so far
     */
    double factor(long step, long epoch);

    /** Sets every group's learning rate to {@code initialLr · factor(step, epoch)}. */
    default void apply(Optimizer optimizer, long step, long epoch) {
        double f = factor(step, epoch);
        for (ParamGroup g : optimizer.paramGroups()) {
            g.setLr(g.initialLr() * f);
        }
    }

    /** The product of two schedules. */
    default LrSchedule times(LrSchedule other) {
        return (s, e) -> factor(s, e) * other.factor(s, e);
    }

    /** Always 1. */
    static LrSchedule constant() {
        return (s, e) -> 1.0;
    }

    /** AMDIM's warm-up: {@code min(1, (step + 1) / warmupSteps)}. */
    static LrSchedule linearWarmup(long warmupSteps) {
        if (warmupSteps <= 0) {
            return constant();
        }
        return (s, e) -> Math.min(1.0, (s + 1.0) / warmupSteps);
    }

    /** {@code gamma^⌊epoch / stepSize⌋} ({@code StepLR}); {@code stepSize} ≥ 1. */
    static LrSchedule step(long stepSize, double gamma) {
        if (stepSize < 1) {
            throw new IllegalArgumentException("step size must be >= 1, got " + stepSize);
        }
        return (s, e) -> Math.pow(gamma, e / stepSize);
    }

    /** {@code gamma^(number of milestones ≤ epoch)} ({@code MultiStepLR}). */
    static LrSchedule multiStep(int[] milestones, double gamma) {
        int[] ms = milestones.clone();
        return (s, e) -> {
            int passed = 0;
            for (int m : ms) {
                if (e >= m) {
                    passed++;
                }
            }
            return Math.pow(gamma, passed);
        };
    }

    /**
     * Cosine annealing over {@code totalSteps} updates down to {@code minFactor} ({@code CosineAnnealingLR}'s
     * closed form with {@code T_max = totalSteps}, {@code eta_min = minFactor·lr}), then constant at
     * {@code minFactor} instead of rising again.
     */
    static LrSchedule cosine(long totalSteps, double minFactor) {
        if (totalSteps < 1) {
            throw new IllegalArgumentException("total steps must be >= 1, got " + totalSteps);
        }
        return (s, e) -> {
            double t = Math.min(1.0, (double) s / totalSteps);
            return minFactor + (1 - minFactor) * 0.5 * (1 + Math.cos(Math.PI * t));
        };
    }
}
