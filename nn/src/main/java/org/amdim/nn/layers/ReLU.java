package org.amdim.nn.layers;

import org.amdim.nn.Module;
import org.amdim.tensor.Tensor;

/** {@code max(x, 0)}. */
public final class ReLU extends Module {
    /** A ReLU layer (not in place). */
    public ReLU() {
    }

    @Override
    public Tensor forward(Tensor x) {
        return x.relu();
    }
}
