package org.amdim.data.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import org.amdim.data.DatasetFormatException;
import org.amdim.data.ImageDataset;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** STL-10 reader on small files written by the test, including the column-major layout. */
class Stl10DatasetTest {

    private static final int IMAGE = 96 * 96 * 3;

    @TempDir
    Path tmp;

    private Path dir;

    /** Stored byte of image n at (channel c, column x, row y): the file is c-major, then column-major. */
    private static int stored(int n, int c, int x, int y) {
        return (n * 11 + c * 71 + x * 5 + y * 3) & 0xFF;
    }

    private static byte[] images(int first, int count) {
        byte[] data = new byte[count * IMAGE];
        for (int n = 0; n < count; n++) {
            for (int c = 0; c < 3; c++) {
                for (int x = 0; x < 96; x++) {
                    for (int y = 0; y < 96; y++) {
                        data[n * IMAGE + c * 9216 + x * 96 + y] = (byte) stored(first + n, c, x, y);
                    }
                }
            }
        }
        return data;
    }

    @BeforeEach
    void writeFiles() throws IOException {
        dir = Files.createDirectories(tmp.resolve("stl10_binary"));
        Files.write(dir.resolve("train_X.bin"), images(0, 2));
        Files.write(dir.resolve("train_y.bin"), new byte[] {1, 10});
        Files.write(dir.resolve("test_X.bin"), images(10, 1));
        Files.write(dir.resolve("test_y.bin"), new byte[] {5});
        Files.write(dir.resolve("unlabeled_X.bin"), images(20, 3));
    }

    @Test
    void columnMajorChannelsBecomeRowMajorHwc() throws IOException {
        Stl10Dataset train = Stl10Dataset.open(tmp, Stl10Dataset.Split.TRAIN);
        assertEquals(2, train.size());
        assertEquals(0, train.label(0));
        assertEquals(9, train.label(1));
        byte[] img = new byte[IMAGE];
        train.readImage(1, img);
        for (int y = 0; y < 96; y += 5) {
            for (int x = 0; x < 96; x += 7) {
                for (int c = 0; c < 3; c++) {
                    assertEquals(stored(1, c, x, y), img[(y * 96 + x) * 3 + c] & 0xFF);
                }
            }
        }
    }

    @Test
    void aSinglePixelLandsAtRowFiveColumnSeventeen() throws IOException {
        byte[] one = new byte[IMAGE];
        one[9216 + 17 * 96 + 5] = (byte) 200; // green channel, column 17, row 5
        Files.write(dir.resolve("test_X.bin"), one);
        byte[] img = new byte[IMAGE];
        Stl10Dataset.open(dir, Stl10Dataset.Split.TEST).readImage(0, img);
        assertEquals(200, img[(5 * 96 + 17) * 3 + 1] & 0xFF);
        assertEquals(0, img[(17 * 96 + 5) * 3 + 1] & 0xFF);
        int nonZero = 0;
        for (byte b : img) {
            nonZero += b != 0 ? 1 : 0;
        }
        assertEquals(1, nonZero);
    }

    @Test
    void trainPlusUnlabeledAppendsUnlabeledImages() throws IOException {
        Stl10Dataset all = Stl10Dataset.open(dir, Stl10Dataset.Split.TRAIN_UNLABELED);
        assertEquals(5, all.size());
        assertEquals(9, all.label(1));
        assertEquals(ImageDataset.UNLABELED, all.label(2));
        assertEquals(ImageDataset.UNLABELED, all.label(4));
        byte[] img = new byte[IMAGE];
        all.readImage(3, img);
        assertEquals(stored(21, 2, 40, 60), img[(60 * 96 + 40) * 3 + 2] & 0xFF);
        Stl10Dataset unlabeled = Stl10Dataset.open(dir, Stl10Dataset.Split.UNLABELED);
        assertEquals(3, unlabeled.size());
        assertEquals(-1, unlabeled.label(0));
        assertEquals(4, Stl10Dataset.open(dir, Stl10Dataset.Split.TEST).label(0));
    }

    @Test
    void labelsOutsideOneToTenAreRejected() throws IOException {
        Files.write(dir.resolve("train_y.bin"), new byte[] {3, 11});
        DatasetFormatException e = assertThrows(DatasetFormatException.class,
                () -> Stl10Dataset.open(dir, Stl10Dataset.Split.TRAIN));
        assertTrue(e.getMessage().contains("train_y.bin") && e.getMessage().contains("image 1")
                && e.getMessage().contains("11"), e.getMessage());
        assertEquals(1, e.offset());
        Files.write(dir.resolve("train_y.bin"), new byte[] {0, 1});
        assertThrows(DatasetFormatException.class, () -> Stl10Dataset.open(dir, Stl10Dataset.Split.TRAIN));
    }

    @Test
    void sizeMismatchesAreRejected() throws IOException {
        Files.write(dir.resolve("test_y.bin"), new byte[] {1, 2});
        DatasetFormatException labels = assertThrows(DatasetFormatException.class,
                () -> Stl10Dataset.open(dir, Stl10Dataset.Split.TEST));
        assertTrue(labels.getMessage().contains("test_y.bin") && labels.getMessage().contains("2 labels"), labels.getMessage());
        Files.write(dir.resolve("unlabeled_X.bin"), new byte[IMAGE + 100]);
        DatasetFormatException truncated = assertThrows(DatasetFormatException.class,
                () -> Stl10Dataset.open(dir, Stl10Dataset.Split.UNLABELED));
        assertTrue(truncated.getMessage().contains("unlabeled_X.bin"), truncated.getMessage());
        assertEquals(IMAGE, truncated.offset());
    }

    @Test
    void missingFilesAreNamed() throws IOException {
        Files.delete(dir.resolve("unlabeled_X.bin"));
        NoSuchFileException e = assertThrows(NoSuchFileException.class,
                () -> Stl10Dataset.open(dir, Stl10Dataset.Split.TRAIN_UNLABELED));
        assertTrue(e.getMessage().contains("unlabeled_X.bin"), e.getMessage());
        assertThrows(NoSuchFileException.class, () -> Stl10Dataset.open(tmp.resolve("missing"), Stl10Dataset.Split.TEST));
    }
}
