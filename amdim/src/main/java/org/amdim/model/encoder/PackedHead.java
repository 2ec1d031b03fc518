package org.amdim.model.encoder;

import org.amdim.tensor.PackedConv2d;
import org.amdim.tensor.Tensor;
import org.amdim.tensor.TensorScope;

/**
 * An {@link EmbeddingHead} for {@link InferenceEncoder}: {@code bn_out(conv2(relu(conv1'(x))) + shortcut(x))} with
 * packed convolutions on mkldnn-layout maps, conv1' being conv1 with bn_hid folded in when use_bn is on. bn_out
 * runs on a strided row-major copy, as the module runs it, and the embeddings leave strided.
 */
final class PackedHead implements AutoCloseable {
    private final PackedConv2d conv1;
    private final PackedConv2d conv2;
    private final PackedConv2d shortcut;
    private final EvalBatchNorm bnOut;

    private PackedHead(PackedConv2d conv1, PackedConv2d conv2, PackedConv2d shortcut, EvalBatchNorm bnOut) {
        this.conv1 = conv1;
        this.conv2 = conv2;
        this.shortcut = shortcut;
        this.bnOut = bnOut;
    }

    /** A snapshot of {@code head}'s weights and evaluation-mode batch norms. */
    static PackedHead of(EmbeddingHead head) {
        PackedConv2d conv1 = PackedConvs.followedBy(head.conv1(), head.bnHid());
        PackedConv2d conv2 = null;
        PackedConv2d shortcut = null;
        try {
            conv2 = PackedConvs.of(head.conv2());
            shortcut = PackedConvs.of(head.shortcut());
            return new PackedHead(conv1, conv2, shortcut, EvalBatchNorm.of(head.bnOut().batchNorm()));
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

    /** The embeddings (B, R, H, W), strided, of a feature map (B, C, H, W) in mkldnn layout. */
    Tensor apply(Tensor x) {
        try (var scope = TensorScope.open()) {
            Tensor sum = conv2.apply(conv1.apply(x).relu_()).add_(shortcut.apply(x));
            return scope.keep(bnOut.apply(sum.toDense()));
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
