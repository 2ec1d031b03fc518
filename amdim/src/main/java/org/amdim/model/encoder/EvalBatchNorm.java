package org.amdim.model.encoder;

import java.util.Map;

import org.amdim.nn.layers.BatchNorm2d;
import org.amdim.nn.layers.Conv2d;
import org.amdim.tensor.Autograd;
import org.amdim.tensor.DType;
import org.amdim.tensor.Functional;
import org.amdim.tensor.FusedNet;
import org.amdim.tensor.Tensor;
import org.amdim.tensor.TensorScope;

/**
 * A batch norm frozen in evaluation mode, copied out of its module for {@link InferenceEncoder}: the per-channel
 * map {@code y = (x − mean)·w/√(var + eps) + b} with the running statistics of the moment it was made. It either
 * runs as a batch norm ({@link #apply}) or is folded into the convolution before it ({@link #foldInto}).
 */
final class EvalBatchNorm implements AutoCloseable {
    private final Tensor mean;
    private final Tensor var;
    private final Tensor weight;
    private final Tensor bias;
    private final double eps;

    private EvalBatchNorm(Tensor mean, Tensor var, Tensor weight, Tensor bias, double eps) {
        this.mean = mean;
        this.var = var;
        this.weight = weight;
        this.bias = bias;
        this.eps = eps;
    }

    /**
     * Copies the running statistics and the affine parameters of {@code bn}.
     *
     * @throws IllegalStateException when it lacks either (the encoder's batch norms have both)
     */
    static EvalBatchNorm of(BatchNorm2d bn) {
        Map<String, Tensor> params = bn.namedParameters();
        Map<String, Tensor> buffers = bn.namedBuffers();
        Tensor[] sources = {buffers.get("running_mean"), buffers.get("running_var"), params.get("weight"),
            params.get("bias")};
        for (Tensor t : sources) {
            if (t == null) {
                throw new IllegalStateException("an evaluation-mode batch norm needs running statistics and affine"
                        + " parameters: " + bn);
            }
        }
        Tensor[] copies = new Tensor[sources.length];
        try (var scope = TensorScope.open(); var noGrad = Autograd.noGrad()) {
            for (int i = 0; i < sources.length; i++) {
                copies[i] = sources[i].clone(); // a copy: later training steps must not reach the snapshot
            }
            for (int i = 0; i < copies.length; i++) {
                copies[i] = TensorScope.escape(copies[i]);
            }
        }
        return new EvalBatchNorm(copies[0], copies[1], copies[2], copies[3], bn.eps());
    }

    /** The batch norm of {@code x} (strided or mkldnn layout), with the copied statistics. */
    Tensor apply(Tensor x) {
        return Functional.batchNorm(x, mean, var, weight, bias, false, 0.0, eps);
    }

    /**
     * {@code conv} followed by this batch norm as one frozen convolution: with {@code s = w/√(var + eps)} per
     * output channel, weight {@code W·s} and bias {@code (c − mean)·s + b} ({@code c} the convolution's bias, or
     * 0). Exact in real arithmetic; computed in float64 and rounded once, so the folded weights carry one rounding
     * more than the originals and the bias one where the unfused batch norm rounds about four times. The
     * convolution must zero-pad (or not pad).
     */
    FrozenConv foldInto(Conv2d conv, boolean strided) {
        try (var scope = TensorScope.open()) {
            Tensor[] folded = fold(conv);
            return FrozenConv.zeroPadded(conv, folded[0], folded[1], strided);
        }
    }

    /**
     * The folded weight and bias of {@link #foldInto} as float32 tensors {weight, bias} of the current scope (for
     * the fused network, which packs them itself).
     */
    Tensor[] fold(Conv2d conv) {
        try (var noGrad = Autograd.noGrad()) {
            long out = conv.weight().size(0);
            Tensor scale = weight.to(DType.FLOAT64).div(var.to(DType.FLOAT64).add(eps).sqrt());
            Tensor w = conv.weight().detach().to(DType.FLOAT64).mul(scale.reshape(out, 1, 1, 1)).to(DType.FLOAT32);
            Tensor c = conv.bias() == null ? Tensor.zeros(DType.FLOAT64, mean.device(), out)
                    : conv.bias().detach().to(DType.FLOAT64);
            Tensor shift = c.sub(mean.to(DType.FLOAT64)).mul(scale).add(bias.to(DType.FLOAT64)).to(DType.FLOAT32);
            return new Tensor[] {w, shift};
        }
    }

    /** Appends this batch norm, unfolded, to a fused network ({@code builder} copies the tensors when it builds). */
    void addTo(FusedNet.Builder builder) {
        builder.batchNorm(mean, var, weight, bias, eps);
    }

    /** Frees the copies. */
    @Override
    public void close() {
        mean.close();
        var.close();
        weight.close();
        bias.close();
    }
}
