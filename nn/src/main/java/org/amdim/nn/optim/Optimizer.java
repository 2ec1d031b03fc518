package org.amdim.nn.optim;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.amdim.tensor.Tensor;

/**
 * Base of the optimizers: parameter groups, gradient reset, and a state dict for exact resume.
 *
 * <p>State-dict keys follow PyTorch's structure flattened to names: per-parameter state under
 * {@code state.<i>.<name>} (i counts parameters across groups in order) and per-group values under
 * {@code param_groups.<g>.<name>}. The optimizer owns its state tensors; {@link #close()} frees them.
 */
public abstract class Optimizer implements AutoCloseable {
    private final List<ParamGroup> groups;

    /** An optimizer over the given groups. */
    protected Optimizer(List<ParamGroup> groups) {
        if (groups.isEmpty()) {
            throw new IllegalArgumentException("an optimizer needs at least one parameter group");
        }
        this.groups = List.copyOf(groups);
    }

    /** The parameter groups. */
    public List<ParamGroup> paramGroups() {
        return groups;
    }

    /** All parameters, group after group. */
    protected List<Tensor> allParams() {
        List<Tensor> all = new ArrayList<>();
        for (ParamGroup g : groups) {
            all.addAll(g.params());
        }
        return all;
    }

    /** Drops every parameter's gradient (as {@code zero_grad(set_to_none=True)}). */
    public void zeroGrad() {
        for (ParamGroup g : groups) {
            for (Tensor p : g.params()) {
                p.zeroGrad();
            }
        }
    }

    /** Updates every parameter that has a gradient. */
    public abstract void step();

    /** The optimizer's state as named tensors (new tensors the caller owns). */
    public abstract Map<String, Tensor> stateDict();

    /**
     * Restores state saved by {@link #stateDict()} from an optimizer over parameters of the same shapes.
     *
     * @throws IllegalArgumentException when the state does not fit these parameters
     */
    public abstract void loadStateDict(Map<String, Tensor> state);

    /** Frees the optimizer's state tensors. */
    @Override
    public abstract void close();
}
