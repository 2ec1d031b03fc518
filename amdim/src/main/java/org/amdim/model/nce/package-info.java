/**
 * The multi-scale NCE objective: {@link org.amdim.model.nce.MultiScaleNceLoss} scores global against local features
 * across the two views (the {@link org.amdim.model.nce.NceTerm}s 1→5, 1→7 and 5→5) with the soft-clipped scores and
 * their regulariser.
 */
package org.amdim.model.nce;
