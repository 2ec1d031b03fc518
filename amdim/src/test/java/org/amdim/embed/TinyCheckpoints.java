package org.amdim.embed;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import org.amdim.model.AmdimConfig;
import org.amdim.model.AmdimModel;
import org.amdim.model.encoder.EncoderConfig;
import org.amdim.model.mixture.MixtureConfig;
import org.amdim.tensor.Autograd;
import org.amdim.tensor.Tensor;
import org.amdim.tensor.TensorScope;
import org.amdim.tensor.Torch;
import org.amdim.train.CheckpointStore;
import org.amdim.train.ModelCheckpoints;

/** Small checkpoints as {@code amdim train} writes them, with batch-norm statistics that differ from a fresh model's. */
final class TinyCheckpoints {
    private TinyCheckpoints() {
    }

    /** A tiny encoder (ndf 4, R 32, depth 2, batch norm) of the given input size. */
    static AmdimConfig config(int inputSize, MixtureConfig mixture) {
        return new AmdimConfig(new EncoderConfig(inputSize, 4, 32, 2, true), 10, 20.0, 0.2, mixture, 0);
    }

    /**
     * Writes a checkpoint of a seeded model whose running statistics were moved by a few training-mode passes
     * (so evaluation mode differs from training mode) into {@code dir}, recording {@code dataset} as the
     * trainer does.
     */
    static Path write(Path dir, AmdimConfig config, String dataset) throws IOException {
        Torch.manualSeed(7);
        try (AmdimModel model = AmdimModel.create(config)) {
            model.train();
            int s = config.encoder().inputSize();
            for (int i = 0; i < 3; i++) {
                try (var scope = TensorScope.open(); var ng = Autograd.noGrad()) {
                    model.encoder().encode(Tensor.randn(4, 3, s, s).mul(2).add(0.5)).close();
                }
            }
            Map<String, String> meta = new LinkedHashMap<>();
            if (dataset != null) {
                meta.put("dataset", dataset);
            }
            meta.putAll(ModelCheckpoints.describe(config.encoder(), config.classes(), config.tclip(),
                    config.mixture()));
            meta.put("epoch", "1");
            meta.put("batch", "0");
            return new CheckpointStore(dir, 2).save(10, model.stateDict(), Map.of(), meta);
        }
    }
}
