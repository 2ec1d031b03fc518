package org.amdim.model.encoder;

import org.amdim.tensor.Tensor;
import org.amdim.tensor.TensorScope;

/**
 * An {@link EmbeddingHead} for {@link InferenceEncoder}: {@code bn_out(conv2(relu(conv1'(x))) + shortcut(x))} with
 * frozen convolutions ({@link FrozenConv}), conv1' being conv1 with bn_hid folded in when use_bn is on. bn_out runs
 * on a strided row-major copy and the embeddings leave row-major, as the embedders read them. (The module keeps
 * the encoder's format instead; in evaluation mode bn_out is elementwise, so the values do not depend on it.)
 */
final class FrozenHead implements AutoCloseable {
    private final FrozenConv conv1;
    private final FrozenConv conv2;
    private final FrozenConv shortcut;
    private final EvalBatchNorm bnOut;

    private FrozenHead(FrozenConv conv1, FrozenConv conv2, FrozenConv shortcut, EvalBatchNorm bnOut) {
        this.conv1 = conv1;
        this.conv2 = conv2;
        this.shortcut = shortcut;
        this.bnOut = bnOut;
    }

    /** A snapshot of {@code head}'s weights and evaluation-mode batch norms. */
    static FrozenHead of(EmbeddingHead head, boolean strided) {
        FrozenConv conv1 = FrozenConv.followedBy(head.conv1(), head.bnHid(), strided);
        FrozenConv conv2 = null;
        FrozenConv shortcut = null;
        try {
            conv2 = FrozenConv.of(head.conv2(), strided);
            shortcut = FrozenConv.of(head.shortcut(), strided);
            return new FrozenHead(conv1, conv2, shortcut, EvalBatchNorm.of(head.bnOut().batchNorm()));
        } catch (RuntimeException e) {
            conv1.close();
            if (conv2 != null) {
                conv2.close();
            }
            if (shortcut != null) {
                shortcut.close();
            }
            throw e;
        }
    }

    /** The embeddings (B, R, H, W), row-major, of a feature map (B, C, H, W) in mkldnn or strided layout. */
    Tensor apply(Tensor x) {
        try (var scope = TensorScope.open()) {
            Tensor sum = conv2.apply(conv1.apply(x).relu_()).add_(shortcut.apply(x));
            return scope.keep(bnOut.apply(sum.toDense().contiguous()));
        }
    }

    @Override
    public void close() {
        conv1.close();
        conv2.close();
        shortcut.close();
        bnOut.close();
    }
}
