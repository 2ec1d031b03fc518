package org.amdim.nn.layers;

import org.amdim.nn.Module;
import org.amdim.nn.PythonRepr;
import org.amdim.tensor.Functional;
import org.amdim.tensor.Tensor;

/** Zeroes elements with probability p in training and scales the rest by 1/(1−p); identity in evaluation. */
public final class Dropout extends Module {
    private final double p;

    /** Dropout with probability {@code p} in [0, 1] (1 zeroes everything, as in PyTorch). */
    public Dropout(double p) {
        if (!(p >= 0 && p <= 1)) {
            throw new IllegalArgumentException("dropout probability has to be between 0 and 1, but got " + p);
        }
        this.p = p;
    }

    /** The drop probability. */
    public double p() {
        return p;
    }

    /** In evaluation mode, and for p = 0, returns a new handle to {@code x} (libtorch returns the input too). */
    @Override
    public Tensor forward(Tensor x) {
        return isTraining() && p > 0 ? Functional.dropout(x, p, true) : x.alias();
    }

    @Override
    protected String extraRepr() {
        return "p=" + PythonRepr.of(p) + ", inplace=False";
    }
}
