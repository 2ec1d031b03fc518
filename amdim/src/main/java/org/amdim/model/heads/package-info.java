/**
 * The online classifiers trained on the detached global feature r1 while the encoder learns: the linear and MLP
 * heads of {@link org.amdim.model.heads.Evaluator} and their clipped cross-entropy
 * ({@link org.amdim.model.heads.ClassifierLoss}).
 */
package org.amdim.model.heads;
