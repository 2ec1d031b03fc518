package org.amdim.data;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * The off-heap storage of one batch at full capacity: one float32 segment per view, the labels and
 * the dataset indices (int64). Each has its own shared arena so it can be freed on its own: a batch
 * still held by the consumer when the loader closes stays valid until the consumer closes it.
 */
final class BatchStorage {

    /** Alignment of every segment; 64 bytes suits vector loads and cache lines. */
    private static final long ALIGNMENT = 64;

    final Arena arena;
    final MemorySegment[] views;
    final MemorySegment labels;
    final MemorySegment indices;

    BatchStorage(int capacity, int viewCount, int viewLength) {
        this.arena = Arena.ofShared();
        this.views = new MemorySegment[viewCount];
        long viewBytes = (long) capacity * viewLength * Float.BYTES;
        for (int v = 0; v < viewCount; v++) {
            views[v] = arena.allocate(viewBytes, ALIGNMENT);
        }
        this.labels = arena.allocate((long) capacity * Long.BYTES, ALIGNMENT);
        this.indices = arena.allocate((long) capacity * Long.BYTES, ALIGNMENT);
    }

    void free() {
        arena.close();
    }
}
