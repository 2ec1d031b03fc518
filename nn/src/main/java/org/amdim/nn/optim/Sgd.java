package org.amdim.nn.optim;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.amdim.tensor.Autograd;
import org.amdim.tensor.FusedOptim;
import org.amdim.tensor.Tensor;
import org.amdim.tensor.TensorScope;

/**
 * Stochastic gradient descent with {@code torch.optim.SGD}'s update: {@code g += wd·p}; with momentum
 * {@code b = g} on the first step, then {@code b = μ·b + (1−dampening)·g}; Nesterov uses {@code g + μ·b};
 * {@code p −= lr·g}. A parameter without a gradient is skipped (no decay, no buffer).
 */
public final class Sgd extends Optimizer {
    private static final String MOMENTUM_BUFFER = "momentum_buffer";

    private final double momentum;
    private final double dampening;
    private final boolean nesterov;
    private final Tensor[] buffers;

    /** SGD over one group. */
    public Sgd(List<Tensor> params, double lr, double momentum, double dampening, double weightDecay,
            boolean nesterov) {
        this(List.of(new ParamGroup(params, lr, weightDecay)), momentum, dampening, nesterov);
    }

    /**
     * SGD over several groups.
     *
     * @throws IllegalArgumentException for a negative momentum, or Nesterov without momentum or with dampening
     */
    public Sgd(List<ParamGroup> groups, double momentum, double dampening, boolean nesterov) {
        super(groups);
        if (!(momentum >= 0)) {
            throw new IllegalArgumentException("Invalid momentum value: " + momentum);
        }
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
            // parameters whose buffer starts now (set to the gradient) and those that continue one
            List<Tensor> fresh = new ArrayList<>();
            List<Tensor> freshBufs = new ArrayList<>();
            List<Tensor> known = new ArrayList<>();
            List<Tensor> knownBufs = new ArrayList<>();
            for (Tensor p : g.params()) {
                int i = index++;
                if (!hasGrad(p)) {
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

    /** The momentum buffer of parameter {@code i} (across groups), or null before its first update. */
    public Tensor momentumBuffer(int i) {
        return buffers[i];
    }

    /** {@code state.<i>.momentum_buffer} for every parameter with a buffer, and {@code param_groups.<g>.lr}. */
    @Override
    public Map<String, Tensor> stateDict() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (int i = 0; i < buffers.length; i++) {
            if (buffers[i] != null) {
                out.put(stateKey(i, MOMENTUM_BUFFER), buffers[i].clone());
            }
        }
        putGroupState(out);
        return out;
    }

    @Override
    public void loadStateDict(Map<String, Tensor> state) {
        List<Tensor> params = allParams();
        Set<Integer> withState = checkKeys(state, Set.of(MOMENTUM_BUFFER));
        for (int i : withState) {
            require(state, stateKey(i, MOMENTUM_BUFFER), params.get(i));
        }
        try (var ng = Autograd.noGrad()) {
            for (int i = 0; i < params.size(); i++) {
                if (!withState.contains(i)) {
                    dropBuffer(i);
                    continue;
                }
                Tensor p = params.get(i);
                if (buffers[i] == null) {
                    buffers[i] = TensorScope.escape(Tensor.zeros(p.dtype(), p.device(), p.shape()));
                }
                buffers[i].copy_(state.get(stateKey(i, MOMENTUM_BUFFER)));
            }
        }
        loadGroupState(state);
    }

    private void dropBuffer(int i) {
        if (buffers[i] != null) {
            buffers[i].close();
            buffers[i] = null;
        }
    }

    @Override
    public void close() {
        for (int i = 0; i < buffers.length; i++) {
            dropBuffer(i);
        }
    }
}
