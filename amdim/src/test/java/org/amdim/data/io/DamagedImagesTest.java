package org.amdim.data.io;

import static org.junit.jupiter.api.Assertions.*;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import javax.imageio.ImageIO;

import org.amdim.data.DatasetFormatException;
import org.amdim.data.DatasetSpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Damage a decoder would paper over is reported: JPEG bodies cut short or corrupted, splits that disagree. */
class DamagedImagesTest {
    @TempDir
    Path root;

    private static void writeNoisyJpeg(Path file) throws IOException {
        BufferedImage img = new BufferedImage(64, 64, BufferedImage.TYPE_INT_RGB);
        for (int i = 0; i < 64 * 64; i++) {
            img.setRGB(i % 64, i / 64, (int) (i * 2654435761L));
        }
        assertTrue(ImageIO.write(img, "jpg", file.toFile()));
    }

    private ImageFolderDataset openFully() throws IOException {
        return ImageFolderDataset.open(root, ImageFolderDataset.Options.DEFAULT.skippingUndecodable()
                .withValidation(ImageFolderDataset.Validation.FULL));
    }

    @Test
    void aTruncatedJpegBodyIsUndecodable() throws IOException {
        Path good = Files.createDirectories(root.resolve("a")).resolve("good.jpg");
        Path cut = root.resolve("a/cut.jpg");
        writeNoisyJpeg(good);
        writeNoisyJpeg(cut);
        byte[] all = Files.readAllBytes(cut);
        Files.write(cut, Arrays.copyOf(all, all.length * 2 / 3)); // headers intact, scan data cut
        ImageFolderDataset ds = openFully();
        assertEquals(1, ds.size());
        assertEquals(cut, ds.undecodable().get(0).file());
        assertTrue(ds.undecodable().get(0).reason().contains("damaged image data"), ds.undecodable().toString());
    }

    @Test
    void aCorruptJpegBodyIsUndecodable() throws IOException {
        Path bad = Files.createDirectories(root.resolve("a")).resolve("bad.jpg");
        writeNoisyJpeg(bad);
        byte[] all = Files.readAllBytes(bad);
        // A marker in the middle of the entropy-coded data: libjpeg's "Corrupt JPEG data" warning.
        int mid = all.length / 2;
        all[mid] = (byte) 0xFF;
        all[mid + 1] = (byte) 0xD3;
        Files.write(bad, all);
        Files.copy(bad, root.resolve("a/copy.jpg"));
        Files.delete(bad);
        writeNoisyJpeg(root.resolve("a/fine.jpg"));
        ImageFolderDataset ds = openFully();
        assertEquals(1, ds.size(), ds.undecodable().toString());
        assertEquals(root.resolve("a/copy.jpg"), ds.undecodable().get(0).file());
    }

    @Test
    void aValClassMissingFromTrainIsRefused() throws IOException {
        for (String split : new String[] {"train/cat", "train/dog", "val/cat", "val/dog", "val/emu"}) {
            writeNoisyJpeg(Files.createDirectories(root.resolve(split)).resolve("x.jpg"));
        }
        DatasetSpec spec = DatasetSpec.of(DatasetSpec.Kind.FOLDER, root);
        assertEquals(2, spec.open(true).numClasses());
        DatasetFormatException e = assertThrows(DatasetFormatException.class, () -> spec.open(false));
        assertTrue(e.getMessage().contains("only in val: [emu]"), e.getMessage());
    }
}
