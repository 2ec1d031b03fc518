package org.amdim.model.encoder;

import java.util.ArrayList;
import java.util.List;

import org.amdim.nn.Module;
import org.amdim.nn.layers.BatchNorm2d;
import org.amdim.tensor.Tensor;
import org.amdim.tensor.TensorScope;

/**
 * A {@link BatchNorm2d} (registered as {@code bn}) that is applied only when active.
 *
 * <p>The optional batch norms of the encoder are inactive with use_bn = 0, but they keep their parameters and
 * buffers so that state dicts have the original's keys ({@code ….bn.weight}, {@code ….bn.running_mean},
 * {@code ….bn.num_batches_tracked}, …). An inactive one returns its input unchanged: its parameters get no
 * gradient and its buffers never change.
 */
public final class MaybeBatchNorm extends Module {
    private final BatchNorm2d bn;
    private final boolean active;
    private int statisticsGroups = 1;

    /**
     * A batch norm over {@code channels} channels (PyTorch's defaults: eps 1e-5, momentum 0.1, affine).
     *
     * @param channels number of channels
     * @param active   whether {@link #forward} applies it
     */
    public MaybeBatchNorm(long channels, boolean active) {
        this.bn = registerModule("bn", new BatchNorm2d(channels));
        this.active = active;
    }

    /** Whether the batch norm is applied. */
    public boolean isActive() {
        return active;
    }

    /** The wrapped batch norm. */
    public BatchNorm2d batchNorm() {
        return bn;
    }

    /**
     * Sets into how many equal parts of the batch the training-mode statistics are split ({@link
     * Encoder#encodeViews}). With g groups, part k of the batch is normalised with its own mean and variance, and
     * the running statistics are updated g times, part by part: exactly as g separate calls on the parts.
     */
    void statisticsGroups(int groups) {
        if (groups < 1) {
            throw new IllegalArgumentException("statistics groups must be >= 1, got " + groups);
        }
        this.statisticsGroups = groups;
    }

    /** The batch norm of {@code x} when active, otherwise {@code x} itself (a new handle to the same tensor). */
    @Override
    public Tensor forward(Tensor x) {
        if (!active) {
            return x.alias();
        }
        // Evaluation mode normalises every image with the running statistics alone, so parts need no splitting.
        if (statisticsGroups == 1 || !bn.isTraining()) {
            return bn.forward(x);
        }
        long batch = x.shape()[0];
        if (batch % statisticsGroups != 0) {
            throw new IllegalArgumentException("a batch of " + batch + " cannot be split into " + statisticsGroups
                    + " equal statistics groups");
        }
        try (var scope = TensorScope.open()) {
            List<Tensor> parts = new ArrayList<>(statisticsGroups);
            for (Tensor part : x.chunk(statisticsGroups, 0)) {
                parts.add(bn.forward(part));
            }
            return scope.keep(Tensor.cat(parts, 0));
        }
    }

    @Override
    protected String extraRepr() {
        return active ? "active" : "inactive";
    }
}
