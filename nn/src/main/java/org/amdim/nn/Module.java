package org.amdim.nn;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;
import java.util.function.UnaryOperator;

import org.amdim.tensor.Autograd;
import org.amdim.tensor.DType;
import org.amdim.tensor.Device;
import org.amdim.tensor.MemoryFormat;
import org.amdim.tensor.Tensor;
import org.amdim.tensor.TensorScope;

/**
 * Base of every layer and model: a tree of named parameters, buffers and child modules, as in PyTorch.
 *
 * <p>Names join with {@code .} exactly like PyTorch state-dict keys ({@code layer_list.0.conv.weight}), so
 * weights move between the two by name. A module owns its tensors: {@link #close()} frees them (and the
 * children's). Registered tensors are taken out of any {@link TensorScope}, so a model built inside a scope
 * survives it.
 *
 * <p>Single-input layers override {@link #forward(Tensor)}; modules with other signatures add their own methods.
 */
public abstract class Module implements AutoCloseable {
    private final Map<String, Tensor> parameters = new LinkedHashMap<>();
    private final Map<String, Tensor> buffers = new LinkedHashMap<>();
    private final Map<String, Module> children = new LinkedHashMap<>();
    private boolean training = true;
    private boolean closed;

    /** An empty module in training mode; subclasses register their tensors and children in their constructor. */
    protected Module() {
    }

    /** Applies the module to one input. Layers with one input override this. */
    public Tensor forward(Tensor input) {
        throw new UnsupportedOperationException(getClass().getSimpleName() + " does not take a single tensor");
    }

    // ---------------------------------------------------------------- registration

    /** Registers a trainable parameter (gradient tracking on) under {@code name}; returns it. */
    protected Tensor registerParameter(String name, Tensor value) {
        checkName(name);
        Tensor p = TensorScope.escape(value);
        if (!p.requiresGrad()) {
            p.requiresGrad(true);
        }
        parameters.put(name, p);
        return p;
    }

    /** Registers a non-trainable tensor (e.g. running statistics) saved in the state dict; returns it. */
    protected Tensor registerBuffer(String name, Tensor value) {
        checkName(name);
        Tensor b = TensorScope.escape(value);
        buffers.put(name, b);
        return b;
    }

    /** Registers a child module under {@code name}; returns it. */
    protected <M extends Module> M registerModule(String name, M module) {
        checkName(name);
        children.put(name, module);
        return module;
    }

    private void checkName(String name) {
        if (name == null || name.isEmpty() || name.contains(".")) {
            throw new IllegalArgumentException("invalid name '" + name + "': must be non-empty without '.'");
        }
        if (parameters.containsKey(name) || buffers.containsKey(name) || children.containsKey(name)) {
            throw new IllegalArgumentException("'" + name + "' is already registered in " + getClass().getSimpleName());
        }
    }

    /** The parameter registered directly on this module under {@code name} (may be null if registered so). */
    protected Tensor parameter(String name) {
        return parameters.get(name);
    }

    /** The buffer registered directly on this module under {@code name}. */
    protected Tensor buffer(String name) {
        return buffers.get(name);
    }

    /** Replaces the tensor of a parameter or buffer in place of the old one, closing the old one. */
    private void replace(Map<String, Tensor> map, String name, Tensor value) {
        Tensor old = map.put(name, TensorScope.escape(value));
        if (old != null && old != value) {
            old.close();
        }
    }

    // ---------------------------------------------------------------- traversal

    /** Direct children in registration order. */
    public Map<String, Module> namedChildren() {
        return Collections.unmodifiableMap(children);
    }

