/**
 * Optimizers (Adam, AdamW, SGD) with PyTorch's exact update rules, fused into one native call per step,
 * learning-rate schedules, gradient clipping ({@link org.amdim.tensor.FusedOptim#clipGradNorm}), and dynamic loss
 * scaling for float16 training ({@link org.amdim.nn.optim.GradScaler}).
 */
package org.amdim.nn.optim;
