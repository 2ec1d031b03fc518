package org.amdim.train;

import java.io.IOException;

import org.amdim.data.DataLoader;
import org.amdim.data.HostBatch;
import org.amdim.data.ImageDataset;
import org.amdim.data.LoaderConfig;
import org.amdim.data.augment.AmdimTransform;
import org.amdim.data.augment.AugmentationPreset;
import org.amdim.model.AmdimModel;
import org.amdim.model.encoder.InferenceEncoder;
import org.amdim.model.heads.EvaluatorLogits;
import org.amdim.tensor.Autograd;
import org.amdim.tensor.Device;
import org.amdim.tensor.Tensor;
import org.amdim.tensor.TensorScope;

/**
 * The original's test pass of the online classifiers: first refresh the batch-norm statistics by running
 * {@code warmupBatches} test batches through the model in training mode (without gradients), then top-1
 * accuracy of the MLP and linear heads in evaluation mode on the whole test set, as the original's
 * {@code test_model} at every epoch end, or on its first {@code maxBatches} batches for quick runs (the test set
 * is not shuffled, so that is always the same subset, and {@link Accuracy#wholeTestSet()} says so). The model is
 * left in training mode.
 */
public final class OnlineEvaluation {
    private OnlineEvaluation() {
    }

    /**
     * Top-1 accuracies of the two heads.
     *
     * @param mlp          accuracy of the MLP head
     * @param linear       accuracy of the linear head
     * @param images       labelled images counted
     * @param wholeTestSet whether every test image was counted (false: the figures are over a subset)
     */
    public record Accuracy(double mlp, double linear, long images, boolean wholeTestSet) {
        /** {@code "(N images)"}, or {@code "(N images: a subset of the test set)"}, for progress lines. */
        public String describeImages() {
            return "(" + images + " images" + (wholeTestSet ? "" : ": a subset of the test set") + ")";
        }
    }

    /**
     * Runs the test pass on {@code test} with the preset's test transform.
     *
     * @param maxBatches test batches to count, or 0 or less for all of them
     */
    public static Accuracy run(AmdimModel model, ImageDataset test, AugmentationPreset preset, int batchSize,
            int warmupBatches, int maxBatches, Device device) throws IOException {
        LoaderConfig cfg = LoaderConfig.of(batchSize).withShuffle(false).withDropLast(false).withWorkers(2);
        try (var ng = Autograd.noGrad()) {
            if (warmupBatches > 0) {
                model.train();
                try (var loader = new DataLoader(test, AmdimTransform.test(preset), cfg)) {
                    int n = 0;
                    for (HostBatch hb : loader) {
                        try (hb; DeviceBatch b = DeviceBatch.of(hb, device); EvaluatorLogits l = model.classify(b.x1())) {
                            // the forward pass itself updates the running statistics
                        }
                        if (++n >= warmupBatches) {
                            break;
                        }
                    }
                }
            }
            model.eval();
            // The heads read r1 alone: the original's class_only pass also computes r5 and r7 and drops them. So
            // r1 runs on its own, on the CPU on the fused network built from the weights and running statistics
            // as they are now (the module's r1 to float32 rounding), the fastest way this project has to run it.
            // The warm-up above stays on the module: in training mode every batch norm, the heads' too, updates.
            try (InferenceEncoder encoder = InferenceEncoder.global(model.encoder())) {
                return count(model, encoder, test, preset, cfg, maxBatches, device);
            } finally {
                model.train();
            }
        }
    }

    /** The evaluation-mode part of the pass: top-1 accuracies of both heads on r1 from {@code encoder}. */
    private static Accuracy count(AmdimModel model, InferenceEncoder encoder, ImageDataset test,
            AugmentationPreset preset, LoaderConfig cfg, int maxBatches, Device device) throws IOException {
        long correctMlp = 0;
        long correctLin = 0;
        long counted = 0;
        boolean whole;
        try (var loader = new DataLoader(test, AmdimTransform.test(preset), cfg)) {
            whole = maxBatches <= 0 || maxBatches >= loader.batchesPerEpoch();
            int n = 0;
            for (HostBatch hb : loader) {
                try (hb; var scope = TensorScope.open()) {
                    DeviceBatch b = DeviceBatch.of(hb, device);
                    EvaluatorLogits l = model.evaluator().logits(encoder.encodeGlobal(b.x1()));
                    Tensor labelled = b.labels().ge(0);
                    counted += labelled.sum().itemLong();
                    correctMlp += l.mlp().argmax(1, false).eq(b.labels()).logicalAnd(labelled).sum().itemLong();
                    correctLin += l.lin().argmax(1, false).eq(b.labels()).logicalAnd(labelled).sum().itemLong();
                }
                if (maxBatches > 0 && ++n >= maxBatches) {
                    break;
                }
            }
        }
        return new Accuracy(counted == 0 ? 0 : (double) correctMlp / counted,
                counted == 0 ? 0 : (double) correctLin / counted, counted, whole);
    }
}
