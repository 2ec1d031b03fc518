package org.amdim.tools.render;

import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import javax.imageio.ImageIO;

/**
 * Creating and writing the PNG images of the CLI. Loading this class switches AWT to headless mode (unless the
 * user chose otherwise with {@code -Djava.awt.headless}), so drawing never needs a display and never opens a
 * window, also on a workstation with one.
 */
public final class Png {
    static {
        if (System.getProperty("java.awt.headless") == null) {
            System.setProperty("java.awt.headless", "true");
        }
    }

    private Png() {
    }

    /**
     * Makes sure headless mode is chosen before any AWT use: commands call this first (loading the class is what
     * sets the property).
     *
     * @return whether AWT runs headless
     */
    public static boolean ensureHeadless() {
        return Boolean.parseBoolean(System.getProperty("java.awt.headless"));
    }

    /** A new opaque RGB image of the given size, filled with white. */
    public static BufferedImage blank(int width, int height) {
        if (width < 1 || height < 1) {
            throw new IllegalArgumentException("image size must be positive, got " + width + "x" + height);
        }
        BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        try {
            g.setColor(java.awt.Color.WHITE);
            g.fillRect(0, 0, width, height);
        } finally {
            g.dispose();
        }
        return img;
    }

    /** A graphics context on {@code img} with antialiased shapes and text; the caller disposes it. */
    public static Graphics2D graphics(BufferedImage img) {
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_STROKE_CONTROL, RenderingHints.VALUE_STROKE_PURE);
        g.setRenderingHint(RenderingHints.KEY_RENDERING, RenderingHints.VALUE_RENDER_QUALITY);
        return g;
    }

    /**
     * Writes {@code img} as a PNG file, creating missing parent directories.
     *
     * @return the file written
     * @throws IOException when the file cannot be written
     */
    public static Path write(BufferedImage img, Path file) throws IOException {
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        if (Files.isDirectory(file)) {
            throw new IOException("cannot write the PNG to " + file + ": it is a directory");
        }
        if (!ImageIO.write(img, "png", file.toFile())) {
            throw new IOException("no PNG writer available in this Java runtime");
        }
        return file;
    }
}
