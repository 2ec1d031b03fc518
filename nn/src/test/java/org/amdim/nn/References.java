package org.amdim.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Path;

import org.amdim.nn.io.NamedTensors;
import org.amdim.nn.io.TensorFiles;
import org.amdim.tensor.Tensor;

/** Reference files (copied unchanged from /work/shared/reference) and the comparisons the tests make with them. */
public final class References {
    private References() {
    }

    /** The path of {@code src/test/resources/reference/<name>}. */
    public static Path path(String name) {
        URL url = References.class.getResource("/reference/" + name);
        assertNotNull(url, "missing test resource reference/" + name);
        try {
            return Path.of(url.toURI());
        } catch (URISyntaxException e) {
            throw new AssertionError(e);
        }
    }

    /** All tensors of a reference file (the caller closes them). */
    public static NamedTensors load(String name) {
        try {
            return TensorFiles.load(path(name));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** max |value|. */
    public static double maxAbs(Tensor t) {
        double m = 0;
        for (double v : t.toDoubleArray()) {
            m = Math.max(m, Math.abs(v));
        }
        return m;
    }

    /**
     * Asserts equal shapes and {@code |actual − expected| ≤ abs + rel·|expected|} element-wise.
     *
     * @return the largest |actual − expected| seen
     */
    public static double assertClose(String what, Tensor actual, Tensor expected, double abs, double rel) {
        assertArrayEquals(expected.shape(), actual.shape(), what + ": shape");
        double[] a = actual.toDoubleArray();
        double[] e = expected.toDoubleArray();
        double worst = 0;
        for (int i = 0; i < a.length; i++) {
            double d = Math.abs(a[i] - e[i]);
            worst = Math.max(worst, d);
            if (!(d <= abs + rel * Math.abs(e[i]))) {
                fail(what + "[" + i + "]: expected " + e[i] + ", got " + a[i] + " (|diff| " + d + " > " + abs
                        + " + " + rel + "·|expected|)");
            }
        }
        return worst;
    }

    /** Asserts element-wise {@code |actual − expected| ≤ tol·max(1, |expected|)} for plain arrays. */
    public static void assertClose(String what, double[] expected, Tensor actual, double tol) {
        double[] a = actual.toDoubleArray();
        if (a.length != expected.length) {
            fail(what + ": " + a.length + " elements, expected " + expected.length);
        }
        for (int i = 0; i < a.length; i++) {
            if (!(Math.abs(a[i] - expected[i]) <= tol * Math.max(1, Math.abs(expected[i])))) {
                fail(what + "[" + i + "]: expected " + expected[i] + ", got " + a[i]);
            }
        }
    }
}
