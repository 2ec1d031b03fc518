package org.amdim.tools.render;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/** Tick placement and labels against hand-worked ranges. */
class TicksTest {
    @Test
    void unitRangeInFiveIntervalsStepsByFifths() {
        Ticks t = Ticks.covering(0, 1, 5);
        assertEquals(new Ticks(0, 1, 0.2), t);
        assertEquals(6, t.count());
        assertEquals("0.6", t.label(t.value(3)));
        assertEquals("0", t.label(t.value(0)));
    }

    @Test
    void rangeIsWidenedToWholeSteps() {
        // 97/5 = 19.4 per interval: the next nice step is 20, so 0..100 in 5 intervals.
        Ticks t = Ticks.covering(3, 97, 5);
        assertEquals(0, t.min());
        assertEquals(100, t.max());
        assertEquals(20, t.step());
    }

    @Test
    void stepOfTwoAndAHalfGetsOneDecimal() {
        // 9/4 = 2.25 per interval: 2.5 is the smallest nice step, 0..10 in 4 intervals.
        Ticks t = Ticks.covering(0.5, 9.5, 4);
        assertEquals(2.5, t.step());
        assertEquals(0, t.min());
        assertEquals(10, t.max());
        assertEquals("7.5", t.label(t.value(3)));
    }

    @Test
    void smallStepsNeedEnoughDecimals() {
        // 0.3/6 = 0.05 per interval exactly.
        Ticks t = Ticks.covering(3.1, 3.4, 6);
        assertEquals(0.05, t.step(), 1e-12);
        assertEquals(3.1, t.min(), 1e-12);
        assertEquals(3.4, t.max(), 1e-12);
        assertEquals("3.15", t.label(t.value(1)));
    }

    @Test
    void whenFloorAndCeilAddIntervalsTheNextStepIsTaken() {
        // 0.9..9.1 by 2 would need 0..10 = 5 intervals > 4; by 2.5 it is 0..10 = 4 intervals.
        Ticks t = Ticks.covering(0.9, 9.1, 4);
        assertEquals(2.5, t.step());
    }

    @Test
    void largeValuesUseThousandsAndMillions() {
        Ticks k = Ticks.covering(0, 50_000, 5);
        assertEquals(10_000, k.step());
        assertEquals("20k", k.label(20_000));
        Ticks m = Ticks.covering(0, 2_500_000, 5);
        assertEquals(500_000, m.step());
        assertEquals("1.5M", m.label(1_500_000));
    }

    @Test
    void negativeValuesAndAnEmptyRange() {
        Ticks t = Ticks.covering(-7, -3, 4);
        assertEquals(-7, t.min());
        assertEquals(-3, t.max());
        assertEquals("-5", t.label(-5));
        Ticks single = Ticks.covering(6, 6, 4);
        assertEquals(true, single.min() <= 5.4 && single.max() >= 6.6, single.toString());
        Ticks zero = Ticks.covering(0, 0, 4);
        assertEquals(true, zero.min() <= -1 && zero.max() >= 1, zero.toString());
    }

    @Test
    void decimalsOfSteps() {
        assertEquals(0, Ticks.decimals(5));
        assertEquals(1, Ticks.decimals(0.5));
        assertEquals(2, Ticks.decimals(0.25));
        assertEquals(3, Ticks.decimals(0.002));
    }

    @Test
    void badRangesAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> Ticks.covering(2, 1, 4));
        assertThrows(IllegalArgumentException.class, () -> Ticks.covering(0, Double.NaN, 4));
    }
}
