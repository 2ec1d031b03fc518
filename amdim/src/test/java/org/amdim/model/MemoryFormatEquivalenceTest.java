package org.amdim.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.Map;

import org.amdim.model.encoder.EncoderConfig;
import org.amdim.tensor.Autograd;
import org.amdim.tensor.DType;
import org.amdim.tensor.MemoryFormat;
import org.amdim.tensor.NoLeaks;
import org.amdim.tensor.Tensor;
import org.amdim.tensor.TensorScope;
import org.amdim.tensor.Torch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * One training step's losses and gradients are the same, up to float32 rounding, whether the encoder computes
 * channels-last or row-major: the property that lets {@code --memory-format auto} pick either by speed alone.
 *
 * <p>The allowance. u = 2^-24. A float32 reduction of n terms, summed in any order, is off by about sqrt(n)·u of
 * the sum of its terms' magnitudes (rounding errors as independent, zero-mean: the probabilistic bound of
 * Higham and Mary, 2019); the two layouts sum in different orders, so their results differ by about twice that.
 * The longest reductions in this step are the weight gradients of the stem and the first unit, summed over every
 * output position of both views: n = 2·B·30·30 = 7 200 at B = 4, so 2·sqrt(n)·u ≈ 1.0e-5. A gradient is the end of
 * a chain of such reductions, forward through about a dozen layers and the NCE, and back: the stem's weight
 * gradient sits behind the most, D ≈ 2·12 + 4 ≈ 28 of them, each carrying its own relative error of at most that
 * size (the shorter ones, n ≤ 4C·9 = 288 forward, less), adding in quadrature as independent errors do: sqrt(28)
 * · 1.0e-5 ≈ 5.3e-5 of the terms' scale. The allowance is ρ = 1e-4 of that scale, about twice the estimate for
 * the λ of the bound: the reference tests' rule for two float32 implementations of a gradient. The terms' scale
 * is the tensor's own largest magnitude; for per-channel parameters plus the largest gradient of the encoder: a
 * per-channel gradient (a batch norm's bias or weight) sums the backpropagated errors of all n positions, and
 * where they nearly cancel (the heads' bn_out biases, over 49 positions and both views) its rounding is that of
 * its terms, not of the small result; the largest encoder gradient bounds those terms. The losses are sums of
 * NCE log-probabilities of R = 32-wide dot products: relative 1e-5 covers sqrt(28)·sqrt(32)·u ≈ 1.8e-6 with the
 * same margin. The shortcut biases of the embedding heads feed bn_out, which removes every per-channel shift:
 * their true gradient is 0 and they hold rounding noise only, compared by size, as the reference tests do.
 */
@ExtendWith(NoLeaks.class)
class MemoryFormatEquivalenceTest {
    private static final int BATCH = 4;
    private static final double GRADIENT_ALLOWANCE = 1e-4;
    private static final double LOSS_ALLOWANCE = 1e-5;

    /** The losses and gradients of one step in {@code format}; the model's buffers are put back afterwards. */
    private static Map<String, Tensor> step(AmdimModel model, MemoryFormat format, Tensor x1, Tensor x2,
            Tensor labels, long[] src1, long[] src2) {
        model.encoder().to(format);
        Map<String, Tensor> saved = new LinkedHashMap<>();
        try (var ng = Autograd.noGrad()) {
            model.namedBuffers().forEach((k, v) -> saved.put(k, v.clone()));
        }
        Map<String, Tensor> out = new LinkedHashMap<>();
        Torch.manualSeed(7); // the same dropout masks in both passes
        try (StepOutput s = model.forwardStep(x1, x2, labels, src1, src2)) {
            s.lossOpt().backward();
            s.metrics().forEach((k, v) -> out.put("loss." + k, Tensor.of(new double[] {v})));
        }
        model.namedParameters().forEach((k, p) -> {
            // The optional batch norms that use_bn = false leaves out get no gradient, in either format.
            try (Tensor g = p.grad()) {
                if (g != null) {
                    out.put("grad." + k, g.contiguous());
                }
            }
        });
        model.zeroGrad();
        try (var ng = Autograd.noGrad()) {
            model.namedBuffers().forEach((k, v) -> v.copy_(saved.get(k)));
        }
        saved.values().forEach(Tensor::close);
        return out;
    }

    @Test
    void oneStepsLossesAndGradientsAgreeAcrossFormatsWithinRounding() {
        Torch.manualSeed(3);
        EncoderConfig encoder = new EncoderConfig(32, 8, 32, 2, false);
        try (AmdimModel model = AmdimModel.create(AmdimConfig.of(encoder, 10)); var scope = TensorScope.open()) {
            model.train();
            Tensor x1 = Tensor.randn(BATCH, 3, 32, 32);
            Tensor x2 = Tensor.randn(BATCH, 3, 32, 32);
            Tensor labels = Tensor.randint(0, 10, DType.INT64, org.amdim.tensor.Device.CPU, BATCH);
            long[] src1 = {0, 7, 12, 24};
            long[] src2 = {3, 3, 18, 9};
            Map<String, Tensor> rowMajor = step(model, MemoryFormat.CONTIGUOUS, x1, x2, labels, src1, src2);
            Map<String, Tensor> nhwc = step(model, MemoryFormat.CHANNELS_LAST, x1, x2, labels, src1, src2);
            assertEquals(rowMajor.keySet(), nhwc.keySet());
            double encoderLargest = rowMajor.entrySet().stream().filter(e -> e.getKey().startsWith("grad.encoder."))
                    .mapToDouble(e -> Close.maxAbs(e.getValue())).max().orElseThrow();
            double worst = 0;
            for (var e : rowMajor.entrySet()) {
                String name = e.getKey();
                Tensor a = nhwc.get(name);
                Tensor b = e.getValue();
                if (name.startsWith("loss.")) {
                    double want = b.item();
                    if (Double.isFinite(want)) {
                        worst = Math.max(worst, Close.checkScalar(name, a.item(), want, LOSS_ALLOWANCE));
                    }
                } else if (name.endsWith("shortcut.bias")) {
                    double ratio = Math.max(Close.maxAbs(a), Close.maxAbs(b)) / (GRADIENT_ALLOWANCE * encoderLargest);
                    System.out.printf("[check] %-60s noise err/tol %.3f%n", name, ratio);
                    assertTrue(ratio <= 1, name + ": rounding noise above the allowance");
                } else {
                    worst = Math.max(worst, Close.check(name + " channels-last vs row-major", a, b,
                            GRADIENT_ALLOWANCE * (Close.maxAbs(b) + (b.dim() == 1 ? encoderLargest : 0)), 0));
                }
            }
            System.out.printf("[check] %-60s worst err/tol %.3f%n", "all losses and gradients", worst);
        }
    }
}
