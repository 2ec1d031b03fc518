package org.amdim.nn.optim;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.amdim.nn.PythonRepr;
import org.amdim.tensor.Autograd;
import org.amdim.tensor.FusedOptim;
import org.amdim.tensor.Tensor;
import org.amdim.tensor.TensorScope;

/**
 * Adam (Kingma and Ba, 2015) and AdamW (Loshchilov and Hutter, 2019) with {@code torch.optim}'s exact update:
 * {@code g += wd·p} (Adam) or {@code p *= 1 − lr·wd} (AdamW), {@code m = β1·m + (1−β1)·g},
 * {@code v = β2·v + (1−β2)·g²}, {@code p −= lr/(1−β1ᵗ) · m / (√v/√(1−β2ᵗ) + eps)}, optionally AMSGrad.
 * A parameter without a gradient is skipped entirely (no decay, no state), as in PyTorch.
 * The whole update runs in one native call per step.
 */
public final class Adam extends Optimizer {
    private static final String STEP = "step";
    private static final String EXP_AVG = "exp_avg";
    private static final String EXP_AVG_SQ = "exp_avg_sq";
    private static final String MAX_EXP_AVG_SQ = "max_exp_avg_sq";
    private static final Set<String> STATE_NAMES = Set.of(STEP, EXP_AVG, EXP_AVG_SQ, MAX_EXP_AVG_SQ);

    private final Options options;
    private final Tensor[] expAvg;
    private final Tensor[] expAvgSq;
    private final Tensor[] maxExpAvgSq;
    private final long[] steps;

    /**
     * Hyper-parameters.
     *
     * @param beta1     decay of the first moment (PyTorch default 0.9)
     * @param beta2     decay of the second moment (0.999)
     * @param eps       added to the denominator (1e-8)
     * @param amsgrad   use the running maximum of the second moment
     * @param decoupled  AdamW's decoupled weight decay instead of L2
     * @param singlePass update each float32/float64 CPU parameter in one pass over its elements
     *                   ({@link FusedOptim#adamStepSinglePass}): the same formula and order, each operation rounded
     *                   on its own where libtorch fuses some multiply-adds, so results leave torch.optim's in the
     *                   last bits; off by default, which matches torch.optim bit for bit
     */
    public record Options(double beta1, double beta2, double eps, boolean amsgrad, boolean decoupled,
            boolean singlePass) {
        /** Checks the ranges PyTorch checks: betas in [0, 1), eps ≥ 0. */
        public Options {
            if (!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1)) {
                throw new IllegalArgumentException("Adam betas must be in [0, 1), got (" + beta1 + ", " + beta2 + ")");
            }
            if (!(eps >= 0)) {
                throw new IllegalArgumentException("Adam eps must be >= 0, got " + eps);
            }
        }

        /** The options with torch.optim's exact update ({@code singlePass} off). */
        public Options(double beta1, double beta2, double eps, boolean amsgrad, boolean decoupled) {
            this(beta1, beta2, eps, amsgrad, decoupled, false);
        }

        /** torch.optim.Adam's defaults. */
        public static Options adam() {
            return new Options(0.9, 0.999, 1e-8, false, false);
        }

        /** torch.optim.AdamW's defaults (weight decay is per group; AdamW's usual is 1e-2). */
        public static Options adamW() {
            return new Options(0.9, 0.999, 1e-8, false, true);
        }

        /** With other betas. */
        public Options withBetas(double b1, double b2) {
            return new Options(b1, b2, eps, amsgrad, decoupled, singlePass);
        }

        /** With another eps. */
        public Options withEps(double e) {
            return new Options(beta1, beta2, e, amsgrad, decoupled, singlePass);
        }

        /** With AMSGrad on or off. */
        public Options withAmsgrad(boolean a) {
            return new Options(beta1, beta2, eps, a, decoupled, singlePass);
        }

