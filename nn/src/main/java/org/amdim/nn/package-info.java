/**
 * Neural-network building blocks on {@link org.amdim.tensor.Tensor}: {@link org.amdim.nn.Module} (named
 * parameters and buffers, state dicts), initialisers, and, in sub-packages, layers, optimizers and schedules,
 * and safetensors checkpoints.
 */
package org.amdim.nn;
