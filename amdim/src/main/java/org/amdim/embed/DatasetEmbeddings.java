package org.amdim.embed;

import java.util.Objects;
import java.util.function.IntConsumer;

import org.amdim.data.DataLoader;
import org.amdim.data.HostBatch;
import org.amdim.data.ImageDataset;
import org.amdim.data.LoaderConfig;
import org.amdim.data.augment.AmdimTransform;
import org.amdim.data.augment.AugmentationPreset;
import org.amdim.model.AmdimModel;
import org.amdim.model.encoder.InferenceEncoder;
import org.amdim.tensor.DType;
import org.amdim.tensor.Device;
import org.amdim.tensor.Tensor;
import org.amdim.tensor.TensorScope;

/**
 * The embeddings of every image of a dataset split, in dataset order, with their labels ({@code -1} where the
 * dataset has none): what {@code amdim embed} writes and what k-NN evaluation compares. The record owns both
 * CPU tensors.
 *
 * @param embeddings (N, D) float32
 * @param labels     (N) int64, {@link ImageDataset#UNLABELED} for unlabelled images
 */
public record DatasetEmbeddings(Tensor embeddings, Tensor labels) implements AutoCloseable {

    /** Images per encoder pass when the caller has no preference: as many as the training default batch. */
    public static final int DEFAULT_BATCH_SIZE = 256;

    /**
     * Embeds the first {@code limit} images of {@code data} (all when {@code limit} is 0) with the preset's
     * evaluation transform, the model in evaluation mode. The model's mode is left in evaluation. The encoder runs
     * as an {@link InferenceEncoder} made for this call (on the CPU its packed path, a snapshot of the weights as
     * they are now; packing them costs about one pass over the weights).
     *
     * @param model     the model, on {@code device}
     * @param output    which representation
     * @param data      the images
     * @param preset    the evaluation transform's settings
     * @param batchSize images per pass
     * @param limit     at most this many images (0: all)
     * @param device    where the model is
     * @param progress  told the number of images embedded so far after every batch (may be null)
     * @return the embeddings; the caller closes them
     */
    public static DatasetEmbeddings compute(AmdimModel model, EmbeddingOutput output, ImageDataset data,
            AugmentationPreset preset, int batchSize, int limit, Device device, IntConsumer progress) {
        Objects.requireNonNull(output, "output");
        model.eval();
        try (InferenceEncoder encoder = output.inferenceEncoder(model.encoder())) {
            return compute(encoder, model, output, data, preset, batchSize, limit, device, progress);
        }
    }

    /**
     * As {@link #compute(AmdimModel, EmbeddingOutput, ImageDataset, AugmentationPreset, int, int, Device,
     * IntConsumer)}, with an inference encoder made from the model's encoder by the caller (who keeps it).
     */
    public static DatasetEmbeddings compute(InferenceEncoder encoder, AmdimModel model, EmbeddingOutput output,
            ImageDataset data, AugmentationPreset preset, int batchSize, int limit, Device device,
            IntConsumer progress) {
        Objects.requireNonNull(output, "output");
        if (limit < 0) {
            throw new IllegalArgumentException("limit must be >= 0, got " + limit);
        }
        int n = limit == 0 ? data.size() : Math.min(limit, data.size());
        if (n == 0) {
            throw new IllegalArgumentException(data.name() + " has no images to embed");
        }
        model.eval();
        int dim = output.dimension(model.config());
        LoaderConfig cfg = LoaderConfig.of(batchSize).withShuffle(false).withDropLast(false);
        try (var scope = TensorScope.open();
                var loader = new DataLoader(data, AmdimTransform.test(preset), cfg)) {
            // Filled batch by batch: one (N, D) buffer, never a list of N/B pieces and a concatenated copy.
            Tensor all = Tensor.zeros(DType.FLOAT32, Device.CPU, n, dim);
            long[] labels = new long[n];
            int done = 0;
            for (HostBatch hb : loader) {
                try (hb; var step = TensorScope.open()) {
                    int take = Math.min(hb.size(), n - done);
                    Tensor x = Tensor.fromSegment(hb.view1(), DType.FLOAT32, hb.viewShape()).narrow(0, 0, take);
                    Tensor e = output.compute(encoder, model, x.to(device)).to(Device.CPU);
                    all.narrow(0, done, take).copy_(e);
                    for (int i = 0; i < take; i++) {
                        labels[done + i] = hb.label(i);
                    }
                    done += take;
                }
                if (progress != null) {
                    progress.accept(done);
                }
                if (done >= n) {
                    break;
                }
            }
            return new DatasetEmbeddings(scope.keep(all), scope.keep(Tensor.of(labels, n)));
        }
    }

    /** The number of images. */
    public long size() {
        return embeddings.size(0);
    }

    /** Closes both tensors. */
    @Override
    public void close() {
        embeddings.close();
        labels.close();
    }
}
