package org.amdim.knn;

import java.util.Objects;

import org.amdim.tensor.DType;
import org.amdim.tensor.Device;
import org.amdim.tensor.Tensor;
import org.amdim.tensor.TensorScope;

/**
 * Temperature-weighted k-nearest-neighbour classification of embeddings. Query and reference embeddings are
 * L2-normalised, so their dot products are cosine similarities s; a query's k most similar references each vote
 * for their label with weight {@code exp(s / τ)}, and the class with the largest summed weight wins.
 *
 * <p>Memory stays bounded however many references there are: queries go {@link Options#queryChunk()} at a time,
 * and for each chunk the references {@link Options#referenceChunk()} at a time; every reference chunk's top k
 * are merged into the chunk's running top k. Peak working memory is about {@code queryChunk × referenceChunk}
 * similarities plus the inputs (the references themselves are normalised chunk by chunk, never copied whole).
 *
 * <pre>{@code
 * Tensor predicted = WeightedKnn.predict(trainEmbeddings, trainLabels, testEmbeddings, 10, Options.defaults());
 * }</pre>
 */
public final class WeightedKnn {
    /** Neighbours that vote, as in Wu et al. 2018 and the k-NN figures of later self-supervised papers. */
    public static final int DEFAULT_K = 200;
    /** Temperature τ of the vote weights {@code exp(s/τ)}, as in the same papers. */
    public static final double DEFAULT_TEMPERATURE = 0.07;

    /** A norm below this counts as zero (the vector is left as it is instead of divided by ~0). */
    private static final double MIN_NORM = 1e-12;

    private WeightedKnn() {
    }

    /**
     * Settings.
     *
     * @param k              neighbours that vote (default {@link #DEFAULT_K}); fewer when there are fewer references
     * @param temperature    τ (default {@link #DEFAULT_TEMPERATURE})
     * @param queryChunk     queries per chunk (default 256)
     * @param referenceChunk references per chunk (default 16384: with 256 queries, 16 MB of similarities)
     */
    public record Options(int k, double temperature, int queryChunk, int referenceChunk) {
        /** Validates. */
        public Options {
            if (k < 1) {
                throw new IllegalArgumentException("k must be >= 1, got " + k);
            }
            if (!(temperature > 0) || Double.isInfinite(temperature)) {
                throw new IllegalArgumentException("the temperature must be positive and finite, got " + temperature);
            }
            if (queryChunk < 1 || referenceChunk < 1) {
                throw new IllegalArgumentException("chunk sizes must be >= 1, got " + queryChunk + " and "
                        + referenceChunk);
            }
        }

        /** k 200, τ 0.07, chunks of 256 queries and 16384 references. */
        public static Options defaults() {
            return new Options(DEFAULT_K, DEFAULT_TEMPERATURE, 256, 16384);
        }

        /** These options with another k. */
        public Options withK(int value) {
            return new Options(value, temperature, queryChunk, referenceChunk);
        }

        /** These options with another temperature. */
        public Options withTemperature(double value) {
            return new Options(k, value, queryChunk, referenceChunk);
        }

        /** These options with other chunk sizes. */
        public Options withChunks(int queries, int references) {
            return new Options(k, temperature, queries, references);
        }
    }

    /**
     * The summed vote weights per class.
     *
     * @param references      (N, D) float32 reference embeddings (normalised here)
     * @param referenceLabels (N) int64 labels in {@code 0..classes-1}
     * @param queries         (M, D) float32 query embeddings (normalised here)
     * @param classes         the number of classes
     * @param o               settings
     * @return (M, classes) float32 votes on the CPU; the caller owns it
     * @throws IllegalArgumentException for mismatched shapes, no references, or a label out of range
     */
    public static Tensor votes(Tensor references, Tensor referenceLabels, Tensor queries, int classes, Options o) {
        Objects.requireNonNull(o, "options");
        long n = checkShapes(references, referenceLabels, queries, classes);
        long m = queries.size(0);
        int k = (int) Math.min(o.k(), n);
        try (var scope = TensorScope.open()) {
            Tensor labels = referenceLabels.to(Device.CPU).to(DType.INT64);
            Tensor out = Tensor.zeros(DType.FLOAT32, Device.CPU, m, classes);
            for (long q0 = 0; q0 < m; q0 += o.queryChunk()) {
                try (var chunk = TensorScope.open()) {
                    long len = Math.min(o.queryChunk(), m - q0);
                    Tensor q = normalised(queries.narrow(0, q0, len));
                    Tensor.ValuesIndices top = nearest(q, references, k, o.referenceChunk());
                    Tensor weights = top.values().div(o.temperature()).exp().to(Device.CPU).flatten();
                    // Scatter-add every neighbour's weight into its query's row at its label: row·C + label.
                    Tensor neighbourLabels = labels.indexSelect(0, top.indices().to(Device.CPU).flatten());
                    Tensor slot = Tensor.of(rowOffsets(len, k, classes)).add(neighbourLabels);
                    Tensor sums = Tensor.zeros(DType.FLOAT32, Device.CPU, len * classes).indexPut(slot, weights, true);
                    out.narrow(0, q0, len).copy_(sums.reshape(len, classes));
                }
            }
            return scope.keep(out);
        }
    }

