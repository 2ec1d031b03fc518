package org.amdim.nn.optim;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.amdim.tensor.Autograd;
import org.amdim.tensor.FusedOptim;
import org.amdim.tensor.Tensor;
import org.amdim.tensor.TensorScope;

/**
 * Stochastic gradient descent with {@code torch.optim.SGD}'s update: {@code g += wd·p}; with momentum
 * {@code b = g} on the first step, then {@code b = μ·b + (1−dampening)·g}; Nesterov uses {@code g + μ·b};
 * {@code p −= lr·g}.
 */
public final class Sgd extends Optimizer {
    private final double momentum;
    private final double dampening;
    private final boolean nesterov;
    private final Tensor[] buffers;

    /** SGD over one group. */
    public Sgd(List<Tensor> params, double lr, double momentum, double dampening, double weightDecay,
            boolean nesterov) {
        this(List.of(new ParamGroup(params, lr, weightDecay)), momentum, dampening, nesterov);
    }

    /** SGD over several groups. */
    public Sgd(List<ParamGroup> groups, double momentum, double dampening, boolean nesterov) {
        super(groups);
        if (nesterov && (momentum <= 0 || dampening != 0)) {
            throw new IllegalArgumentException("Nesterov momentum requires a momentum and zero dampening");
        }
        this.momentum = momentum;
        this.dampening = dampening;
        this.nesterov = nesterov;
        this.buffers = new Tensor[allParams().size()];
    }

    @Override
    public void step() {
        int index = 0;
        for (ParamGroup g : paramGroups()) {
            List<Tensor> fresh = new ArrayList<>();
            List<Tensor> freshBufs = new ArrayList<>();
            List<Tensor> known = new ArrayList<>();
            List<Tensor> knownBufs = new ArrayList<>();
            for (Tensor p : g.params()) {
                int i = index++;
                if (!Adam.hasGrad(p)) {
                    continue;
                }
                if (momentum == 0) {
                    known.add(p);
                } else if (buffers[i] == null) {
                    try (var ng = Autograd.noGrad()) {
                        buffers[i] = TensorScope.escape(Tensor.zeros(p.dtype(), p.device(), p.shape()));
                    }
                    fresh.add(p);
                    freshBufs.add(buffers[i]);
                } else {
                    known.add(p);
                    knownBufs.add(buffers[i]);
                }
            }
            if (!fresh.isEmpty()) {
                FusedOptim.sgdStep(fresh, freshBufs, g.lr(), momentum, dampening, g.weightDecay(), nesterov, true);
            }
            if (!known.isEmpty()) {
                FusedOptim.sgdStep(known, momentum == 0 ? null : knownBufs, g.lr(), momentum, dampening,
                        g.weightDecay(), nesterov, false);
            }
        }
    }

    @Override
    public Map<String, Tensor> stateDict() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (int i = 0; i < buffers.length; i++) {
            if (buffers[i] != null) {
                out.put("state." + i + ".momentum_buffer", buffers[i].clone());
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
                String key = "state." + i + ".momentum_buffer";
                if (!state.containsKey(key)) {
                    continue;
                }
                Tensor src = Adam.require(state, key, params.get(i));
                if (buffers[i] == null) {
                    buffers[i] = TensorScope.escape(src.clone());
                } else {
                    buffers[i].copy_(src);
                }
            }
            List<ParamGroup> groups = paramGroups();
            for (int g = 0; g < groups.size(); g++) {
                Tensor lr = state.get("param_groups." + g + ".lr");
                if (lr != null) {
                    groups.get(g).setLr(lr.item());
                }
            }
        }
    }

    @Override
    public void close() {
        for (int i = 0; i < buffers.length; i++) {
            if (buffers[i] != null) {
                buffers[i].close();
                buffers[i] = null;
            }
        }
    }
}
