package org.amdim.model.encoder;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

import org.amdim.nn.Module;
import org.amdim.nn.layers.Sequential;
import org.amdim.tensor.Tensor;

/**
 * A stack of {@code depth} {@link ResidualUnit}s registered as {@code layer_list.0 … layer_list.(depth−1)}: the
 * first unit maps in→out channels with a k×k stride-s window, the other {@code depth − 1} keep the size with 1×1
 * kernels (and identity shortcuts).
 */
public final class ResidualBlock extends Module {
    private final Sequential layerList;
    private final List<ResidualUnit> units = new ArrayList<>();

    /**
     * A residual block.
     *
     * @param in     input channels
     * @param out    output channels
     * @param kernel kernel of the first unit
     * @param stride stride of the first unit
     * @param depth  number of units, at least 1 (the encoder's n_depth)
     * @param useBn  whether the units' batch norms are applied
     */
    public ResidualBlock(long in, long out, long kernel, long stride, int depth, boolean useBn) {
        if (depth < 1) {
            throw new IllegalArgumentException("a residual block needs at least one unit, got depth " + depth);
        }
        this.layerList = registerModule("layer_list", new Sequential());
        for (int i = 0; i < depth; i++) {
            ResidualUnit unit = i == 0 ? new ResidualUnit(in, out, kernel, stride, useBn)
                    : new ResidualUnit(out, out, 1, 1, useBn);
            units.add(unit);
            layerList.add(unit);
        }
    }

    /** The units in order. */
    public List<ResidualUnit> units() {
        return Collections.unmodifiableList(units);
    }

    /** Applies {@link ResidualUnit#initWeights(double)} to every unit. */
    public void initWeights(double initScale) {
        for (ResidualUnit unit : units) {
            unit.initWeights(initScale);
        }
    }

    /** The units applied in order (each intermediate is freed once the next unit has used it). */
    @Override
    public Tensor forward(Tensor x) {
        return layerList.forward(x);
    }
}
