package org.amdim.nn.optim;

import java.util.List;

import org.amdim.tensor.Tensor;

/**
 * Parameters that share a learning rate and weight decay. Schedules change {@link #lr}; {@link #initialLr()}
 * keeps the value the group started with.
 */
public final class ParamGroup {
    private final List<Tensor> params;
    private final double initialLr;
    private double lr;
    private final double weightDecay;

    /** A group with its own learning rate and weight decay. */
    public ParamGroup(List<Tensor> params, double lr, double weightDecay) {
        if (lr < 0 || weightDecay < 0) {
            throw new IllegalArgumentException("lr and weight decay must be >= 0, got " + lr + ", " + weightDecay);
        }
        this.params = List.copyOf(params);
        this.initialLr = lr;
        this.lr = lr;
        this.weightDecay = weightDecay;
    }

    /** The parameters. */
    public List<Tensor> params() {
        return params;
    }

    /** The current learning rate. */
    public double lr() {
        return lr;
    }

    /** Sets the learning rate (schedules call this). */
    public void setLr(double lr) {
        this.lr = lr;
    }

    /** The learning rate the group was created with. */
    public double initialLr() {
        return initialLr;
    }

    /** The weight decay. */
    public double weightDecay() {
        return weightDecay;
    }
}