    /**
     * All parameters of this module and its descendants, by full dotted name, in registration order (each
     * module's own, then its children's). A tensor registered under several names appears once, under the
     * first, as in PyTorch.
     */
    public Map<String, Tensor> namedParameters() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        collect(out, "", true, false);
        return out;
    }

    /** All buffers of this module and its descendants, by full dotted name, without duplicates. */
    public Map<String, Tensor> namedBuffers() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        collect(out, "", false, true);
        return out;
    }

    /** All parameters, in {@link #namedParameters()} order. */
    public List<Tensor> parameters() {
        return new ArrayList<>(namedParameters().values());
    }

    private void collect(Map<String, Tensor> out, String prefix, boolean params, boolean bufs) {
        Set<Tensor> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        collect(out, seen, prefix, params, bufs);
    }

    private void collect(Map<String, Tensor> out, Set<Tensor> seen, String prefix, boolean params, boolean bufs) {
        if (params) {
            parameters.forEach((k, v) -> {
                // shared tensors once only, so that optimizers do not update them twice
                if (v != null && seen.add(v)) {
                    out.put(prefix + k, v);
                }
            });
        }
        if (bufs) {
            buffers.forEach((k, v) -> {
                if (v != null && seen.add(v)) {
                    out.put(prefix + k, v);
                }
            });
        }
        children.forEach((k, m) -> m.collect(out, seen, prefix + k + ".", params, bufs));
    }

    /** Total number of parameter elements (shared parameters counted once). */
    public long parameterCount() {
        long n = 0;
        for (Tensor p : namedParameters().values()) {
            n += p.numel();
        }
        return n;
    }

    // ---------------------------------------------------------------- state dict

    /**
     * Parameters and buffers by full name, in PyTorch's order (per module: parameters, then buffers, then
     * children). The tensors are the module's own: read them, do not close them.
     */
    public Map<String, Tensor> stateDict() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        collectState(out, "");
        return out;
    }

    private void collectState(Map<String, Tensor> out, String prefix) {
        parameters.forEach((k, v) -> {
            if (v != null) {
                out.put(prefix + k, v);
            }
        });
        buffers.forEach((k, v) -> {
            if (v != null) {
                out.put(prefix + k, v);
            }
        });
        children.forEach((k, m) -> m.collectState(out, prefix + k + "."));
    }

    /**
     * Copies values into this module's parameters and buffers by name (converting dtype and device). Everything
     * is checked before anything is copied, so a failed load leaves the module unchanged.
     *
     * @param state  tensors by full name
     * @param strict when true, missing and unexpected keys are errors; when false they are ignored
     * @return the keys of this module that {@code state} did not provide, in state-dict order
     * @throws IllegalArgumentException listing missing and unexpected keys (strict), or naming a key whose
     *     shape differs (always, as PyTorch)
     */
    public List<String> loadStateDict(Map<String, Tensor> state, boolean strict) {
        Map<String, Tensor> own = stateDict();
        Set<String> missing = new LinkedHashSet<>(own.keySet());
        missing.removeAll(state.keySet());
        Set<String> unexpected = new LinkedHashSet<>(state.keySet());
        unexpected.removeAll(own.keySet());
        if (strict && (!missing.isEmpty() || !unexpected.isEmpty())) {
            throw new IllegalArgumentException("state dict does not match " + getClass().getSimpleName()
                    + ": missing keys " + missing + ", unexpected keys " + unexpected);
        }
        for (var e : own.entrySet()) {
            Tensor src = state.get(e.getKey());
            if (src == null) {
                continue;
            }
            long[] want = e.getValue().shape();
            long[] got = src.shape();
            if (!Arrays.equals(want, got)) {
                throw new IllegalArgumentException("shape mismatch for '" + e.getKey() + "': the module has "
                        + Arrays.toString(want) + ", the state dict has " + Arrays.toString(got));
            }
        }
        try (var ng = Autograd.noGrad()) {
            for (var e : own.entrySet()) {
                Tensor src = state.get(e.getKey());
                if (src != null) {
                    e.getValue().copy_(src);
                }
            }
        }
        return new ArrayList<>(missing);
    }

    // ---------------------------------------------------------------- modes and devices

    /** Sets training mode here and in every descendant; returns this. */
    public Module train(boolean on) {
        training = on;
        for (Module m : children.values()) {
            m.train(on);
        }
        return this;
    }

    /** Training mode (dropout active, batch norm uses and updates batch statistics). */
    public Module train() {
        return train(true);
    }

    /** Evaluation mode. */
    public Module eval() {
        return train(false);
    }

    /** Whether the module is in training mode. */
    public boolean isTraining() {
        return training;
    }

    /**
     * Moves every parameter and buffer to {@code device}. Parameters are replaced by new leaf tensors that keep
     * their {@code requiresGrad} flag and gradient (moved too), so build optimizers after moving.
     */
    public Module to(Device device) {
        return convert(t -> !t.device().equals(device), t -> t.to(device));
    }

    /**
     * Converts every floating-point parameter and buffer to {@code dtype}, as PyTorch's
     * {@code module.to(torch.float64)}: integer buffers such as {@code num_batches_tracked} keep their type.
     * Parameters are replaced by new leaf tensors that keep their {@code requiresGrad} flag and gradient
     * (converted too), so build optimizers after converting. Tests use this for float64 gradient checks.
     *
     * @throws IllegalArgumentException if {@code dtype} is not a floating-point type
     */
    public Module to(DType dtype) {
        if (!dtype.isFloatingPoint()) {
            throw new IllegalArgumentException("modules convert to floating-point types only, not " + dtype);
        }
        return convert(t -> t.dtype().isFloatingPoint() && t.dtype() != dtype, t -> t.to(dtype));
    }

    /**
     * Lays out every 4-D floating-point parameter and buffer (convolution weights) densely in {@code format}, as
     * PyTorch's {@code module.to(memory_format=...)}. Values, shapes and state-dict names do not change, and
     * state dicts are saved row-major whatever the layout. Parameters are replaced as by {@link #to(DType)}, so
     * build optimizers after converting.
     */
    public Module to(MemoryFormat format) {
        return convert(t -> t.dim() == 4 && t.dtype().isFloatingPoint() && !t.isContiguous(format),
                t -> t.contiguous(format));
    }

    /**
     * Replaces, in this module and every descendant, each tensor that {@code needs} conversion by
     * {@code convert}'s result. Runs without autograd, so a converted parameter is a fresh leaf.
     */
    private Module convert(Predicate<Tensor> needs, UnaryOperator<Tensor> convert) {
        try (var ng = Autograd.noGrad()) {
            for (var e : parameters.entrySet()) {
                Tensor p = e.getValue();
                if (p == null || !needs.test(p)) {
                    continue;
                }
                Tensor moved = convert.apply(p);
                moved.requiresGrad(p.requiresGrad());
                try (Tensor grad = p.grad()) {
                    if (grad != null) {
                        try (Tensor g = convert.apply(grad)) {
                            moved.setGrad(g);
                        }
                    }
                }
                replace(parameters, e.getKey(), moved);
            }
            for (var e : buffers.entrySet()) {
                Tensor b = e.getValue();
                if (b != null && needs.test(b)) {
                    replace(buffers, e.getKey(), convert.apply(b));
                }
            }
        }
        for (Module m : children.values()) {
            m.convert(needs, convert);
        }
        onTensorsReplaced();
        return this;
    }

    /**
     * Called after {@link #to(Device)}, {@link #to(DType)} or {@link #to(MemoryFormat)}, for subclasses that
     * cache tensors in fields.
     */
    protected void onTensorsReplaced() {
    }

    /** Drops every parameter's gradient. */
    public void zeroGrad() {
        for (Tensor p : namedParameters().values()) {
            p.zeroGrad();
        }
    }

    // ---------------------------------------------------------------- printing and closing

    /** The text inside this module's parentheses in {@link #toString()}, e.g. {@code in_features=3}. */
    protected String extraRepr() {
        return "";
    }

    /** The module tree as PyTorch prints it. */
    @Override
    public String toString() {
        String name = getClass().getSimpleName();
        String extra = extraRepr();
        List<String> lines = new ArrayList<>();
        if (!extra.isEmpty()) {
            lines.addAll(Arrays.asList(extra.split("\n", -1)));
        }
        boolean oneLiner = lines.size() == 1 && children.isEmpty();
        children.forEach((k, m) -> lines.add("(" + k + "): " + m.toString().replace("\n", "\n  ")));
        if (lines.isEmpty()) {
            return name + "()";
        }
        if (oneLiner) {
            return name + "(" + lines.get(0) + ")";
        }
        return name + "(\n  " + String.join("\n  ", lines) + "\n)";
    }

    /** Frees every parameter and buffer of this module and its descendants. Idempotent. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        parameters.values().forEach(t -> {
            if (t != null) {
                t.close();
            }
        });
        buffers.values().forEach(t -> {
            if (t != null) {
                t.close();
            }
        });
        children.values().forEach(Module::close);
    }
}
