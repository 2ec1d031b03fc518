package org.amdim.nn.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;

import org.amdim.tensor.NoLeaks;
import org.amdim.nn.References;
import org.amdim.tensor.Tensor;
import org.amdim.tensor.TensorScope;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * SGD (momentum, dampening, Nesterov, weight decay), Adam, AdamW and AMSGrad against hand-computed float64
 * updates over several steps; parameter groups with their own lr and weight decay; parameters without a
 * gradient skipped (no state, no decay); argument checks.
 */
@ExtendWith(NoLeaks.class)
class OptimizerMathTest {
    private static final double TOL = 1e-13;
    private static final int STEPS = 4;

    /** The gradient fed to parameter {@code k} at step t (1-based): varied signs and scales. */
    private static double[] gradient(int k, int t, int n) {
        double[] g = new double[n];
        for (int i = 0; i < n; i++) {
            g[i] = Math.sin(1.3 * t + 0.7 * i + k) * (1 + i) * (k == 2 ? 10 : 1);
        }
        return g;
    }

    private static double[] initial(int k, int n) {
        double[] p = new double[n];
        for (int i = 0; i < n; i++) {
            p[i] = Math.cos(0.5 * i + k) * 0.8;
        }
        return p;
    }

    /** A float64 leaf parameter (owned by the enclosing scope). */
    private static Tensor param(double[] values) {
        return Tensor.of(values).requiresGrad(true);
    }

    private static void feed(Tensor p, double[] g) {
        p.setGrad(Tensor.of(g));
    }

    /** torch.optim.SGD's update for one parameter, in place; returns the momentum buffer. */
    private static double[] sgd(double[] p, double[] g, double[] buf, double lr, double momentum, double dampening,
            double wd, boolean nesterov) {
        double[] d = new double[p.length];
        for (int i = 0; i < p.length; i++) {
            d[i] = g[i] + wd * p[i];
        }
        double[] b = buf;
        if (momentum != 0) {
            if (b == null) {
                b = d.clone();
            } else {
                for (int i = 0; i < p.length; i++) {
                    b[i] = momentum * b[i] + (1 - dampening) * d[i];
                }
            }
            for (int i = 0; i < p.length; i++) {
                d[i] = nesterov ? d[i] + momentum * b[i] : b[i];
            }
        }
        for (int i = 0; i < p.length; i++) {
            p[i] -= lr * d[i];
        }
        return b;
    }

    /** Adam's per-parameter state in the hand computation. */
    private static final class AdamState {
        double[] m;
        double[] v;
        double[] vmax;
        int t;

        AdamState(int n) {
            m = new double[n];
            v = new double[n];
            vmax = new double[n];
        }
    }

    /** torch.optim.Adam / AdamW's update for one parameter, in place. */
    private static void adam(double[] p, double[] g, AdamState s, double lr, double b1, double b2, double eps,
            double wd, boolean decoupled, boolean amsgrad) {
        s.t++;
        double[] grad = g.clone();
        for (int i = 0; i < p.length; i++) {
            if (decoupled) {
                p[i] *= 1 - lr * wd;
            } else {
                grad[i] += wd * p[i];
            }
        }
        double bc1 = 1 - Math.pow(b1, s.t);
        double bc2 = 1 - Math.pow(b2, s.t);
        for (int i = 0; i < p.length; i++) {
            s.m[i] = b1 * s.m[i] + (1 - b1) * grad[i];
            s.v[i] = b2 * s.v[i] + (1 - b2) * grad[i] * grad[i];
            s.vmax[i] = Math.max(s.vmax[i], s.v[i]);
            double denom = Math.sqrt(amsgrad ? s.vmax[i] : s.v[i]) / Math.sqrt(bc2) + eps;
            p[i] -= lr / bc1 * s.m[i] / denom;
        }
    }

    private record SgdCase(double lr, double momentum, double dampening, double wd, boolean nesterov) {
    }

