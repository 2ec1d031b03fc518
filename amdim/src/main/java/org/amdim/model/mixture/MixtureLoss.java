package org.amdim.model.mixture;

import org.amdim.tensor.Tensor;
import org.amdim.tensor.TensorScope;

/**
 * The mixture objective of one batch (see {@link MixtureHeads}); the record owns its scalars.
 *
 * @param objective the maximised value, the mean of the two directions' soft-assignment objectives
 * @param lgtReg    {@code ½·}(sum of the two directions' score regularisers {@code 0.05·mean(raw²)}), as the
 *                  multi-scale NCE regularises its scores
 */
public record MixtureLoss(Tensor objective, Tensor lgtReg) implements AutoCloseable {
    /** The quantity to minimise, {@code −objective + lgtReg} (a new tensor the caller owns). */
    public Tensor loss() {
        try (var scope = TensorScope.open()) {
            return scope.keep(objective.neg().add(lgtReg));
        }
    }

    /** Closes both tensors. */
    @Override
    public void close() {
        objective.close();
        lgtReg.close();
    }
}
