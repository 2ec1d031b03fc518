/**
 * k-nearest-neighbour evaluation of embeddings, as the self-supervised literature reports it beside the linear
 * probe (Wu et al. 2018, "Unsupervised Feature Learning via Non-Parametric Instance Discrimination"): {@link
 * org.amdim.knn.WeightedKnn} votes with the k most cosine-similar training embeddings, and {@link
 * org.amdim.knn.KnnEvaluation} embeds a training and a test split and reports the top-1 accuracy.
 */
package org.amdim.knn;