    @Test
    void sgdMatchesTheHandComputation() {
        for (SgdCase c : List.of(new SgdCase(0.1, 0, 0, 0, false), new SgdCase(0.05, 0, 0, 0.01, false),
                new SgdCase(0.1, 0.9, 0.1, 0.01, false), new SgdCase(0.02, 0.8, 0, 0, false),
                new SgdCase(0.1, 0.9, 0, 0.05, true))) {
            try (var scope = TensorScope.open()) {
                double[] expected = initial(0, 6);
                Tensor p = param(expected);
                double[] buf = null;
                try (Sgd sgd = new Sgd(List.of(p), c.lr(), c.momentum(), c.dampening(), c.wd(), c.nesterov())) {
                    for (int t = 1; t <= STEPS; t++) {
                        double[] g = gradient(0, t, 6);
                        feed(p, g);
                        sgd.step();
                        buf = sgd(expected, g, buf, c.lr(), c.momentum(), c.dampening(), c.wd(), c.nesterov());
                        References.assertClose(c + " step " + t, expected, p, TOL);
                        if (c.momentum() != 0) {
                            References.assertClose(c + " buffer " + t, buf, sgd.momentumBuffer(0), TOL);
                        } else {
                            assertNull(sgd.momentumBuffer(0));
                        }
                    }
                }
            }
        }
    }

    private record AdamCase(double lr, double b1, double b2, double eps, double wd, boolean decoupled,
            boolean amsgrad) {
        Adam.Options options() {
            return new Adam.Options(b1, b2, eps, amsgrad, decoupled);
        }
    }

    @Test
    void adamAdamWAndAmsgradMatchTheHandComputation() {
        for (AdamCase c : List.of(new AdamCase(1e-3, 0.9, 0.999, 1e-8, 0, false, false),
                new AdamCase(1e-2, 0.8, 0.99, 1e-6, 0.1, false, false),
                new AdamCase(1e-2, 0.9, 0.999, 1e-8, 0.1, true, false),
                new AdamCase(5e-2, 0.9, 0.9, 1e-8, 0, false, true),
                new AdamCase(1e-2, 0.5, 0.6, 1e-8, 0.2, true, true))) {
            // torch.optim's exact update and the single-pass one compute the same formula
            matchesTheHandComputation(c, false);
            matchesTheHandComputation(c, true);
        }
    }

    private static void matchesTheHandComputation(AdamCase c, boolean singlePass) {
        String what = c + (singlePass ? " single pass" : "");
        try (var scope = TensorScope.open()) {
            double[] expected = initial(1, 5);
            AdamState s = new AdamState(5);
            Tensor p = param(expected);
            try (Adam adam = new Adam(List.of(p), c.lr(), c.wd(), c.options().withSinglePass(singlePass))) {
                for (int t = 1; t <= STEPS + 2; t++) {
                    // large gradients first, then small ones: the second moment shrinks and AMSGrad's
                    // maximum differs from it
                    double[] g = gradient(1, t, 5);
                    for (int i = 0; i < g.length; i++) {
                        g[i] *= t == 1 ? 20 : 0.5;
                    }
                    feed(p, g);
                    adam.step();
                    adam(expected, g, s, c.lr(), c.b1(), c.b2(), c.eps(), c.wd(), c.decoupled(), c.amsgrad());
                    References.assertClose(what + " p " + t, expected, p, TOL);
                    References.assertClose(what + " m " + t, s.m, adam.expAvg(0), TOL);
                    References.assertClose(what + " v " + t, s.v, adam.expAvgSq(0), TOL);
                    if (c.amsgrad()) {
                        References.assertClose(what + " max v " + t, s.vmax, adam.maxExpAvgSq(0), TOL);
                        assertTrue(t == 1 || !java.util.Arrays.equals(s.v, s.vmax), "AMSGrad is exercised");
                    } else {
                        assertNull(adam.maxExpAvgSq(0));
                    }
                    assertEquals(t, adam.step(0));
                }
            }
        }
    }

