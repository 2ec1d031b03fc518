package org.amdim.model.heads;

import org.amdim.tensor.Tensor;

/**
 * Logits of the two online classifiers; the record owns both.
 *
 * @param mlp (N, classes) logits of the MLP head
 * @param lin (N, classes) logits of the linear head
 */
public record EvaluatorLogits(Tensor mlp, Tensor lin) implements AutoCloseable {
    /** Closes both tensors. */
    @Override
    public void close() {
        mlp.close();
        lin.close();
    }
}
