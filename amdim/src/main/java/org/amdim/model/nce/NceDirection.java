package org.amdim.model.nce;

import org.amdim.tensor.Tensor;

/**
 * One direction of one NCE term: sources from view {@code sourceView} against targets of the other view.
 *
 * @param term       which term
 * @param sourceView 1 when the sources come from view 1 (targets from view 2), 2 for the reverse
 * @param loss       scalar {@code −mean(nce)} of the direction
 * @param lgtReg     scalar score regulariser {@code 0.05·mean(raw²)} of the direction
 */
public record NceDirection(NceTerm term, int sourceView, Tensor loss, Tensor lgtReg) implements AutoCloseable {
    /** The reference files' suffix for this direction, e.g. {@code 1t5_1}. */
    public String label() {
        return term.label() + "_" + sourceView;
    }

    /** Closes both tensors. */
    @Override
    public void close() {
        loss.close();
        lgtReg.close();
    }
}
