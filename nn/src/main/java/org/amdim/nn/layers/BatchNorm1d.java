package org.amdim.nn.layers;

import org.amdim.tensor.Tensor;

/** Batch normalisation over (N, C) or (N, C, L) inputs, as {@code torch.nn.BatchNorm1d}. */
public final class BatchNorm1d extends BatchNorm {
    /** With PyTorch's defaults. */
    public BatchNorm1d(long features) {
        this(features, Options.defaults());
    }

    /** With the given options. */
    public BatchNorm1d(long features, Options options) {
        super(features, options);
    }

    @Override
    protected void checkInput(Tensor x) {
        int d = x.dim();
        if (d != 2 && d != 3) {
            throw new IllegalArgumentException("BatchNorm1d expects 2-D or 3-D input, got " + d + "-D");
        }
    }
}