        /** With the single-pass update on or off. */
        public Options withSinglePass(boolean s) {
            return new Options(beta1, beta2, eps, amsgrad, decoupled, s);
        }
    }

    /** Adam over one group. */
    public Adam(List<Tensor> params, double lr, double weightDecay, Options options) {
        this(List.of(new ParamGroup(params, lr, weightDecay)), options);
    }

    /** Adam over several groups. */
    public Adam(List<ParamGroup> groups, Options options) {
        super(groups);
        this.options = options;
        int n = allParams().size();
        expAvg = new Tensor[n];
        expAvgSq = new Tensor[n];
        maxExpAvgSq = new Tensor[n];
        steps = new long[n];
    }

    /** The hyper-parameters. */
    public Options options() {
        return options;
    }

    @Override
    public void step() {
        int index = 0;
        for (ParamGroup g : paramGroups()) {
            List<Tensor> ps = new ArrayList<>();
            List<Tensor> ms = new ArrayList<>();
            List<Tensor> vs = new ArrayList<>();
            List<Tensor> mxs = new ArrayList<>();
            List<Long> st = new ArrayList<>();
            for (Tensor p : g.params()) {
                int i = index++;
                // PyTorch skips a parameter without gradient entirely: no decay, no state, no step count
                if (!hasGrad(p)) {
                    continue;
                }
                if (expAvg[i] == null) {
                    initState(i, p);
                }
                steps[i]++;
                ps.add(p);
                ms.add(expAvg[i]);
                vs.add(expAvgSq[i]);
                mxs.add(maxExpAvgSq[i]);
                st.add(steps[i]);
            }
            if (!ps.isEmpty()) {
                long[] counts = st.stream().mapToLong(Long::longValue).toArray();
                if (options.singlePass()) {
                    FusedOptim.adamStepSinglePass(ps, ms, vs, options.amsgrad() ? mxs : null, counts, g.lr(),
                            options.beta1(), options.beta2(), options.eps(), g.weightDecay(), options.decoupled(),
                            options.amsgrad());
                } else {
                    FusedOptim.adamStep(ps, ms, vs, options.amsgrad() ? mxs : null, counts, g.lr(), options.beta1(),
                            options.beta2(), options.eps(), g.weightDecay(), options.decoupled(), options.amsgrad());
                }
            }
        }
    }

    private void initState(int i, Tensor p) {
        try (var ng = Autograd.noGrad()) {
            expAvg[i] = TensorScope.escape(Tensor.zeros(p.dtype(), p.device(), p.shape()));
            expAvgSq[i] = TensorScope.escape(Tensor.zeros(p.dtype(), p.device(), p.shape()));
            if (options.amsgrad()) {
                maxExpAvgSq[i] = TensorScope.escape(Tensor.zeros(p.dtype(), p.device(), p.shape()));
            }
        }
    }

    private void dropState(int i) {
        for (Tensor[] arr : new Tensor[][] {expAvg, expAvgSq, maxExpAvgSq}) {
            if (arr[i] != null) {
                arr[i].close();
                arr[i] = null;
            }
        }
        steps[i] = 0;
    }

    /** The first moment of parameter {@code i} (across groups), or null before its first update. */
    public Tensor expAvg(int i) {
        return expAvg[i];
    }

    /** The second moment of parameter {@code i}, or null before its first update. */
    public Tensor expAvgSq(int i) {
        return expAvgSq[i];
    }

    /** The running maximum of the second moment of parameter {@code i} (AMSGrad only), or null. */
    public Tensor maxExpAvgSq(int i) {
        return maxExpAvgSq[i];
    }

    /** The number of updates parameter {@code i} received. */
    public long step(int i) {
        return steps[i];
    }

    /**
     * {@code state.<i>.step} (int64 scalar), {@code .exp_avg}, {@code .exp_avg_sq} and, with AMSGrad,
     * {@code .max_exp_avg_sq} for every parameter updated so far, and {@code param_groups.<g>.lr}.
     */
    @Override
    public Map<String, Tensor> stateDict() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (int i = 0; i < steps.length; i++) {
            if (expAvg[i] == null) {
                continue;
            }
            out.put(stateKey(i, STEP), scalar(steps[i]));
            out.put(stateKey(i, EXP_AVG), expAvg[i].clone());
            out.put(stateKey(i, EXP_AVG_SQ), expAvgSq[i].clone());
            if (maxExpAvgSq[i] != null) {
                out.put(stateKey(i, MAX_EXP_AVG_SQ), maxExpAvgSq[i].clone());
            }
        }
        putGroupState(out);
        return out;
    }

    @Override
    public void loadStateDict(Map<String, Tensor> state) {
        List<Tensor> params = allParams();
        Set<Integer> withState = checkKeys(state, STATE_NAMES);
        long[] loadedSteps = new long[params.size()];
        for (int i : withState) {
            Tensor p = params.get(i);
            loadedSteps[i] = requireCount(state, stateKey(i, STEP));
            if (loadedSteps[i] < 1) {
                throw new IllegalArgumentException("optimizer state '" + stateKey(i, STEP) + "' is " + loadedSteps[i]
                        + ", must be at least 1");
            }
            require(state, stateKey(i, EXP_AVG), p);
            require(state, stateKey(i, EXP_AVG_SQ), p);
            if (options.amsgrad()) {
                require(state, stateKey(i, MAX_EXP_AVG_SQ), p);
            }
        }
        try (var ng = Autograd.noGrad()) {
            for (int i = 0; i < params.size(); i++) {
                if (!withState.contains(i)) {
                    dropState(i);
                    continue;
                }
                if (expAvg[i] == null) {
                    initState(i, params.get(i));
                }
                expAvg[i].copy_(state.get(stateKey(i, EXP_AVG)));
                expAvgSq[i].copy_(state.get(stateKey(i, EXP_AVG_SQ)));
                if (options.amsgrad()) {
                    maxExpAvgSq[i].copy_(state.get(stateKey(i, MAX_EXP_AVG_SQ)));
                }
                steps[i] = loadedSteps[i];
            }
        }
        loadGroupState(state);
    }

    @Override
    public void close() {
        for (int i = 0; i < steps.length; i++) {
            dropState(i);
        }
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder(options.decoupled() ? "AdamW (" : "Adam (");
        List<ParamGroup> groups = paramGroups();
        for (int g = 0; g < groups.size(); g++) {
            ParamGroup pg = groups.get(g);
            sb.append("\nParameter Group ").append(g)
                    .append("\n    amsgrad: ").append(PythonRepr.of(options.amsgrad()))
                    .append("\n    betas: (").append(PythonRepr.of(options.beta1())).append(", ")
                    .append(PythonRepr.of(options.beta2())).append(")")
                    .append("\n    eps: ").append(PythonRepr.of(options.eps()))
                    .append("\n    lr: ").append(PythonRepr.of(pg.lr()))
                    .append("\n    weight_decay: ").append(PythonRepr.of(pg.weightDecay()));
        }
        return sb.append("\n)").toString();
    }
}
