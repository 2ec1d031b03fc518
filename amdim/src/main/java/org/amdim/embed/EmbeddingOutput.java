package org.amdim.embed;

import java.util.Locale;
import java.util.function.Function;

import org.amdim.model.AmdimConfig;
import org.amdim.model.AmdimModel;
import org.amdim.model.encoder.Encoder;
import org.amdim.model.encoder.Features;
import org.amdim.model.encoder.InferenceEncoder;
import org.amdim.tensor.Autograd;
import org.amdim.tensor.Tensor;
import org.amdim.tensor.TensorScope;

/**
 * Which of the encoder's representations an embedding is. Every one is a flat vector per image.
 */
public enum EmbeddingOutput {
    /** The global feature r1 (n_rkhs floats): what AMDIM's classifiers and the paper's evaluation use. */
    R1,
    /** The 5×5 local features averaged over their 25 locations (n_rkhs floats). */
    R5_POOLED,
    /** The 7×7 local features averaged over their 49 locations (n_rkhs floats). */
    R7_POOLED,
    /**
     * The k mixture components {@code r1 + MLPⱼ(r1)} of a model trained with the mixture objective, concatenated
     * component by component (k·n_rkhs floats).
     */
    MIXTURE;

    /**
     * The output named as on a command line: {@code r1}, {@code r5}, {@code r7} or {@code mixture} (any case).
     *
     * @throws IllegalArgumentException for another name
     */
    public static EmbeddingOutput parse(String name) {
        return switch (name.trim().toLowerCase(Locale.ROOT)) {
            case "r1" -> R1;
            case "r5" -> R5_POOLED;
            case "r7" -> R7_POOLED;
            case "mixture" -> MIXTURE;
            default -> throw new IllegalArgumentException("unknown embedding output '" + name
                    + "' (expected r1, r5, r7 or mixture)");
        };
    }

    /** The name {@link #parse(String)} reads. */
    public String cliName() {
        return switch (this) {
            case R1 -> "r1";
            case R5_POOLED -> "r5";
            case R7_POOLED -> "r7";
            case MIXTURE -> "mixture";
        };
    }

    /**
     * The length of this embedding for a model.
     *
     * @throws IllegalArgumentException for {@link #MIXTURE} of a model trained without mixture heads
     */
    public int dimension(AmdimConfig config) {
        int r = config.encoder().nRkhs();
        if (this != MIXTURE) {
            return r;
        }
        requireMixture(config);
        return config.mixture().components() * r;
    }

    /**
     * Computes this embedding for a batch of preprocessed images with the encoder module, without gradients, in
     * whatever mode the model is in (evaluation mode for embeddings: batch norms then use their running
     * statistics). {@link #R1} runs the encoder without the 5×5 and 7×7 heads; the pooled outputs skip the
     * mixture heads. For many batches on the CPU, {@link #compute(InferenceEncoder, AmdimModel, Tensor)} is
     * faster.
     *
     * @param model  the model (its encoder, and for {@link #MIXTURE} its mixture heads)
     * @param images (B, 3, S, S) normalised images on the model's device
     * @return (B, {@link #dimension}) float32 on the model's device; the caller owns it
     * @throws IllegalArgumentException when the images have the wrong shape, or for {@link #MIXTURE} of a model
     *     without mixture heads
     */
    public Tensor compute(AmdimModel model, Tensor images) {
        Encoder module = model.encoder();
        return compute(model, module::encodeGlobal, module::encode, images);
    }

    /**
     * An inference encoder of {@code encoder} that computes this output and holds no more than it needs: r1 and the
     * mixture read r1 alone ({@link InferenceEncoder#global}: on the CPU one copy of the weights, the fused
     * network's), the pooled maps the whole encoder ({@link InferenceEncoder#of(Encoder)}).
     */
    public InferenceEncoder inferenceEncoder(Encoder encoder) {
        return this == R1 || this == MIXTURE ? InferenceEncoder.global(encoder) : InferenceEncoder.of(encoder);
    }

    /**
     * Computes this embedding in evaluation mode with an {@link InferenceEncoder} made from the model's encoder
     * (on the CPU its packed path: for the CIFAR default encoder about twice as fast at batch 1, a few per cent at
     * batch 256), and for {@link #MIXTURE} the model's mixture
     * heads. Otherwise as {@link #compute(AmdimModel, Tensor)}.
     *
     * @throws IllegalArgumentException when {@code encoder}'s configuration is not the model's, the images have
     *     the wrong shape, or for {@link #MIXTURE} of a model without mixture heads
     */
    public Tensor compute(InferenceEncoder encoder, AmdimModel model, Tensor images) {
        if (!encoder.config().equals(model.config().encoder())) {
            throw new IllegalArgumentException("the inference encoder (" + encoder.config() + ") is not the model's ("
                    + model.config().encoder() + ")");
        }
        return compute(model, encoder::encodeGlobal, encoder::encode, images);
    }

    private Tensor compute(AmdimModel model, Function<Tensor, Tensor> global, Function<Tensor, Features> all,
            Tensor images) {
        if (this == MIXTURE) {
            requireMixture(model.config());
        }
        try (var scope = TensorScope.open(); var noGrad = Autograd.noGrad()) {
            long b = images.shape().length > 0 ? images.size(0) : 0;
            Tensor out = switch (this) {
                case R1 -> global.apply(images).flatten(1, -1);
                case R5_POOLED, R7_POOLED -> {
                    try (Features f = all.apply(images)) {
                        Tensor map = this == R5_POOLED ? f.r5() : f.r7();
                        yield map.mean(new long[] {2, 3}, false);
                    }
                }
                case MIXTURE -> {
                    Tensor r1 = global.apply(images);
                    // (k, B, R) -> (B, k, R) -> (B, k·R): each image's components side by side
                    yield model.mixture().components(r1).permute(1, 0, 2).reshape(b, -1);
                }
            };
            return scope.keep(out.contiguous());
        }
    }

    private static void requireMixture(AmdimConfig config) {
        if (!config.mixture().enabled()) {
            throw new IllegalArgumentException("the model was trained without mixture heads, so it has no mixture"
                    + " components to embed with; use r1, r5 or r7");
        }
    }
}
