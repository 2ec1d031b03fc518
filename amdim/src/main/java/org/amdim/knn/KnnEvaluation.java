package org.amdim.knn;

import java.util.function.IntConsumer;

import org.amdim.data.ImageDataset;
import org.amdim.data.augment.AugmentationPreset;
import org.amdim.embed.DatasetEmbeddings;
import org.amdim.embed.EmbeddingOutput;
import org.amdim.model.AmdimModel;
import org.amdim.tensor.Device;
import org.amdim.tensor.Tensor;
import org.amdim.tensor.TensorScope;

/**
 * k-NN evaluation of an encoder: the r1 embeddings of a labelled training split and of a test split (evaluation
 * transform, evaluation mode), then {@link WeightedKnn}'s top-1 accuracy on the test images. Unlabelled images
 * of either split are left out. It trains nothing, so it is cheap enough to run at epoch ends.
 */
public final class KnnEvaluation {
    private KnnEvaluation() {
    }

    /**
     * The outcome.
     *
     * @param accuracy    top-1 accuracy on the labelled test images
     * @param k           neighbours that voted
     * @param trainImages labelled training images compared against
     * @param testImages  labelled test images classified
     */
    public record Result(double accuracy, int k, long trainImages, long testImages) {
    }

    /**
     * Runs the evaluation. The model is left in evaluation mode.
     *
     * @param model     the model, on {@code device}
     * @param train     the reference images
     * @param test      the images to classify
     * @param preset    the evaluation transform's settings
     * @param classes   the number of classes
     * @param knn       k, τ and chunk sizes
     * @param batchSize images per encoder pass
     * @param maxTrain  at most this many training images (0: all)
     * @param maxTest   at most this many test images (0: all)
     * @param device    where the model is
     * @param progress  told the images embedded so far, training then test (may be null)
     * @throws IllegalArgumentException when a split has no labelled images
     */
    public static Result run(AmdimModel model, ImageDataset train, ImageDataset test, AugmentationPreset preset,
            int classes, WeightedKnn.Options knn, int batchSize, int maxTrain, int maxTest, Device device,
            IntConsumer progress) {
        try (DatasetEmbeddings tr = labelled(DatasetEmbeddings.compute(model, EmbeddingOutput.R1, train, preset,
                        batchSize, maxTrain, device, progress), train);
                DatasetEmbeddings te = labelled(DatasetEmbeddings.compute(model, EmbeddingOutput.R1, test, preset,
                        batchSize, maxTest, device, progress), test)) {
            double acc = WeightedKnn.accuracy(tr.embeddings(), tr.labels(), te.embeddings(), te.labels(), classes,
                    knn);
            return new Result(acc, (int) Math.min(knn.k(), tr.size()), tr.size(), te.size());
        }
    }

    /** The labelled rows of {@code all} (closing {@code all} when it had unlabelled ones). */
    static DatasetEmbeddings labelled(DatasetEmbeddings all, ImageDataset data) {
        long[] labels = all.labels().toLongArray();
        int kept = 0;
        long[] keep = new long[labels.length];
        for (int i = 0; i < labels.length; i++) {
            if (labels[i] >= 0) {
                keep[kept++] = i;
            }
        }
        if (kept == labels.length) {
            return all;
        }
        try (all; var scope = TensorScope.open()) {
            if (kept == 0) {
                throw new IllegalArgumentException(data.name() + " has no labelled images for k-NN evaluation");
            }
            Tensor idx = Tensor.of(java.util.Arrays.copyOf(keep, kept));
            return new DatasetEmbeddings(scope.keep(all.embeddings().indexSelect(0, idx)),
                    scope.keep(all.labels().indexSelect(0, idx)));
        }
    }
}
