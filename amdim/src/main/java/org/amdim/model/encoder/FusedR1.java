package org.amdim.model.encoder;

import java.util.ArrayList;
import java.util.List;

import org.amdim.nn.Module;
import org.amdim.nn.layers.Conv2d;
import org.amdim.tensor.Autograd;
import org.amdim.tensor.Functional;
import org.amdim.tensor.Functional.PadMode;
import org.amdim.tensor.FusedNet;
import org.amdim.tensor.Tensor;
import org.amdim.tensor.TensorScope;

/**
 * The r1 path of an {@link Encoder} as a {@link FusedNet}: every {@code layer_list} entry in evaluation mode, with
 * each ReLU and residual addition fused into its convolution, and each batch norm that directly follows a
 * convolution folded into it ({@link EvalBatchNorm#fold}, as {@link FrozenConv} folds). The 128×128 encoder's stem
 * pads by reflection, which oneDNN lacks: {@link #apply} pads the images first and the network starts on the
 * padded size.
 *
 * @param net  the network (owned)
 * @param pads the stem's reflection padding in {@code F.pad} order, or null
 */
record FusedR1(FusedNet net, long[] pads) implements AutoCloseable {

    /** Whether fused networks can be built (the shim has oneDNN's headers). */
    static boolean available() {
        return FusedNet.available();
    }

    /** The network for {@code encoder}'s weights and statistics now (a snapshot). */
    static FusedR1 of(Encoder encoder) {
        int size = encoder.config().inputSize();
        List<EvalBatchNorm> norms = new ArrayList<>();
        try (var scope = TensorScope.open(); var noGrad = Autograd.noGrad()) {
            long[] pads = null;
            int n = encoder.layout().layers().size();
            if (encoder.layer(0) instanceof ConvUnit c) {
                pads = FrozenConv.explicitPadding(c.conv());
            }
            long side = pads == null ? size : size + pads[0] + pads[1];
            FusedNet.Builder b = FusedNet.builder(EncoderLayout.IMAGE_CHANNELS, side, side);
            for (int i = 0; i < n; i++) {
                add(b, encoder.layer(i), i == 0, norms);
            }
            return new FusedR1(b.build(), pads);
        } finally {
            norms.forEach(EvalBatchNorm::close); // the network has copied them
        }
    }

    private static void add(FusedNet.Builder b, Module layer, boolean first, List<EvalBatchNorm> norms) {
        switch (layer) {
            case ConvUnit c -> {
                if (!first && FrozenConv.explicitPadding(c.conv()) != null) {
                    throw new IllegalArgumentException("only the first layer may pad by reflection");
                }
                b.conv(c.conv().weight(), c.conv().bias(), square(c.conv().stride()), zeroPadding(c.conv()), true);
            }
            case ResidualUnit u -> unit(b, u);
            case ResidualBlock block -> block.units().forEach(u -> unit(b, u));
            case MaybeBatchNorm bn -> {
                if (bn.isActive()) {
                    EvalBatchNorm frozen = EvalBatchNorm.of(bn.batchNorm());
                    norms.add(frozen);
                    frozen.addTo(b);
                }
            }
            default -> throw new IllegalArgumentException("not an encoder layer: " + layer.getClass().getName());
        }
    }

    private static void unit(FusedNet.Builder b, ResidualUnit u) {
        Tensor w1 = u.conv1().weight();
        Tensor b1 = u.conv1().bias();
        if (u.bn1().isActive()) {
            try (EvalBatchNorm bn1 = EvalBatchNorm.of(u.bn1().batchNorm())) {
                Tensor[] folded = bn1.fold(u.conv1());
                w1 = folded[0];
                b1 = folded[1];
            }
        }
        b.residual(w1, b1, u.kernel(), u.stride(), u.conv2().weight(), u.conv2().bias());
    }

    private static long zeroPadding(Conv2d conv) {
        return conv.paddingMode() == PadMode.CONSTANT ? square(conv.padding()) : 0;
    }

    private static long square(long[] pair) {
        if (pair[0] != pair[1]) {
            throw new IllegalArgumentException("the fused network takes square strides and paddings only");
        }
        return pair[0];
    }

    /** r1 of images (B, 3, S, S): a tensor of the current scope, or the caller's. */
    Tensor apply(Tensor x) {
        if (pads == null) {
            return net.apply(x);
        }
        try (var scope = TensorScope.open()) {
            return scope.keep(net.apply(Functional.pad(x, pads, PadMode.REFLECT, 0)));
        }
    }

    @Override
    public void close() {
        net.close();
    }
}
