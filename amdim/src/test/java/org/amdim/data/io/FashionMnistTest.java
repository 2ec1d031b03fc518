package org.amdim.data.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.CRC32;
import org.junit.jupiter.api.Test;

/**
 * The real Fashion-MNIST as Debian ships it ({@code dataset-fashion-mnist}). The expected
 * checksums were computed independently with Python's gzip, struct and zlib modules. A missing
 * installation fails the test (CI installs the package) rather than skipping it.
 */
class FashionMnistTest {

    private static final Path DIR = Path.of("/usr/share/datasets/fashion-mnist");

    private static IdxDataset open(boolean train) throws IOException {
        assertTrue(Files.isDirectory(DIR), "Fashion-MNIST is not installed at " + DIR
                + "; run `apt-get install dataset-fashion-mnist` (CI installs it)");
        return IdxDataset.openStandard(DIR, train, IdxDataset.Options.RAW, "Fashion-MNIST");
    }

    private static long crc(byte[] b) {
        CRC32 crc = new CRC32();
        crc.update(b);
        return crc.getValue();
    }

    private static long sum(byte[] b) {
        long s = 0;
        for (byte v : b) {
            s += v & 0xFF;
        }
        return s;
    }

    @Test
    void trainSplit() throws IOException {
        IdxDataset train = open(true);
        assertEquals(60_000, train.size());
        assertEquals(28, train.height());
        assertEquals(10, train.numClasses());
        int[] counts = new int[10];
        for (int i = 0; i < train.size(); i++) {
            counts[train.label(i)]++;
        }
        for (int c = 0; c < 10; c++) {
            assertEquals(6000, counts[c], "class " + c);
        }
        int[] firstLabels = {9, 0, 0, 3, 0, 2, 7, 2, 5, 5};
        for (int i = 0; i < firstLabels.length; i++) {
            assertEquals(firstLabels[i], train.label(i));
        }
        byte[] img = new byte[784];
        long[][] expected = {{0, 76247, 4067475125L, 217}, {1, 84598, 2256113758L, 204}, {2, 28662, 1579560491L, 85},
            {59999, 16684, 1834570600L, 0}};
        for (long[] e : expected) {
            train.readImage((int) e[0], img);
            assertEquals(e[1], sum(img), "pixel sum of image " + e[0]);
            assertEquals(e[2], crc(img), "CRC-32 of image " + e[0]);
            assertEquals(e[3], img[14 * 28 + 14] & 0xFF);
        }
        CRC32 all = new CRC32();
        for (int i = 0; i < train.size(); i++) {
            train.readImage(i, img);
            all.update(img);
        }
        assertEquals(2925911245L, all.getValue(), "CRC-32 of all training pixels");
    }

    @Test
    void testSplit() throws IOException {
        IdxDataset test = open(false);
        assertEquals(10_000, test.size());
        int[] counts = new int[10];
        for (int i = 0; i < test.size(); i++) {
            counts[test.label(i)]++;
        }
        for (int c = 0; c < 10; c++) {
            assertEquals(1000, counts[c]);
        }
        byte[] img = new byte[784];
        test.readImage(0, img);
        assertEquals(33456, sum(img));
        assertEquals(1384319072L, crc(img));
        test.readImage(9999, img);
        assertEquals(24390, sum(img));
        assertEquals(1281285270L, crc(img));
        assertEquals(9, test.label(0));
        assertEquals(2, test.label(1));
    }

    @Test
    void paddedRgbViewForTheCifarEncoder() throws IOException {
        assertTrue(Files.isDirectory(DIR), "run `apt-get install dataset-fashion-mnist`");
        IdxDataset padded = IdxDataset.openStandard(DIR, false, IdxDataset.Options.CIFAR_LIKE, "Fashion-MNIST");
        byte[] img = new byte[32 * 32 * 3];
        padded.readImage(0, img);
        assertEquals(3 * 33456, sum(img), "padding adds zeros only, each gray value appears three times");
        assertEquals(110, img[(16 * 32 + 16) * 3 + 1] & 0xFF, "stored pixel (14, 14) moves to (16, 16)");
    }
}
