package org.amdim.nn.layers;

import org.amdim.nn.Module;
import org.amdim.tensor.Functional;
import org.amdim.tensor.Tensor;

/** Average pooling to a fixed output size, as {@code torch.nn.AdaptiveAvgPool2d}. */
public final class AdaptiveAvgPool2d extends Module {
    private final long outH;
    private final long outW;

    /** Pools to {@code (outH, outW)}. */
    public AdaptiveAvgPool2d(long outH, long outW) {
        this.outH = outH;
        this.outW = outW;
    }

    @Override
    public Tensor forward(Tensor x) {
        return Functional.adaptiveAvgPool2d(x, outH, outW);
    }

    @Override
    protected String extraRepr() {
        return "output_size=(" + outH + ", " + outW + ")";
    }
}