    @Test
    void parameterGroupsUseTheirOwnLearningRateAndDecay() {
        try (var scope = TensorScope.open()) {
            double[][] expected = {initial(0, 3), initial(1, 4), initial(2, 2)};
            Tensor a = param(expected[0]);
            Tensor b = param(expected[1]);
            Tensor c = param(expected[2]);
            ParamGroup g0 = new ParamGroup(List.of(a), 1e-2, 0);
            ParamGroup g1 = new ParamGroup(List.of(b, c), 1e-3, 0.5);
            AdamState[] states = {new AdamState(3), new AdamState(4), new AdamState(2)};
            try (Adam adam = new Adam(List.of(g0, g1), Adam.Options.adam())) {
                for (int t = 1; t <= STEPS; t++) {
                    Tensor[] ps = {a, b, c};
                    for (int k = 0; k < 3; k++) {
                        double[] g = gradient(k, t, expected[k].length);
                        feed(ps[k], g);
                        double lr = k == 0 ? 1e-2 : 1e-3;
                        double wd = k == 0 ? 0 : 0.5;
                        adam(expected[k], g, states[k], lr, 0.9, 0.999, 1e-8, wd, false, false);
                    }
                    adam.step();
                    for (int k = 0; k < 3; k++) {
                        References.assertClose("param " + k + " step " + t, expected[k], ps[k], TOL);
                    }
                }
            }
            double[][] sgdExpected = {initial(0, 3), initial(1, 4)};
            Tensor d = param(sgdExpected[0]);
            Tensor e = param(sgdExpected[1]);
            try (Sgd sgd = new Sgd(List.of(new ParamGroup(List.of(d), 0.1, 0.01),
                    new ParamGroup(List.of(e), 0.02, 0)), 0.9, 0, false)) {
                double[][] bufs = new double[2][];
                for (int t = 1; t <= STEPS; t++) {
                    double[] gd = gradient(0, t, 3);
                    double[] ge = gradient(1, t, 4);
                    feed(d, gd);
                    feed(e, ge);
                    sgd.step();
                    bufs[0] = sgd(sgdExpected[0], gd, bufs[0], 0.1, 0.9, 0, 0.01, false);
                    bufs[1] = sgd(sgdExpected[1], ge, bufs[1], 0.02, 0.9, 0, 0, false);
                    References.assertClose("sgd group 0", sgdExpected[0], d, TOL);
                    References.assertClose("sgd group 1", sgdExpected[1], e, TOL);
                }
            }
        }
    }

    @Test
    void aChangedLearningRateTakesEffect() {
        try (var scope = TensorScope.open()) {
            double[] expected = initial(0, 3);
            Tensor p = param(expected);
            try (Sgd sgd = new Sgd(List.of(p), 0.1, 0, 0, 0, false)) {
                sgd.paramGroups().get(0).setLr(0.5);
                double[] g = gradient(0, 1, 3);
                feed(p, g);
                sgd.step();
                sgd(expected, g, null, 0.5, 0, 0, 0, false);
                References.assertClose("lr 0.5", expected, p, TOL);
                assertEquals(0.1, sgd.paramGroups().get(0).initialLr());
            }
        }
    }

    @Test
    void parametersWithoutGradientAreSkippedEntirely() {
        for (boolean decoupled : new boolean[] {false, true}) {
            try (var scope = TensorScope.open()) {
                double[] first = initial(0, 3);
                double[] second = initial(1, 3);
                Tensor a = param(first);
                Tensor b = param(second);
                AdamState sa = new AdamState(3);
                AdamState sb = new AdamState(3);
                Adam.Options o = Adam.Options.adam().withAmsgrad(true);
                o = decoupled ? new Adam.Options(0.9, 0.999, 1e-8, true, true) : o;
                try (Adam adam = new Adam(List.of(a, b), 1e-2, 0.3, o)) {
                    double[] g = gradient(0, 1, 3);
                    feed(a, g);
                    adam.step();
                    adam(first, g, sa, 1e-2, 0.9, 0.999, 1e-8, 0.3, decoupled, true);
                    References.assertClose("updated", first, a, TOL);
                    // bit for bit: no weight decay (not even AdamW's), no state, no step count
                    assertArrayEquals(second, b.toDoubleArray());
                    assertNull(adam.expAvg(1));
                    assertNull(adam.expAvgSq(1));
                    assertNull(adam.maxExpAvgSq(1));
                    assertEquals(0, adam.step(1));
                    Map<String, Tensor> state = adam.stateDict();
                    assertEquals(List.of("state.0.step", "state.0.exp_avg", "state.0.exp_avg_sq",
                            "state.0.max_exp_avg_sq", "param_groups.0.lr"), List.copyOf(state.keySet()));
                    state.values().forEach(Tensor::close);

                    // later it gets a gradient: its own first step, while the other one is at step 2
                    double[] g2 = gradient(0, 2, 3);
                    double[] gb = gradient(1, 2, 3);
                    feed(a, g2);
                    feed(b, gb);
                    adam.step();
                    adam(first, g2, sa, 1e-2, 0.9, 0.999, 1e-8, 0.3, decoupled, true);
                    adam(second, gb, sb, 1e-2, 0.9, 0.999, 1e-8, 0.3, decoupled, true);
                    assertEquals(2, adam.step(0));
                    assertEquals(1, adam.step(1));
                    References.assertClose("first", first, a, TOL);
                    References.assertClose("second", second, b, TOL);
                }
            }
        }
        try (var scope = TensorScope.open()) {
            double[] second = initial(1, 3);
            Tensor a = param(initial(0, 3));
            Tensor b = param(second);
            try (Sgd sgd = new Sgd(List.of(a, b), 0.1, 0.9, 0, 0.5, false)) {
                feed(a, gradient(0, 1, 3));
                sgd.step();
                assertArrayEquals(second, b.toDoubleArray());
                assertNull(sgd.momentumBuffer(1));
                Map<String, Tensor> state = sgd.stateDict();
                assertEquals(List.of("state.0.momentum_buffer", "param_groups.0.lr"), List.copyOf(state.keySet()));
                state.values().forEach(Tensor::close);
            }
        }
    }

