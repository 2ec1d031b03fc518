package org.amdim.nn.optim;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

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
     * @param decoupled AdamW's decoupled weight decay instead of L2
     */
    public record Options(double beta1, double beta2, double eps, boolean amsgrad, boolean decoupled) {
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
            return new Options(b1, b2, eps, amsgrad, decoupled);
        }

        /** With another eps. */
        public Options withEps(double e) {
            return new Options(beta1, beta2, e, amsgrad, decoupled);
        }

        /** With AMSGrad on or off. */
        public Options withAmsgrad(boolean a) {
            return new Options(beta1, beta2, eps, a, decoupled);
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
                FusedOptim.adamStep(ps, ms, vs, options.amsgrad() ? mxs : null,
                        st.stream().mapToLong(Long::longValue).toArray(), g.lr(), options.beta1(), options.beta2(),
                        options.eps(), g.weightDecay(), options.decoupled(), options.amsgrad());
            }
        }
    }

    static boolean hasGrad(Tensor p) {
        Tensor grad = p.grad();
        if (grad == null) {
            return false;
        }
        grad.close();
        return true;
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

    /** The first moment of parameter {@code i} (across groups), or null before its first update. */
    public Tensor expAvg(int i) {
        return expAvg[i];
    }

    /** The second moment of parameter {@code i}, or null before its first update. */
    public Tensor expAvgSq(int i) {
        return expAvgSq[i];
    }

    /** The number of updates parameter {@code i} received. */
    public long step(int i) {
        return steps[i];
    }

    @Override
    public Map<String, Tensor> stateDict() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (int i = 0; i < steps.length; i++) {
            if (expAvg[i] == null) {
                continue;
            }
            out.put("state." + i + ".step", Tensor.of(new long[] {steps[i]}, new long[0]));
            out.put("state." + i + ".exp_avg", expAvg[i].clone());
            out.put("state." + i + ".exp_avg_sq", expAvgSq[i].clone());
            if (maxExpAvgSq[i] != null) {
                out.put("state." + i + ".max_exp_avg_sq", maxExpAvgSq[i].clone());
            }
        }
        List<ParamGroup> groups = paramGroups();
        for (int g = 0; g < groups.size(); g++) {
            out.put("param_groups." + g + ".lr", Tensor.of(new double[] {groups.get(g).lr()}, new long[0]));
        }
        return out;
    }

    @Override
    public void loadStateDict(Map<String, Tensor> state) {
        List<Tensor> params = allParams();
        try (var ng = Autograd.noGrad()) {
            for (int i = 0; i < params.size(); i++) {
                Tensor step = state.get("state." + i + ".step");
                if (step == null) {
                    continue;
                }
                Tensor p = params.get(i);
                Tensor m = require(state, "state." + i + ".exp_avg", p);
                Tensor v = require(state, "state." + i + ".exp_avg_sq", p);
                if (expAvg[i] == null) {
                    initState(i, p);
                }
                expAvg[i].copy_(m);
                expAvgSq[i].copy_(v);
                if (options.amsgrad()) {
                    maxExpAvgSq[i].copy_(require(state, "state." + i + ".max_exp_avg_sq", p));
                }
                steps[i] = step.itemLong();
            }
            List<ParamGroup> groups = paramGroups();
            for (int g = 0; g < groups.size(); g++) {
                Tensor lr = state.get("param_groups." + g + ".lr");
                if (lr != null) {
                    groups.get(g).setLr(lr.item());
                }
            }
        }
        for (String key : state.keySet()) {
            if (key.startsWith("state.")) {
                int i = Integer.parseInt(key.split("\\.")[1]);
                if (i >= params.size()) {
                    throw new IllegalArgumentException("optimizer state has parameter " + i + " but only "
                            + params.size() + " parameters are optimised");
                }
            }
        }
    }

    static Tensor require(Map<String, Tensor> state, String key, Tensor like) {
        Tensor t = state.get(key);
        if (t == null) {
            throw new IllegalArgumentException("optimizer state is missing '" + key + "'");
        }
        if (!Arrays.equals(t.shape(), like.shape())) {
            throw new IllegalArgumentException("optimizer state '" + key + "' has shape " + Arrays.toString(t.shape())
                    + " but the parameter has " + Arrays.toString(like.shape()));
        }
        return t;
    }

    @Override
    public void close() {
        for (Tensor[] arr : new Tensor[][] {expAvg, expAvgSq, maxExpAvgSq}) {
            for (int i = 0; i < arr.length; i++) {
                if (arr[i] != null) {
                    arr[i].close();
                    arr[i] = null;
                }
            }
        }
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder(options.decoupled() ? "AdamW (" : "Adam (");
        List<ParamGroup> groups = paramGroups();
        for (int g = 0; g < groups.size(); g++) {
            ParamGroup pg = groups.get(g);
            sb.append("\nParameter Group ").append(g).append("\n    amsgrad: ").append(options.amsgrad() ? "True" : "False")
                    .append("\n    betas: (").append(options.beta1()).append(", ").append(options.beta2()).append(")")
                    .append("\n    eps: ").append(options.eps()).append("\n    lr: ").append(pg.lr())
                    .append("\n    weight_decay: ").append(pg.weightDecay());
        }
        return sb.append("\n)").toString();
    }
}
