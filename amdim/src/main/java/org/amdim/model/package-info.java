/**
 * The AMDIM model (Bachman, Hjelm and Buchwalter, 2019): the multi-scale residual {@link org.amdim.model.Encoder},
 * the multi-scale NCE objective {@link org.amdim.model.MultiScaleNceLoss}, the online classifiers
 * {@link org.amdim.model.Evaluator}, the optional mixture-based representations
 * {@link org.amdim.model.MixtureHeads}, and {@link org.amdim.model.AmdimModel}, which ties them together with the
 * original implementation's state-dict names and computes one training step's losses.
 */
package org.amdim.model;
