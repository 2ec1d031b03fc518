package org.amdim.data.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import org.amdim.data.DatasetFormatException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** CIFAR-10/100 readers on small files written by the test. */
class CifarDatasetTest {

    @TempDir
    Path tmp;

    /** Sample value of record k, channel c, pixel p (row-major within the plane). */
    private static int value(int k, int c, int p) {
        return (k * 37 + c * 85 + p * 3) & 0xFF;
    }

    /** Writes {@code count} records; record k has the given label bytes. */
    private static void write(Path file, int firstRecord, int count, int labelBytes, int[][] labels) throws IOException {
        int record = labelBytes + 3072;
        byte[] data = new byte[count * record];
        for (int r = 0; r < count; r++) {
            int base = r * record;
            for (int l = 0; l < labelBytes; l++) {
                data[base + l] = (byte) labels[r][l];
            }
            for (int c = 0; c < 3; c++) {
                for (int p = 0; p < 1024; p++) {
                    data[base + labelBytes + c * 1024 + p] = (byte) value(firstRecord + r, c, p);
                }
            }
        }
        Files.write(file, data);
    }

    /** Writes a CIFAR-10 layout: five training files of 3 records each, a test file of 2. */
    private Path cifar10() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("cifar-10-batches-bin"));
        for (int f = 1; f <= 5; f++) {
            int first = (f - 1) * 3;
            int[][] labels = {{first % 10}, {(first + 1) % 10}, {(first + 2) % 10}};
            write(dir.resolve("data_batch_" + f + ".bin"), first, 3, 1, labels);
        }
        write(dir.resolve("test_batch.bin"), 100, 2, 1, new int[][] {{9}, {0}});
        return dir;
    }

    @Test
    void readsCifar10RecordsAsInterleavedRgb() throws IOException {
        cifar10();
        CifarDataset train = CifarDataset.cifar10(tmp, CifarDataset.Split.TRAIN); // the parent folder works too
        assertEquals(15, train.size());
        assertEquals(10, train.numClasses());
        assertEquals(32, train.height());
        byte[] img = new byte[3072];
        for (int k : new int[] {0, 4, 14}) {
            assertEquals(k % 10, train.label(k));
            train.readImage(k, img);
            for (int y : new int[] {0, 7, 31}) {
                for (int x : new int[] {0, 13, 31}) {
                    for (int c = 0; c < 3; c++) {
                        assertEquals(value(k, c, y * 32 + x), img[(y * 32 + x) * 3 + c] & 0xFF);
                    }
                }
            }
        }
        CifarDataset test = CifarDataset.cifar10(tmp.resolve("cifar-10-batches-bin"), CifarDataset.Split.TEST);
        assertEquals(2, test.size());
        assertEquals(9, test.label(0));
        test.readImage(1, img);
        assertEquals(value(101, 2, 5), img[5 * 3 + 2] & 0xFF);
        assertThrows(IndexOutOfBoundsException.class, () -> test.readImage(2, img));
    }

    @Test
    void truncatedFileIsReportedWithItsName() throws IOException {
        Path dir = cifar10();
        Path third = dir.resolve("data_batch_3.bin");
        byte[] all = Files.readAllBytes(third);
        Files.write(third, Arrays.copyOf(all, all.length - 10));
        DatasetFormatException e = assertThrows(DatasetFormatException.class,
                () -> CifarDataset.cifar10(dir, CifarDataset.Split.TRAIN));
        assertEquals(third, e.file());
        assertTrue(e.getMessage().contains("data_batch_3.bin") && e.getMessage().contains("3073"), e.getMessage());
        assertEquals(2 * 3073, e.offset());
    }

    @Test
    void labelOutOfRangeNamesFileRecordAndOffset() throws IOException {
        Path dir = cifar10();
        write(dir.resolve("test_batch.bin"), 0, 3, 1, new int[][] {{1}, {10}, {2}});
        DatasetFormatException e = assertThrows(DatasetFormatException.class,
                () -> CifarDataset.cifar10(dir, CifarDataset.Split.TEST));
        assertTrue(e.getMessage().contains("test_batch.bin") && e.getMessage().contains("record 1")
                && e.getMessage().contains("label 10"), e.getMessage());
        assertEquals(3073, e.offset());
    }

    @Test
    void missingFilesAndFolders() throws IOException {
        Path dir = cifar10();
        Files.delete(dir.resolve("data_batch_5.bin"));
        NoSuchFileException e = assertThrows(NoSuchFileException.class,
                () -> CifarDataset.cifar10(dir, CifarDataset.Split.TRAIN));
        assertTrue(e.getMessage().contains("data_batch_5.bin"), e.getMessage());
        NoSuchFileException missingDir = assertThrows(NoSuchFileException.class,
                () -> CifarDataset.cifar10(tmp.resolve("nowhere"), CifarDataset.Split.TEST));
        assertTrue(missingDir.getMessage().contains("nowhere"), missingDir.getMessage());
    }

    @Test
    void emptyFileIsRejected() throws IOException {
        Path dir = cifar10();
        Files.write(dir.resolve("test_batch.bin"), new byte[0]);
        DatasetFormatException e = assertThrows(DatasetFormatException.class,
                () -> CifarDataset.cifar10(dir, CifarDataset.Split.TEST));
        assertTrue(e.getMessage().contains("test_batch.bin"));
    }

    @Test
    void cifar100FineAndCoarseLabels() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("cifar-100-binary"));
        write(dir.resolve("train.bin"), 0, 3, 2, new int[][] {{19, 99}, {0, 0}, {7, 42}});
        write(dir.resolve("test.bin"), 50, 1, 2, new int[][] {{3, 30}});
        CifarDataset fine = CifarDataset.cifar100(tmp, CifarDataset.Split.TRAIN, CifarDataset.Labels.FINE);
        CifarDataset coarse = CifarDataset.cifar100(dir, CifarDataset.Split.TRAIN, CifarDataset.Labels.COARSE);
        assertEquals(100, fine.numClasses());
        assertEquals(20, coarse.numClasses());
        assertEquals(99, fine.label(0));
        assertEquals(42, fine.label(2));
        assertEquals(19, coarse.label(0));
        assertEquals(7, coarse.label(2));
        byte[] img = new byte[3072];
        fine.readImage(2, img);
        assertEquals(value(2, 1, 1023), img[1023 * 3 + 1] & 0xFF);
        assertEquals(30, CifarDataset.cifar100(dir, CifarDataset.Split.TEST, CifarDataset.Labels.FINE).label(0));

        write(dir.resolve("train.bin"), 0, 2, 2, new int[][] {{1, 1}, {2, 100}});
        DatasetFormatException e = assertThrows(DatasetFormatException.class,
                () -> CifarDataset.cifar100(dir, CifarDataset.Split.TRAIN, CifarDataset.Labels.FINE));
        assertTrue(e.getMessage().contains("train.bin") && e.getMessage().contains("label 100"), e.getMessage());
        assertEquals(3074 + 1, e.offset());
        write(dir.resolve("train.bin"), 0, 1, 2, new int[][] {{20, 1}});
        assertThrows(DatasetFormatException.class,
                () -> CifarDataset.cifar100(dir, CifarDataset.Split.TRAIN, CifarDataset.Labels.COARSE));
    }
}
