/**
 * Collectives between processes for data-parallel training, over libtorch's c10d: a
 * {@link org.amdim.tensor.distributed.ProcessGroup} (Gloo for CPU tensors, NCCL for CUDA tensors) with all-reduce,
 * broadcast, all-gather (also differentiable, for losses over the global batch) and barrier.
 *
 * <p>Every call blocks until complete and is bounded by the group's timeout, so a failed peer surfaces as an
 * {@link org.amdim.bindings.TorchException} rather than a hang.
 */
package org.amdim.tensor.distributed;
