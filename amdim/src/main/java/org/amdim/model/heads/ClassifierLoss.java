package org.amdim.model.heads;

import org.amdim.tensor.Functional;
import org.amdim.tensor.Tensor;
import org.amdim.tensor.TensorScope;

/**
 * The online classifiers' loss and accuracy, as the original training code computes them.
 *
 * <p>{@code lossXent(lgt, y) = CE(10·tanh(lgt/10), y) + 0.001·mean(lgt²)}: the cross entropy runs on
 * soft-clipped logits, skips rows labelled {@link #IGNORE} and averages over the remaining rows; the regulariser
 * uses the unclipped logits of all rows, ignored ones included.
 *
 * <p>A batch in which every row is ignored (possible with unlabelled STL-10 data) would make the original's
 * mean cross entropy 0/0 = NaN. Here its cross-entropy part is defined as 0, so the loss is the regulariser
 * alone and gradients stay finite.
 */
public final class ClassifierLoss {
    /** The label of unlabelled rows. */
    public static final long IGNORE = -1;
    /** Soft clip of the logits inside the cross entropy. */
    public static final double LOGIT_CLIP = 10.0;
    /** Weight of the squared-logit regulariser. */
    public static final double LOGIT_REG_WEIGHT = 1e-3;

    private ClassifierLoss() {
    }

    /**
     * The loss of logits (N, C) against int64 labels (N), a scalar the caller owns.
     *
     * @throws org.amdim.bindings.TorchException for labels outside {@code [0, C)} other than {@link #IGNORE}
     */
    public static Tensor lossXent(Tensor logits, Tensor labels) {
        try (var scope = TensorScope.open()) {
            Tensor clipped = logits.mul(1.0 / LOGIT_CLIP).tanh().mul(LOGIT_CLIP);
            Tensor ceSum = Functional.crossEntropy(clipped, labels, Functional.Reduction.SUM, IGNORE);
            // Dividing the sum by the number of labelled rows is exactly what the mean reduction does; clamping
            // the count to 1 turns the all-ignored case into 0 instead of 0/0.
            Tensor labelled = labels.ne(IGNORE).sum().to(logits.dtype()).clampMin(1.0);
            Tensor reg = logits.square().mean().mul(LOGIT_REG_WEIGHT);
            return scope.keep(ceSum.div(labelled).add(reg));
        }
    }

    /**
     * Top-1 correct predictions among the labelled rows.
     *
     * @param correct  rows whose largest logit is at the label
     * @param labelled rows whose label is not {@link #IGNORE}
     */
    public record Accuracy(long correct, long labelled) {
        /** {@code correct / labelled}, or NaN when no row is labelled. */
        public double value() {
            return labelled == 0 ? Double.NaN : (double) correct / labelled;
        }
    }

    /** Top-1 accuracy of logits (N, C) against labels (N), ignoring rows labelled {@link #IGNORE}. */
    public static Accuracy accuracy(Tensor logits, Tensor labels) {
        try (var scope = TensorScope.open()) {
            Tensor predicted = logits.detach().argmax(1, false);
            Tensor valid = labels.ne(IGNORE);
            long correct = predicted.eq(labels).logicalAnd(valid).sum().itemLong();
            long labelled = valid.sum().itemLong();
            return new Accuracy(correct, labelled);
        }
    }
}
