package org.amdim.embed;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Locale;
import java.util.Objects;

import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.FileImageInputStream;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.MemoryCacheImageInputStream;

/**
 * Decoding image files and bytes for embedding: the first {@code javax.imageio} reader that recognises the
 * content (JPEG and PNG with the JDK alone), without {@code javax.imageio}'s disk cache, every failure an
 * {@link IOException} that names its input.
 */
public final class ImageFiles {
    private ImageFiles() {
    }

    /** Whether a file's name ends in .jpg, .jpeg or .png (any case), as image folders are read. */
    public static boolean isImageName(Path file) {
        String n = file.getFileName().toString().toLowerCase(Locale.ROOT);
        return n.endsWith(".jpg") || n.endsWith(".jpeg") || n.endsWith(".png");
    }

    /**
     * Decodes a JPEG, PNG or any format {@code javax.imageio} reads, from its bytes.
     *
     * @throws IOException when no decoder recognises them or they are corrupt
     */
    public static BufferedImage decode(byte[] encoded) throws IOException {
        Objects.requireNonNull(encoded, "encoded");
        try (ImageInputStream in = new MemoryCacheImageInputStream(new ByteArrayInputStream(encoded))) {
            return read(in, encoded.length + " bytes");
        }
    }

    /**
     * Decodes an image file.
     *
     * @throws IOException when it cannot be read or decoded (the message names it)
     */
    public static BufferedImage decode(Path file) throws IOException {
        try (ImageInputStream in = new FileImageInputStream(file.toFile())) {
            return read(in, file.toString());
        }
    }

    private static BufferedImage read(ImageInputStream in, String what) throws IOException {
        Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
        if (!readers.hasNext()) {
            throw new IOException("no image decoder recognises " + what);
        }
        ImageReader reader = readers.next();
        try {
            reader.setInput(in, true, true);
            BufferedImage img = reader.read(0);
            if (img == null) {
                throw new IOException("the decoder returned no image for " + what);
            }
            return img;
        } catch (RuntimeException e) {
            // javax.imageio throws unchecked exceptions for some corrupt files
            throw new IOException("cannot decode " + what + ": " + e, e);
        } finally {
            reader.dispose();
        }
    }
}
