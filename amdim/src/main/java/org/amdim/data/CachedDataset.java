package org.amdim.data;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.stream.IntStream;

/**
 * A fixed-size dataset copied into memory once (off-heap, so it may exceed 2 GB), for datasets
 * that are expensive to produce per access, such as the synthetic one at large sizes, or to take
 * decoding out of a throughput measurement.
 */
public final class CachedDataset implements ImageDataset {

    private final String name;
    private final int size;
    private final int height;
    private final int width;
    private final int channels;
    private final int numClasses;
    private final int[] labels;
    private final MemorySegment pixels;
    private final int imageBytes;

    private CachedDataset(ImageDataset source) {
        if (!source.fixedSize()) {
            throw new IllegalArgumentException("only fixed-size datasets can be cached, not " + source.name());
        }
        this.name = "cached " + source.name();
        this.size = source.size();
        this.height = source.height();
        this.width = source.width();
        this.channels = source.channels();
        this.numClasses = source.numClasses();
        this.imageBytes = height * width * channels;
        this.labels = new int[size];
        // Freed when unreachable, so the dataset needs no close method.
        this.pixels = Arena.ofAuto().allocate((long) size * imageBytes, 64);
        IntStream.range(0, size).parallel().forEach(i -> {
            byte[] buf = new byte[imageBytes];
            source.readImage(i, buf);
            MemorySegment.copy(buf, 0, pixels, ValueLayout.JAVA_BYTE, (long) i * imageBytes, imageBytes);
            labels[i] = source.label(i);
        });
    }

    /**
     * Reads every image of a fixed-size dataset into memory, in parallel.
     *
     * @param source the dataset to copy
     * @return the in-memory copy
     * @throws IllegalArgumentException for a variable-size dataset
     */
    public static CachedDataset of(ImageDataset source) {
        return new CachedDataset(source);
    }

    @Override
    public int size() {
        return size;
    }

    @Override
    public int height() {
        return height;
    }

    @Override
    public int width() {
        return width;
    }

    @Override
    public int channels() {
        return channels;
    }

    @Override
    public int numClasses() {
        return numClasses;
    }

    @Override
    public int label(int index) {
        return labels[ImageDataset.checkIndex(index, size, name)];
    }

    @Override
    public void readImage(int index, byte[] dst) {
        ImageDataset.checkIndex(index, size, name);
        ImageDataset.checkDestination(dst, imageBytes, name);
        MemorySegment.copy(pixels, ValueLayout.JAVA_BYTE, (long) index * imageBytes, dst, 0, imageBytes);
    }

    @Override
    public String name() {
        return name;
    }
}
