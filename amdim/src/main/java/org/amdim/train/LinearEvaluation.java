package org.amdim.train;

import java.util.ArrayList;
import java.util.List;

import org.amdim.data.DataLoader;
import org.amdim.data.HostBatch;
import org.amdim.data.ImageDataset;
import org.amdim.data.LoaderConfig;
import org.amdim.data.augment.AmdimTransform;
import org.amdim.data.augment.AugmentationPreset;
import org.amdim.model.encoder.Encoder;
import org.amdim.model.encoder.Features;
import org.amdim.nn.Module;
import org.amdim.nn.layers.BatchNorm1d;
import org.amdim.nn.layers.Linear;
import org.amdim.nn.layers.ReLU;
import org.amdim.nn.layers.Sequential;
import org.amdim.nn.optim.Adam;
import org.amdim.tensor.Autograd;
import org.amdim.tensor.DType;
import org.amdim.tensor.Device;
import org.amdim.tensor.Functional;
import org.amdim.tensor.Tensor;
import org.amdim.tensor.TensorScope;
import org.amdim.tensor.Torch;

/**
 * Linear evaluation of a frozen encoder: its global features (r1) of the labelled training and test images are
 * computed once in evaluation mode, then a linear classifier and an MLP classifier (1024 hidden units, batch
 * norm, ReLU) are trained on them with Adam, and their top-1 test accuracies reported.
 */
public final class LinearEvaluation {
    private LinearEvaluation() {
    }

    /**
     * Settings.
     *
     * @param batchSize      batch size for feature extraction and classifier training (default 256)
     * @param epochs         classifier training epochs over the features (default 30)
     * @param lr             Adam learning rate of the classifiers (default 1e-3)
     * @param maxTrainImages use at most this many labelled training images (0: all)
     * @param maxTestImages  use at most this many test images (0: all)
     * @param seed           seeds the classifiers' initialisation and batch order (default 0)
     */
    public record Options(int batchSize, int epochs, double lr, int maxTrainImages, int maxTestImages, long seed) {
        /** The defaults. */
        public static Options defaults() {
            return new Options(256, 30, 1e-3, 0, 0, 0);
        }
    }

    /**
     * Top-1 accuracies.
     *
     * @param linear      the linear classifier's test accuracy
     * @param mlp         the MLP classifier's test accuracy
     * @param trainImages labelled training images used
     * @param testImages  test images used
     */
    public record Result(double linear, double mlp, long trainImages, long testImages) {
    }

    /** Frozen features and labels of a split (CPU tensors the caller owns). */
    record FeatureSet(Tensor features, Tensor labels) implements AutoCloseable {
        @Override
        public void close() {
            features.close();
            labels.close();
        }
    }

    /** Runs the evaluation. The encoder is left in evaluation mode. */
    public static Result run(Encoder encoder, ImageDataset train, ImageDataset test, AugmentationPreset preset,
            int classes, Options o, Device device) {
        try (FeatureSet tr = features(encoder, train, preset, o.batchSize(), o.maxTrainImages(), device);
                FeatureSet te = features(encoder, test, preset, o.batchSize(), o.maxTestImages(), device)) {
            long dim = tr.features().size(1);
            Torch.manualSeed(o.seed());
            double lin;
            double mlp;
            try (Module linear = new Linear(dim, classes)) {
                lin = trainAndTest(linear, tr, te, o);
            }
            try (Module head = new Sequential(new Linear(dim, 1024, false), new BatchNorm1d(1024), new ReLU(),
                    new Linear(1024, classes))) {
                mlp = trainAndTest(head, tr, te, o);
            }
            return new Result(lin, mlp, tr.labels().size(0), te.labels().size(0));
        }
    }

    /** Global features of the labelled images of a split, computed in evaluation mode without gradients. */
    static FeatureSet features(Encoder encoder, ImageDataset data, AugmentationPreset preset, int batchSize,
            int maxImages, Device device) {
        encoder.eval();
        List<Tensor> feats = new ArrayList<>();
        List<Tensor> labels = new ArrayList<>();
        LoaderConfig cfg = LoaderConfig.of(batchSize).withShuffle(false).withDropLast(false);
        long taken = 0;
        try (var scope = TensorScope.open(); var ng = Autograd.noGrad();
                var loader = new DataLoader(data, AmdimTransform.test(preset), cfg)) {
            for (HostBatch hb : loader) {
                try (hb) {
                    DeviceBatch b = DeviceBatch.of(hb, device);
                    Features f = encoder.encode(b.x1());
                    Tensor r1 = f.r1().flatten(1, -1).to(Device.CPU);
                    Tensor keep = b.labels().to(Device.CPU).ge(0);
                    feats.add(r1.indexSelect(0, nonzero(keep)));
                    labels.add(b.labels().to(Device.CPU).maskedSelect(keep));
                    taken += hb.size();
                }
                if (maxImages > 0 && taken >= maxImages) {
                    break;
                }
            }
            if (feats.isEmpty()) {
                throw new IllegalArgumentException(data.name() + " has no labelled images to evaluate on");
            }
            Tensor x = Tensor.cat(feats, 0);
            Tensor y = Tensor.cat(labels, 0);
            if (maxImages > 0 && x.size(0) > maxImages) {
                x = x.narrow(0, 0, maxImages).contiguous();
                y = y.narrow(0, 0, maxImages).contiguous();
            }
            return new FeatureSet(scope.keep(x), scope.keep(y));
        }
    }

    private static Tensor nonzero(Tensor mask) {
        boolean[] m = mask.toBooleanArray();
        long[] idx = new long[m.length];
        int n = 0;
        for (int i = 0; i < m.length; i++) {
            if (m[i]) {
                idx[n++] = i;
            }
        }
        return Tensor.of(java.util.Arrays.copyOf(idx, n), n);
    }

    /** Trains {@code head} on the training features (cross entropy, Adam) and returns its test accuracy. */
    static double trainAndTest(Module head, FeatureSet tr, FeatureSet te, Options o) {
        try (Adam adam = new Adam(head.parameters(), o.lr(), 0, Adam.Options.adam())) {
            long n = tr.features().size(0);
            head.train();
            for (int epoch = 0; epoch < o.epochs(); epoch++) {
                try (var scope = TensorScope.open()) {
                    Tensor order = Tensor.randperm(n);
                    for (long start = 0; start + 1 < n; start += o.batchSize()) {
                        long len = Math.min(o.batchSize(), n - start);
                        if (len < 2) {
                            break; // batch norm needs two rows
                        }
                        try (var step = TensorScope.open()) {
                            Tensor idx = order.narrow(0, start, len);
                            Tensor x = tr.features().indexSelect(0, idx);
                            Tensor y = tr.labels().indexSelect(0, idx);
                            Tensor loss = Functional.crossEntropy(head.forward(x), y);
                            adam.zeroGrad();
                            loss.backward();
                            adam.step();
                        }
                    }
                }
            }
            head.eval();
            try (var scope = TensorScope.open(); var ng = Autograd.noGrad()) {
                Tensor pred = head.forward(te.features()).argmax(1, false);
                return pred.eq(te.labels()).to(DType.FLOAT64).mean().item();
            }
        }
    }
}
