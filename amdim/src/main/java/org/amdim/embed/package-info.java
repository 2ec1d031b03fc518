/**
 * Images in, embeddings out: {@link org.amdim.embed.ImageEmbedder} loads a trained checkpoint, applies the
 * evaluation transform of the data it was trained on, and returns vectors; {@link
 * org.amdim.embed.DatasetEmbeddings} embeds a whole dataset split for the {@code amdim embed} command and for
 * k-NN evaluation.
 *
 * <pre>{@code
 * try (ImageEmbedder embedder = ImageEmbedder.open(Path.of("runs/cifar"))) {
 *     float[] v = embedder.embed(Path.of("cat.png"));     // r1, embedder.dimension() floats
 * }
 * }</pre>
 */
package org.amdim.embed;
