/**
 * The paper's mixture-based representations: {@link org.amdim.model.mixture.MixtureHeads} assign the 7×7 local
 * features to K components ({@link org.amdim.model.mixture.MixtureAssignment}), whose objective
 * ({@link org.amdim.model.mixture.MixtureLoss}) takes the place of the 1→7 NCE term when enabled
 * ({@link org.amdim.model.mixture.MixtureConfig}).
 */
package org.amdim.model.mixture;
