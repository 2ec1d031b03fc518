package org.amdim.tools;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;

import javax.imageio.ImageIO;

/** Writes a small ImageNet-style folder dataset ({@code train/} and {@code val/}, one directory per class). */
final class TinyImageFolder {
    private TinyImageFolder() {
    }

    /** Two classes with {@code perClass} random 80×60 PNG images each, in both splits; returns {@code root}. */
    static Path create(Path root, int perClass) throws IOException {
        SplittableRandom rng = new SplittableRandom(7);
        for (String split : new String[] {"train", "val"}) {
            for (String cls : new String[] {"cats", "dogs"}) {
                Path dir = Files.createDirectories(root.resolve(split).resolve(cls));
                for (int i = 0; i < perClass; i++) {
                    BufferedImage img = new BufferedImage(80, 60, BufferedImage.TYPE_INT_RGB);
                    int base = rng.nextInt(0x1000000);
                    for (int y = 0; y < 60; y++) {
                        for (int x = 0; x < 80; x++) {
                            // A horizontal gradient over a random base colour, so crops and flips show.
                            img.setRGB(x, y, base ^ (x * 3) << 8 ^ y * 4);
                        }
                    }
                    ImageIO.write(img, "png", dir.resolve("img" + i + ".png").toFile());
                }
            }
        }
        return root;
    }
}
