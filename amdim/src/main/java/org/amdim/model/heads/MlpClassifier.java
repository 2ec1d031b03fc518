package org.amdim.model.heads;

import org.amdim.nn.Module;
import org.amdim.nn.layers.BatchNorm1d;
import org.amdim.nn.layers.Dropout;
import org.amdim.nn.layers.Flatten;
import org.amdim.nn.layers.Linear;
import org.amdim.nn.layers.ReLU;
import org.amdim.nn.layers.Sequential;
import org.amdim.tensor.Tensor;

/**
 * A classifier on flattened features, laid out as the original {@code MLPClassifier} so that state-dict keys
 * match: one child {@code block_forward}, a {@link Sequential} of
 * <ul>
 * <li>with a hidden layer: {@code 0} Flatten, {@code 1} Dropout(p), {@code 2} Linear(in→hidden, no bias),
 * {@code 3} BatchNorm1d(hidden), {@code 4} ReLU, {@code 5} Dropout(p), {@code 6} Linear(hidden→classes);</li>
 * <li>linear: {@code 0} Flatten, {@code 1} Dropout(p), {@code 2} Linear(in→classes).</li>
 * </ul>
 * Linear layers get PyTorch's default initialisation.
 */
public final class MlpClassifier extends Module {
    private final Sequential block;

    /**
     * @param inputs  flattened input size
     * @param classes number of classes
     * @param hidden  hidden width, or 0 for a linear classifier
     * @param dropout dropout probability of every Dropout layer, in [0, 1)
     */
    public MlpClassifier(long inputs, long classes, long hidden, double dropout) {
        if (hidden > 0) {
            block = new Sequential(new Flatten(), new Dropout(dropout), new Linear(inputs, hidden, false),
                    new BatchNorm1d(hidden), new ReLU(), new Dropout(dropout), new Linear(hidden, classes, true));
        } else {
            block = new Sequential(new Flatten(), new Dropout(dropout), new Linear(inputs, classes, true));
        }
        registerModule("block_forward", block);
    }

    /** Logits (N, classes) of features (N, ...). */
    @Override
    public Tensor forward(Tensor features) {
        return block.forward(features);
    }
}
