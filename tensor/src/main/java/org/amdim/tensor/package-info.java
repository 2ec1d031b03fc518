/**
 * Tensors on libtorch: {@link org.amdim.tensor.Tensor} with its ops and autograd,
 * {@link org.amdim.tensor.Functional} for neural-network functions, {@link org.amdim.tensor.TensorScope} for
 * ownership, {@link org.amdim.tensor.Autocast} for mixed-precision regions, and {@link org.amdim.tensor.Torch} for
 * process-wide settings (threads, seeds, CUDA and cuDNN).
 *
 * <pre>{@code
 * try (var scope = TensorScope.open()) {
 *     Tensor w = Tensor.randn(3, 2).requiresGrad(true);
 *     Tensor loss = Tensor.ones(4, 3).matmul(w).tanh().sum();
 *     loss.backward();
 *     System.out.println(w.grad());
 * }
 * }</pre>
 */
package org.amdim.tensor;
