package org.amdim.data.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import javax.imageio.ImageIO;
import org.amdim.data.DatasetFormatException;
import org.amdim.data.ImageBuffer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The image-folder reader on PNG/JPEG files written with ImageIO, plus broken files. */
class ImageFolderDatasetTest {

    @TempDir
    Path root;

    private static int rgb(int x, int y) {
        return (x * 40) << 16 | (y * 60) << 8 | ((x + y) * 20);
    }

    private static void writeRgb(Path file, String format, int w, int h) throws IOException {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                img.setRGB(x, y, rgb(x, y));
            }
        }
        assertTrue(ImageIO.write(img, format, file.toFile()));
    }

    private static void writeGray(Path file, int w, int h) throws IOException {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_BYTE_GRAY);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                img.getRaster().setSample(x, y, 0, 10 + 30 * y + x);
            }
        }
        assertTrue(ImageIO.write(img, "png", file.toFile()));
    }

    @BeforeEach
    void writeImages() throws IOException {
        Path cat = Files.createDirectories(root.resolve("cat"));
        Path dog = Files.createDirectories(root.resolve("dog"));
        writeRgb(cat.resolve("a.png"), "png", 5, 4);
        writeRgb(cat.resolve("b.jpg"), "jpg", 6, 3);
        writeGray(dog.resolve("c.PNG"), 3, 3);
        Files.writeString(dog.resolve("notes.txt"), "not an image");
        Files.write(dog.resolve("broken.png"), "this is not a PNG file at all".getBytes());
    }

    @Test
    void corruptFilesAreReportedTogether() {
        DatasetFormatException e = assertThrows(DatasetFormatException.class,
                () -> ImageFolderDataset.open(root, ImageFolderDataset.Options.DEFAULT));
        assertTrue(e.getMessage().contains("broken.png") && e.getMessage().contains("1 of 4"), e.getMessage());
        assertTrue(e.getMessage().contains("skipUndecodable"), e.getMessage());
    }

    @Test
    void skippingLeavesOutAndReportsCorruptFiles() throws IOException {
        ImageFolderDataset d = ImageFolderDataset.open(root, ImageFolderDataset.Options.DEFAULT.skippingUndecodable());
        assertEquals(List.of("cat", "dog"), d.classes());
        assertEquals(3, d.size());
        assertEquals(1, d.ignoredFiles());
        assertEquals(1, d.undecodable().size());
        assertEquals(root.resolve("dog/broken.png"), d.undecodable().getFirst().file());
        assertFalse(d.fixedSize());
        assertEquals(List.of(0, 0, 1), List.of(d.label(0), d.label(1), d.label(2)));
        assertEquals("a.png", d.file(0).getFileName().toString());
        assertEquals(4, d.imageHeight(0));
        assertEquals(5, d.imageWidth(0));
        assertEquals(3, d.imageHeight(1));
        assertEquals(6, d.imageWidth(1));

        ImageBuffer img = new ImageBuffer();
        d.readImage(0, img);
        assertEquals(4, img.height());
        assertEquals(5, img.width());
        for (int y = 0; y < 4; y++) {
            for (int x = 0; x < 5; x++) {
                int v = rgb(x, y);
                assertEquals(v >>> 16, img.get(y, x, 0));
                assertEquals((v >>> 8) & 0xFF, img.get(y, x, 1));
                assertEquals(v & 0xFF, img.get(y, x, 2));
            }
        }
        d.readImage(2, img); // gray PNG: values replicated exactly, no gamma change
        assertEquals(3, img.channels());
        for (int y = 0; y < 3; y++) {
            for (int x = 0; x < 3; x++) {
                for (int c = 0; c < 3; c++) {
                    assertEquals(10 + 30 * y + x, img.get(y, x, c));
                }
            }
        }
        d.readImage(1, img); // JPEG is lossy: only the size is exact
        assertEquals(3, img.height());
        assertEquals(6, img.width());
        byte[] exact = new byte[3 * 3 * 3];
        d.readImage(2, exact);
        assertEquals(40, exact[(1 * 3 + 0) * 3] & 0xFF);
        assertThrows(IllegalArgumentException.class, () -> d.readImage(0, new byte[10]));
    }

    @Test
    void fullValidationCatchesTruncatedImages() throws IOException {
        Path big = root.resolve("cat/big.png");
        BufferedImage noisy = new BufferedImage(64, 64, BufferedImage.TYPE_INT_RGB);
        for (int i = 0; i < 64 * 64; i++) {
            noisy.setRGB(i % 64, i / 64, (int) (i * 2654435761L)); // incompressible, so half the file is half the data
        }
        ImageIO.write(noisy, "png", big.toFile());
        byte[] all = Files.readAllBytes(big);
        Files.write(big, Arrays.copyOf(all, all.length / 2));
        ImageFolderDataset headers = ImageFolderDataset.open(root, ImageFolderDataset.Options.DEFAULT.skippingUndecodable());
        assertEquals(4, headers.size(), "a header check does not see the truncation");
        ImageFolderDataset full = ImageFolderDataset.open(root, ImageFolderDataset.Options.DEFAULT.skippingUndecodable()
                .withValidation(ImageFolderDataset.Validation.FULL));
        assertEquals(3, full.size());
        assertTrue(full.undecodable().stream().anyMatch(u -> u.file().equals(big)), full.undecodable()::toString);
        assertTrue(Thread.getAllStackTraces().keySet().stream()
                .noneMatch(t -> t.getName().startsWith("amdim-imagefolder-validate")), "validation threads left behind");
    }

    @Test
    void withoutValidationFailuresSurfaceOnAccessNamingTheFile() throws IOException {
        ImageFolderDataset d = ImageFolderDataset.open(root, ImageFolderDataset.Options.DEFAULT
                .withValidation(ImageFolderDataset.Validation.NONE));
        assertEquals(4, d.size());
        int broken = 0;
        while (!d.file(broken).getFileName().toString().equals("broken.png")) {
            broken++;
        }
        int index = broken;
        UncheckedIOException e = assertThrows(UncheckedIOException.class, () -> d.readImage(index, new ImageBuffer()));
        assertTrue(e.getMessage().contains("broken.png"), e.getMessage());
        assertEquals(5, d.imageWidth(0), "sizes are read from the header on demand");
        assertThrows(UncheckedIOException.class, () -> d.imageHeight(index));
    }

    @Test
    void missingRootAndEmptyClasses() throws IOException {
        NoSuchFileException missing = assertThrows(NoSuchFileException.class,
                () -> ImageFolderDataset.open(root.resolve("nope"), ImageFolderDataset.Options.DEFAULT));
        assertTrue(missing.getMessage().contains("nope"));
        Files.createDirectories(root.resolve("empty"));
        DatasetFormatException e = assertThrows(DatasetFormatException.class,
                () -> ImageFolderDataset.open(root, ImageFolderDataset.Options.DEFAULT.skippingUndecodable()));
        assertTrue(e.getMessage().contains("empty"), e.getMessage());
        Path noClasses = Files.createDirectories(root.resolve("empty/inner-root"));
        assertThrows(DatasetFormatException.class, () -> ImageFolderDataset.open(noClasses, ImageFolderDataset.Options.DEFAULT));
    }
}
