package org.amdim.model;

import org.amdim.nn.Module;
import org.amdim.nn.layers.BatchNorm2d;
import org.amdim.tensor.Tensor;

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

    /** The batch norm of {@code x} when active, otherwise {@code x} itself (a new handle to the same tensor). */
    @Override
    public Tensor forward(Tensor x) {
        return active ? bn.forward(x) : x.alias();
    }

    @Override
    protected String extraRepr() {
        return active ? "active" : "inactive";
    }
}
