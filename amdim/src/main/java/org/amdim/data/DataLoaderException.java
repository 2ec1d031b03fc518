package org.amdim.data;

/**
 * A failure while producing a batch, thrown to the consumer by {@link DataLoader}'s iterator. The
 * message names the dataset, the dataset index being loaded, the epoch and the batch; the cause is
 * the exception the worker thread caught.
 */
public final class DataLoaderException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /** The dataset index whose loading failed, or −1. */
    private final int datasetIndex;

    /**
     * Creates the exception.
     *
     * @param message what failed, naming the dataset index
     * @param datasetIndex the index being loaded, or −1 when none applies
     * @param cause the worker's exception, or null
     */
    public DataLoaderException(String message, int datasetIndex, Throwable cause) {
        super(message, cause);
        this.datasetIndex = datasetIndex;
    }

    /** {@return the dataset index whose loading failed, or −1} */
    public int datasetIndex() {
        return datasetIndex;
    }
}