    /**
     * The predicted class of every query: the argmax of {@link #votes}.
     *
     * @return (M) int64 on the CPU; the caller owns it
     */
    public static Tensor predict(Tensor references, Tensor referenceLabels, Tensor queries, int classes, Options o) {
        try (Tensor v = votes(references, referenceLabels, queries, classes, o)) {
            return v.argmax(1, false);
        }
    }

    /**
     * The fraction of queries whose predicted class is their label.
     *
     * @param queryLabels (M) int64
     */
    public static double accuracy(Tensor references, Tensor referenceLabels, Tensor queries, Tensor queryLabels,
            int classes, Options o) {
        if (queryLabels.dim() != 1 || queryLabels.size(0) != queries.size(0)) {
            throw new IllegalArgumentException("query labels must be (" + queries.size(0) + "), got "
                    + java.util.Arrays.toString(queryLabels.shape()));
        }
        try (var scope = TensorScope.open()) {
            Tensor predicted = predict(references, referenceLabels, queries, classes, o);
            return predicted.eq(queryLabels.to(Device.CPU).to(DType.INT64)).to(DType.FLOAT64).mean().item();
        }
    }

    /** The k most similar references of every (normalised) query: similarities and reference indices. */
    private static Tensor.ValuesIndices nearest(Tensor q, Tensor references, int k, int referenceChunk) {
        long n = references.size(0);
        Tensor bestValues = null;
        Tensor bestIndices = null;
        for (long r0 = 0; r0 < n; r0 += referenceChunk) {
            long len = Math.min(referenceChunk, n - r0);
            Tensor r = normalised(references.narrow(0, r0, len).to(q.device()));
            Tensor sim = q.matmul(r.t());
            Tensor.ValuesIndices top = sim.topk(Math.min(k, len), 1, true);
            Tensor values = top.values();
            // An int64 tensor, not a scalar: libtorch promotes int64 + double scalar to float.
            Tensor indices = top.indices().add(Tensor.of(new long[] {r0}).to(q.device()));
            if (bestValues != null) {
                // The k best of (the k best so far) ∪ (this chunk's k best) are the k best of everything seen.
                Tensor allValues = Tensor.cat(java.util.List.of(bestValues, values), 1);
                Tensor allIndices = Tensor.cat(java.util.List.of(bestIndices, indices), 1);
                Tensor.ValuesIndices merged = allValues.topk(Math.min(k, allValues.size(1)), 1, true);
                values = merged.values();
                indices = allIndices.gather(1, merged.indices());
            }
            bestValues = values;
            bestIndices = indices;
        }
        return new Tensor.ValuesIndices(bestValues, bestIndices);
    }

    /** {@code row · classes} for each of the k neighbours of each of {@code len} rows, row-major. */
    private static long[] rowOffsets(long len, int k, int classes) {
        long[] out = new long[Math.toIntExact(len * k)];
        for (int i = 0; i < out.length; i++) {
            out[i] = (long) (i / k) * classes;
        }
        return out;
    }

    /** Rows divided by their L2 norms (rows of norm below {@link #MIN_NORM} are left as they are). */
    static Tensor normalised(Tensor x) {
        Tensor f = x.to(DType.FLOAT32);
        return f.div(f.square().sum(1, true).sqrt().clampMin(MIN_NORM));
    }

    private static long checkShapes(Tensor references, Tensor referenceLabels, Tensor queries, int classes) {
        if (references.dim() != 2 || queries.dim() != 2 || references.size(1) != queries.size(1)) {
            throw new IllegalArgumentException("references and queries must be (N, D) and (M, D), got "
                    + java.util.Arrays.toString(references.shape()) + " and "
                    + java.util.Arrays.toString(queries.shape()));
        }
        long n = references.size(0);
        if (n == 0) {
            throw new IllegalArgumentException("k-NN needs at least one reference embedding");
        }
        if (referenceLabels.dim() != 1 || referenceLabels.size(0) != n) {
            throw new IllegalArgumentException("reference labels must be (" + n + "), got "
                    + java.util.Arrays.toString(referenceLabels.shape()));
        }
        if (classes < 1) {
            throw new IllegalArgumentException("classes must be >= 1, got " + classes);
        }
        try (Tensor lo = referenceLabels.min(); Tensor hi = referenceLabels.max()) {
            if (lo.itemLong() < 0 || hi.itemLong() >= classes) {
                throw new IllegalArgumentException("reference labels must lie in 0.." + (classes - 1) + ", found "
                        + lo.itemLong() + ".." + hi.itemLong() + " (leave unlabelled images out)");
            }
        }
        return n;
    }
}
