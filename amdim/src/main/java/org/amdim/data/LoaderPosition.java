package org.amdim.data;

/**
 * Where a {@link DataLoader} stands: the epoch and the index, within that epoch, of the next batch
 * it will deliver. Saving it with a checkpoint and passing it back through
 * {@link LoaderConfig#withStart(LoaderPosition)} yields exactly the batches an uninterrupted run
 * would have delivered next.
 *
 * @param epoch the epoch, from 0
 * @param batch the next batch within that epoch, from 0
 */
public record LoaderPosition(int epoch, int batch) {

    /** The start of training. */
    public static final LoaderPosition START = new LoaderPosition(0, 0);

    /** Validates the fields. */
    public LoaderPosition {
        if (epoch < 0 || batch < 0) {
            throw new IllegalArgumentException("negative loader position " + epoch + "/" + batch);
        }
    }

    /** {@return the start of the following epoch} */
    public LoaderPosition nextEpoch() {
        return new LoaderPosition(epoch + 1, 0);
    }
}
