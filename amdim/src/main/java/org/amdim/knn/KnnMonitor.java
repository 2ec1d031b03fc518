package org.amdim.knn;

import java.io.IOException;
import java.util.Map;

import org.amdim.data.ImageDataset;
import org.amdim.data.io.Stl10Dataset;
import org.amdim.model.AmdimModel;
import org.amdim.data.DatasetSpec;
import org.amdim.train.EpochMonitor;
import org.amdim.train.TrainConfig;

/**
 * k-NN accuracy as an online monitor ({@code train --knn-every N}): every {@code every} epochs, the test split's
 * top-1 k-NN accuracy against the labelled training split, reported as {@code test_acc_knn}. The splits are
 * opened at the first use and kept.
 */
public final class KnnMonitor implements EpochMonitor {
    /** The metrics column it reports. */
    public static final String COLUMN = "test_acc_knn";

    private final int every;
    private final WeightedKnn.Options options;
    private ImageDataset train;
    private ImageDataset test;

    /**
     * @param every   run after every {@code every}-th epoch (≥ 1)
     * @param options k, τ and chunk sizes
     */
    public KnnMonitor(int every, WeightedKnn.Options options) {
        if (every < 1) {
            throw new IllegalArgumentException("the k-NN monitor's interval must be >= 1 epoch, got " + every);
        }
        this.every = every;
        this.options = java.util.Objects.requireNonNull(options, "options");
    }

    @Override
    public Map<String, Double> afterEpoch(AmdimModel model, TrainConfig config, int epoch) throws IOException {
        if ((epoch + 1) % every != 0) {
            return Map.of();
        }
        DatasetSpec spec = config.dataset();
        if (train == null) {
            train = labelledTrainSplit(spec);
            test = spec.open(false);
        }
        KnnEvaluation.Result r = KnnEvaluation.run(model, train, test, spec.preset(), config.classes(), options,
                config.batchSize(), 0, 0, config.device(), null);
        return Map.of(COLUMN, r.accuracy());
    }

    /**
     * The training images that have labels: STL-10's self-supervised training split adds 100k unlabelled images
     * that k-NN would embed only to drop, so its labelled 5k are read directly (as {@code amdim eval} does).
     */
    public static ImageDataset labelledTrainSplit(DatasetSpec spec) throws IOException {
        return spec.kind() == DatasetSpec.Kind.STL10
                ? Stl10Dataset.open(spec.path(), Stl10Dataset.Split.TRAIN) : spec.open(true);
    }
}
