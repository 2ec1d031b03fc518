package org.amdim.model.heads;

import org.amdim.nn.Module;
import org.amdim.tensor.Tensor;
import org.amdim.tensor.TensorScope;

/**
 * The online classifiers that track how linearly (and non-linearly) separable the self-supervised global
 * features are, trained alongside the encoder on detached features (the original {@code Evaluator}).
 *
 * <p>Children: {@code block_glb_mlp}, an {@link MlpClassifier} with 1024 hidden units and dropout {@code p}
 * (0.2 in the original), and {@code block_glb_lin}, a linear {@link MlpClassifier} with dropout 0. Their
 * losses never reach the encoder: the input is detached here.
 */
public final class Evaluator extends Module {
    /** Hidden width of the MLP head. */
    public static final long HIDDEN = 1024;
    /** The MLP head's dropout probability in the original. */
    public static final double DEFAULT_DROPOUT = 0.2;

    private final MlpClassifier mlp;
    private final MlpClassifier lin;
    private final long classes;

    /** With the original's dropout of 0.2 in the MLP head. */
    public Evaluator(long dim, long classes) {
        this(dim, classes, DEFAULT_DROPOUT);
    }

    /**
     * @param dim     size of the flattened global feature
     * @param classes number of classes
     * @param dropout dropout probability of the MLP head's two Dropout layers (the linear head has none)
     */
    public Evaluator(long dim, long classes, double dropout) {
        this.classes = classes;
        this.mlp = registerModule("block_glb_mlp", new MlpClassifier(dim, classes, HIDDEN, dropout));
        this.lin = registerModule("block_glb_lin", new MlpClassifier(dim, classes, 0, 0.0));
    }

    /** Number of classes. */
    public long classes() {
        return classes;
    }

    /**
     * Logits of both heads for global features (N, dim, 1, 1) or (N, dim); the features are flattened and
     * detached first, so no gradient flows back into them.
     */
    public EvaluatorLogits logits(Tensor features) {
        try (var scope = TensorScope.open()) {
            Tensor h = features.flatten(1, -1).detach();
            Tensor a = mlp.forward(h);
            Tensor b = lin.forward(h);
            return new EvaluatorLogits(scope.keep(a), scope.keep(b));
        }
    }
}
