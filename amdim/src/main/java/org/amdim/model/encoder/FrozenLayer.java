package org.amdim.model.encoder;

import java.util.ArrayList;
import java.util.List;

import org.amdim.nn.Module;
import org.amdim.tensor.Functional;
import org.amdim.tensor.Functional.PadMode;
import org.amdim.tensor.Tensor;
import org.amdim.tensor.TensorScope;

/**
 * One {@code layer_list} entry of an {@link InferenceEncoder}: the same function as the encoder's module in
 * evaluation mode, with every weight frozen ({@link FrozenConv}) and every batch norm that directly follows a
 * convolution folded into it. It runs on {@link org.amdim.tensor.Layout#MKLDNN} activations (the oneDNN route)
 * or on strided channels-last ones (the strided route), and keeps the layout it is given.
 */
sealed interface FrozenLayer extends AutoCloseable {

    /**
     * The layer's output for {@code h}: a new tensor ({@code h} is left open), in mkldnn layout on the oneDNN route,
     * strided on the other. {@code h} is in the route's layout, except for a layer that {@link #takesStrided()},
     * which takes strided images on either route.
     */
    Tensor apply(Tensor h, boolean mkldnn);

    /** Whether the layer pads its input explicitly, and so wants it strided (the 128×128 encoder's stem). */
    default boolean takesStrided() {
        return false;
    }

    /** Frees the frozen weights and copied statistics. */
    @Override
    void close();

    /**
     * The frozen form of an encoder layer (a {@link ConvUnit}, {@link ResidualUnit}, block or batch norm).
     *
     * @param strided whether to keep the strided route as well as the oneDNN one
     */
    static FrozenLayer of(Module layer, boolean strided) {
        return switch (layer) {
            case ConvUnit c -> new Conv(FrozenConv.of(c.conv(), strided), FrozenConv.explicitPadding(c.conv()));
            case ResidualUnit u -> Unit.of(u, strided);
            case ResidualBlock b -> Block.of(b, strided);
            case MaybeBatchNorm n -> n.isActive() ? new Norm(EvalBatchNorm.of(n.batchNorm())) : new Skip();
            default -> throw new IllegalArgumentException("not an encoder layer: " + layer.getClass().getName());
        };
    }

    /**
     * {@link ConvUnit}: optional reflect padding, convolution with bias, ReLU.
     *
     * @param conv the frozen convolution
     * @param pads the explicit padding (left, right, top, bottom), or null
     */
    record Conv(FrozenConv conv, long[] pads) implements FrozenLayer {
        @Override
        public Tensor apply(Tensor h, boolean mkldnn) {
            if (pads == null) {
                return conv.apply(h).relu_();
            }
            // Reflection has no oneDNN form: pad strided (the stem's input already is), then convert.
            try (var scope = TensorScope.open()) {
                Tensor padded = Functional.pad(h.toDense(), pads, PadMode.REFLECT, 0);
                return scope.keep(conv.apply(mkldnn ? padded.toMkldnn() : padded).relu_());
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
    record Unit(FrozenConv conv1, FrozenConv conv2, long kernel, long stride, long extraChannels)
            implements FrozenLayer {
        static Unit of(ResidualUnit u, boolean strided) {
            FrozenConv conv1 = FrozenConv.followedBy(u.conv1(), u.bn1(), strided);
            try {
                return new Unit(conv1, FrozenConv.of(u.conv2(), strided), u.kernel(), u.stride(), u.out() - u.in());
            } catch (RuntimeException e) {
                conv1.close();
                throw e;
            }
        }

        @Override
        public Tensor apply(Tensor h, boolean mkldnn) {
            try (var scope = TensorScope.open()) {
                Tensor y = conv2.apply(conv1.apply(h).relu_());
                y.add_(shortcut(h, mkldnn));
                return scope.keep(y);
            }
        }

        /** The average-pooled input with zero channels appended: a tensor of the scope, or {@code h} itself. */
        private Tensor shortcut(Tensor h, boolean mkldnn) {
            // A 1×1 stride-1 window averages one value: the input itself, exactly.
            Tensor pooled = kernel == 1 && stride == 1 ? h : Functional.avgPool2d(h, kernel, stride);
            if (extraChannels == 0) {
                return pooled;
            }
            // oneDNN has no channel padding: on its route the (small, pooled) shortcut goes to strided and back.
            Tensor padded = Functional.pad(pooled.toDense(), new long[] {0, 0, 0, 0, 0, extraChannels},
                    PadMode.CONSTANT, 0);
            return mkldnn ? padded.toMkldnn() : padded;
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
     * @param units the frozen units
     */
    record Block(List<Unit> units) implements FrozenLayer {
        static Block of(ResidualBlock block, boolean strided) {
            List<Unit> units = new ArrayList<>();
            try {
                for (ResidualUnit u : block.units()) {
                    units.add(Unit.of(u, strided));
                }
            } catch (RuntimeException e) {
                units.forEach(Unit::close);
                throw e;
            }
            return new Block(List.copyOf(units));
        }

        @Override
        public Tensor apply(Tensor h, boolean mkldnn) {
            Tensor x = h;
            for (Unit u : units) {
                Tensor next = u.apply(x, mkldnn);
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
     * norms), run as is, in either layout.
     *
     * @param bn the copied batch norm
     */
    record Norm(EvalBatchNorm bn) implements FrozenLayer {
        @Override
        public Tensor apply(Tensor h, boolean mkldnn) {
            return bn.apply(h);
        }

        @Override
        public void close() {
            bn.close();
        }
    }

    /** An inactive {@link MaybeBatchNorm}: its input, as a new handle. */
    record Skip() implements FrozenLayer {
        @Override
        public Tensor apply(Tensor h, boolean mkldnn) {
            return h.alias();
        }

        @Override
        public void close() {
        }
    }
}
