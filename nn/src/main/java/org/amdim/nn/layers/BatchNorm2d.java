package org.amdim.nn.layers;

import org.amdim.tensor.Tensor;

/** Batch normalisation over (N, C, H, W) inputs, as {@code torch.nn.BatchNorm2d}. */
public final class BatchNorm2d extends BatchNorm {
    /** With PyTorch's defaults. */
    public BatchNorm2d(long features) {
        this(features, Options.defaults());
    }

    /** With the given options. */
    public BatchNorm2d(long features, Options options) {
        super(features, options);
    }

    @Override
    protected void checkInput(Tensor x) {
        if (x.dim() != 4) {
            throw new IllegalArgumentException("BatchNorm2d expects 4-D input (N, C, H, W), got " + x.dim() + "-D");
        }
    }
}
