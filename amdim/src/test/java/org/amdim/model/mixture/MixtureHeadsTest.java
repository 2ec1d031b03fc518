package org.amdim.model.mixture;

import org.amdim.model.Close;
import org.amdim.model.nce.NceScores;
import org.amdim.tensor.NoLeaks;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.amdim.tensor.Autograd;
import org.amdim.tensor.DType;
import org.amdim.tensor.Device;
import org.amdim.tensor.Functional;
import org.amdim.tensor.Tensor;
import org.amdim.tensor.TensorScope;
import org.amdim.tensor.Torch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(NoLeaks.class)
class MixtureHeadsTest {
    private static final double CLIP = 20.0;

    private static Tensor randn64(long... shape) {
        return Tensor.randn(DType.FLOAT64, Device.CPU, shape);
    }

    @Test
    void componentsAreTheGlobalFeaturePlusEachComponentsMlp() {
        Torch.manualSeed(10);
        try (MixtureHeads heads = new MixtureHeads(6, new MixtureConfig(true, 3, 1.0, 5), CLIP);
                var scope = TensorScope.open()) {
            Tensor f = Tensor.randn(4, 6, 1, 1);
            Tensor got = heads.components(f);
            assertArrayEquals(new long[] {3, 4, 6}, got.shape());
            Map<String, Tensor> p = heads.namedParameters();
            Tensor flat = f.reshape(4, 6);
            List<Tensor> expected = new ArrayList<>();
            for (int j = 0; j < 3; j++) {
                Tensor h = Functional.linear(flat, p.get("w1").select(0, j), p.get("b1").select(0, j)).relu();
                expected.add(flat.add(Functional.linear(h, p.get("w2").select(0, j), p.get("b2").select(0, j))));
            }
            Close.check("mixture components", got, Tensor.stack(expected, 0), 1e-6, 1e-5);
        }
    }

    @Test
    void oneComponentGivesThePlainOneToSevenTerm() {
        Torch.manualSeed(11);
        try (MixtureHeads heads = new MixtureHeads(8, new MixtureConfig(true, 1, 1.0, 0), CLIP);
                var scope = TensorScope.open()) {
            Tensor r1a = Tensor.randn(5, 8, 1, 1).mul(3);
            Tensor r1b = Tensor.randn(5, 8, 1, 1).mul(3);
            Tensor r7a = Tensor.randn(5, 8, 7, 7).mul(3);
            Tensor r7b = Tensor.randn(5, 8, 7, 7).mul(3);
            Tensor ca = heads.components(r1a);
            Tensor cb = heads.components(r1b);
            double plainAb;
            double plainBa;
            try (NceScores ab = NceScores.compute(ca.select(0, 0), r7b, CLIP);
                    NceScores ba = NceScores.compute(cb.select(0, 0), r7a, CLIP)) {
                plainAb = ab.loss().item();
                plainBa = ba.loss().item();
            }
            // Two code paths for the same mean of 5·49 log-softmax terms over 4·49 + 1 scores each, in float32: a
            // logsumexp of n = 197 terms is off by about √n·u = 8e-7 (absolute, rounding as a random walk), i.e.
            // 5e-8 of the objective (≈ 17). Relative 1e-6 (9 ulp of 17) leaves a factor 20 and still fails on any
            // wrong or missing term (one of the 245 terms is 4e-3 of the mean).
            for (double tau : new double[] {0.3, 1.0, 7.0}) {
                Close.checkScalar("k=1 objective = -1t7 direction (tau " + tau + ")",
                        MixtureHeads.objective(ca, r7b, CLIP, tau).item(), -plainAb, 1e-6);
            }
            try (MixtureLoss l = heads.loss(r1a, r7a, r1b, r7b)) {
                Close.checkScalar("k=1 two-direction objective", l.objective().item(), -(plainAb + plainBa) / 2, 1e-6);
            }
        }
    }

    @Test
    void largeTauApproachesTheBestComponent() {
        Torch.manualSeed(12);
        try (var scope = TensorScope.open()) {
            int k = 4;
            Tensor scores = randn64(k, 3, 9).mul(2);
            double best = scores.amax(new long[] {0}, false).mean().item();
            double previous = Double.POSITIVE_INFINITY;
            for (double tau : new double[] {0.5, 2, 10, 100, 1e4}) {
                double obj = MixtureHeads.objective(scores, tau).item();
                // max_j s ≤ (1/τ)·log Σ_j exp(τ s) ≤ max_j s + log(k)/τ, decreasing in τ.
                assertTrue(obj >= best - 1e-12 && obj <= best + Math.log(k) / tau + 1e-12, "tau " + tau + ": " + obj);
                assertTrue(obj <= previous);
                previous = obj;
            }
            Close.checkScalar("tau=1e4 objective vs best component", MixtureHeads.objective(scores, 1e4).item(), best,
                    Math.log(k) / 1e4 / Math.abs(best));
        }
    }

