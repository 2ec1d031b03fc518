package org.amdim.data.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.GZIPOutputStream;
import org.amdim.data.DatasetFormatException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** IDX (MNIST-format) reader on raw and gzip files written by the test. */
class IdxDatasetTest {

    @TempDir
    Path tmp;

    private static int pixel(int n, int y, int x) {
        return (n * 50 + y * 9 + x) & 0xFF;
    }

    private static byte[] imageFile(int magic, int count, int rows, int cols, int actualCount) {
        ByteBuffer b = ByteBuffer.allocate(16 + actualCount * rows * cols);
        b.putInt(magic).putInt(count).putInt(rows).putInt(cols);
        for (int n = 0; n < actualCount; n++) {
            for (int y = 0; y < rows; y++) {
                for (int x = 0; x < cols; x++) {
                    b.put((byte) pixel(n, y, x));
                }
            }
        }
        return b.array();
    }

    private static byte[] labelFile(int magic, int count, byte... labels) {
        ByteBuffer b = ByteBuffer.allocate(8 + labels.length);
        b.putInt(magic).putInt(count).put(labels);
        return b.array();
    }

    private static byte[] gzip(byte[] raw) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
            gz.write(raw);
        }
        return out.toByteArray();
    }

    private Path write(String name, byte[] data) throws IOException {
        return Files.write(tmp.resolve(name), data);
    }

    @Test
    void readsRawAndGzipIdentically() throws IOException {
        byte[] images = imageFile(0x803, 3, 4, 5, 3);
        byte[] labels = labelFile(0x801, 3, (byte) 7, (byte) 0, (byte) 9);
        IdxDataset raw = IdxDataset.open(write("i", images), write("l", labels), 10, IdxDataset.Options.RAW, "raw");
        // Compression is detected from the content, whatever the name says.
        IdxDataset gz = IdxDataset.open(write("i.gz", gzip(images)), write("l.bin", gzip(labels)), 10,
                IdxDataset.Options.RAW, "gz");
        for (IdxDataset d : new IdxDataset[] {raw, gz}) {
            assertEquals(3, d.size());
            assertEquals(4, d.height());
            assertEquals(5, d.width());
            assertEquals(1, d.channels());
            assertEquals(9, d.label(2));
            byte[] img = new byte[20];
            d.readImage(2, img);
            for (int y = 0; y < 4; y++) {
                for (int x = 0; x < 5; x++) {
                    assertEquals(pixel(2, y, x), img[y * 5 + x] & 0xFF);
                }
            }
        }
    }

    @Test
    void padsTo32AndExpandsToRgb() throws IOException {
        IdxDataset d = IdxDataset.open(write("i", imageFile(0x803, 2, 28, 28, 2)), write("l", labelFile(0x801, 2, (byte) 1, (byte) 2)),
                10, IdxDataset.Options.CIFAR_LIKE, "padded");
        assertEquals(32, d.height());
        assertEquals(32, d.width());
        assertEquals(3, d.channels());
        byte[] img = new byte[32 * 32 * 3];
        Arrays.fill(img, (byte) 77);
        d.readImage(1, img);
        for (int y = 0; y < 32; y++) {
            for (int x = 0; x < 32; x++) {
                boolean border = y < 2 || y >= 30 || x < 2 || x >= 30;
                int expected = border ? 0 : pixel(1, y - 2, x - 2);
                for (int c = 0; c < 3; c++) {
                    assertEquals(expected, img[(y * 32 + x) * 3 + c] & 0xFF, "y " + y + " x " + x);
                }
            }
        }
    }

    @Test
    void wrongMagicIsNamed() throws IOException {
        Path images = write("images", imageFile(0x804, 1, 2, 2, 1));
        Path labels = write("labels", labelFile(0x801, 1, (byte) 0));
        DatasetFormatException e = assertThrows(DatasetFormatException.class,
                () -> IdxDataset.open(images, labels, 10, IdxDataset.Options.RAW, "x"));
        assertTrue(e.getMessage().contains("images") && e.getMessage().contains("0x00000804")
                && e.getMessage().contains("0x00000803"), e.getMessage());
        Path goodImages = write("images", imageFile(0x803, 1, 2, 2, 1));
        Path badLabels = write("labels", labelFile(0x803, 1, (byte) 0));
        DatasetFormatException l = assertThrows(DatasetFormatException.class,
                () -> IdxDataset.open(goodImages, badLabels, 10, IdxDataset.Options.RAW, "x"));
        assertTrue(l.getMessage().contains("labels") && l.getMessage().contains("magic"), l.getMessage());
    }

    @Test
    void sizesThatDisagreeWithTheHeaderAreRejected() throws IOException {
        Path labels = write("labels", labelFile(0x801, 4, (byte) 0, (byte) 0, (byte) 0, (byte) 0));
        Path shortImages = write("images", imageFile(0x803, 4, 3, 3, 3));
        DatasetFormatException e = assertThrows(DatasetFormatException.class,
                () -> IdxDataset.open(shortImages, labels, 10, IdxDataset.Options.RAW, "x"));
        assertTrue(e.getMessage().contains("images") && e.getMessage().contains("4 images"), e.getMessage());
        Path images = write("images", imageFile(0x803, 4, 3, 3, 4));
        Path fewLabels = write("labels", labelFile(0x801, 3, (byte) 0, (byte) 0, (byte) 0));
        DatasetFormatException count = assertThrows(DatasetFormatException.class,
                () -> IdxDataset.open(images, fewLabels, 10, IdxDataset.Options.RAW, "x"));
        assertTrue(count.getMessage().contains("3 labels"), count.getMessage());
        Path tiny = write("tiny", new byte[] {0, 0, 8});
        assertThrows(DatasetFormatException.class, () -> IdxDataset.open(tiny, labels, 10, IdxDataset.Options.RAW, "x"));
    }

    @Test
    void truncatedGzipIsRejectedWithTheFileName() throws IOException {
        byte[] gz = gzip(imageFile(0x803, 50, 10, 10, 50));
        Path images = write("train-images-idx3-ubyte.gz", Arrays.copyOf(gz, gz.length / 2));
        Path labels = write("labels", labelFile(0x801, 50, new byte[50]));
        DatasetFormatException e = assertThrows(DatasetFormatException.class,
                () -> IdxDataset.open(images, labels, 10, IdxDataset.Options.RAW, "x"));
        assertTrue(e.getMessage().contains("train-images-idx3-ubyte.gz"), e.getMessage());
    }

    @Test
    void labelOutOfRangeIsRejected() throws IOException {
        Path images = write("images", imageFile(0x803, 3, 2, 2, 3));
        Path labels = write("labels", labelFile(0x801, 3, (byte) 1, (byte) 2, (byte) 10));
        DatasetFormatException e = assertThrows(DatasetFormatException.class,
                () -> IdxDataset.open(images, labels, 10, IdxDataset.Options.RAW, "x"));
        assertTrue(e.getMessage().contains("labels") && e.getMessage().contains("image 2") && e.getMessage().contains("10"),
                e.getMessage());
        assertEquals(10, e.offset());
    }

    @Test
    void standardNamesRawOrGz() throws IOException {
        write("train-images-idx3-ubyte.gz", gzip(imageFile(0x803, 2, 28, 28, 2)));
        write("train-labels-idx1-ubyte", labelFile(0x801, 2, (byte) 3, (byte) 4));
        IdxDataset d = IdxDataset.openStandard(tmp, true, IdxDataset.Options.RAW, "MNIST");
        assertEquals(2, d.size());
        assertEquals(4, d.label(1));
        NoSuchFileException e = assertThrows(NoSuchFileException.class,
                () -> IdxDataset.openStandard(tmp, false, IdxDataset.Options.RAW, "MNIST"));
        assertTrue(e.getMessage().contains("t10k-images-idx3-ubyte"), e.getMessage());
        assertThrows(NoSuchFileException.class,
                () -> IdxDataset.openStandard(tmp.resolve("none"), true, IdxDataset.Options.RAW, "MNIST"));
    }
}