    @Test
    void zeroGradDropsTheGradients() {
        try (var scope = TensorScope.open()) {
            Tensor a = param(initial(0, 3));
            try (Sgd sgd = new Sgd(List.of(a), 0.1, 0, 0, 0, false)) {
                feed(a, gradient(0, 1, 3));
                sgd.zeroGrad();
                assertNull(a.grad());
                double[] before = a.toDoubleArray();
                sgd.step();
                assertArrayEquals(before, a.toDoubleArray());
            }
        }
    }

    @Test
    void invalidConfigurationsAreRejected() {
        try (var scope = TensorScope.open()) {
            Tensor a = param(initial(0, 3));
            assertThrows(IllegalArgumentException.class, () -> new Adam(List.of(a, a), 1e-3, 0, Adam.Options.adam()));
            assertThrows(IllegalArgumentException.class, () -> new Sgd(List.of(new ParamGroup(List.of(a), 0.1, 0),
                    new ParamGroup(List.of(a), 0.2, 0)), 0, 0, false));
            assertThrows(IllegalArgumentException.class, () -> new Adam(List.of(), Adam.Options.adam()));
            assertThrows(IllegalArgumentException.class, () -> new ParamGroup(List.of(a), -1, 0));
            assertThrows(IllegalArgumentException.class, () -> new ParamGroup(List.of(a), 0.1, -1));
            assertThrows(IllegalArgumentException.class, () -> Adam.Options.adam().withBetas(1, 0.9));
            assertThrows(IllegalArgumentException.class, () -> Adam.Options.adam().withBetas(0.9, -0.1));
            assertThrows(IllegalArgumentException.class, () -> Adam.Options.adam().withEps(-1));
            assertThrows(IllegalArgumentException.class, () -> new Sgd(List.of(a), 0.1, -0.5, 0, 0, false));
            assertThrows(IllegalArgumentException.class, () -> new Sgd(List.of(a), 0.1, 0, 0, 0, true));
            assertThrows(IllegalArgumentException.class, () -> new Sgd(List.of(a), 0.1, 0.9, 0.1, 0, true));
        }
    }

    @Test
    void adamDescribesItselfLikePyTorch() {
        try (var scope = TensorScope.open()) {
            Tensor a = param(initial(0, 3));
            try (Adam adam = new Adam(List.of(a), 2e-4, 1e-5, Adam.Options.adam().withBetas(0.8, 0.999))) {
                assertEquals("Adam (\n"
                        + "Parameter Group 0\n"
                        + "    amsgrad: False\n"
                        + "    betas: (0.8, 0.999)\n"
                        + "    eps: 1e-08\n"
                        + "    lr: 0.0002\n"
                        + "    weight_decay: 1e-05\n"
                        + ")", adam.toString());
            }
        }
    }
}
