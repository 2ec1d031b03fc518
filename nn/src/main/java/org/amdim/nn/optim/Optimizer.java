package org.amdim.nn.optim;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import org.amdim.tensor.DType;
import org.amdim.tensor.Tensor;

/**
 * Base of the optimizers: parameter groups, gradient reset, and a state dict for exact resume.
 *
 * <p>State-dict keys follow PyTorch's structure flattened to names: per-parameter state under
 * {@code state.<i>.<name>} (i counts parameters across groups in order) and per-group values under
 * {@code param_groups.<g>.<name>} (the current {@code lr}, a float64 scalar). The optimizer owns its state
 * tensors; {@link #close()} frees them.
 */
public abstract class Optimizer implements AutoCloseable {
    private static final String STATE = "state.";
    private static final String GROUPS = "param_groups.";
    private static final String LR = "lr";

    private final List<ParamGroup> groups;

    /**
     * An optimizer over the given groups.
     *
     * @throws IllegalArgumentException without groups, or when a parameter appears twice (PyTorch refuses that
     *     too: it would be updated twice per step)
     */
    protected Optimizer(List<ParamGroup> groups) {
        if (groups.isEmpty()) {
            throw new IllegalArgumentException("an optimizer needs at least one parameter group");
        }
        this.groups = List.copyOf(groups);
        Set<Tensor> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        for (ParamGroup g : this.groups) {
            for (Tensor p : g.params()) {
                if (!seen.add(p)) {
                    throw new IllegalArgumentException("a parameter appears more than once in the parameter groups");
                }
            }
        }
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
     * Restores state saved by {@link #stateDict()} from an optimizer over parameters of the same shapes. The
     * whole dict is checked first, so a failed load changes nothing; state of parameters that the dict does not
     * mention is dropped, as when PyTorch replaces its state.
     *
     * @throws IllegalArgumentException when the state does not fit these parameters
     */
    public abstract void loadStateDict(Map<String, Tensor> state);

    /** Frees the optimizer's state tensors. */
    @Override
    public abstract void close();

    // ---------------------------------------------------------------- helpers for state dicts

    /** Whether a parameter has a gradient now (without keeping a handle to it). */
    protected static boolean hasGrad(Tensor p) {
        try (Tensor grad = p.grad()) {
            return grad != null;
        }
    }

    /** The key of per-parameter state {@code name} of parameter {@code index}. */
    protected static String stateKey(int index, String name) {
        return STATE + index + "." + name;
    }

    /** An int64 scalar (shape {@code []}), e.g. a step count. */
    protected static Tensor scalar(long value) {
        return Tensor.fromSegment(MemorySegment.ofArray(new long[] {value}), DType.INT64);
    }

    /** A float64 scalar (shape {@code []}), e.g. a learning rate, stored exactly. */
    protected static Tensor scalar(double value) {
        return Tensor.fromSegment(MemorySegment.ofArray(new double[] {value}), DType.FLOAT64);
    }

    /** Adds every group's current learning rate to {@code out}. */
    protected final void putGroupState(Map<String, Tensor> out) {
        for (int g = 0; g < groups.size(); g++) {
            out.put(GROUPS + g + "." + LR, scalar(groups.get(g).lr()));
        }
    }

    /** Sets every group's learning rate found in {@code state}. */
    protected final void loadGroupState(Map<String, Tensor> state) {
        for (int g = 0; g < groups.size(); g++) {
            Tensor lr = state.get(GROUPS + g + "." + LR);
            if (lr != null) {
                groups.get(g).setLr(lr.item());
            }
        }
    }

    /**
     * Checks that every key is {@code state.<i>.<name>} with {@code i} below the parameter count and a name in
     * {@code stateNames}, or {@code param_groups.<g>.lr} with an existing group and a single value.
     *
     * @return the parameter indices that have state, ascending
     * @throws IllegalArgumentException naming the first key that does not fit
     */
    protected final Set<Integer> checkKeys(Map<String, Tensor> state, Set<String> stateNames) {
        int params = allParams().size();
        Set<Integer> indices = new TreeSet<>();
        for (var e : state.entrySet()) {
            String key = e.getKey();
            String[] parts = key.split("\\.", -1);
            if (parts.length == 3 && key.startsWith(STATE) && stateNames.contains(parts[2])) {
                int i = index(parts[1], params, key);
                indices.add(i);
            } else if (parts.length == 3 && key.startsWith(GROUPS) && parts[2].equals(LR)) {
                index(parts[1], groups.size(), key);
                if (e.getValue().numel() != 1) {
                    throw new IllegalArgumentException("optimizer state '" + key + "' must hold one value");
                }
            } else {
                throw new IllegalArgumentException("unexpected key '" + key + "' in the state of "
                        + getClass().getSimpleName());
            }
        }
        return indices;
    }

    private static int index(String text, int limit, String key) {
        int i;
        try {
            i = Integer.parseInt(text);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("unexpected key '" + key + "' in optimizer state", e);
        }
        if (i < 0 || i >= limit) {
            throw new IllegalArgumentException("optimizer state key '" + key + "' refers to index " + i
                    + " but there are " + limit);
        }
        return i;
    }

    /**
     * The tensor under {@code key}, checked to have {@code like}'s shape.
     *
     * @throws IllegalArgumentException when it is missing or has another shape
     */
    protected static Tensor require(Map<String, Tensor> state, String key, Tensor like) {
        Tensor t = state.get(key);
        if (t == null) {
            throw new IllegalArgumentException("optimizer state is missing '" + key + "'");
        }
        if (!Arrays.equals(t.shape(), like.shape())) {
            throw new IllegalArgumentException("optimizer state '" + key + "' has shape "
                    + Arrays.toString(t.shape()) + " but the parameter has "
                    + Arrays.toString(like.shape()));
        }
        return t;
    }

    /**
     * The single value under {@code key} as a long.
     *
     * @throws IllegalArgumentException when it is missing or not a single value
     */
    protected static long requireCount(Map<String, Tensor> state, String key) {
        Tensor t = state.get(key);
        if (t == null) {
            throw new IllegalArgumentException("optimizer state is missing '" + key + "'");
        }
        if (t.numel() != 1) {
            throw new IllegalArgumentException("optimizer state '" + key + "' must hold one value");
        }
        return t.itemLong();
    }
}
