package org.amdim.model;

import java.util.List;

import org.amdim.tensor.Tensor;

/**
 * How a data-parallel training step sees the global batch: gathers each process's per-image tensors (features and
 * labels) into the batch of all processes (see {@link AmdimModel#forwardStep(Tensor, Tensor, Tensor, long[], long[],
 * FeatureGather)}). Implemented over a process group by {@code org.amdim.train.DataParallel}.
 */
@FunctionalInterface
public interface FeatureGather {
    /**
     * Every process's rows of each tensor, concatenated along dimension 0 in rank order (the same shapes on every
     * process). The result must be differentiable with respect to this process's rows such that, when every process
     * computes the same loss of the gathered tensors and the parameter gradients are then averaged over the
     * processes, the average is the gradient of that loss (see
     * {@code ProcessGroup.allGatherWithGrad}). The caller owns the results.
     *
     * @param local this process's tensors, (n, ...) each
     * @return the global tensors, (worldSize·n, ...) each, in the same order
     */
    List<Tensor> gather(List<Tensor> local);
}
