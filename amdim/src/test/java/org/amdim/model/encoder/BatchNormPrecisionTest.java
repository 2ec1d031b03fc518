package org.amdim.model.encoder;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.amdim.model.Close;
import org.amdim.tensor.Autograd;
import org.amdim.tensor.DType;
import org.amdim.tensor.Device;
import org.amdim.tensor.MemoryFormat;
import org.amdim.tensor.NoLeaks;
import org.amdim.tensor.Tensor;
import org.amdim.tensor.TensorScope;
import org.amdim.tensor.Torch;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * With every batch norm live and a batch of 3 (the last batch norm then sees 3 values per channel), the float32
 * encoder's parameter gradients stay within the live-BN README's per-tensor bound of a float64 evaluation of the
 * same encoder, in either memory format: channels-last must be as accurate as row-major.
 */
@ExtendWith(NoLeaks.class)
class BatchNormPrecisionTest {
    /** The live-BN reference set's 32×32 encoder: ndf 8, R 64, n_depth 3, use_bn on. */
    private static final EncoderConfig CONFIG = new EncoderConfig(32, 8, 64, 3, true);
    private static final long BATCH = 3;

    /**
     * Per tensor {@code |g32 − g64| ≤ 1e-4·maxabs(g64) + 1e-7}: the live-BN README's gradient bound. float32 rounds
     * each operation by u = 6e-8; a gradient here passes some 40 differentiable operations, each contributing a few
     * u times the condition of a small-batch batch norm (its 1/σ amplifies relative errors of nearly cancelling
     * sums by at most tens), so 1e-5 relative is the expected worst case and 1e-4 leaves a factor of ten. A kernel
     * that accumulates a batch norm's statistics in float with E[x²] − E[x]² loses all digits a channel's mean has
     * over its spread, which over 3 values is unbounded: that is what this bound catches.
     */
    private static final double REL = 1e-4;
    private static final double FLOOR = 1e-7;
    /** Gradients below this fraction of the largest are mathematically zero (float64 rounding); magnitude only. */
    private static final double ZERO = 1e-10;

    /** Both memory formats, at AMDIM's init and away from it. */
    static Stream<Arguments> cases() {
        return Stream.of(MemoryFormat.CHANNELS_LAST, MemoryFormat.CONTIGUOUS)
                .flatMap(f -> Stream.of(Arguments.of(f, false), Arguments.of(f, true)));
    }

    @ParameterizedTest(name = "{0}, perturbed {1}")
    @MethodSource("cases")
    void float32GradientsStayWithinTheBoundOfFloat64AtBatchThree(MemoryFormat format, boolean perturbed) {
        Torch.manualSeed(3);
        try (Encoder single = Encoder.create(CONFIG); Encoder twin = Encoder.create(CONFIG);
                var scope = TensorScope.open()) {
            // At init every residual conv2 is 0 and zero-padded channels are constant (variance exactly 0, where
            // the float E[x²] − E[x]² of a channels-last kernel leaves rounding); perturbed, every path is live.
            if (perturbed) {
                try (var ng = Autograd.noGrad()) {
                    for (Tensor p : single.parameters()) {
                        p.add_(Tensor.randn(p.shape()).mul(0.05));
                    }
                }
            }
            twin.loadStateDict(single.stateDict(), true);
            twin.to(DType.FLOAT64);
            twin.to(MemoryFormat.CONTIGUOUS);
            single.to(format);
            single.train();
            twin.train();
            Tensor x = Tensor.randn(BATCH, 3, 32, 32);
            Features f32 = single.encode(x);
            Features f64 = twin.encode(x.to(DType.FLOAT64));
            List<Tensor> weights = new ArrayList<>();
            for (Tensor r : List.of(f32.r1(), f32.r5(), f32.r7())) {
                weights.add(Tensor.randn(r.shape()));
            }
            objective(f32, weights).backward();
            objective(f64, weights).backward();

            Map<String, Tensor> p32 = single.namedParameters();
            Map<String, Tensor> p64 = twin.namedParameters();
            double largest = 0;
            for (Tensor p : p64.values()) {
                largest = Math.max(largest, Close.maxAbs(p.grad()));
            }
            double worst = 0;
            String worstName = "";
            for (var e : p64.entrySet()) {
                String name = e.getKey();
                Tensor want = e.getValue().grad();
                Tensor got = p32.get(name).grad().to(DType.FLOAT64);
                double scale = Close.maxAbs(want);
                double err = Close.maxAbs(got.sub(want));
                double ratio = scale <= ZERO * largest ? Close.maxAbs(got) / (REL * largest)
                        : err / (REL * scale + FLOOR);
                if (ratio > worst) {
                    worst = ratio;
                    worstName = name;
                }
            }
            System.out.printf("[check] %-60s err/tol %.3f (%s)%n", "batch-3 live-BN gradients vs float64, " + format
                    + (perturbed ? ", perturbed" : ", init"), worst, worstName);
            assertTrue(worst <= 1, format + ": " + worstName + " is " + worst + " times the bound off float64");
        }
    }

    private static Tensor objective(Features f, List<Tensor> w) {
        DType d = f.r1().dtype();
        return w.get(0).to(d).mul(f.r1()).sum().add(w.get(1).to(d).mul(f.r5()).sum())
                .add(w.get(2).to(d).mul(f.r7()).sum());
    }
}
