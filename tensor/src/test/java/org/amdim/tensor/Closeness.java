package org.amdim.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * How close a tensor came to a reference, for the tests of every module that compare against reference tensors
 * (nn's {@code References}, amdim's {@code Close}): one element-wise check, and the margins it saw printed to the
 * test log so that a tolerance that is barely met shows.
 *
 * @param maxError   the largest {@code |actual − expected|}
 * @param worstRatio the largest ratio of error to allowance ({@code ≤ 1} passes)
 */
public record Closeness(double maxError, double worstRatio) {

    /**
     * Asserts equal shapes and {@code |actual − expected| ≤ atol + rtol·|expected|} element-wise (a NaN on either
     * side fails), prints {@code worst error / allowed error}, and returns what it saw.
     */
    public static Closeness assertWithin(String what, Tensor actual, Tensor expected, double atol, double rtol) {
        assertArrayEquals(expected.shape(), actual.shape(), what + ": shape");
        double[] a = actual.toDoubleArray();
        double[] e = expected.toDoubleArray();
        double maxError = 0;
        double worstRatio = 0;
        int firstFailure = -1;
        for (int i = 0; i < a.length; i++) {
            double err = Math.abs(a[i] - e[i]);
            double allowed = atol + rtol * Math.abs(e[i]);
            // Math.max keeps a NaN, and the negated test below fails on one.
            maxError = Math.max(maxError, err);
            worstRatio = Math.max(worstRatio, err == 0 ? 0 : err / allowed);
            if (!(err <= allowed) && firstFailure < 0) {
                firstFailure = i;
            }
        }
        System.out.printf("[check] %-60s max err %.3e  err/tol %.3f%n", what, maxError, worstRatio);
        if (firstFailure >= 0) {
            int i = firstFailure;
            fail(what + "[" + i + "]: expected " + e[i] + ", got " + a[i] + " (|diff| " + Math.abs(a[i] - e[i])
                    + " > " + atol + " + " + rtol + "·|expected|); worst error " + maxError + " is " + worstRatio
                    + " times the tolerance");
        }
        return new Closeness(maxError, worstRatio);
    }

    /** {@return the largest |value| of a tensor} */
    public static double maxAbs(Tensor t) {
        double m = 0;
        for (double v : t.toDoubleArray()) {
            m = Math.max(m, Math.abs(v));
        }
        return m;
    }
}
