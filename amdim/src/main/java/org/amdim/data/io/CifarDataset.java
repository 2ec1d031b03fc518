package org.amdim.data.io;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.amdim.data.DatasetFormatException;
import org.amdim.data.ImageDataset;

/**
 * CIFAR-10 and CIFAR-100 in their binary distributions, memory-mapped.
 *
 * <p>CIFAR-10 ({@code cifar-10-batches-bin/}): {@code data_batch_1.bin … data_batch_5.bin} for
 * training and {@code test_batch.bin}, each a run of 3073-byte records: one label byte (0..9),
 * then the 32×32 red plane, green plane and blue plane, row-major. CIFAR-100
 * ({@code cifar-100-binary/}): {@code train.bin} and {@code test.bin} with 3074-byte records: a
 * coarse label (0..19), a fine label (0..99), then the three planes.
 *
 * <p>Opening checks that each file is a whole number of records and that every label is in range;
 * the labels are kept in memory (one byte per image), the pixels stay in the mapped files.
 */
public final class CifarDataset implements ImageDataset {

    /** Image side. */
    public static final int SIZE = 32;
    private static final int PLANE = SIZE * SIZE;
    private static final int PIXELS = 3 * PLANE;
    private static final ThreadLocal<byte[]> SCRATCH = new ThreadLocal<>();

    /** Which part of the dataset. */
    public enum Split {
        /** The 50 000 training images. */
        TRAIN,
        /** The 10 000 test images. */
        TEST
    }

    /** Which CIFAR-100 label to report. */
    public enum Labels {
        /** The 100 fine classes (what AMDIM evaluates on). */
        FINE,
        /** The 20 superclasses. */
        COARSE
    }

    private final String name;
    private final int numClasses;
    private final int recordSize;
    private final int labelBytes;
    private final MemorySegment[] files;
    private final int[] firstIndex;
    private final byte[] labels;

    private CifarDataset(String name, int numClasses, int recordSize, int labelBytes,
            MemorySegment[] files, int[] firstIndex, byte[] labels) {
        this.name = name;
        this.numClasses = numClasses;
        this.recordSize = recordSize;
        this.labelBytes = labelBytes;
        this.files = files;
        this.firstIndex = firstIndex;
        this.labels = labels;
    }

    /**
     * Opens CIFAR-10.
     *
     * @param dir the {@code cifar-10-batches-bin} folder, or its parent
     * @param split train or test
     * @return the dataset
     * @throws java.nio.file.NoSuchFileException for a missing folder or file
     * @throws DatasetFormatException for a file that is not whole records or has a label ≥ 10
     */
    public static CifarDataset cifar10(Path dir, Split split) throws IOException {
        Path root = BinaryFiles.requireDirectory(BinaryFiles.descend(dir, "cifar-10-batches-bin", "test_batch.bin"), "CIFAR-10");
        List<String> names = split == Split.TRAIN
                ? List.of("data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin", "data_batch_5.bin")
                : List.of("test_batch.bin");
        return open("CIFAR-10 " + split.name().toLowerCase() + " (" + root + ")", root, names, 10, 1, 0);
    }

    /**
     * Opens CIFAR-100.
     *
     * @param dir the {@code cifar-100-binary} folder, or its parent
     * @param split train or test
     * @param labels fine (100 classes) or coarse (20)
     * @return the dataset
     * @throws java.nio.file.NoSuchFileException for a missing folder or file
     * @throws DatasetFormatException for a file that is not whole records or a label out of range
     */
    public static CifarDataset cifar100(Path dir, Split split, Labels labels) throws IOException {
        Path root = BinaryFiles.requireDirectory(BinaryFiles.descend(dir, "cifar-100-binary", "test.bin"), "CIFAR-100");
        String file = split == Split.TRAIN ? "train.bin" : "test.bin";
        boolean fine = labels == Labels.FINE;
        return open("CIFAR-100 " + split.name().toLowerCase() + " " + labels.name().toLowerCase() + " (" + root + ")",
                root, List.of(file), fine ? 100 : 20, 2, fine ? 1 : 0);
    }

    private static CifarDataset open(String name, Path root, List<String> names, int numClasses,
            int labelBytes, int labelOffset) throws IOException {
        int recordSize = labelBytes + PIXELS;
        MemorySegment[] segments = new MemorySegment[names.size()];
        int[] first = new int[names.size() + 1];
        List<byte[]> labelChunks = new ArrayList<>();
        long total = 0;
        for (int f = 0; f < names.size(); f++) {
            Path file = BinaryFiles.requireFile(root, names.get(f), name);
            MemorySegment seg = BinaryFiles.map(file);
            long size = seg.byteSize();
            if (size == 0 || size % recordSize != 0) {
                long whole = size / recordSize;
                throw new DatasetFormatException(file, whole * recordSize, "size " + size + " bytes is not a whole number of "
                        + recordSize + "-byte records (" + whole + " whole records, then " + (size - whole * recordSize)
                        + " bytes); truncated or not a CIFAR binary file");
            }
            long count = size / recordSize;
            total += count;
            if (total > Integer.MAX_VALUE) {
                throw new DatasetFormatException(file, DatasetFormatException.NO_OFFSET, "too many records");
            }
            byte[] chunk = new byte[(int) count];
            for (int r = 0; r < count; r++) {
                long offset = (long) r * recordSize + labelOffset;
                int label = seg.get(ValueLayout.JAVA_BYTE, offset) & 0xFF;
                if (label >= numClasses) {
                    throw new DatasetFormatException(file, offset, "record " + r + " has label " + label
                            + ", outside 0.." + (numClasses - 1));
                }
                chunk[r] = (byte) label;
            }
            segments[f] = seg;
            first[f + 1] = (int) total;
            labelChunks.add(chunk);
        }
        byte[] labels = new byte[(int) total];
        for (int f = 0; f < labelChunks.size(); f++) {
            System.arraycopy(labelChunks.get(f), 0, labels, first[f], labelChunks.get(f).length);
        }
        return new CifarDataset(name, numClasses, recordSize, labelBytes, segments, first, labels);
    }

    @Override
    public int size() {
        return labels.length;
    }

    @Override
    public int height() {
        return SIZE;
    }

    @Override
    public int width() {
        return SIZE;
    }

    @Override
    public int channels() {
        return 3;
    }

    @Override
    public int numClasses() {
        return numClasses;
    }

    @Override
    public int label(int index) {
        return labels[ImageDataset.checkIndex(index, labels.length, name)];
    }

    @Override
    public void readImage(int index, byte[] dst) {
        ImageDataset.checkIndex(index, labels.length, name);
        ImageDataset.checkDestination(dst, PIXELS, name);
        int f = 0;
        while (index >= firstIndex[f + 1]) {
            f++;
        }
        long offset = (long) (index - firstIndex[f]) * recordSize + labelBytes;
        byte[] planes = BinaryFiles.scratch(SCRATCH, PIXELS);
        MemorySegment.copy(files[f], ValueLayout.JAVA_BYTE, offset, planes, 0, PIXELS);
        // Planar (R plane, G plane, B plane) to interleaved HWC.
        for (int p = 0, o = 0; p < PLANE; p++, o += 3) {
            dst[o] = planes[p];
            dst[o + 1] = planes[PLANE + p];
            dst[o + 2] = planes[2 * PLANE + p];
        }
    }

    @Override
    public String name() {
        return name;
    }
}
