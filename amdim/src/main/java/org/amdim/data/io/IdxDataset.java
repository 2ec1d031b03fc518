package org.amdim.data.io;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;
import org.amdim.data.DatasetFormatException;
import org.amdim.data.ImageDataset;

/**
 * MNIST-family datasets in IDX format (MNIST, Fashion-MNIST), raw or gzip-compressed.
 *
 * <p>An image file starts with the big-endian magic {@code 0x00000803} (unsigned bytes, 3
 * dimensions), then the image count, rows and columns, then the pixels row-major. A label file
 * starts with {@code 0x00000801}, then the count, then one byte per label. Compression is detected
 * from the gzip magic bytes {@code 1f 8b}, not the file name; compressed files are inflated into
 * memory (47 MB for 60 000 28×28 images), raw files are memory-mapped.
 *
 * <p>{@link Options} can pad images to 32×32 with a 2-pixel zero border (the usual way of feeding
 * MNIST to a CIFAR-sized encoder) and replicate the gray channel to RGB.
 */
public final class IdxDataset implements ImageDataset {

    private static final int IMAGE_MAGIC = 0x00000803;
    private static final int LABEL_MAGIC = 0x00000801;
    private static final ValueLayout.OfInt INT_BE = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);

    /**
     * How images are presented.
     *
     * @param padTo32 add a zero border of (32 − side)/2 pixels so 28×28 images become 32×32
     *     (default false)
     * @param expandToRgb report 3 channels, the gray value replicated (default false)
     */
    public record Options(boolean padTo32, boolean expandToRgb) {
        /** Images as stored: 28×28, one channel. */
        public static final Options RAW = new Options(false, false);
        /** 32×32 RGB, ready for the CIFAR-sized encoder. */
        public static final Options CIFAR_LIKE = new Options(true, true);
    }

    private final String name;
    private final MemorySegment pixels;
    private final long pixelOffset;
    private final int count;
    private final int rows;
    private final int cols;
    private final byte[] labels;
    private final int numClasses;
    private final int pad;
    private final int channels;

    private IdxDataset(String name, MemorySegment pixels, long pixelOffset, int count, int rows, int cols,
            byte[] labels, int numClasses, Options options) {
        this.name = name;
        this.pixels = pixels;
        this.pixelOffset = pixelOffset;
        this.count = count;
        this.rows = rows;
        this.cols = cols;
        this.labels = labels;
        this.numClasses = numClasses;
        this.pad = options.padTo32() ? Math.max(0, (32 - Math.max(rows, cols)) / 2) : 0;
        this.channels = options.expandToRgb() ? 3 : 1;
    }

    /**
     * Opens MNIST or Fashion-MNIST from a folder holding the standard file names
     * ({@code train-images-idx3-ubyte}, {@code train-labels-idx1-ubyte}, {@code t10k-…}), each
     * either raw or with a {@code .gz} suffix.
     *
     * @param dir the folder
     * @param train the 60 000 training images, or else the 10 000 test images
     * @param options padding and channel expansion
     * @param title the dataset's title for names and messages, e.g. "Fashion-MNIST"
     * @return the dataset (10 classes)
     * @throws NoSuchFileException for a missing folder or file
     * @throws DatasetFormatException for bad magic numbers, sizes or labels
     */
    public static IdxDataset openStandard(Path dir, boolean train, Options options, String title) throws IOException {
        BinaryFiles.requireDirectory(dir, title);
        String prefix = train ? "train" : "t10k";
        Path images = find(dir, prefix + "-images-idx3-ubyte", title);
        Path labels = find(dir, prefix + "-labels-idx1-ubyte", title);
        return open(images, labels, 10, options, title + " " + (train ? "train" : "test") + " (" + dir + ")");
    }

    /**
     * Opens an image file and a label file.
     *
     * @param imageFile the idx3 image file, raw or gzip
     * @param labelFile the idx1 label file, raw or gzip
     * @param numClasses labels must lie in 0..numClasses−1
     * @param options padding and channel expansion
     * @param name the dataset's name for messages
     * @return the dataset
     * @throws NoSuchFileException for a missing file
     * @throws DatasetFormatException for bad magic numbers, sizes or labels
     */
    public static IdxDataset open(Path imageFile, Path labelFile, int numClasses, Options options, String name)
            throws IOException {
        MemorySegment images = load(imageFile);
        if (images.byteSize() < 16) {
            throw new DatasetFormatException(imageFile, images.byteSize(), "only " + images.byteSize()
                    + " bytes, shorter than the 16-byte IDX image header");
        }
        int magic = images.get(INT_BE, 0);
        if (magic != IMAGE_MAGIC) {
            throw new DatasetFormatException(imageFile, 0, String.format(
                    "magic number 0x%08X, expected 0x%08X (IDX unsigned-byte images, 3 dimensions)", magic, IMAGE_MAGIC));
        }
        int count = images.get(INT_BE, 4);
        int rows = images.get(INT_BE, 8);
        int cols = images.get(INT_BE, 12);
        if (count < 0 || rows <= 0 || cols <= 0) {
            throw new DatasetFormatException(imageFile, 4, "bad dimensions " + count + " x " + rows + " x " + cols);
        }
        long expected = 16 + (long) count * rows * cols;
        if (images.byteSize() != expected) {
            throw new DatasetFormatException(imageFile, Math.min(images.byteSize(), expected), "header announces " + count
                    + " images of " + rows + "x" + cols + " (" + expected + " bytes) but the "
                    + (isGzip(imageFile) ? "decompressed " : "") + "file has " + images.byteSize() + " bytes");
        }
        MemorySegment labelBytes = load(labelFile);
        if (labelBytes.byteSize() < 8) {
            throw new DatasetFormatException(labelFile, labelBytes.byteSize(), "only " + labelBytes.byteSize()
                    + " bytes, shorter than the 8-byte IDX label header");
        }
        int labelMagic = labelBytes.get(INT_BE, 0);
        if (labelMagic != LABEL_MAGIC) {
            throw new DatasetFormatException(labelFile, 0, String.format(
                    "magic number 0x%08X, expected 0x%08X (IDX unsigned-byte labels, 1 dimension)", labelMagic, LABEL_MAGIC));
        }
        int labelCount = labelBytes.get(INT_BE, 4);
        if (labelCount != count) {
            throw new DatasetFormatException(labelFile, 4, "holds " + labelCount + " labels but " + imageFile.getFileName()
                    + " holds " + count + " images");
        }
        if (labelBytes.byteSize() != 8 + (long) count) {
            throw new DatasetFormatException(labelFile, Math.min(labelBytes.byteSize(), 8 + (long) count), "header announces "
                    + count + " labels (" + (8 + (long) count) + " bytes) but the file has " + labelBytes.byteSize() + " bytes");
        }
        byte[] labels = new byte[count];
        MemorySegment.copy(labelBytes, ValueLayout.JAVA_BYTE, 8, labels, 0, count);
        for (int i = 0; i < count; i++) {
            if ((labels[i] & 0xFF) >= numClasses) {
                throw new DatasetFormatException(labelFile, 8 + (long) i, "label of image " + i + " is "
                        + (labels[i] & 0xFF) + ", outside 0.." + (numClasses - 1));
            }
        }
        return new IdxDataset(name, images, 16, count, rows, cols, labels, numClasses, options);
    }

    /** Finds {@code base} or {@code base.gz}, preferring the raw file. */
    private static Path find(Path dir, String base, String title) throws IOException {
        Path raw = dir.resolve(base);
        if (Files.isRegularFile(raw)) {
            return raw;
        }
        Path gz = dir.resolve(base + ".gz");
        if (Files.isRegularFile(gz)) {
            return gz;
        }
        throw new NoSuchFileException(raw.toString(), null, title + " file missing (neither " + base + " nor " + base
                + ".gz); " + dir + " holds " + BinaryFiles.listing(dir));
    }

    private static boolean isGzip(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            return in.read() == 0x1F && in.read() == 0x8B;
        }
    }

    /** Maps a raw file, or inflates a gzip file fully into memory, checking for truncation. */
    private static MemorySegment load(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new NoSuchFileException(file.toString(), null, "IDX file missing");
        }
        if (!isGzip(file)) {
            return BinaryFiles.map(file);
        }
        try (InputStream in = new GZIPInputStream(Files.newInputStream(file), 1 << 16)) {
            byte[] header = in.readNBytes(16);
            long total = header.length < 8 ? header.length : expectedLength(header);
            if (total < 0 || total > Integer.MAX_VALUE - 8) {
                throw new DatasetFormatException(file, 0, "decompressed header announces an impossible size");
            }
            byte[] all = new byte[(int) Math.max(total, header.length)];
            System.arraycopy(header, 0, all, 0, header.length);
            int read = header.length + in.readNBytes(all, header.length, all.length - header.length);
            if (read < all.length) {
                // Report the short file; open() turns the size mismatch into a precise message.
                return MemorySegment.ofArray(java.util.Arrays.copyOf(all, read));
            }
            if (in.read() != -1) {
                throw new DatasetFormatException(file, all.length, "decompressed data continues past the "
                        + all.length + " bytes its header announces");
            }
            return MemorySegment.ofArray(all);
        } catch (EOFException | ZipException e) {
            throw new DatasetFormatException(file, DatasetFormatException.NO_OFFSET,
                    "gzip stream is truncated or corrupt: " + e.getMessage(), e);
        }
    }

    /** The total length an IDX header announces (images: 16 + n·r·c, labels: 8 + n, else unknown = −1). */
    private static long expectedLength(byte[] h) {
        MemorySegment s = MemorySegment.ofArray(h);
        int magic = s.get(INT_BE, 0);
        long n = Integer.toUnsignedLong(s.get(INT_BE, 4));
        if (magic == LABEL_MAGIC) {
            return 8 + n;
        }
        if (magic == IMAGE_MAGIC && h.length >= 16) {
            return 16 + n * Integer.toUnsignedLong(s.get(INT_BE, 8)) * Integer.toUnsignedLong(s.get(INT_BE, 12));
        }
        // Unknown magic: keep just the header so open() reports the magic number.
        return h.length;
    }

    /** {@return the stored image rows (28 for MNIST), before padding} */
    public int storedRows() {
        return rows;
    }

    /** {@return the stored image columns, before padding} */
    public int storedCols() {
        return cols;
    }

    @Override
    public int size() {
        return count;
    }

    @Override
    public int height() {
        return rows + 2 * pad;
    }

    @Override
    public int width() {
        return cols + 2 * pad;
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
        return labels[ImageDataset.checkIndex(index, count, name)];
    }

    @Override
    public void readImage(int index, byte[] dst) {
        ImageDataset.checkIndex(index, count, name);
        int h = height();
        int w = width();
        ImageDataset.checkDestination(dst, (long) h * w * channels, name);
        long base = pixelOffset + (long) index * rows * cols;
        if (pad == 0 && channels == 1) {
            MemorySegment.copy(pixels, ValueLayout.JAVA_BYTE, base, dst, 0, rows * cols);
            return;
        }
        if (pad > 0) {
            java.util.Arrays.fill(dst, 0, h * w * channels, (byte) 0);
        }
        for (int y = 0; y < rows; y++) {
            for (int x = 0; x < cols; x++) {
                byte v = pixels.get(ValueLayout.JAVA_BYTE, base + (long) y * cols + x);
                int o = ((y + pad) * w + x + pad) * channels;
                for (int c = 0; c < channels; c++) {
                    dst[o + c] = v;
                }
            }
        }
    }

    @Override
    public String name() {
        return name;
    }
}
