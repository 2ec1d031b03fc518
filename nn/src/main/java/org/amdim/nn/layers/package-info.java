/**
 * Layers with PyTorch's semantics and state-dict names: convolution, batch norm, linear, dropout, pooling,
 * containers.
 */
package org.amdim.nn.layers;
