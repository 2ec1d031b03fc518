package org.amdim.model;

import static org.junit.jupiter.api.Assertions.assertTrue;

import org.amdim.nn.io.NamedTensors;
import org.amdim.tensor.Closeness;
import org.amdim.tensor.Tensor;

/**
 * Comparisons against reference tensors that report how close they came: every check prints
 * {@code worst error / allowed error} (≤ 1 passes) so the margins are visible in the test log.
 */
public final class Close {
    private Close() {
    }

    /** Loads {@code <name>} of the first reference set, {@code reference/} ({@link ReferenceSets#load}). */
    public static NamedTensors reference(String name) {
        return ReferenceSets.load("reference", name);
    }

    /** Largest |value| of a tensor ({@link Closeness#maxAbs}). */
    public static double maxAbs(Tensor t) {
        return Closeness.maxAbs(t);
    }

    /**
     * Asserts {@code |actual − expected| ≤ atol + rtol·|expected|} element-wise and returns the worst ratio of
     * error to allowance ({@link Closeness#assertWithin}).
     */
    public static double check(String what, Tensor actual, Tensor expected, double atol, double rtol) {
        return Closeness.assertWithin(what, actual, expected, atol, rtol).worstRatio();
    }

    /** Relative check of a scalar: {@code |a − e| ≤ rtol·|e|}. */
    public static double checkScalar(String what, double actual, double expected, double rtol) {
        double err = Math.abs(actual - expected);
        double ratio = err == 0 ? 0 : err / (rtol * Math.abs(expected));
        System.out.printf("[check] %-60s %.8g vs %.8g  err/tol %.3f%n", what, actual, expected, ratio);
        assertTrue(ratio <= 1.0, what + ": " + actual + " vs " + expected);
        return ratio;
    }
}
