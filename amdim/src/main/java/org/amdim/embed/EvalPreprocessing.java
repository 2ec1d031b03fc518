package org.amdim.embed;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentLinkedQueue;

import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.FileImageInputStream;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.MemoryCacheImageInputStream;

import org.amdim.data.ImageBuffer;
import org.amdim.data.SampleTransform;
import org.amdim.data.augment.AmdimTransform;
import org.amdim.data.augment.AugmentationPreset;
import org.amdim.data.io.ImageFolderDataset;

/**
 * A preset's evaluation transform ({@link AmdimTransform#test}, the one the training loop's evaluation and the
 * original's test loader use) applied to decoded images, from any number of threads at once: each call borrows
 * a scratch set (transform worker, RGB buffer, one view) from a pool and gives it back, so steady use allocates
 * nothing but the decoded image, and the pool never holds more sets than threads ever ran here at once.
 */
final class EvalPreprocessing {
    private final AugmentationPreset preset;
    private final AmdimTransform transform;
    private final ConcurrentLinkedQueue<Scratch> idle = new ConcurrentLinkedQueue<>();

    /** One thread's working set. The test transform draws no random numbers; the generator only fills a slot. */
    private record Scratch(SampleTransform.Worker worker, ImageBuffer rgb, float[][] view, SplittableRandom rng) {
    }

    EvalPreprocessing(AugmentationPreset preset) {
        this.preset = preset;
        this.transform = AmdimTransform.test(preset);
    }

    /** Floats per preprocessed image: 3·S·S. */
    int viewLength() {
        return transform.viewLength();
    }

    /**
     * Writes one image's normalised (3, S, S) view into {@code dst} at {@code offset}.
     *
     * @throws IllegalArgumentException when the preset does not resize and the image is not S×S
     */
    void apply(BufferedImage image, float[] dst, int offset) {
        Objects.requireNonNull(image, "image");
        Scratch s = idle.poll();
        if (s == null) {
            s = new Scratch(transform.newWorker(), new ImageBuffer(), new float[1][transform.viewLength()],
                    new SplittableRandom(0));
        }
        try {
            ImageFolderDataset.toRgb(image, s.rgb());
            s.worker().apply(s.rgb(), s.rng(), s.view());
            System.arraycopy(s.view()[0], 0, dst, offset, transform.viewLength());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("the " + preset.name() + " evaluation transform cannot take this image: "
                    + e.getMessage(), e);
        } finally {
            idle.add(s);
        }
    }

    /** Decodes a JPEG, PNG or any format {@code javax.imageio} reads, from its bytes. */
    static BufferedImage decode(byte[] encoded) throws IOException {
        Objects.requireNonNull(encoded, "encoded");
        try (ImageInputStream in = new MemoryCacheImageInputStream(new ByteArrayInputStream(encoded))) {
            return read(in, encoded.length + " bytes");
        }
    }

    /** Decodes an image file; {@code javax.imageio}'s disk cache is not involved. */
    static BufferedImage decode(Path file) throws IOException {
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