    @Test
    void gradientIsTheAssignmentWeightedSumOfComponentGradients() {
        Torch.manualSeed(13);
        int k = 3;
        int b = 4;
        double tau = 1.7;
        try (var scope = TensorScope.open()) {
            Tensor comps0 = randn64(k, b, 6).mul(2);
            Tensor local0 = randn64(b, 6, 3, 3).mul(2);
            Tensor comps = comps0.clone().requiresGrad(true);
            Tensor local = local0.clone().requiresGrad(true);
            MixtureHeads.objective(comps, local, CLIP, tau).backward();
            Tensor comps2 = comps0.clone().requiresGrad(true);
            Tensor local2 = local0.clone().requiresGrad(true);
            try (NceScores s = NceScores.compute(comps2, local2, CLIP)) {
                Tensor q = s.nce().mul(tau).softmax(0).detach();
                // (1/n)·Σ_i Σ_j q(j|i)·∇s_ij, written as the gradient of a q-weighted sum with q held fixed.
                s.nce().mul(q).sum().div(b * 9).backward();
            }
            Close.check("mixture grad wrt components = q-weighted", comps.grad(), comps2.grad(), 1e-13, 1e-10);
            Close.check("mixture grad wrt local map = q-weighted", local.grad(), local2.grad(), 1e-13, 1e-10);
        }
    }

    @Test
    void finiteDifferencesInFloat64() {
        Torch.manualSeed(14);
        try (MixtureHeads heads = new MixtureHeads(4, new MixtureConfig(true, 3, 1.5, 5), 5.0);
                var scope = TensorScope.open()) {
            heads.to(DType.FLOAT64);
            Tensor r1a = randn64(3, 4, 1, 1).mul(2).requiresGrad(true);
            Tensor r1b = randn64(3, 4, 1, 1).mul(2).requiresGrad(true);
            Tensor r7a = randn64(3, 4, 3, 3).mul(2).requiresGrad(true);
            Tensor r7b = randn64(3, 4, 3, 3).mul(2).requiresGrad(true);
            try (MixtureLoss l = heads.loss(r1a, r7a, r1b, r7b)) {
                l.objective().backward();
            }
            Map<String, Tensor> params = heads.namedParameters();
            List<Tensor> checked = new ArrayList<>(List.of(r1a, r7a, r1b, r7b));
            List<String> names = new ArrayList<>(List.of("r1_x1", "r7_x1", "r1_x2", "r7_x2"));
            params.forEach((n, t) -> {
                checked.add(t);
                names.add(n);
            });
            double eps = 1e-6;
            for (int c = 0; c < checked.size(); c++) {
                Tensor t = checked.get(c);
                double[] analytic = t.grad().toDoubleArray();
                int n = analytic.length;
                double[] numeric = new double[n];
                double[] expected = new double[n];
                // Every element of the small tensors, a spread of 12 elements of the larger ones.
                int stride = Math.max(1, n / 12);
                int used = 0;
                for (int i = 0; i < n; i += stride) {
                    double plus = perturbed(heads, t, i, eps, r1a, r7a, r1b, r7b);
                    double minus = perturbed(heads, t, i, -eps, r1a, r7a, r1b, r7b);
                    numeric[used] = (plus - minus) / (2 * eps);
                    expected[used] = analytic[i];
                    used++;
                }
                Close.check("mixture finite differences " + names.get(c),
                        Tensor.of(java.util.Arrays.copyOf(numeric, used)),
                        Tensor.of(java.util.Arrays.copyOf(expected, used)), 1e-7, 1e-5);
            }
        }
    }

    /** The objective with element {@code i} of {@code t} shifted by {@code delta}, restoring it afterwards. */
    private static double perturbed(MixtureHeads heads, Tensor t, int i, double delta, Tensor r1a, Tensor r7a,
            Tensor r1b, Tensor r7b) {
        double[] d = new double[(int) t.numel()];
        d[i] = delta;
        try (var scope = TensorScope.open(); var ng = Autograd.noGrad()) {
            Tensor shift = Tensor.of(d, t.shape());
            t.add_(shift);
            try (MixtureLoss l = heads.loss(r1a, r7a, r1b, r7b)) {
                return l.objective().item();
            } finally {
                t.sub_(shift);
            }
        }
    }

    @Test
    void assignmentMapIsTheArgmaxOfTheSoftAssignment() {
        Torch.manualSeed(15);
        int k = 5;
        try (MixtureHeads heads = new MixtureHeads(8, MixtureConfig.of(k, 2.0), CLIP); var scope = TensorScope.open()) {
            Tensor r1 = Tensor.randn(3, 8, 1, 1).mul(3);
            Tensor r7 = Tensor.randn(3, 8, 7, 7).mul(3);
            try (MixtureAssignment a = heads.assign(r1, r7)) {
                assertArrayEquals(new long[] {3, 7, 7}, a.map().shape());
                assertEquals(DType.INT64, a.map().dtype());
                assertArrayEquals(new long[] {3, k, 7, 7}, a.q().shape());
                Close.check("q sums to one", a.q().sum(1, false), Tensor.ones(3, 7, 7), 1e-6, 0);
                Close.check("map = argmax q", a.map(), a.q().argmax(1, false), 0, 0);
                assertTrue(!a.q().requiresGrad(), "read-out runs without gradient");
                // The hard assignment is the component with the best positive score ⟨f1ʲ_b, r7_b,l⟩ (the soft clip
                // and the softmax are monotone), one image at a time.
                Tensor comps = heads.components(r1);
                for (int b = 0; b < 3; b++) {
                    Tensor raw = comps.select(1, b).matmul(r7.select(0, b).reshape(8, 49));
                    Close.check("map = argmax of positive scores, image " + b, a.map().select(0, b),
                            raw.argmax(0, false).reshape(7, 7), 0, 0);
                }
                long[] counts = new long[k];
                for (long v : a.map().toLongArray()) {
                    counts[(int) v]++;
                }
                assertEquals(3 * 49, java.util.Arrays.stream(counts).sum());
            }
        }
    }
}
