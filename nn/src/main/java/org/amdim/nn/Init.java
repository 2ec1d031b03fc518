package org.amdim.nn;

import org.amdim.tensor.Autograd;
import org.amdim.tensor.Tensor;
import org.amdim.tensor.TensorScope;

/**
 * Parameter initialisers with {@code torch.nn.init}'s formulas. They draw from libtorch's global generator, so
 * {@link org.amdim.tensor.Torch#manualSeed(long)} makes them reproducible. All work in place, without
 * recording gradients.
 */
public final class Init {
    private Init() {
    }

    /** Non-linearities for the gain of Kaiming initialisation. */
    public enum Nonlinearity {
        /** gain 1 */
        LINEAR,
        /** gain √2 */
        RELU,
        /** gain √(2 / (1 + a²)) */
        LEAKY_RELU,
        /** gain 5/3 */
        TANH
    }

    /** {@code (fan_in, fan_out)} of a weight: dims 1 and 0 times the receptive field size. */
    public static long[] fans(Tensor weight) {
        long[] s = weight.shape();
        if (s.length < 2) {
            throw new IllegalArgumentException("fan in/out needs a tensor with at least 2 dimensions");
        }
        long receptive = 1;
        for (int i = 2; i < s.length; i++) {
            receptive *= s[i];
        }
        return new long[] {s[1] * receptive, s[0] * receptive};
    }

    /** The recommended gain for a non-linearity ({@code a} is the leaky-ReLU slope). */
    public static double gain(Nonlinearity nl, double a) {
        return switch (nl) {
            case LINEAR -> 1.0;
            case RELU -> Math.sqrt(2.0);
            case LEAKY_RELU -> Math.sqrt(2.0 / (1 + a * a));
            case TANH -> 5.0 / 3;
        };
    }

    /** Fills with U(low, high). */
    public static Tensor uniform(Tensor t, double low, double high) {
        try (var scope = TensorScope.open(); var ng = Autograd.noGrad()) {
            t.copy_(Tensor.rand(t.dtype(), t.device(), t.shape()).mul(high - low).add(low));
        }
        return t;
    }

    /** Fills with N(mean, std²). */
    public static Tensor normal(Tensor t, double mean, double std) {
        try (var scope = TensorScope.open(); var ng = Autograd.noGrad()) {
            t.copy_(Tensor.randn(t.dtype(), t.device(), t.shape()).mul(std).add(mean));
        }
        return t;
    }

    /** Fills with a constant. */
    public static Tensor constant(Tensor t, double value) {
        try (var ng = Autograd.noGrad()) {
            t.fill_(value);
        }
        return t;
    }

    /** Fills with zeros. */
    public static Tensor zeros(Tensor t) {
        return constant(t, 0);
    }

    /**
     * Kaiming (He) uniform with fan-in mode: U(±gain·√(3 / fan_in)). A tensor with a zero-sized dimension is left
     * as it is (PyTorch only warns).
     */
    public static Tensor kaimingUniform(Tensor t, double a, Nonlinearity nl) {
        long fanIn = fans(t)[0];
        if (t.numel() == 0) {
            return t;
        }
        double std = gain(nl, a) / Math.sqrt(fanIn);
        double bound = Math.sqrt(3.0) * std;
        return uniform(t, -bound, bound);
    }

    /** Kaiming (He) normal with fan-in mode: N(0, (gain / √fan_in)²). An empty tensor is left as it is. */
    public static Tensor kaimingNormal(Tensor t, double a, Nonlinearity nl) {
        long fanIn = fans(t)[0];
        if (t.numel() == 0) {
            return t;
        }
        return normal(t, 0, gain(nl, a) / Math.sqrt(fanIn));
    }

    /** Xavier (Glorot) uniform: U(±gain·√(6 / (fan_in + fan_out))). */
    public static Tensor xavierUniform(Tensor t, double gain) {
        long[] f = fans(t);
        double bound = gain * Math.sqrt(6.0 / (f[0] + f[1]));
        return uniform(t, -bound, bound);
    }

    /** Xavier (Glorot) normal: N(0, gain²·2 / (fan_in + fan_out)). */
    public static Tensor xavierNormal(Tensor t, double gain) {
        long[] f = fans(t);
        return normal(t, 0, gain * Math.sqrt(2.0 / (f[0] + f[1])));
    }

    /**
     * PyTorch's default for conv and linear layers, drawn in PyTorch's order (weight, then bias): weight
     * kaiming-uniform with a = √5 (that is U(±1/√fan_in)), bias U(±1/√fan_in). With fan_in 0 the bias is
     * zero, as in PyTorch's Linear.
     */
    public static void pytorchDefault(Tensor weight, Tensor bias) {
        kaimingUniform(weight, Math.sqrt(5), Nonlinearity.LEAKY_RELU);
        long fanIn = fans(weight)[0];
        if (bias != null) {
            double bound = fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
            uniform(bias, -bound, bound);
        }
    }
}
