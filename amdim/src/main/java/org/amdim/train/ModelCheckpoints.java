package org.amdim.train;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import org.amdim.model.AmdimConfig;
import org.amdim.model.AmdimModel;
import org.amdim.model.encoder.EncoderConfig;
import org.amdim.model.mixture.MixtureConfig;

/**
 * Rebuilds a trained {@link AmdimModel} from a training checkpoint: the checkpoint's metadata records the
 * model's shape (written by {@link #describe}), its tensors the weights.
 */
public final class ModelCheckpoints {
    private ModelCheckpoints() {
    }

    /** The metadata entries that fix a model's shape. */
    public static Map<String, String> describe(EncoderConfig e, int classes, double tclip, MixtureConfig mixture) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("model.input_size", Integer.toString(e.inputSize()));
        m.put("model.ndf", Integer.toString(e.ndf()));
        m.put("model.n_rkhs", Integer.toString(e.nRkhs()));
        m.put("model.n_depth", Integer.toString(e.nDepth()));
        m.put("model.use_bn", Boolean.toString(e.useBn()));
        m.put("model.classes", Integer.toString(classes));
        m.put("model.tclip", Double.toString(tclip));
        m.put("model.mixture", Boolean.toString(mixture.enabled()));
        m.put("model.mixture_k", Integer.toString(mixture.components()));
        m.put("model.mixture_tau", Double.toString(mixture.tau()));
        m.put("model.mixture_hidden", Long.toString(mixture.hidden()));
        return m;
    }

    /** The model configuration recorded in checkpoint metadata. */
    public static AmdimConfig config(Map<String, String> meta) {
        try {
            EncoderConfig e = new EncoderConfig(intOf(meta, "model.input_size"), intOf(meta, "model.ndf"),
                    intOf(meta, "model.n_rkhs"), intOf(meta, "model.n_depth"),
                    Boolean.parseBoolean(require(meta, "model.use_bn")));
            MixtureConfig mix = new MixtureConfig(Boolean.parseBoolean(require(meta, "model.mixture")),
                    intOf(meta, "model.mixture_k"), Double.parseDouble(require(meta, "model.mixture_tau")),
                    Long.parseLong(require(meta, "model.mixture_hidden")));
            return new AmdimConfig(e, intOf(meta, "model.classes"), Double.parseDouble(require(meta, "model.tclip")),
                    0.2, mix, 0);
        } catch (NumberFormatException ex) {
            throw new IllegalArgumentException("checkpoint metadata has a malformed model entry: " + ex.getMessage(), ex);
        }
    }

    /** Loads a trained model (in evaluation mode) from a checkpoint file or run directory. */
    public static AmdimModel load(Path checkpoint) throws IOException {
        try (CheckpointStore.Checkpoint ckpt = CheckpointStore.load(checkpoint)) {
            AmdimModel model = AmdimModel.create(config(ckpt.metadata()));
            try {
                model.loadStateDict(ckpt.model(), true);
            } catch (RuntimeException e) {
                model.close();
                throw e;
            }
            model.eval();
            return model;
        }
    }

    private static String require(Map<String, String> meta, String key) {
        String v = meta.get(key);
        if (v == null) {
            throw new IllegalArgumentException("checkpoint metadata lacks '" + key + "'");
        }
        return v;
    }

    private static int intOf(Map<String, String> meta, String key) {
        return Integer.parseInt(require(meta, key));
    }
}
