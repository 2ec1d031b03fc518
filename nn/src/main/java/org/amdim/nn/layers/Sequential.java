package org.amdim.nn.layers;

import java.util.ArrayList;
import java.util.List;

import org.amdim.nn.Module;
import org.amdim.tensor.Tensor;

/**
 * Applies its children in order; they are named {@code 0, 1, 2, ...} as in PyTorch. Intermediate results are
 * closed as soon as the next layer has consumed them.
 */
public final class Sequential extends Module {
    private final List<Module> layers = new ArrayList<>();

    /** A sequence of layers. */
    public Sequential(Module... layers) {
        for (Module m : layers) {
            add(m);
        }
    }

    /** Appends a layer; returns this. */
    public Sequential add(Module layer) {
        registerModule(Integer.toString(layers.size()), layer);
        layers.add(layer);
        return this;
    }

    /** The layer at {@code index}. */
    public Module get(int index) {
        return layers.get(index);
    }

    /** Number of layers. */
    public int size() {
        return layers.size();
    }

    /**
     * Runs the layers in order. Each intermediate is closed once the next layer has consumed it (autograd keeps
     * what backward needs); the input stays the caller's, and the result is always a handle the caller owns.
     */
    @Override
    public Tensor forward(Tensor x) {
        Tensor current = x;
        try {
            for (Module m : layers) {
                Tensor next = m.forward(current);
                // a layer may hand back its own input: never close what is passed on
                if (current != x && next != current) {
                    current.close();
                }
                current = next;
            }
        } catch (RuntimeException e) {
            if (current != x) {
                current.close();
            }
            throw e;
        }
        return current == x ? x.alias() : current;
    }
}
