package org.amdim.nn.optim;

import java.util.Arrays;

/**
 * The learning-rate schedule of the original AMDIM training loop ({@code train.py}'s {@code _train}), to the
 * update: a linear warm-up written before each of the first updates, and a {@code MultiStepLR} stepped at the
 * <em>end</em> of every epoch.
 *
 * <p>The original writes the learning rate in two places, and whichever wrote last wins:
 * <ul>
 * <li>before update {@code t} (0-based, counted over the whole run) while {@code t < warmupSteps}:
 *     {@code lr = lr₀·min(1, (t + 1) / warmupSteps)}, ignoring any decay;</li>
 * <li>after the last update of epoch {@code e} (0-based): {@code scheduler.step(e)}, which sets
 *     {@code lr = lr₀·γ^(number of milestones ≤ e)}, so that value first applies during epoch {@code e + 1}.</li>
 * </ul>
 * During epoch {@code e}, after the warm-up, the factor is therefore {@code γ^(number of milestones ≤ e − 1)}
 * (1 in epoch 0): milestone {@code m} takes effect from epoch {@code m + 1}, one epoch later than
 * {@link LrSchedule#multiStep}'s {@code γ^(number of milestones ≤ e)}. When the warm-up outlasts an epoch end,
 * its last write ({@code lr₀}) stays until the next epoch end, even if a milestone had passed: the original
 * loses that decay for the rest of the epoch, and so does this schedule.
 *
 * @param warmupSteps   updates of the linear warm-up (0: none)
 * @param milestones    epochs after whose end the rate is multiplied by {@code gamma}
 * @param gamma         the decay factor
 * @param stepsPerEpoch updates per epoch (the epoch ends happen after updates {@code stepsPerEpoch·(e + 1)})
 */
public record WarmupMultiStepSchedule(long warmupSteps, int[] milestones, double gamma, long stepsPerEpoch)
        implements LrSchedule {
    /** Validates and copies the milestones. */
    public WarmupMultiStepSchedule {
        if (warmupSteps < 0) {
            throw new IllegalArgumentException("warm-up steps must be >= 0, got " + warmupSteps);
        }
        if (stepsPerEpoch < 1) {
            throw new IllegalArgumentException("steps per epoch must be >= 1, got " + stepsPerEpoch);
        }
        milestones = milestones.clone();
    }

    /** A copy of the milestones. */
    @Override
    public int[] milestones() {
        return milestones.clone();
    }

    /**
     * The factor for update {@code step} (updates done so far), which falls in epoch {@code epoch}.
     *
     * @param step  updates done before this one
     * @param epoch the epoch this update belongs to (0-based)
     */
    @Override
    public double factor(long step, long epoch) {
        if (step < warmupSteps) {
            return (step + 1.0) / warmupSteps;
        }
        // The scheduler's write at the end of epoch e − 1 happened after (step count) e·stepsPerEpoch updates; the
        // warm-up's last write before update warmupSteps − 1. The later of the two is in force.
        boolean decayWrittenAfterWarmup = epoch >= 1 && epoch * stepsPerEpoch >= warmupSteps;
        if (!decayWrittenAfterWarmup) {
            return 1.0;
        }
        int passed = 0;
        for (int m : milestones) {
            if (m <= epoch - 1) {
                passed++;
            }
        }
        return Math.pow(gamma, passed);
    }

    @Override
    public String toString() {
        return "WarmupMultiStepSchedule(warmup=" + warmupSteps + ", milestones=" + Arrays.toString(milestones)
                + ", gamma=" + gamma + ", stepsPerEpoch=" + stepsPerEpoch + ")";
    }
}
