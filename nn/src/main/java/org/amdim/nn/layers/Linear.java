package org.amdim.nn.layers;

import org.amdim.nn.Init;
import org.amdim.nn.Module;
import org.amdim.tensor.Functional;
import org.amdim.tensor.Tensor;

/** {@code y = x Wᵀ + b}, as {@code torch.nn.Linear}, with PyTorch's default initialisation. */
public final class Linear extends Module {
    private final long in;
    private final long out;

    /** A linear layer with bias. */
    public Linear(long in, long out) {
        this(in, out, true);
    }

    /** A linear layer, with or without bias. */
    public Linear(long in, long out, boolean bias) {
        this.in = in;
        this.out = out;
        Tensor w = registerParameter("weight", Tensor.empty(out, in));
        Tensor b = bias ? registerParameter("bias", Tensor.empty(out)) : null;
        Init.pytorchDefault(w, b);
    }

    /** The weight (out, in). */
    public Tensor weight() {
        return parameter("weight");
    }

    /** The bias, or null. */
    public Tensor bias() {
        return parameter("bias");
    }

    @Override
    public Tensor forward(Tensor x) {
        return Functional.linear(x, weight(), bias());
    }

    @Override
    protected String extraRepr() {
        return "in_features=" + in + ", out_features=" + out + ", bias=" + (bias() != null ? "True" : "False");
    }
}
