package org.amdim.tensor;

import static org.junit.jupiter.api.Assertions.*;

import java.util.List;

import org.amdim.bindings.TorchException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * {@link Functional#nceTerms}: its hand-written backward against finite differences in float64, on each of its
 * routes, and its argument checks. (That it computes AMDIM's NCE terms is checked in the amdim module, against the
 * definition, the composed form and the original's reference vectors.)
 */
@ExtendWith(NoLeaks.class)
class NceTermsTest {
    private static final double SCALE = 0.5;
    private static final double REG_WEIGHT = 0.05;

    /** The terms and the regulariser of (G, B, B, L) scores as one vector, for the finite differences. */
    private static Tensor both(Tensor scores, double tclip) {
        Functional.NceTerms t = Functional.nceTerms(scores, SCALE, tclip, REG_WEIGHT);
        return Tensor.cat(List.of(t.nce().reshape(-1), t.regulariser().reshape(1)), 0);
    }

    @Test
    void gradientMatchesFiniteDifferencesWhenShiftedByTheClip() {
        Torch.manualSeed(11);
        try (var scope = TensorScope.open()) {
            // tclip 3 < 43: the negatives' exponentials are shifted by c. Scores of a few units make tanh curve.
            Tensor scores = Tensor.randn(DType.FLOAT64, Device.CPU, 2, 3, 3, 4).mul(4);
            GradCheck.check(in -> both(in.get(0), 3.0), List.of(scores), 1e-6, 1e-6);
        }
    }

    @Test
    void gradientMatchesFiniteDifferencesWhenShiftedByTheRowMaximum() {
        Torch.manualSeed(12);
        try (var scope = TensorScope.open()) {
            // tclip 60 > 43: shifted by each row's largest negative instead.
            Tensor scores = Tensor.randn(DType.FLOAT64, Device.CPU, 1, 4, 4, 2).mul(50);
            GradCheck.check(in -> both(in.get(0), 60.0), List.of(scores), 1e-6, 1e-6);
        }
    }

    @Test
    void withoutNegativesTheTermsAreZeroAndOnlyTheRegulariserHasAGradient() {
        Torch.manualSeed(13);
        for (double tclip : new double[] {20.0, 60.0}) {
            try (var scope = TensorScope.open()) {
                Tensor scores = Tensor.randn(DType.FLOAT64, Device.CPU, 2, 1, 1, 5).requiresGrad(true);
                Functional.NceTerms t = Functional.nceTerms(scores, SCALE, tclip, REG_WEIGHT);
                // One class only: each term is p − log(exp(p)) = 0, up to the rounding of the log's argument.
                assertEquals(0.0, t.nce().abs().max().item(), 1e-15, "tclip " + tclip);
                t.nce().sum().add(t.regulariser()).backward();
                // d(weight·mean(raw²))/d scores = 2·weight·scale²·scores / n, with n = 10.
                Closeness.assertWithin("regulariser gradient, tclip " + tclip, scores.grad(),
                        scores.detach().mul(2 * REG_WEIGHT * SCALE * SCALE / 10), 1e-15, 1e-12);
            }
        }
    }

    @Test
    void float32MatchesFloat64WithinItsRounding() {
        Torch.manualSeed(14);
        try (var scope = TensorScope.open()) {
            Tensor scores64 = Tensor.randn(DType.FLOAT64, Device.CPU, 2, 16, 16, 25).mul(20);
            Tensor scores32 = scores64.to(DType.FLOAT32);
            Functional.NceTerms t64 = Functional.nceTerms(scores64, SCALE, 20, REG_WEIGHT);
            Functional.NceTerms t32 = Functional.nceTerms(scores32, SCALE, 20, REG_WEIGHT);
            // Each term is pos − log(exp(pos) + Σ 15·25 exponentials), |pos| ≤ 20: the float32 rounding of the
            // clipped score (≤ 20·2u), of the sum (≤ (log2(375) + 2)·u relative, ≤ 11u), of the exp and the log
            // (an ulp each of values ≤ 27) add up to well under 1e-5 (u = 2^-24 ≈ 6e-8: 40u + 11u + 2·27·2u ≈
            // 1.6e-5 in the worst case of all at once; 5e-5 leaves room for the input's own float32 rounding).
            Closeness.assertWithin("terms, float32 against float64", t32.nce().to(DType.FLOAT64), t64.nce(), 5e-5,
                    0);
            // The sum of squares is accumulated in double either way: only the final roundings differ.
            assertEquals(t64.regulariser().item(), t32.regulariser().item(), 1e-6 * t64.regulariser().item());
        }
    }

    @Test
    void refusesWhatItCannotCompute() {
        try (var scope = TensorScope.open()) {
            assertMessage(() -> Functional.nceTerms(Tensor.zeros(2, 3, 4), SCALE, 20, REG_WEIGHT), "(G, B, B, L)");
            assertMessage(() -> Functional.nceTerms(Tensor.zeros(1, 2, 3, 4), SCALE, 20, REG_WEIGHT), "(G, B, B, L)");
            assertMessage(() -> Functional.nceTerms(Tensor.zeros(DType.INT64, Device.CPU, 1, 2, 2, 4), SCALE, 20,
                    REG_WEIGHT), "float32 or float64");
            assertMessage(() -> Functional.nceTerms(Tensor.zeros(1, 0, 0, 4), SCALE, 20, REG_WEIGHT), "empty");
            assertMessage(() -> Functional.nceTerms(Tensor.zeros(1, 2, 2, 4), SCALE, 0, REG_WEIGHT), "tclip");
            assertMessage(() -> Functional.nceTerms(Tensor.zeros(1, 2, 2, 4), SCALE, Double.NaN, REG_WEIGHT),
                    "tclip");
            assertMessage(() -> Functional.nceTerms(Tensor.zeros(1, 2, 2, 4), -1, 20, REG_WEIGHT), "scale");
            assertMessage(() -> Functional.nceTerms(Tensor.zeros(1, 2, 2, 4), SCALE, 20, Double.POSITIVE_INFINITY),
                    "reg_weight");
        }
    }

    @Test
    void acceptsNonContiguousScores() {
        Torch.manualSeed(15);
        try (var scope = TensorScope.open()) {
            Tensor scores = Tensor.randn(1, 3, 3, 4);
            Tensor strided = scores.permute(0, 2, 1, 3).contiguous().permute(0, 2, 1, 3);
            assertFalse(strided.isContiguous());
            Functional.NceTerms a = Functional.nceTerms(scores, SCALE, 20, REG_WEIGHT);
            Functional.NceTerms b = Functional.nceTerms(strided, SCALE, 20, REG_WEIGHT);
            assertArrayEquals(a.nce().toFloatArray(), b.nce().toFloatArray());
        }
    }

    private static void assertMessage(Runnable call, String fragment) {
        TorchException e = assertThrows(TorchException.class, call::run);
        assertTrue(e.getMessage().contains(fragment), e.getMessage());
    }
}
