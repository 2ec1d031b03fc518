package org.amdim.nn.layers;

import org.amdim.nn.Module;
import org.amdim.tensor.Tensor;

/** Flattens dimensions {@code start..end} (default 1..−1), as {@code torch.nn.Flatten}. */
public final class Flatten extends Module {
    private final long start;
    private final long end;

    /** Flattens everything but the batch dimension. */
    public Flatten() {
        this(1, -1);
    }

    /** Flattens dimensions {@code start..end}. */
    public Flatten(long start, long end) {
        this.start = start;
        this.end = end;
    }

    @Override
    public Tensor forward(Tensor x) {
        return x.flatten(start, end);
    }

    @Override
    protected String extraRepr() {
        return "start_dim=" + start + ", end_dim=" + end;
    }
}
