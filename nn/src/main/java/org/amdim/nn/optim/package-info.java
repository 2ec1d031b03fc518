/**
 * Optimizers (Adam, AdamW, SGD) with PyTorch's exact update rules, fused into one native call per step,
 * learning-rate schedules, and gradient clipping ({@link org.amdim.tensor.FusedOptim#clipGradNorm}).
 */
package org.amdim.nn.optim;
