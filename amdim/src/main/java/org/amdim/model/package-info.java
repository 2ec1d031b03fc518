/**
 * The AMDIM model (Bachman, Hjelm and Buchwalter, 2019), one sub-package per concept: the multi-scale residual
 * encoder ({@code model.encoder}), the multi-scale NCE objective ({@code model.nce}), the online classifiers
 * ({@code model.heads}) and the optional mixture-based representations ({@code model.mixture}). Here,
 * {@link org.amdim.model.AmdimModel} ties them together under the original implementation's state-dict names and
 * computes one training step's losses ({@link org.amdim.model.StepOutput}).
 */
package org.amdim.model;
