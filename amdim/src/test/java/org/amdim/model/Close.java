package org.amdim.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.amdim.nn.io.NamedTensors;
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

    /** Largest |value| of a tensor. */
    public static double maxAbs(Tensor t) {
        double m = 0;
        for (double v : t.toDoubleArray()) {
            m = Math.max(m, Math.abs(v));
        }
        return m;
    }

    /**
     * Asserts {@code |actual − expected| ≤ atol + rtol·|expected|} element-wise and returns the worst ratio of
     * error to allowance.
     */
    public static double check(String what, Tensor actual, Tensor expected, double atol, double rtol) {
        assertArrayEquals(expected.shape(), actual.shape(), what + ": shape");
        double[] a = actual.toDoubleArray();
        double[] e = expected.toDoubleArray();
        double worst = 0;
        double worstErr = 0;
        for (int i = 0; i < a.length; i++) {
            double err = Math.abs(a[i] - e[i]);
            double ratio = err == 0 ? 0 : err / (atol + rtol * Math.abs(e[i]));
            if (!(ratio <= worst)) {
                worst = ratio;
                worstErr = err;
            }
        }
        System.out.printf("[check] %-60s max err %.3e  err/tol %.3f%n", what, worstErr, worst);
        assertTrue(worst <= 1.0, what + ": worst error " + worstErr + " is " + worst + " times the tolerance");
        return worst;
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
