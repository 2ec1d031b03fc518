package org.amdim.knn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.amdim.tensor.NoLeaks;
import org.amdim.tensor.Tensor;
import org.amdim.tensor.TensorScope;
import org.amdim.tensor.Torch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** {@link WeightedKnn}: votes computed by hand on a tiny set, and chunking that changes nothing. */
@ExtendWith(NoLeaks.class)
class WeightedKnnTest {
    private static final double TAU = 0.07;

    /**
     * A cosine similarity computed in float32 (normalise, dot product of 2-vectors) is within a few units of
     * float32 rounding, 4·2⁻²⁴ ≈ 2.4e-7, of the exact one; exp(s/τ) turns that into a relative error of
     * 2.4e-7/τ ≈ 3.4e-6 of the weight, and a sum of positive weights keeps the relative bound. 1e-5 leaves room.
     */
    private static final double VOTE_RTOL = 1e-5;

    /** References (1,0):0, (0,1):1, (1,1):1, (−1,0):0 and the query (2,1), whose cosines we know exactly. */
    private static final float[] REFS = {1, 0, 0, 1, 1, 1, -1, 0};
    private static final long[] LABELS = {0, 1, 1, 0};

    private static double w(double cosine) {
        return Math.exp(cosine / TAU);
    }

    @Test
    void votesAreTheTemperatureWeightedSumsOverTheKNearest() {
        // cosines of (2,1)/√5 with the references: 2/√5, 1/√5, 3/√10, −2/√5
        double c0 = 2 / Math.sqrt(5);
        double c1 = 1 / Math.sqrt(5);
        double c2 = 3 / Math.sqrt(10);
        try (var scope = TensorScope.open()) {
            Tensor refs = Tensor.of(REFS, 4, 2);
            Tensor labels = Tensor.of(LABELS, 4);
            Tensor query = Tensor.of(new float[] {2, 1}, 1, 2);
            var o = WeightedKnn.Options.defaults();
            // k = 1: the nearest, (1,1), alone
            assertVotes(new double[] {0, w(c2)}, WeightedKnn.votes(refs, labels, query, 2, o.withK(1)));
            // k = 2: (1,1) votes for class 1 and (1,0) for class 0; c2 > c0, so class 1 wins
            Tensor v2 = WeightedKnn.votes(refs, labels, query, 2, o.withK(2));
            assertVotes(new double[] {w(c0), w(c2)}, v2);
            assertEquals(1, WeightedKnn.predict(refs, labels, query, 2, o.withK(2)).itemLong());
            // k = 3 adds (0,1) to class 1; k beyond N uses all four, (−1,0) adding its tiny weight to class 0
            assertVotes(new double[] {w(c0), w(c2) + w(c1)}, WeightedKnn.votes(refs, labels, query, 2, o.withK(3)));
            assertVotes(new double[] {w(c0) + w(-c0), w(c2) + w(c1)},
                    WeightedKnn.votes(refs, labels, query, 3, o.withK(200)).narrow(1, 0, 2));
        }
    }

    @Test
    void theWeightsDecideAgainstTheMajority() {
        // two far class-0 neighbours against one near class-1 neighbour: exp(s/τ) lets the near one win
        try (var scope = TensorScope.open()) {
            Tensor refs = Tensor.of(new float[] {1, 0.02f, 0.6f, 0.8f, 0.6f, -0.8f}, 3, 2);
            Tensor labels = Tensor.of(new long[] {1, 0, 0}, 3);
            Tensor query = Tensor.of(new float[] {1, 0}, 1, 2);
            // 1 vote of exp(0.9998/0.07) ≈ 1.6e6 against 2 of exp(0.6/0.07) ≈ 5.3e3
            assertEquals(1, WeightedKnn.predict(refs, labels, query, 2, WeightedKnn.Options.defaults().withK(3))
                    .itemLong());
        }
    }

    @Test
    void chunkingChangesNothing() {
        Torch.manualSeed(3);
        try (var scope = TensorScope.open()) {
            Tensor refs = Tensor.randn(57, 6);
            Tensor labels = Tensor.randint(0, 4, 57);
            Tensor queries = Tensor.randn(13, 6);
            var whole = WeightedKnn.Options.defaults().withK(9).withChunks(1000, 1000);
            Tensor expected = WeightedKnn.votes(refs, labels, queries, 4, whole);
            long[] predicted = expected.argmax(1, false).toLongArray();
            for (int[] chunks : new int[][] {{1, 1}, {4, 5}, {13, 8}, {5, 57}, {2, 3}}) {
                Tensor v = WeightedKnn.votes(refs, labels, queries, 4, whole.withChunks(chunks[0], chunks[1]));
                assertVotes(expected.toDoubleArray(), v);
                assertArrayEquals(predicted, v.argmax(1, false).toLongArray());
            }
        }
    }

    @Test
    void scaleDoesNotMatterOnlyDirection() {
        try (var scope = TensorScope.open()) {
            Tensor refs = Tensor.of(REFS, 4, 2);
            Tensor labels = Tensor.of(LABELS, 4);
            Tensor query = Tensor.of(new float[] {2, 1}, 1, 2);
            var o = WeightedKnn.Options.defaults().withK(3);
            assertVotes(WeightedKnn.votes(refs, labels, query, 2, o).toDoubleArray(),
                    WeightedKnn.votes(refs.mul(40), labels, query.mul(0.01), 2, o));
        }
    }

    @Test
    void badInputsAreRefusedWithReasons() {
        try (var scope = TensorScope.open()) {
            Tensor refs = Tensor.of(REFS, 4, 2);
            Tensor query = Tensor.of(new float[] {2, 1}, 1, 2);
            var o = WeightedKnn.Options.defaults();
            var e = assertThrows(IllegalArgumentException.class,
                    () -> WeightedKnn.votes(refs, Tensor.of(new long[] {0, 1, -1, 0}, 4), query, 2, o));
            assertTrue(e.getMessage().contains("unlabelled"), e.getMessage());
            assertThrows(IllegalArgumentException.class,
                    () -> WeightedKnn.votes(refs, Tensor.of(new long[] {0, 1, 2, 0}, 4), query, 2, o));
            assertThrows(IllegalArgumentException.class,
                    () -> WeightedKnn.votes(refs, Tensor.of(LABELS, 4), Tensor.of(new float[] {1, 2, 3}, 1, 3), 2, o));
            assertThrows(IllegalArgumentException.class, () -> WeightedKnn.Options.defaults().withK(0));
            assertThrows(IllegalArgumentException.class, () -> new WeightedKnn.Options(5, 0, 1, 1));
            // a zero query has no direction: it gets all-zero similarities, finite votes, not NaN
            Tensor v = WeightedKnn.votes(refs, Tensor.of(LABELS, 4), Tensor.zeros(1, 2), 2, o);
            for (double x : v.toDoubleArray()) {
                assertTrue(Double.isFinite(x), "vote " + x);
            }
        }
    }

    private static void assertVotes(double[] expected, Tensor actual) {
        double[] a = actual.toDoubleArray();
        assertEquals(expected.length, a.length);
        for (int i = 0; i < a.length; i++) {
            assertEquals(expected[i], a[i], VOTE_RTOL * Math.abs(expected[i]), "class " + i);
        }
    }
}
