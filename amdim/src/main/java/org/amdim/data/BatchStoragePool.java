package org.amdim.data;

import java.util.ArrayDeque;

/**
 * Recycles {@link BatchStorage} between batches so that, once the pipeline is full, producing a
 * batch allocates no off-heap memory. When the pool is empty a new buffer is made rather than
 * blocking, because a consumer that holds batches longer than the prefetch depth must not
 * deadlock the workers; at most {@code maxRetained} buffers are kept for reuse, the rest are freed
 * on return.
 */
final class BatchStoragePool {

    private final int capacity;
    private final int viewCount;
    private final int viewLength;
    private final int maxRetained;
    private final ArrayDeque<BatchStorage> free = new ArrayDeque<>();
    private boolean closed;
    private int allocations;

    BatchStoragePool(int capacity, int viewCount, int viewLength, int maxRetained) {
        this.capacity = capacity;
        this.viewCount = viewCount;
        this.viewLength = viewLength;
        this.maxRetained = maxRetained;
    }

    /** Takes a free buffer or makes one. */
    BatchStorage acquire() {
        synchronized (this) {
            if (closed) {
                throw new IllegalStateException("buffer pool closed");
            }
            BatchStorage reused = free.pollFirst();
            if (reused != null) {
                return reused;
            }
            allocations++;
        }
        // Allocate outside the lock: zeroing a large segment takes a while.
        return new BatchStorage(capacity, viewCount, viewLength);
    }

    /** Gives a buffer back; frees it when the pool is closed or full. */
    void release(BatchStorage buffers) {
        synchronized (this) {
            if (!closed && free.size() < maxRetained) {
                free.addFirst(buffers);
                return;
            }
        }
        buffers.free();
    }

    /** {@return how many buffers were ever allocated (for tests of steady-state reuse)} */
    synchronized int allocations() {
        return allocations;
    }

    /** Frees every pooled buffer; buffers returned later are freed on return. */
    void close() {
        synchronized (this) {
            closed = true;
        }
        BatchStorage b;
        while (true) {
            synchronized (this) {
                b = free.pollFirst();
            }
            if (b == null) {
                return;
            }
            b.free();
        }
    }
}
