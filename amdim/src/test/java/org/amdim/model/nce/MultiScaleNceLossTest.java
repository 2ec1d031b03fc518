package org.amdim.model.nce;

import org.amdim.model.Close;
import org.amdim.model.ReferenceDevices;
import org.amdim.model.ReferenceSets;
import org.amdim.tensor.NoLeaks;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import org.amdim.nn.io.NamedTensors;
import org.amdim.tensor.DType;
import org.amdim.tensor.Device;
import org.amdim.tensor.Tensor;
import org.amdim.tensor.TensorScope;
import org.amdim.tensor.Torch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(NoLeaks.class)
class MultiScaleNceLossTest {
    private static final String[] INPUTS = {"r1_x1", "r5_x1", "r7_x1", "r1_x2", "r5_x2", "r7_x2"};

    /** Every reference set's NCE file, on the CPU and on {@code cuda:0} (skipped without a GPU). */
    static Stream<Arguments> nceSets() {
        return ReferenceSets.holding("nce_loss.safetensors")
                .flatMap(set -> ReferenceDevices.cpuAndCuda().map(device -> Arguments.of(set, device)));
    }

    @ParameterizedTest(name = "{0} on {1}")
    @MethodSource("nceSets")
    void termsPartsAndInputGradientsMatchTheOriginal(String set, Device device) {
        try (var float32 = ReferenceDevices.use(device);
                NamedTensors ref = ReferenceSets.load(set, "nce_loss.safetensors");
                MultiScaleNceLoss nce = new MultiScaleNceLoss(Double.parseDouble(ReferenceSets.setting(ref, "tclip")),
                        1);
                var scope = TensorScope.open()) {
            nce.to(device);
            List<Tensor> in = new ArrayList<>();
            for (String name : INPUTS) {
                in.add(ref.get(name).clone().to(device).requiresGrad(true));
            }
            long[] idx1 = ref.get("src5_idx_x1").toLongArray();
            long[] idx2 = ref.get("src5_idx_x2").toLongArray();
            try (NceLosses l = nce.forward(in.get(0), in.get(1), in.get(2), in.get(3), in.get(4), in.get(5), idx1,
                    idx2)) {
                Close.checkScalar("nce loss_1t5", l.loss1t5().item(), ref.get("loss_1t5").item(), 1e-5);
                Close.checkScalar("nce loss_1t7", l.loss1t7().item(), ref.get("loss_1t7").item(), 1e-5);
                Close.checkScalar("nce loss_5t5", l.loss5t5().item(), ref.get("loss_5t5").item(), 1e-5);
                Close.checkScalar("nce lgt_reg", l.lgtReg().item(), ref.get("lgt_reg").item(), 1e-5);
                for (NceDirection d : l.directions()) {
                    Close.checkScalar("nce part.loss_" + d.label(), d.loss().item(),
                            ref.get("part.loss_" + d.label()).item(), 1e-5);
                    Close.checkScalar("nce part.lgt_" + d.label(), d.lgtReg().item(),
                            ref.get("part.lgt_" + d.label()).item(), 1e-5);
                }
                assertEquals(6, l.directions().size());
                assertArrayEquals(idx1, l.src5Index1());
                Tensor total = l.total();
                Close.checkScalar("nce loss_total", total.item(), ref.get("loss_total").item(), 1e-5);
                total.backward();
            }
            for (int i = 0; i < INPUTS.length; i++) {
                Tensor expected = ref.get("grad_" + INPUTS[i]);
                Tensor grad = in.get(i).grad();
                Close.check("nce grad_" + INPUTS[i], grad, expected, 1e-5 * Close.maxAbs(expected), 0);
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("org.amdim.model.ReferenceSets#names")
    void selectedSourceVectorsAreTheStoredOnes(String set) {
        try (NamedTensors ref = ReferenceSets.load(set, "nce_loss.safetensors"); var scope = TensorScope.open()) {
            for (String v : new String[] {"x1", "x2"}) {
                Tensor got = MultiScaleNceLoss.selectLocations(ref.get("r5_" + v), ref.get("src5_idx_" + v).toLongArray());
                Close.check("src5_" + v, got, ref.get("src5_" + v), 0, 0);
            }
        }
    }

    /** An independent float64 loop over the definition, with another clip, checks the batched computation. */
    @Test
    void batchedScoresEqualTheDefinitionComputedLocationByLocation() {
        Torch.manualSeed(5);
        int b = 3;
        int r = 4;
        int side = 2;
        int l = side * side;
        int g = 2;
        double clip = 3.0;
        try (var scope = TensorScope.open()) {
            Tensor src = Tensor.randn(DType.FLOAT64, Device.CPU, g, b, r).mul(2);
            Tensor trg = Tensor.randn(DType.FLOAT64, Device.CPU, b, r, side, side).mul(2);
            double[] s = src.toDoubleArray();
            double[] t = trg.toDoubleArray();
            double[] expected = new double[g * b * l];
            double sq = 0;
            for (int gi = 0; gi < g; gi++) {
                for (int i = 0; i < b; i++) {
                    double[][] clipped = new double[b][l];
                    for (int bj = 0; bj < b; bj++) {
                        for (int li = 0; li < l; li++) {
                            double dot = 0;
                            for (int c = 0; c < r; c++) {
                                dot += s[(gi * b + i) * r + c] * t[(bj * r + c) * l + li];
                            }
                            double raw = dot / Math.sqrt(r);
                            sq += raw * raw;
                            clipped[bj][li] = clip * Math.tanh(raw / clip);
                        }
                    }
                    double negSum = 0;
                    for (int bj = 0; bj < b; bj++) {
                        for (int li = 0; li < l && bj != i; li++) {
                            negSum += Math.exp(clipped[bj][li]);
                        }
                    }
                    for (int li = 0; li < l; li++) {
                        double p = clipped[i][li];
                        expected[(gi * b + i) * l + li] = p - Math.log(Math.exp(p) + negSum);
                    }
                }
            }
            double lgt = 0.05 * sq / (g * b * b * l);
            try (NceScores got = NceScores.compute(src, trg, clip)) {
                Close.check("nce definition (grouped, float64)", got.nce(),
                        Tensor.of(expected, g, b, l), 1e-12, 1e-12);
                Close.checkScalar("nce definition lgt_reg", got.lgtReg().item(), lgt, 1e-12);
            }
            try (NceScores one = NceScores.compute(src.select(0, 1), trg, clip)) {
                double[] second = new double[b * l];
                System.arraycopy(expected, b * l, second, 0, b * l);
                Close.check("nce definition (ungrouped, float64)", one.nce(), Tensor.of(second, b, l), 1e-12,
                        1e-12);
            }
        }
    }

    /**
     * The CPU's fused operator against the composed ops (the GPU route) in float32, at a training batch's size and
     * with scores beyond the clip. Both round differently: the clipped scores (|s| ≤ 10, 2 ulp), a log-sum-exp
     * over 31·49 negatives summed in another order (about log2(1519) + 2 ≈ 13 roundings relative), the
     * denominator (log1p against a two-term log-sum-exp). With u = 2^-24 that is under 10·2u + 13u + 4·16u ≈ 6e-6
     * per term, so 2e-5 has margin and still fails on any wrong term (the terms are about −7 here).
     */
    @Test
    void fusedAndComposedRoutesAgreeWithinFloat32Rounding() {
        Torch.manualSeed(21);
        for (boolean grouped : new boolean[] {false, true}) {
            try (var scope = TensorScope.open()) {
                Tensor src = (grouped ? Tensor.randn(2, 32, 64) : Tensor.randn(32, 64)).mul(3).requiresGrad(true);
                Tensor trg = Tensor.randn(32, 64, 7, 7).mul(3).requiresGrad(true);
                List<Tensor> grads = new ArrayList<>();
                List<NceScores> both = new ArrayList<>();
                for (boolean fused : new boolean[] {true, false}) {
                    NceScores s = NceScores.compute(src, trg, 10.0, fused);
                    both.add(s);
                    s.loss().add(s.lgtReg()).backward();
                    grads.add(src.grad().clone());
                    grads.add(trg.grad().clone());
                    src.grad().zero_();
                    trg.grad().zero_();
                }
                try (NceScores fused = both.get(0); NceScores composed = both.get(1)) {
                    String route = grouped ? " (grouped)" : "";
                    Close.check("nce terms, fused vs composed" + route, fused.nce(), composed.nce(), 2e-5, 0);
                    Close.checkScalar("nce lgt_reg, fused vs composed" + route, fused.lgtReg().item(),
                            composed.lgtReg().item(), 1e-5);
                    // The gradients are sums of the same shape over ≤ 32·49 terms: held like the reference's.
                    Close.check("nce d/d sources, fused vs composed" + route, grads.get(0), grads.get(2),
                            1e-5 * Close.maxAbs(grads.get(2)), 0);
                    Close.check("nce d/d targets, fused vs composed" + route, grads.get(1), grads.get(3),
                            1e-5 * Close.maxAbs(grads.get(3)), 0);
                }
            }
        }
    }

    @Test
    void masksBufferIsTheOriginalsOneHotLocationMasks() {
        try (MultiScaleNceLoss nce = new MultiScaleNceLoss(7)) {
            Tensor m = nce.masksR5();
            assertEquals(DType.UINT8, m.dtype());
            assertArrayEquals(new long[] {25, 1, 5, 5}, m.shape());
            byte[] v = m.toByteArray();
            for (int i = 0; i < 5; i++) {
                for (int j = 0; j < 5; j++) {
                    for (int k = 0; k < 25; k++) {
                        assertEquals(k == i * 5 + j ? 1 : 0, v[(i * 5 + j) * 25 + k], "mask " + (i * 5 + j));
                    }
                }
            }
            assertEquals(List.of("masks_r5"), List.copyOf(nce.stateDict().keySet()));
            assertTrue(nce.parameters().isEmpty());
            try (NamedTensors ref = Close.reference("train_step.safetensors")) {
                assertArrayEquals(ref.get("before.g2l_loss.masks_r5").toByteArray(), v);
            }
        }
    }

    @Test
    void sourceLocationsAreReproducibleAndUniformInRange() {
        try (MultiScaleNceLoss a = new MultiScaleNceLoss(42); MultiScaleNceLoss b = new MultiScaleNceLoss(42);
                MultiScaleNceLoss c = new MultiScaleNceLoss(43)) {
            long[] x = a.drawSourceLocations(10_000, 25);
            assertArrayEquals(x, b.drawSourceLocations(10_000, 25));
            assertFalse(java.util.Arrays.equals(x, c.drawSourceLocations(10_000, 25)));
            int[] counts = new int[25];
            for (long v : x) {
                counts[(int) v]++;
            }
            for (int count : counts) {
                assertTrue(count > 300 && count < 500, "location counts should be near 400: " + count);
            }
            assertNotEquals(java.util.Arrays.toString(x), java.util.Arrays.toString(a.drawSourceLocations(10_000, 25)),
                    "successive draws differ");
        }
    }

    @Test
    void drawnForwardUsesTheGeneratorAndABatchOfOneStaysFinite() {
        Torch.manualSeed(3);
        try (MultiScaleNceLoss nce = new MultiScaleNceLoss(9); MultiScaleNceLoss twin = new MultiScaleNceLoss(9);
                var scope = TensorScope.open()) {
            Tensor r1 = Tensor.randn(1, 8, 1, 1);
            Tensor r5 = Tensor.randn(1, 8, 5, 5);
            Tensor r7 = Tensor.randn(1, 8, 7, 7);
            try (NceLosses l = nce.forward(r1, r5, r7, r1, r5, r7)) {
                long[] expected1 = twin.drawSourceLocations(1, 25);
                long[] expected2 = twin.drawSourceLocations(1, 25);
                assertArrayEquals(expected1, l.src5Index1());
                assertArrayEquals(expected2, l.src5Index2());
                // No negatives: every positive is its own whole softmax, so each term p − log(exp(p)) is 0. In
                // float32 up to one rounding of p and one of the log, |p| ≤ tclip = 9: 2·ulp(9) = 1.9e-6 (a
                // max-shifted logsumexp gives exactly 0, but that is the kernel's choice).
                assertEquals(0.0, l.loss1t5().item(), 2 * Math.ulp(9f));
                assertTrue(Double.isFinite(l.lgtReg().item()));
            }
        }
    }
}
