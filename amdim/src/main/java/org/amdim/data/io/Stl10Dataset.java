package org.amdim.data.io;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import org.amdim.data.DatasetFormatException;
import org.amdim.data.ImageDataset;

/**
 * STL-10 in its binary distribution ({@code stl10_binary/}), memory-mapped.
 *
 * <p>{@code *_X.bin} holds 96×96 RGB images of 27 648 bytes each, stored channel by channel and,
 * within a channel, column by column (the sample at row y, column x of channel c is at
 * {@code c·9216 + x·96 + y}). {@code *_y.bin} holds one label byte per image, 1..10, reported here
 * as 0..9. The splits are train (5 000), test (8 000), unlabeled (100 000, label −1) and
 * train+unlabeled (train first, then unlabeled), which AMDIM trains on.
 */
public final class Stl10Dataset implements ImageDataset {

    /** Image side. */
    public static final int SIZE = 96;
    private static final int PLANE = SIZE * SIZE;
    private static final int PIXELS = 3 * PLANE;
    private static final ThreadLocal<byte[]> SCRATCH = new ThreadLocal<>();

    /** Which images. */
    public enum Split {
        /** train_X.bin / train_y.bin. */
        TRAIN,
        /** test_X.bin / test_y.bin. */
        TEST,
        /** unlabeled_X.bin, every label −1. */
        UNLABELED,
        /** train then unlabeled, as torchvision's "train+unlabeled". */
        TRAIN_UNLABELED
    }

    private final String name;
    private final MemorySegment first;
    private final MemorySegment second;
    private final int firstCount;
    private final int size;
    /** Labels of the first part (0..9), or null when it is unlabeled. */
    private final byte[] labels;

    private Stl10Dataset(String name, MemorySegment first, int firstCount, byte[] labels, MemorySegment second, int secondCount) {
        this.name = name;
        this.first = first;
        this.firstCount = firstCount;
        this.labels = labels;
        this.second = second;
        this.size = firstCount + secondCount;
    }

    /**
     * Opens a split.
     *
     * @param dir the {@code stl10_binary} folder, or its parent
     * @param split which images
     * @return the dataset
     * @throws java.nio.file.NoSuchFileException for a missing folder or file
     * @throws DatasetFormatException for an image file that is not whole images, a label file whose
     *     length differs from the image count, or a label outside 1..10
     */
    public static Stl10Dataset open(Path dir, Split split) throws IOException {
        Path root = BinaryFiles.requireDirectory(BinaryFiles.descend(dir, "stl10_binary", "test_X.bin"), "STL-10");
        String name = "STL-10 " + split.name().toLowerCase().replace('_', '+') + " (" + root + ")";
        return switch (split) {
            case TRAIN, TEST -> {
                String prefix = split == Split.TRAIN ? "train" : "test";
                Path xFile = BinaryFiles.requireFile(root, prefix + "_X.bin", name);
                MemorySegment x = BinaryFiles.map(xFile);
                int count = imageCount(xFile, x);
                byte[] labels = readLabels(BinaryFiles.requireFile(root, prefix + "_y.bin", name), count);
                yield new Stl10Dataset(name, x, count, labels, null, 0);
            }
            case UNLABELED -> {
                Path xFile = BinaryFiles.requireFile(root, "unlabeled_X.bin", name);
                MemorySegment x = BinaryFiles.map(xFile);
                yield new Stl10Dataset(name, x, imageCount(xFile, x), null, null, 0);
            }
            case TRAIN_UNLABELED -> {
                Path xFile = BinaryFiles.requireFile(root, "train_X.bin", name);
                MemorySegment x = BinaryFiles.map(xFile);
                int count = imageCount(xFile, x);
                byte[] labels = readLabels(BinaryFiles.requireFile(root, "train_y.bin", name), count);
                Path uFile = BinaryFiles.requireFile(root, "unlabeled_X.bin", name);
                MemorySegment u = BinaryFiles.map(uFile);
                int unlabeled = imageCount(uFile, u);
                if ((long) count + unlabeled > Integer.MAX_VALUE) {
                    throw new DatasetFormatException(uFile, DatasetFormatException.NO_OFFSET, "too many images");
                }
                yield new Stl10Dataset(name, x, count, labels, u, unlabeled);
            }
        };
    }

    private static int imageCount(Path file, MemorySegment x) throws DatasetFormatException {
        long size = x.byteSize();
        if (size == 0 || size % PIXELS != 0) {
            long whole = size / PIXELS;
            throw new DatasetFormatException(file, whole * PIXELS, "size " + size + " bytes is not a whole number of "
                    + PIXELS + "-byte 96x96x3 images (" + whole + " whole images, then " + (size - whole * PIXELS)
                    + " bytes); truncated or not an STL-10 image file");
        }
        if (size / PIXELS > Integer.MAX_VALUE) {
            throw new DatasetFormatException(file, DatasetFormatException.NO_OFFSET, "too many images");
        }
        return (int) (size / PIXELS);
    }

    private static byte[] readLabels(Path file, int count) throws IOException {
        MemorySegment y = BinaryFiles.map(file);
        if (y.byteSize() != count) {
            throw new DatasetFormatException(file, Math.min(y.byteSize(), count), "holds " + y.byteSize()
                    + " labels but the image file holds " + count + " images");
        }
        byte[] labels = new byte[count];
        for (int i = 0; i < count; i++) {
            int raw = BinaryFiles.u8(y, i);
            if (raw < 1 || raw > 10) {
                throw new DatasetFormatException(file, i, "label of image " + i + " is " + raw + ", outside 1..10");
            }
            labels[i] = (byte) (raw - 1);
        }
        return labels;
    }

    @Override
    public int size() {
        return size;
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
        return 10;
    }

    @Override
    public int label(int index) {
        ImageDataset.checkIndex(index, size, name);
        return index < firstCount && labels != null ? labels[index] : UNLABELED;
    }

    @Override
    public void readImage(int index, byte[] dst) {
        ImageDataset.checkIndex(index, size, name);
        ImageDataset.checkDestination(dst, PIXELS, name);
        MemorySegment file = index < firstCount ? first : second;
        long offset = (long) (index < firstCount ? index : index - firstCount) * PIXELS;
        byte[] raw = BinaryFiles.scratch(SCRATCH, PIXELS);
        MemorySegment.copy(file, ValueLayout.JAVA_BYTE, offset, raw, 0, PIXELS);
        // Channel-major, column-major within a channel → HWC: raw[c][x][y] → dst[y][x][c].
        for (int c = 0; c < 3; c++) {
            int planeBase = c * PLANE;
            for (int x = 0; x < SIZE; x++) {
                int colBase = planeBase + x * SIZE;
                for (int y = 0; y < SIZE; y++) {
                    dst[(y * SIZE + x) * 3 + c] = raw[colBase + y];
                }
            }
        }
    }

    @Override
    public String name() {
        return name;
    }
}
