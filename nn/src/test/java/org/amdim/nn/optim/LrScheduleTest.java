package org.amdim.nn.optim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;

import org.amdim.tensor.NoLeaks;
import org.amdim.tensor.Tensor;
import org.amdim.tensor.TensorScope;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Learning-rate schedules against their closed forms, their composition, and applying them to groups. */
@ExtendWith(NoLeaks.class)
class LrScheduleTest {
    private static final double TOL = 1e-15;

    @Test
    void amdimWarmupIsMinOfOneAndStepPlusOneOverWarmup() {
        LrSchedule w = LrSchedule.linearWarmup(500);
        assertEquals(1.0 / 500, w.factor(0, 0), TOL);
        assertEquals(0.5, w.factor(249, 0), TOL);
        assertEquals(0.998, w.factor(498, 0), TOL);
        assertEquals(1.0, w.factor(499, 0));
        assertEquals(1.0, w.factor(100_000, 7));
        // README: a fresh run's first update uses 2e-4 / 500 = 4e-7
        assertEquals(4e-7, 2e-4 * w.factor(0, 0), 1e-22);
        assertEquals(1.0, LrSchedule.linearWarmup(0).factor(0, 0));
    }

    @Test
    void multiStepCountsMilestonesReached() {
        LrSchedule m = LrSchedule.multiStep(new int[] {250, 280}, 0.2);
        assertEquals(1.0, m.factor(0, 0));
        assertEquals(1.0, m.factor(10_000, 249), "steps do not matter, epochs do");
        assertEquals(0.2, m.factor(0, 250), TOL);
        assertEquals(0.2, m.factor(0, 279), TOL);
        assertEquals(0.2 * 0.2, m.factor(0, 280), TOL);
        assertEquals(0.2 * 0.2, m.factor(0, 1000), TOL);
        // a repeated milestone applies twice, as MultiStepLR's Counter does
        assertEquals(0.01, LrSchedule.multiStep(new int[] {5, 5}, 0.1).factor(0, 5), TOL);
    }

    @Test
    void stepDecaysEveryStepSizeEpochs() {
        LrSchedule s = LrSchedule.step(30, 0.1);
        assertEquals(1.0, s.factor(0, 0));
        assertEquals(1.0, s.factor(0, 29));
        assertEquals(0.1, s.factor(0, 30), TOL);
        assertEquals(0.1, s.factor(0, 59), TOL);
        assertEquals(0.01, s.factor(0, 65), TOL);
        assertThrows(IllegalArgumentException.class, () -> LrSchedule.step(0, 0.1));
    }

    @Test
    void cosineFollowsHalfACosineThenStays() {
        LrSchedule c = LrSchedule.cosine(100, 0.1);
        assertEquals(1.0, c.factor(0, 0), TOL);
        assertEquals(0.1 + 0.9 * 0.5 * (1 + Math.cos(Math.PI / 4)), c.factor(25, 0), TOL);
        assertEquals(0.55, c.factor(50, 0), TOL);
        assertEquals(0.1 + 0.9 * 0.5 * (1 + Math.cos(Math.PI * 0.9)), c.factor(90, 0), TOL);
        assertEquals(0.1, c.factor(100, 0), TOL);
        assertEquals(0.1, c.factor(250, 0), TOL);
        assertEquals(0.0, LrSchedule.cosine(10, 0).factor(10, 0), TOL);
        assertThrows(IllegalArgumentException.class, () -> LrSchedule.cosine(0, 0));
    }

    @Test
    void compositionMultipliesAndApplySetsEveryGroupFromItsInitialRate() {
        LrSchedule amdim = LrSchedule.linearWarmup(500).times(LrSchedule.multiStep(new int[] {250, 280}, 0.2));
        assertEquals(0.5 * 0.2, amdim.factor(249, 260), TOL);
        assertEquals(0.04, amdim.factor(5000, 300), TOL);
        assertEquals(1.0, LrSchedule.constant().times(LrSchedule.constant()).factor(3, 3));
        try (var scope = TensorScope.open()) {
            Tensor a = Tensor.zeros(2).requiresGrad(true);
            Tensor b = Tensor.zeros(2).requiresGrad(true);
            try (Sgd sgd = new Sgd(List.of(new ParamGroup(List.of(a), 2e-4, 0), new ParamGroup(List.of(b), 1e-3, 0)),
                    0, 0, false)) {
                amdim.apply(sgd, 99, 251);
                assertEquals(2e-4 * 0.2 * 0.2, sgd.paramGroups().get(0).lr(), 1e-20);
                assertEquals(1e-3 * 0.2 * 0.2, sgd.paramGroups().get(1).lr(), 1e-20);
                // applying again starts from the initial rates, it does not compound
                amdim.apply(sgd, 99, 251);
                assertEquals(2e-4 * 0.2 * 0.2, sgd.paramGroups().get(0).lr(), 1e-20);
                amdim.apply(sgd, 1000, 0);
                assertEquals(2e-4, sgd.paramGroups().get(0).lr());
                assertEquals(2e-4, sgd.paramGroups().get(0).initialLr());
            }
        }
    }
}
