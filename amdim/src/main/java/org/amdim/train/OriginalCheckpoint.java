package org.amdim.train;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import org.amdim.model.AmdimConfig;
import org.amdim.model.AmdimModel;
import org.amdim.model.encoder.EncoderConfig;
import org.amdim.model.heads.Evaluator;
import org.amdim.model.mixture.MixtureConfig;
import org.amdim.model.nce.MultiScaleNceLoss;
import org.amdim.nn.io.NamedTensors;
import org.amdim.nn.io.pth.PthFile;
import org.amdim.nn.io.pth.PthFormatException;
import org.amdim.tensor.Tensor;

/**
 * A checkpoint written by the original AMDIM code ({@code amdim_cpt.pth}, and the published ImageNet models), read
 * without Python: {@code torch.save} of
 * {@code {'model': state_dict, 'hyperparams': {ndf, n_classes, n_rkhs, tclip, n_depth, encoder_size, use_bn},
 * 'cursor': {info_epoch, info_step, classifier_epoch, classifier_step}}}, in either of PyTorch's formats
 * (see {@link PthFile}; nothing in the file is ever executed).
 *
 * <p>The original's state-dict names are ours ({@link AmdimModel}), so the weights load strictly into a model built
 * from the hyper-parameters: {@code encoder_size} is the input size, and {@code use_bn} decides whether the
 * optional batch norms run. The original's own restore code reads only ndf, n_classes, n_rkhs, n_depth and
 * encoder_size, so those are required; a missing {@code use_bn} means off and a missing {@code tclip} the training
 * script's 20, as they would there.
 *
 * <pre>{@code
 * try (OriginalCheckpoint original = OriginalCheckpoint.read(Path.of("amdim_cpt.pth"));
 *      AmdimModel model = original.model()) {
 *     new CheckpointStore(dir, 1).save(0, model.stateDict(), Map.of(), original.metadata());
 * }
 * }</pre>
 */
public final class OriginalCheckpoint implements AutoCloseable {
    private final Path source;
    private final PthFile.Format format;
    private final AmdimConfig config;
    private final Map<String, Long> cursor;
    private final NamedTensors state;

    private OriginalCheckpoint(Path source, PthFile.Format format, AmdimConfig config, Map<String, Long> cursor,
            NamedTensors state) {
        this.source = source;
        this.format = format;
        this.config = config;
        this.cursor = cursor;
        this.state = state;
    }

    /**
     * Reads a checkpoint of the original code.
     *
     * @throws PthFormatException when the file is not a PyTorch file, is refused by the restricted unpickler, or
     *                            does not hold the original's checkpoint layout and hyper-parameters
     */
    public static OriginalCheckpoint read(Path pth) throws IOException {
        String src = pth.toString();
        try (PthFile file = PthFile.open(pth)) {
            if (!(file.root() instanceof Map<?, ?> root) || !(root.get("model") instanceof Map<?, ?> model)
                    || !(root.get("hyperparams") instanceof Map<?, ?> hp)) {
                throw new PthFormatException(src, "not a checkpoint of the original AMDIM code: expected a dict"
                        + " with a 'model' state dict and a 'hyperparams' dict");
            }
            AmdimConfig config = config(src, hp);
            Map<String, Long> cursor = new LinkedHashMap<>();
            if (root.get("cursor") instanceof Map<?, ?> c) {
                c.forEach((k, v) -> {
                    if (k instanceof String key && v instanceof Long n) {
                        cursor.put(key, n);
                    }
                });
            }
            return new OriginalCheckpoint(pth, file.format(), config, cursor, file.tensors(model));
        }
    }

    /** The model configuration the hyper-parameters describe. */
    static AmdimConfig config(String src, Map<?, ?> hp) throws PthFormatException {
        try {
            EncoderConfig encoder = new EncoderConfig(intOf(src, hp, "encoder_size"), intOf(src, hp, "ndf"),
                    intOf(src, hp, "n_rkhs"), intOf(src, hp, "n_depth"), useBn(src, hp.get("use_bn")));
            double tclip = hp.containsKey("tclip") ? number(src, hp, "tclip") : MultiScaleNceLoss.DEFAULT_TCLIP;
            return new AmdimConfig(encoder, intOf(src, hp, "n_classes"), tclip,
                    Evaluator.DEFAULT_DROPOUT, MixtureConfig.defaults(), 0L);
        } catch (IllegalArgumentException e) {
            throw new PthFormatException(src, "its hyperparams describe a model this project cannot build: "
                    + e.getMessage(), e);
        }
    }

