package org.amdim.model.nce;

import java.util.List;

import org.amdim.tensor.Tensor;
import org.amdim.tensor.TensorScope;

/**
 * The terms of the multi-scale NCE objective for one batch, as the original code reports them. All tensors are
 * scalars attached to the autograd graph of the features; this record owns them.
 *
 * @param loss1t5    {@code ½[dir(r1_x1 → r5_x2) + dir(r1_x2 → r5_x1)]}
 * @param loss1t7    {@code ½[dir(r1_x1 → r7_x2) + dir(r1_x2 → r7_x1)]}
 * @param loss5t5    {@code ½[dir(src5_x1 → r5_x2) + dir(src5_x2 → r5_x1)]}
 * @param lgtReg     {@code ½·}(sum of the six directions' score regularisers)
 * @param directions the six single directions, in the order 1t5, 1t7, 5t5, each view 1 then view 2
 * @param src5Index1 the 5×5 source location used per image of view 1 ({@code row·w + col})
 * @param src5Index2 the same for view 2
 */
public record NceLosses(Tensor loss1t5, Tensor loss1t7, Tensor loss5t5, Tensor lgtReg,
        List<NceDirection> directions, long[] src5Index1, long[] src5Index2) implements AutoCloseable {
    /** Copies the direction list (the arrays are kept as given). */
    public NceLosses {
        directions = List.copyOf(directions);
    }

    /** The direction of {@code term} whose sources come from {@code sourceView} (1 or 2). */
    public NceDirection direction(NceTerm term, int sourceView) {
        for (NceDirection d : directions) {
            if (d.term() == term && d.sourceView() == sourceView) {
                return d;
            }
        }
        throw new IllegalArgumentException("no direction " + term + " from view " + sourceView);
    }

    /** The averaged loss of one term. */
    public Tensor term(NceTerm term) {
        return switch (term) {
            case T1T5 -> loss1t5;
            case T1T7 -> loss1t7;
            case T5T5 -> loss5t5;
        };
    }

    /** {@code loss_g2l = loss1t5 + loss1t7 + loss5t5} (a new tensor the caller owns). */
    public Tensor g2l() {
        try (var scope = TensorScope.open()) {
            return scope.keep(loss1t5.add(loss1t7).add(loss5t5));
        }
    }

    /** {@code loss_g2l + lgtReg}, the self-supervised objective (a new tensor the caller owns). */
    public Tensor total() {
        try (var scope = TensorScope.open()) {
            return scope.keep(loss1t5.add(loss1t7).add(loss5t5).add(lgtReg));
        }
    }

    /**
     * {@code ½·}(sum of the regularisers of every direction but {@code term}'s): the regulariser when another
     * objective takes that term's place (a new tensor the caller owns).
     */
    public Tensor lgtRegWithout(NceTerm term) {
        try (var scope = TensorScope.open()) {
            Tensor sum = null;
            for (NceDirection d : directions) {
                if (d.term() != term) {
                    sum = sum == null ? d.lgtReg() : sum.add(d.lgtReg());
                }
            }
            return scope.keep(sum.mul(0.5));
        }
    }

    /** Closes every tensor. */
    @Override
    public void close() {
        loss1t5.close();
        loss1t7.close();
        loss5t5.close();
        lgtReg.close();
        directions.forEach(NceDirection::close);
    }
}
