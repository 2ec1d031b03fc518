/**
 * The AMDIM encoder: {@link org.amdim.model.encoder.Encoder}, built from an
 * {@link org.amdim.model.encoder.EncoderConfig} through its {@link org.amdim.model.encoder.EncoderLayout} of conv and
 * residual units, with the embedding heads that turn its 1×1, 5×5 and 7×7 feature maps into the
 * {@link org.amdim.model.encoder.Features} r1, r5 and r7.
 */
package org.amdim.model.encoder;
