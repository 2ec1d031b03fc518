package org.amdim.data;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One batch in host memory, as the {@link DataLoader} delivers it: per view a contiguous
 * little-endian float32 segment of shape [N, C, H, W], plus int64 labels and int64 dataset indices
 * of shape [N]. The memory is off-heap, so a tensor bridge can copy each view in one call.
 *
 * <p>Close the batch once its data has been copied: the buffers go back to the loader's pool and
 * will be overwritten by a later batch, so the segments must not be used after {@link #close()}.
 * A batch still open when its loader closes stays valid until it is closed itself.
 */
public final class HostBatch implements AutoCloseable {

    /** Little-endian float32, the layout of the view segments. */
    public static final ValueLayout.OfFloat FLOAT_LE = ValueLayout.JAVA_FLOAT.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** Little-endian int64, the layout of the label and index segments. */
    public static final ValueLayout.OfLong LONG_LE = ValueLayout.JAVA_LONG.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final BatchStorage buffers;
    private final BatchStoragePool pool;
    private final int size;
    private final int epoch;
    private final int batchIndex;
    private final int channels;
    private final int height;
    private final int width;
    private final MemorySegment[] views;
    private final MemorySegment labels;
    private final MemorySegment indices;
    private final AtomicBoolean closed = new AtomicBoolean();

    HostBatch(BatchStorage buffers, BatchStoragePool pool, int size, int epoch, int batchIndex,
            int channels, int height, int width) {
        this.buffers = buffers;
        this.pool = pool;
        this.size = size;
        this.epoch = epoch;
        this.batchIndex = batchIndex;
        this.channels = channels;
        this.height = height;
        this.width = width;
        long viewBytes = (long) size * channels * height * width * Float.BYTES;
        this.views = new MemorySegment[buffers.views.length];
        for (int v = 0; v < views.length; v++) {
            views[v] = buffers.views[v].asSlice(0, viewBytes);
        }
        this.labels = buffers.labels.asSlice(0, (long) size * Long.BYTES);
        this.indices = buffers.indices.asSlice(0, (long) size * Long.BYTES);
    }

    /** {@return the number of samples N (the last batch of an epoch may be smaller)} */
    public int size() {
        return size;
    }

    /** {@return the epoch this batch belongs to} */
    public int epoch() {
        return epoch;
    }

    /** {@return this batch's index within its epoch} */
    public int batchIndex() {
        return batchIndex;
    }

    /** {@return the number of views: 2 for AMDIM training, 1 for evaluation} */
    public int viewCount() {
        return views.length;
    }

    /** {@return the shape of each view: {N, C, H, W}} */
    public long[] viewShape() {
        return new long[] {size, channels, height, width};
    }

    /**
     * Returns one view: N·C·H·W little-endian float32 values, NCHW, contiguous.
     *
     * @param view 0 or 1
     * @return the segment
     */
    public MemorySegment view(int view) {
        checkOpen();
        return views[view];
    }

    /** {@return the first view} */
    public MemorySegment view1() {
        return view(0);
    }

    /**
     * Returns the second view.
     *
     * @return the segment
     * @throws IllegalStateException for a single-view batch
     */
    public MemorySegment view2() {
        if (views.length < 2) {
            throw new IllegalStateException("this batch has a single view");
        }
        return view(1);
    }

    /** {@return the labels: N little-endian int64 values (−1 for unlabelled images)} */
    public MemorySegment labels() {
        checkOpen();
        return labels;
    }

    /** {@return the dataset indices of the samples: N little-endian int64 values} */
    public MemorySegment indices() {
        checkOpen();
        return indices;
    }

    /**
     * Returns one sample's label.
     *
     * @param sample in {@code 0..size()-1}
     * @return the label, −1 when unlabelled
     */
    public int label(int sample) {
        return (int) labels().getAtIndex(LONG_LE, sample);
    }

    /**
     * Returns one sample's dataset index.
     *
     * @param sample in {@code 0..size()-1}
     * @return the index into the dataset
     */
    public int index(int sample) {
        return (int) indices().getAtIndex(LONG_LE, sample);
    }

    /**
     * Returns one value of a view, for tests and inspection (slow: use the segments for bulk work).
     *
     * @param view the view
     * @param n the sample
     * @param c the channel
     * @param y the row
     * @param x the column
     * @return the value
     */
    public float get(int view, int n, int c, int y, int x) {
        long i = (((long) n * channels + c) * height + y) * width + x;
        return view(view).getAtIndex(FLOAT_LE, i);
    }

    /** {@return whether {@link #close()} was called} */
    public boolean isClosed() {
        return closed.get();
    }

    /** Returns the buffers to the loader's pool; idempotent. */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            pool.release(buffers);
        }
    }

    private void checkOpen() {
        if (closed.get()) {
            throw new IllegalStateException("batch " + batchIndex + " of epoch " + epoch + " is closed");
        }
    }
}
