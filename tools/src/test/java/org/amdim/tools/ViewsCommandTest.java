package org.amdim.tools;

import org.amdim.tensor.NoLeaks;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.amdim.data.ImageBuffer;
import org.amdim.data.ImageDataset;
import org.amdim.data.DatasetSpec;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** {@code amdim views}: the picture's layout, its originals pixel for pixel, and determinism in the seed. */
@ExtendWith(NoLeaks.class)
class ViewsCommandTest {
    private static final Pattern INDICES = Pattern.compile("dataset indices: \\[([0-9, ]+)]");

    @TempDir
    Path tmp;

    @BeforeAll
    static void headless() {
        Pictures.assumeHeadless();
    }

    @Test
    void gridOfOriginalsAndTwoViewsAtFourTimesTheSize() throws IOException {
        Path out = tmp.resolve("sub/views.png");
        CliRun r = CliRun.of("views", "--synthetic-size", "200", "--count", "3", "--seed", "5", "-o", out.toString());
        assertEquals(0, r.exitCode(), r.describe());
        BufferedImage img = Pictures.read(out);
        // 3 columns of 32·4 = 128 px tiles and 4 gaps of 4 px; a 18 px title band, 3 rows and 4 gaps.
        assertEquals(3 * 128 + 4 * 4, img.getWidth());
        assertEquals(18 + 3 * 128 + 4 * 4, img.getHeight());

        // The original column is the dataset image itself (CIFAR-style evaluation only normalises), enlarged.
        int[] indices = indices(r.out());
        assertEquals(3, indices.length);
        ImageDataset ds = DatasetSpec.synthetic(200).open(true);
        ImageBuffer image = new ImageBuffer();
        for (int row = 0; row < 3; row++) {
            ds.readImage(indices[row], image);
            int top = 18 + 4 + row * (128 + 4);
            for (int y = 0; y < 32; y++) {
                for (int x = 0; x < 32; x++) {
                    int expected = image.get(y, x, 0) << 16 | image.get(y, x, 1) << 8 | image.get(y, x, 2);
                    for (int[] d : new int[][] {{0, 0}, {3, 3}}) { // both corners of the 4x4 block
                        assertEquals(expected, img.getRGB(4 + 4 * x + d[0], top + 4 * y + d[1]) & 0xFFFFFF,
                                "row " + row + " pixel " + x + "," + y);
                    }
                }
            }
            // The training views are pictures too, and not the original.
            for (int col = 1; col < 3; col++) {
                int left = 4 + col * (128 + 4);
                assertTrue(Pictures.colours(img, left, top, 128, 128) > 20, "view " + col + " of row " + row);
            }
        }
        assertFalse(Arrays.equals(tile(img, 0, 1), tile(img, 0, 2)) && Arrays.equals(tile(img, 1, 1), tile(img, 1, 2))
                && Arrays.equals(tile(img, 2, 1), tile(img, 2, 2)), "the two views of every image are identical");
    }

    @Test
    void sameSeedSamePictureOtherSeedOtherViews() throws IOException {
        Path a = tmp.resolve("a.png");
        Path b = tmp.resolve("b.png");
        Path c = tmp.resolve("c.png");
        for (String[] args : new String[][] {{"1", a.toString()}, {"1", b.toString()}, {"2", c.toString()}}) {
            CliRun r = CliRun.of("views", "--synthetic-size", "100", "-n", "2", "--scale", "2", "--seed", args[0], "-o",
                    args[1]);
            assertEquals(0, r.exitCode(), r.describe());
        }
        assertArrayEquals(Files.readAllBytes(a), Files.readAllBytes(b));
        assertFalse(Arrays.equals(Files.readAllBytes(a), Files.readAllBytes(c)));
        BufferedImage img = Pictures.read(a);
        assertEquals(3 * 64 + 4 * 4, img.getWidth());
        assertEquals(18 + 2 * 64 + 3 * 4, img.getHeight());
    }

    @Test
    void fewerImagesThanAskedForGiveFewerRows() throws IOException {
        Path out = tmp.resolve("few.png");
        CliRun r = CliRun.of("views", "--synthetic-size", "2", "--count", "8", "--scale", "1", "-o", out.toString());
        assertEquals(0, r.exitCode(), r.describe());
        assertEquals(18 + 2 * 32 + 3 * 4, Pictures.read(out).getHeight());
    }

    @Test
    void folderDatasetsGiveResizedViewsOf128Pixels() throws IOException {
        Path root = TinyImageFolder.create(tmp.resolve("images"), 2);
        Path out = tmp.resolve("folder.png");
        CliRun r = CliRun.of("views", "--dataset", "folder", "--data", root.toString(), "-n", "3", "-o",
                out.toString());
        assertEquals(0, r.exitCode(), r.describe());
        assertTrue(r.out().contains("imagenet128 augmentation"), r.describe());
        BufferedImage img = Pictures.read(out);
        // 128 px views are shown at their own size (automatic scale 1).
        assertEquals(3 * 128 + 4 * 4, img.getWidth());
        assertEquals(18 + 3 * 128 + 4 * 4, img.getHeight());
    }

    private static int[] indices(String out) {
        Matcher m = INDICES.matcher(out);
        assertTrue(m.find(), out);
        return Arrays.stream(m.group(1).split(",\\s*")).mapToInt(Integer::parseInt).toArray();
    }

    private static int[] tile(BufferedImage img, int row, int col) {
        return img.getRGB(4 + col * 132, 18 + 4 + row * 132, 128, 128, null, 0, 128);
    }
}
