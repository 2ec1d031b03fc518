package org.amdim.model.mixture;

import org.amdim.tensor.Tensor;

/**
 * The soft and hard assignment of every location of a local feature map to the mixture components: the
 * segmentation read-out of {@link MixtureHeads}. Computed without gradient; the record owns both tensors.
 *
 * @param q     (B, k, h, w) float, {@code q(j|i) = softmax_j(τ·s_ij)} (sums to 1 over {@code k})
 * @param map   (B, h, w) int64, {@code argmax_j q(j|i)} (ties resolved to the lowest index)
 */
public record MixtureAssignment(Tensor q, Tensor map) implements AutoCloseable {
    /** Closes both tensors. */
    @Override
    public void close() {
        q.close();
        map.close();
    }
}
