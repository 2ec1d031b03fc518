package org.amdim.model.encoder;

import org.amdim.tensor.Tensor;

/**
 * The three embeddings an {@link Encoder} computes for a batch of B images, each with n_rkhs = R channels. The
 * record owns the tensors: {@link #close()} frees all three.
 *
 * @param r1 global embedding (B, R, 1, 1): the output of the final batch norm
 * @param r5 local embeddings (B, R, 5, 5) from the 5×5 feature map
 * @param r7 local embeddings (B, R, 7, 7) from the 7×7 feature map
 */
public record Features(Tensor r1, Tensor r5, Tensor r7) implements AutoCloseable {
    /** Closes the three tensors. */
    @Override
    public void close() {
        r1.close();
        r5.close();
        r7.close();
    }
}