    private static int intOf(String src, Map<?, ?> hp, String key) throws PthFormatException {
        Object v = hp.get(key);
        if (v instanceof Long n && n >= Integer.MIN_VALUE && n <= Integer.MAX_VALUE) {
            return (int) (long) n;
        }
        throw new PthFormatException(src, "hyperparams['" + key + "'] must be an int, got "
                + (v == null ? "nothing" : v instanceof BigInteger ? "a huge int" : v.getClass().getSimpleName()));
    }

    private static double number(String src, Map<?, ?> hp, String key) throws PthFormatException {
        Object v = hp.get(key);
        if (v instanceof Double d) {
            return d;
        }
        if (v instanceof Long n) {
            return n;
        }
        throw new PthFormatException(src, "hyperparams['" + key + "'] must be a number, got "
                + (v == null ? "nothing" : v.getClass().getSimpleName()));
    }

    /** train.py passes {@code use_bn == 1} (a bool); an int 0/1 means the same, and a missing one means off. */
    private static boolean useBn(String src, Object v) throws PthFormatException {
        if (v == null) {
            return false;
        }
        if (v instanceof Boolean b) {
            return b;
        }
        if (v instanceof Long n && (n == 0 || n == 1)) {
            return n == 1;
        }
        throw new PthFormatException(src, "hyperparams['use_bn'] must be a bool or 0/1");
    }

    /** The file read. */
    public Path source() {
        return source;
    }

    /** Which of PyTorch's formats it was in. */
    public PthFile.Format format() {
        return format;
    }

    /** The model configuration from the hyper-parameters. */
    public AmdimConfig config() {
        return config;
    }

    /** The training position the original recorded ({@code info_epoch}, {@code info_step}, ...); may be empty. */
    public Map<String, Long> cursor() {
        return Map.copyOf(cursor);
    }

    /** The original's state dict (owned by this object). */
    public Map<String, Tensor> stateDict() {
        return state.tensors();
    }

    /**
     * Builds the model and loads the weights strictly (every key, shape and dtype must match), in evaluation mode.
     * The caller owns the model.
     *
     * @throws PthFormatException naming the keys when the state dict does not fit the hyper-parameters
     */
    public AmdimModel model() throws PthFormatException {
        AmdimModel model = AmdimModel.create(config);
        try {
            Map<String, Tensor> own = model.stateDict();
            for (var e : state.tensors().entrySet()) {
                Tensor mine = own.get(e.getKey());
                if (mine != null && mine.dtype() != e.getValue().dtype()) {
                    throw new IllegalArgumentException("'" + e.getKey() + "' is " + e.getValue().dtype()
                            + " but the model's is " + mine.dtype());
                }
            }
            model.loadStateDict(state.tensors(), true);
        } catch (IllegalArgumentException e) {
            model.close();
            throw new PthFormatException(source.toString(), "its weights do not fit the model its hyperparams"
                    + " describe (" + config.encoder() + "): " + e.getMessage(), e);
        }
        model.eval();
        return model;
    }

    /**
     * The metadata of a checkpoint converted from this one: the model's shape as {@link ModelCheckpoints} records
     * it, where it came from, and the original's training position.
     */
    public Map<String, String> metadata() {
        Map<String, String> m = new LinkedHashMap<>(ModelCheckpoints.describe(config.encoder(), config.classes(),
                config.tclip(), config.mixture()));
        m.put("converted_from", source.getFileName().toString());
        m.put("converted_from_format", "pth-" + format.name().toLowerCase(java.util.Locale.ROOT));
        cursor.forEach((k, v) -> m.put("original." + k, Long.toString(v)));
        return m;
    }

    /** Frees the tensors. */
    @Override
    public void close() {
        state.close();
    }
}
