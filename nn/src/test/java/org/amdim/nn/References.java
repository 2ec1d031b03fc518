package org.amdim.nn;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import org.amdim.nn.io.NamedTensors;
import org.amdim.nn.io.TensorFiles;
import org.amdim.tensor.Closeness;
import org.amdim.tensor.Tensor;

/**
 * Reference files (copied unchanged from /work/shared/reference into {@code reference/}, and from
 * /work/shared/reference-livebn into {@code reference-livebn/}) and the comparisons the tests make with them. Every
 * test-resource directory whose name starts with {@code reference} is a set; tests run over all of them.
 */
public final class References {
    private References() {
    }

    /** The directory that holds the sets (the test resources' root). */
    private static Path root() {
        return path("").getParent();
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

    /** All tensors of a reference file of the first set (the caller closes them). */
    public static NamedTensors load(String name) {
        return load("reference", name);
    }

    /** All tensors of {@code <set>/<name>} (the caller closes them). */
    public static NamedTensors load(String set, String name) {
        try {
            return TensorFiles.load(root().resolve(set).resolve(name));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The reference sets among this module's test resources: directories named {@code reference*}, sorted. */
    public static List<String> sets() {
        try (Stream<Path> dirs = Files.list(root())) {
            return dirs.filter(Files::isDirectory).map(p -> p.getFileName().toString())
                    .filter(n -> n.startsWith("reference")).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** max |value| ({@link Closeness#maxAbs}). */
    public static double maxAbs(Tensor t) {
        return Closeness.maxAbs(t);
    }

    /**
     * Asserts equal shapes and {@code |actual − expected| ≤ abs + rel·|expected|} element-wise
     * ({@link Closeness#assertWithin}).
     *
     * @return the largest |actual − expected| seen
     */
    public static double assertClose(String what, Tensor actual, Tensor expected, double abs, double rel) {
        return Closeness.assertWithin(what, actual, expected, abs, rel).maxError();
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
