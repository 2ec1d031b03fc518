/**
 * Self-supervised training of AMDIM: the {@link org.amdim.train.Trainer} loop with exact resume, checkpoints,
 * metrics and progress, mixed precision ({@link org.amdim.train.AmpMode}), data-parallel training over several
 * processes ({@link org.amdim.train.DataParallel}, {@link org.amdim.train.DistributedConfig}), the online test
 * pass, and linear evaluation of a trained encoder.
 */
package org.amdim.train;
