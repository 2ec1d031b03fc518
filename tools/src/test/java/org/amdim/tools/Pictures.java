package org.amdim.tools;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.awt.GraphicsEnvironment;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;

import javax.imageio.ImageIO;

import org.amdim.tools.render.Png;

/** Test helpers for the PNG-writing commands: headless AWT, decoding and simple content checks. */
final class Pictures {
    private Pictures() {
    }

    /** Switches AWT to headless mode (as the commands do) and skips the test if that did not take. */
    static void assumeHeadless() {
        Png.ensureHeadless();
        assumeTrue(GraphicsEnvironment.isHeadless(), "these tests draw without a display: run with"
                + " -Djava.awt.headless=true");
    }

    /** Decodes a PNG file written by a command, failing if it is missing or not an image. */
    static BufferedImage read(Path file) throws IOException {
        assertTrue(Files.isRegularFile(file), file + " was not written");
        BufferedImage img = ImageIO.read(file.toFile());
        assertNotNull(img, file + " does not decode as an image");
        return img;
    }

    /** Number of distinct RGB colours in a rectangle, to tell a drawn picture from a blank one. */
    static int colours(BufferedImage img, int x, int y, int w, int h) {
        Set<Integer> seen = new HashSet<>();
        for (int j = y; j < y + h; j++) {
            for (int i = x; i < x + w; i++) {
                seen.add(img.getRGB(i, j) & 0xFFFFFF);
            }
        }
        return seen.size();
    }
}
