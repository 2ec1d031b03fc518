package org.amdim.model.encoder;

import java.util.ArrayList;
import java.util.List;

import org.amdim.nn.Module;
import org.amdim.tensor.Functional;
import org.amdim.tensor.Functional.PadMode;
import org.amdim.tensor.PackedConv2d;
import org.amdim.tensor.Tensor;
import org.amdim.tensor.TensorScope;

/**
 * One {@code layer_list} entry of an {@link InferenceEncoder}: the same function as the encoder's module in
 * evaluation mode, on {@link org.amdim.tensor.Layout#MKLDNN} activations, with every weight packed once and every
 * batch norm that directly follows a convolution folded into it.
 */
sealed interface PackedLayer extends AutoCloseable {

    /**
     * The layer's output for {@code h}: a new tensor in mkldnn layout ({@code h} is left open). {@code h} is in
     * mkldnn layout, except for a layer that {@link #takesStrided()}, which takes either.
     */
    Tensor apply(Tensor h);

    /** Whether the layer pads its input explicitly, and so wants it strided (the 128×128 encoder's stem). */
    default boolean takesStrided() {
        return false;
    }

    /** Frees the packed weights and copied statistics. */
    @Override
    void close();

    /** The packed form of an encoder layer (a {@link ConvUnit}, {@link ResidualUnit}, block or batch norm). */
    static PackedLayer of(Module layer) {
        return switch (layer) {
            case ConvUnit c -> new Conv(PackedConvs.of(c.conv()), PackedConvs.explicitPadding(c.conv()));
            case ResidualUnit u -> Unit.of(u);
            case ResidualBlock b -> Block.of(b);
            case MaybeBatchNorm n -> n.isActive() ? new Norm(EvalBatchNorm.of(n.batchNorm())) : new Skip();
            default -> throw new IllegalArgumentException("not an encoder layer: " + layer.getClass().getName());
        };
    }

    /**
     * {@link ConvUnit}: optional reflect padding, convolution with bias, ReLU.
     *
     * @param conv the packed convolution
     * @param pads the explicit padding (left, right, top, bottom), or null
     */
    record Conv(PackedConv2d conv, long[] pads) implements PackedLayer {
        @Override
        public Tensor apply(Tensor h) {
            if (pads == null) {
                return conv.apply(h).relu_();
            }
            // Reflection has no oneDNN form: pad the strided images (the stem's input), then convert.
            try (var scope = TensorScope.open()) {
                Tensor padded = Functional.pad(h.toDense(), pads, PadMode.REFLECT, 0).toMkldnn();
                return scope.keep(conv.apply(padded).relu_());
            }
        }

        @Override
        public boolean takesStrided() {
            return pads != null;
        }

        @Override
        public void close() {
            conv.close();
        }
    }

    /**
     * {@link ResidualUnit}: {@code conv2(relu(conv1'(x))) + shortcut(x)}, with conv1' = conv1 and, with use_bn, bn1
     * folded in.
     *
     * @param conv1         the k×k convolution (with bn1 folded in, then with a bias)
     * @param conv2         the 1×1 convolution
     * @param kernel        the shortcut's pooling window
     * @param stride        the shortcut's stride
     * @param extraChannels zero channels the shortcut appends
     */
    record Unit(PackedConv2d conv1, PackedConv2d conv2, long kernel, long stride, long extraChannels)
            implements PackedLayer {
        static Unit of(ResidualUnit u) {
            PackedConv2d conv1 = PackedConvs.followedBy(u.conv1(), u.bn1());
            try {
                return new Unit(conv1, PackedConvs.of(u.conv2()), u.kernel(), u.stride(), u.out() - u.in());
            } catch (RuntimeException e) {
                conv1.close();
                throw e;
            }
        }

        @Override
        public Tensor apply(Tensor h) {
            try (var scope = TensorScope.open()) {
                Tensor y = conv2.apply(conv1.apply(h).relu_());
                y.add_(shortcut(h));
                return scope.keep(y);
            }
        }

        /** The average-pooled input with zero channels appended: a tensor of the scope, or {@code h} itself. */
        private Tensor shortcut(Tensor h) {
            // A 1×1 stride-1 window averages one value: the input itself, exactly.
            Tensor pooled = kernel == 1 && stride == 1 ? h : Functional.avgPool2d(h, kernel, stride);
            if (extraChannels == 0) {
                return pooled;
            }
            // oneDNN has no channel padding: the (small, pooled) shortcut makes the trip to strided and back.
            Tensor padded = Functional.pad(pooled.toDense(), new long[] {0, 0, 0, 0, 0, extraChannels},
                    PadMode.CONSTANT, 0);
            return padded.toMkldnn();
        }

        @Override
        public void close() {
            conv1.close();
            conv2.close();
        }
    }

    /**
     * {@link ResidualBlock}: its units in order.
     *
     * @param units the packed units
     */
    record Block(List<Unit> units) implements PackedLayer {
        static Block of(ResidualBlock block) {
            List<Unit> units = new ArrayList<>();
            try {
                for (ResidualUnit u : block.units()) {
                    units.add(Unit.of(u));
                }
            } catch (RuntimeException e) {
                units.forEach(Unit::close);
                throw e;
            }
            return new Block(List.copyOf(units));
        }

        @Override
        public Tensor apply(Tensor h) {
            Tensor x = h;
            for (Unit u : units) {
                Tensor next = u.apply(x);
                if (x != h) {
                    x.close(); // each intermediate goes as soon as the next unit has used it
                }
                x = next;
            }
            return x;
        }

        @Override
        public void close() {
            units.forEach(Unit::close);
        }
    }

    /**
     * An active {@link MaybeBatchNorm} that does not follow a convolution directly (the middle and the final batch
     * norms), run as is.
     *
     * @param bn the copied batch norm
     */
    record Norm(EvalBatchNorm bn) implements PackedLayer {
        @Override
        public Tensor apply(Tensor h) {
            return bn.apply(h);
        }

        @Override
        public void close() {
            bn.close();
        }
    }

    /** An inactive {@link MaybeBatchNorm}: its input, as a new handle. */
    record Skip() implements PackedLayer {
        @Override
        public Tensor apply(Tensor h) {
            return h.alias();
        }

        @Override
        public void close() {
        }
    }
}
