package org.amdim.nn.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/**
 * The original training loop's schedule, update by update, against sequences written out by hand from
 * {@code train.py}: warm-up writes before updates {@code t < W}, {@code scheduler.step(e)} after the last update
 * of epoch {@code e} sets {@code γ^(milestones ≤ e)}.
 */
class WarmupMultiStepScheduleTest {
    /**
     * A few ulps of 1: the factors are {@code Math.pow(0.2, n)} and {@code (t + 1) / W}, written here as products and
     * quotients of literals, which may round differently in the last bit (2.2e-16 relative each).
     */
    private static final double TOL = 1e-15;

    private static double[] perUpdate(WarmupMultiStepSchedule s, int epochs) {
        double[] out = new double[(int) (epochs * s.stepsPerEpoch())];
        for (int t = 0; t < out.length; t++) {
            out[t] = s.factor(t, t / s.stepsPerEpoch());
        }
        return out;
    }

    @Test
    void withoutWarmupMilestoneOneAndThreeDecayFromEpochsTwoAndFour() {
        // Epoch 0: lr₀ (nothing written yet). End of epoch 0: step(0) → γ^|{m ≤ 0}| = 1.
        // End of epoch 1: step(1) → γ^|{1}| = 0.2 for epoch 2. End of epoch 2: still 0.2 for epoch 3.
        // End of epoch 3: step(3) → γ^|{1, 3}| = 0.04 for epoch 4.
        double[] expectedPerEpoch = {1, 1, 0.2, 0.2, 0.2 * 0.2};
        var s = new WarmupMultiStepSchedule(0, new int[] {1, 3}, 0.2, 1);
        assertArrayEquals(expectedPerEpoch, perUpdate(s, 5), TOL);
        // The plain MultiStepLR closed form is one epoch early: it would give {1, 0.2, 0.2, 0.04, 0.04}.
        var twoPerEpoch = new WarmupMultiStepSchedule(0, new int[] {1, 3}, 0.2, 2);
        assertArrayEquals(new double[] {1, 1, 1, 1, 0.2, 0.2, 0.2, 0.2, 0.04, 0.04}, perUpdate(twoPerEpoch, 5),
                TOL);
    }

    @Test
    void warmupThatOutlastsAnEpochEndOverwritesTheDecayUntilTheNextEpochEnd() {
        // W = 5, 2 updates per epoch, milestones {1, 3}.
        // t = 0..4: warm-up writes (t+1)/5 before each update: 0.2, 0.4, 0.6, 0.8, 1.0 (t = 4 is in epoch 2).
        // End of epoch 1 (after t = 3): step(1) → 0.2, but before t = 4 the warm-up writes 1.0, which stays for
        // t = 5 as well. End of epoch 2: step(2) → 0.2 for t = 6, 7. End of epoch 3: step(3) → 0.04 for t = 8, 9.
        var s = new WarmupMultiStepSchedule(5, new int[] {1, 3}, 0.2, 2);
        assertArrayEquals(new double[] {0.2, 0.4, 0.6, 0.8, 1.0, 1.0, 0.2, 0.2, 0.2 * 0.2, 0.2 * 0.2},
                perUpdate(s, 5), TOL);
    }

    @Test
    void warmupEndingInsideEpochZeroLeavesTheEpochEndsInCharge() {
        // W = 3, 4 updates per epoch, milestones {0, 2}: warm-up 1/3, 2/3, 1 then 1 for t = 3 (epoch 0).
        // step(0) → 0.2 for epoch 1; step(1) → 0.2 for epoch 2; step(2) → 0.04 for epoch 3.
        var s = new WarmupMultiStepSchedule(3, new int[] {0, 2}, 0.2, 4);
        double third = 1.0 / 3;
        assertArrayEquals(new double[] {third, 2 * third, 1, 1, 0.2, 0.2, 0.2, 0.2, 0.2, 0.2, 0.2, 0.2,
                0.04, 0.04, 0.04, 0.04}, perUpdate(s, 4), TOL);
    }

    @Test
    void rejectsMeaninglessSettings() {
        assertThrows(IllegalArgumentException.class, () -> new WarmupMultiStepSchedule(-1, new int[0], 0.2, 1));
        assertThrows(IllegalArgumentException.class, () -> new WarmupMultiStepSchedule(0, new int[0], 0.2, 0));
    }
}
