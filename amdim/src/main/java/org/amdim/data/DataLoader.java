package org.amdim.data;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Produces batches of transformed samples on background threads.
 *
 * <p>Each epoch has its own seeded permutation of the dataset (or dataset order without shuffling);
 * with several ranks, each takes a disjoint equal slice of it. Batch {@code b} of an epoch holds
 * the slice's samples {@code b·batchSize …}; each worker claims whole batches in order and writes
 * them straight into pooled off-heap buffers, and the consumer receives them in order whatever
 * thread finished first. At most {@link LoaderConfig#prefetch()} batches are prepared ahead.
 *
 * <p>Every sample's augmentation draws from {@link Seeds#sample(long, int, int)}, so the batches
 * depend only on the configuration, never on the number of workers or their timing.
 *
 * <p>{@link #iterator()} yields the rest of the current epoch, starting at {@link #position()};
 * once the last batch has been taken the position moves to the next epoch. Typical use:
 *
 * <pre>{@code
 * try (var loader = new DataLoader(dataset, transform, LoaderConfig.of(256))) {
 *     for (int epoch = 0; epoch < epochs; epoch++) {
 *         for (HostBatch batch : loader) {
 *             try (batch) { train(batch); }
 *         }
 *     }
 * }
 * }</pre>
 *
 * <p>A failure in a worker (a corrupt file, a transform error) is re-thrown by the iterator's
 * {@code next()} when the consumer reaches the failed batch, as a {@link DataLoaderException}
 * naming the dataset index, with the worker's exception as the cause. {@link #close()} stops and
 * joins every worker thread.
 */
public final class DataLoader implements Iterable<HostBatch>, AutoCloseable {

    private static final AtomicInteger LOADER_IDS = new AtomicInteger();

    private final ImageDataset dataset;
    private final SampleTransform transform;
    private final LoaderConfig config;
    private final int samplesPerEpoch;
    private final int batchesPerEpoch;
    private final String threadPrefix;
    private final BatchStoragePool pool;
    private final List<Thread> threads = new ArrayList<>();

    private final ReentrantLock lock = new ReentrantLock();
    /** Signalled when workers may claim work (new run, batch consumed, shutdown). */
    private final Condition workAvailable = lock.newCondition();
    /** Signalled when a batch is ready or has failed, and on shutdown. */
    private final Condition batchReady = lock.newCondition();

    // Guarded by lock.
    private LoaderPosition position;
    private Run run;
    private boolean closed;

    /**
     * Creates a loader; worker threads start with the first {@link #iterator()}.
     *
     * @param dataset the images
     * @param transform what turns an image into views
     * @param config batch size, workers, seed, shard and start position
     * @throws IllegalArgumentException when the transform cannot handle the dataset, or the start
     *     position lies beyond the epoch
     */
    public DataLoader(ImageDataset dataset, SampleTransform transform, LoaderConfig config) {
        this.dataset = dataset;
        this.transform = transform;
        this.config = config;
        transform.checkCompatible(dataset);
        int n = dataset.size();
        this.samplesPerEpoch = config.worldSize() == 1 ? n : n / config.worldSize();
        int b = config.batchSize();
        this.batchesPerEpoch = config.dropLast() ? samplesPerEpoch / b : (samplesPerEpoch + b - 1) / b;
        LoaderPosition start = config.start();
        if (start.batch() > batchesPerEpoch) {
            throw new IllegalArgumentException("start position " + start + " lies beyond the "
                    + batchesPerEpoch + " batches of an epoch of " + dataset.name());
        }
        this.position = start.batch() == batchesPerEpoch && batchesPerEpoch > 0 ? start.nextEpoch() : start;
        this.threadPrefix = "amdim-data-" + LOADER_IDS.incrementAndGet() + "-worker-";
        // Keep enough buffers for the prefetch window, one per worker in progress and a few that
        // the consumer may hold, so steady state never allocates.
        this.pool = new BatchStoragePool(b, transform.views(), transform.viewLength(), config.prefetch() + config.workers() + 2);
    }

    /** {@return the dataset} */
    public ImageDataset dataset() {
        return dataset;
    }

    /** {@return the configuration} */
    public LoaderConfig config() {
        return config;
    }

    /** {@return the samples this rank visits per epoch (before batching)} */
    public int samplesPerEpoch() {
        return samplesPerEpoch;
    }

    /** {@return the number of batches per epoch} */
    public int batchesPerEpoch() {
        return batchesPerEpoch;
    }

    /** {@return the name prefix of this loader's worker threads (for monitoring and tests)} */
    public String threadNamePrefix() {
        return threadPrefix;
    }

    /**
     * Returns the position of the next batch to be delivered; after the last batch of an epoch
     * was taken it is the start of the next epoch.
     *
     * @return the position to save for an exact resume
     */
    public LoaderPosition position() {
        lock.lock();
        try {
            return position;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Returns this rank's dataset indices for one epoch, in visiting order.
     *
     * @param epoch the epoch
     * @return a fresh array of {@link #samplesPerEpoch()} indices
     */
    public int[] epochOrder(int epoch) {
        int n = dataset.size();
        int[] all = new int[n];
        for (int i = 0; i < n; i++) {
            all[i] = i;
        }
        if (config.shuffle()) {
            // Fisher–Yates; every rank computes the same permutation from (seed, epoch).
            SplittableRandom rng = Seeds.permutation(config.seed(), epoch);
            for (int i = n - 1; i > 0; i--) {
                int j = rng.nextInt(i + 1);
                int t = all[i];
                all[i] = all[j];
                all[j] = t;
            }
        }
        if (config.worldSize() == 1) {
            return all;
        }
        int[] slice = new int[samplesPerEpoch];
        System.arraycopy(all, config.rank() * samplesPerEpoch, slice, 0, samplesPerEpoch);
        return slice;
    }

    /**
     * Starts (or restarts) the current epoch at {@link #position()} and returns an iterator over
     * its remaining batches. A previous iterator that was not exhausted is abandoned: its prepared
     * batches are recycled and it reports no further elements.
     *
     * @return the batches of the rest of the current epoch, in order
     * @throws IllegalStateException when the loader is closed
     */
    @Override
    public Iterator<HostBatch> iterator() {
        lock.lock();
        try {
            if (closed) {
                throw new IllegalStateException("data loader closed");
            }
            startThreads();
            if (run != null) {
                cancel(run);
                run = null;
            }
            int epoch = position.epoch();
            Run r = new Run(epoch, epochOrder(epoch), position.batch(), batchesPerEpoch);
            if (r.next == r.end) {
                // An empty epoch (dataset smaller than a batch with dropLast) still counts as run.
                position = position.nextEpoch();
            } else {
                run = r;
                workAvailable.signalAll();
            }
            return new BatchIterator(r);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Stops the workers, waits for them to exit and frees the pooled buffers. Batches the consumer
     * still holds stay valid until closed. Idempotent.
     */
    @Override
    public void close() {
        lock.lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            if (run != null) {
                cancel(run);
                run = null;
            }
            workAvailable.signalAll();
            batchReady.signalAll();
        } finally {
            lock.unlock();
        }
        boolean interrupted = false;
        for (Thread t : threads) {
            while (t.isAlive()) {
                try {
                    t.join();
                } catch (InterruptedException e) {
                    // Finish the shutdown first so no thread outlives close(); re-assert below.
                    interrupted = true;
                }
            }
        }
        pool.close();
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /** {@return how many batch buffers were ever allocated (steady state reuses them)} */
    int bufferAllocations() {
        return pool.allocations();
    }

    // ---------------------------------------------------------------- internals

    private void startThreads() {
        if (!threads.isEmpty()) {
            return;
        }
        for (int i = 0; i < config.workers(); i++) {
            Thread t = Thread.ofPlatform().name(threadPrefix + i).daemon(true).unstarted(this::workerLoop);
            threads.add(t);
            t.start();
        }
    }

    /** Drops a run: recycles its finished batches; workers recycle the ones still in progress. */
    private void cancel(Run r) {
        r.cancelled = true;
        for (int i = 0; i < r.ready.length; i++) {
            if (r.ready[i] != null) {
                r.ready[i].close();
                r.ready[i] = null;
            }
        }
        batchReady.signalAll();
    }

    private void workerLoop() {
        SampleTransform.Worker worker = transform.newWorker();
        ImageBuffer image = new ImageBuffer();
        float[][] out = new float[transform.views()][transform.viewLength()];
        while (true) {
            Run r;
            int batch;
            lock.lock();
            try {
                while (true) {
                    if (closed) {
                        return;
                    }
                    r = run;
                    if (r != null && r.canClaim(config.prefetch())) {
                        break;
                    }
                    workAvailable.awaitUninterruptibly();
                }
                batch = r.nextClaim++;
                r.inFlight++;
            } finally {
                lock.unlock();
            }
            HostBatch result = null;
            SampleFailure failure = null;
            try {
                result = fill(r, batch, worker, image, out);
            } catch (SampleFailure f) {
                failure = f;
            }
            lock.lock();
            try {
                if (failure != null) {
                    r.fail(batch, failure);
                } else if (r.cancelled || closed) {
                    result.close();
                } else {
                    r.ready[batch - r.first] = result;
                }
                batchReady.signalAll();
            } finally {
                lock.unlock();
            }
        }
    }

    private HostBatch fill(Run r, int batch, SampleTransform.Worker worker, ImageBuffer image, float[][] out)
            throws SampleFailure {
        int from = batch * config.batchSize();
        int count = Math.min(config.batchSize(), r.order.length - from);
        BatchStorage buffers;
        try {
            buffers = pool.acquire();
        } catch (RuntimeException | Error e) {
            throw new SampleFailure(-1, e);
        }
        int viewLength = transform.viewLength();
        int index = -1;
        try {
            for (int i = 0; i < count; i++) {
                index = r.order[from + i];
                dataset.readImage(index, image);
                worker.apply(image, Seeds.sample(config.seed(), r.epoch, index), out);
                long offset = (long) i * viewLength * Float.BYTES;
                for (int v = 0; v < out.length; v++) {
                    MemorySegment.copy(out[v], 0, buffers.views[v], HostBatch.FLOAT_LE, offset, viewLength);
                }
                buffers.labels.setAtIndex(HostBatch.LONG_LE, i, dataset.label(index));
                buffers.indices.setAtIndex(HostBatch.LONG_LE, i, index);
            }
        } catch (RuntimeException | Error e) {
            pool.release(buffers);
            throw new SampleFailure(index, e);
        }
        return new HostBatch(buffers, pool, count, r.epoch, batch,
                transform.outputChannels(), transform.outputHeight(), transform.outputWidth());
    }

    private DataLoaderException failureFor(Run r) {
        SampleFailure f = r.failure;
        String where = f.index >= 0 ? "dataset index " + f.index : "a batch buffer";
        return new DataLoaderException("failed to load " + where + " (epoch " + r.epoch + ", batch "
                + r.failedBatch + ") of " + dataset.name() + ": " + f.getCause(), f.index, f.getCause());
    }

    /** A worker's failure, carrying the dataset index it was loading. */
    private static final class SampleFailure extends Exception {
        private static final long serialVersionUID = 1L;
        final int index;

        SampleFailure(int index, Throwable cause) {
            super(cause);
            this.index = index;
        }
    }

    /** The state of one pass over (the rest of) an epoch. Guarded by the loader's lock. */
    private static final class Run {
        final int epoch;
        final int[] order;
        final int first;
        final int end;
        final HostBatch[] ready;
        int next;
        int nextClaim;
        int inFlight;
        boolean cancelled;
        boolean finished;
        SampleFailure failure;
        int failedBatch = Integer.MAX_VALUE;

        Run(int epoch, int[] order, int first, int end) {
            this.epoch = epoch;
            this.order = order;
            this.first = first;
            this.end = end;
            this.next = first;
            this.nextClaim = first;
            this.ready = new HostBatch[Math.max(0, end - first)];
        }

        boolean canClaim(int prefetch) {
            return !cancelled && failure == null && nextClaim < end && inFlight < prefetch;
        }

        /** Keeps the earliest failure: batches before it were claimed already and still come. */
        void fail(int batch, SampleFailure f) {
            if (batch < failedBatch) {
                failure = f;
                failedBatch = batch;
            }
        }
    }

    private final class BatchIterator implements Iterator<HostBatch> {
        private final Run r;

        BatchIterator(Run r) {
            this.r = r;
        }

        @Override
        public boolean hasNext() {
            lock.lock();
            try {
                return !closed && !r.cancelled && !r.finished && r.next < r.end;
            } finally {
                lock.unlock();
            }
        }

        @Override
        public HostBatch next() {
            lock.lock();
            try {
                if (closed) {
                    throw new IllegalStateException("data loader closed");
                }
                if (r.cancelled || r.finished || r.next >= r.end) {
                    throw new NoSuchElementException("no more batches in this pass over epoch " + r.epoch);
                }
                int slot = r.next - r.first;
                while (r.ready[slot] == null) {
                    if (r.failure != null && r.failedBatch == r.next) {
                        r.finished = true;
                        cancel(r);
                        if (run == r) {
                            run = null;
                        }
                        throw failureFor(r);
                    }
                    if (closed) {
                        throw new IllegalStateException("data loader closed while waiting for a batch");
                    }
                    if (r.cancelled) {
                        throw new IllegalStateException("this pass over epoch " + r.epoch
                                + " was abandoned by a newer iterator() while waiting for a batch");
                    }
                    try {
                        batchReady.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new DataLoaderException("interrupted while waiting for batch " + r.next
                                + " of epoch " + r.epoch, -1, e);
                    }
                }
                HostBatch batch = r.ready[slot];
                r.ready[slot] = null;
                r.next++;
                r.inFlight--;
                if (r.next == r.end) {
                    r.finished = true;
                    run = null;
                    position = new LoaderPosition(r.epoch + 1, 0);
                } else {
                    position = new LoaderPosition(r.epoch, r.next);
                }
                workAvailable.signalAll();
                return batch;
            } finally {
                lock.unlock();
            }
        }
    }
}
