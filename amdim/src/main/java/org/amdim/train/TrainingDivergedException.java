package org.amdim.train;

import java.nio.file.Path;

/**
 * Training stopped because the loss became NaN or infinite (more often in a row than
 * {@link TrainConfig#nonFiniteSkips()} allows). Nothing was checkpointed after the last finite step, so the last
 * checkpoint is still a good one to resume from (with a lower learning rate, say).
 */
public final class TrainingDivergedException extends RuntimeException {
    private final long step;
    private final transient Path lastGoodCheckpoint;

    /**
     * @param step               the 1-based step whose loss was not finite
     * @param loss               that loss
     * @param lastGoodCheckpoint the newest checkpoint of the run's lineage, or null if there is none
     */
    public TrainingDivergedException(long step, double loss, Path lastGoodCheckpoint) {
        super("training diverged: the loss is " + loss + " at step " + step + "; the last good checkpoint is "
                + (lastGoodCheckpoint == null ? "none (nothing was saved before)" : lastGoodCheckpoint)
                + ". Resume from it with a lower --lr, or allow a few such steps to be skipped with"
                + " --nonfinite-skips");
        this.step = step;
        this.lastGoodCheckpoint = lastGoodCheckpoint;
    }

    /** The 1-based step whose loss was not finite. */
    public long step() {
        return step;
    }

    /** The newest checkpoint written before, or null. */
    public Path lastGoodCheckpoint() {
        return lastGoodCheckpoint;
    }
}
