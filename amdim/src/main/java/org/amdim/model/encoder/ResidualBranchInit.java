package org.amdim.model.encoder;

import org.amdim.nn.Init;
import org.amdim.nn.layers.Conv2d;
import org.amdim.tensor.Autograd;

/**
 * AMDIM's initialisation of a residual branch {@code conv2(act(conv1(x)))}, shared by the encoder's residual units
 * and its embedding heads: conv1 ← kaiming-uniform(a = √5) · scale (PyTorch's default conv init, rescaled),
 * conv2 ← 0, so that the block starts as its shortcut.
 */
final class ResidualBranchInit {
    private ResidualBranchInit() {
    }

    static void apply(Conv2d conv1, Conv2d conv2, double initScale) {
        Init.kaimingUniform(conv1.weight(), Math.sqrt(5), Init.Nonlinearity.LEAKY_RELU);
        try (var ng = Autograd.noGrad()) {
            conv1.weight().mul_(initScale);
        }
        Init.zeros(conv2.weight());
    }
}
