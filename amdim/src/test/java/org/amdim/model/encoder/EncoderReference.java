package org.amdim.model.encoder;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.amdim.model.ReferenceSets;
import org.amdim.nn.io.Json;
import org.amdim.nn.io.NamedTensors;
import org.amdim.tensor.DType;
import org.amdim.tensor.Tensor;

/**
 * Access to the encoder reference vectors computed by the original AMDIM code
 * ({@code src/test/resources/reference/encoder{32,64,128}.safetensors}, described in
 * reference/README.md among the test resources), and element-wise comparisons that record how close they came.
 */
final class EncoderReference {
    /** Worst observed error / tolerance per check, printed by the tests for the record. */
    private static final Map<String, Double> WORST = new TreeMap<>();

    private EncoderReference() {
    }

    /** Loads {@code encoder<size>.safetensors} of the first reference set ({@code reference/}). */
    static NamedTensors load(int size) throws IOException {
        return load("reference", size);
    }

    /** Loads {@code <set>/encoder<size>.safetensors}. */
    static NamedTensors load(String set, int size) throws IOException {
        return ReferenceSets.load(set, "encoder" + size + ".safetensors");
    }

    /** The configuration the first set's encoders were built with: ndf 8, n_depth 2, use_bn 0, n_rkhs 32 or 64. */
    static EncoderConfig config(int size) {
        return new EncoderConfig(size, 8, size == 32 ? 32 : 64, 2, false);
    }

    /** A JSON object from the file's metadata (e.g. {@code notes}). */
    @SuppressWarnings("unchecked")
    static Map<String, Object> metadataObject(NamedTensors ref, String key) {
        return (Map<String, Object>) Json.parse(ref.metadata().get(key));
    }

    /** Whether the {@code notes} metadata has an entry at {@code path}. */
    @SuppressWarnings("unchecked")
    static boolean hasNote(NamedTensors ref, String... path) {
        Object node = metadataObject(ref, "notes");
        for (String key : path) {
            if (!(node instanceof Map<?, ?> map) || !map.containsKey(key)) {
                return false;
            }
            node = ((Map<String, Object>) map).get(key);
        }
        return true;
    }

    /** A list of names from the {@code notes} metadata, or an empty list if absent. */
    @SuppressWarnings("unchecked")
    static List<String> notesList(NamedTensors ref, String... path) {
        Object node = metadataObject(ref, "notes");
        for (String key : path) {
            if (!(node instanceof Map<?, ?> map) || !map.containsKey(key)) {
                return List.of();
            }
            node = map.get(key);
        }
        return (List<String>) node;
    }

    /** Largest |value| of a tensor. */
    static double maxAbs(Tensor t) {
        double m = 0;
        for (double v : t.toDoubleArray()) {
            m = Math.max(m, Math.abs(v));
        }
        return m;
    }

    /**
     * Asserts {@code |actual − expected| ≤ atol + rtol·|expected|} element-wise (same shape) and records the worst
     * ratio of error to tolerance under {@code check}.
     *
     * @return the worst ratio (≤ 1 when the assertion holds)
     */
    static double assertClose(String check, String what, Tensor actual, Tensor expected, double atol, double rtol) {
        assertArrayEquals(expected.shape(), actual.shape(), what + ": shape");
        double[] a = actual.toDoubleArray();
        double[] e = expected.toDoubleArray();
        double worst = 0;
        int worstAt = -1;
        for (int i = 0; i < a.length; i++) {
            double tol = atol + rtol * Math.abs(e[i]);
            double err = Math.abs(a[i] - e[i]);
            double ratio = tol == 0 ? (err == 0 ? 0 : Double.POSITIVE_INFINITY) : err / tol;
            if (!(ratio <= worst)) {
                worst = ratio;
                worstAt = i;
            }
        }
        record(check, worst);
        if (worst > 1 || Double.isNaN(worst)) {
            int at = worstAt;
            throw new AssertionError(what + ": element " + at + " is " + a[at] + ", expected " + e[at]
                    + " (error " + Math.abs(a[at] - e[at]) + " > tolerance " + (atol + rtol * Math.abs(e[at])) + ")");
        }
        return worst;
    }

    /** Asserts bit-for-bit equality (same shape and dtype). */
    static void assertExactlyEqual(String what, Tensor actual, Tensor expected) {
        assertArrayEquals(expected.shape(), actual.shape(), what + ": shape");
        assertTrue(actual.dtype() == expected.dtype(), what + ": dtype " + actual.dtype() + " vs " + expected.dtype());
        if (expected.dtype() == DType.INT64) {
            assertArrayEquals(expected.toLongArray(), actual.toLongArray(), what);
        } else {
            assertArrayEquals(expected.toFloatArray(), actual.toFloatArray(), 0f, what);
        }
    }

    /** Records a ratio under a check name (keeps the worst). */
    static synchronized void record(String check, double ratio) {
        WORST.merge(check, ratio, Math::max);
    }

    /** The worst ratios recorded so far, one line per check. */
    static synchronized String summary() {
        StringBuilder sb = new StringBuilder("worst error / tolerance per check:\n");
        WORST.forEach((k, v) -> sb.append(String.format("  %-40s %.3g%n", k, v)));
        return sb.toString();
    }
}
