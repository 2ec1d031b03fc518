package org.amdim.data.io;

import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.ComponentColorModel;
import java.awt.image.DirectColorModel;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.FileImageInputStream;
import javax.imageio.stream.ImageInputStream;
import org.amdim.data.DatasetFormatException;
import org.amdim.data.ImageBuffer;
import org.amdim.data.ImageDataset;

/**
 * torchvision's {@code ImageFolder}: {@code root/<class>/<image>}, classes numbered in sorted
 * name order, images within a class in sorted name order; files ending in .jpg, .jpeg or .png
 * (any case) are images, other files are ignored and counted. Images are decoded with
 * {@code javax.imageio} on access and converted to RGB (gray replicated, alpha dropped), so they
 * keep their own sizes: {@link #height()} and {@link #width()} are {@link #VARIABLE_SIZE} and
 * {@link #imageHeight(int)} / {@link #imageWidth(int)} give each image's size.
 *
 * <p>At open time the files are checked on a fixed pool of threads, as {@link Options#validation()}
 * asks: only their headers (the default; catches non-images and unknown formats and records every
 * size), a full decode (also catches truncated data), or nothing. Files that fail are either
 * reported all together in one {@link DatasetFormatException}, or, with
 * {@link Options#skipUndecodable()}, left out and listed by {@link #undecodable()}.
 *
 * <p>Differences from PIL's decoding: JPEG pixels may differ by a few levels from libjpeg's (a
 * different IDCT and chroma upsampling; PNG is lossless and identical); 16-bit samples are scaled
 * to 8 bits with rounding; CMYK JPEGs, which javax.imageio cannot read, count as undecodable.
 */
public final class ImageFolderDataset implements ImageDataset {

    /** How thoroughly files are checked at open time. */
    public enum Validation {
        /** No check; sizes are read from headers on demand, failures surface on access. */
        NONE,
        /** Read each header (size and format); cheap. */
        HEADERS,
        /** Decode each image fully; as costly as one epoch. */
        FULL
    }

    /**
     * Opening options.
     *
     * @param skipUndecodable leave out files that cannot be decoded and report them through
     *     {@link #undecodable()}, instead of failing (default false)
     * @param validation how thoroughly to check files at open time (default {@link Validation#HEADERS})
     * @param threads the size of the validation thread pool (default: available processors)
     */
    public record Options(boolean skipUndecodable, Validation validation, int threads) {

        /** Strict header validation on all processors. */
        public static final Options DEFAULT = new Options(false, Validation.HEADERS,
                Runtime.getRuntime().availableProcessors());

        /** Validates the fields. */
        public Options {
            if (threads < 1 || validation == null) {
                throw new IllegalArgumentException("need a validation mode and at least one thread");
            }
        }

        /** {@return a copy that skips undecodable files} */
        public Options skippingUndecodable() {
            return new Options(true, validation, threads);
        }

        /**
         * Returns a copy with another validation mode.
         *
         * @param value the new setting
         * @return the modified copy
         */
        public Options withValidation(Validation value) {
            return new Options(skipUndecodable, value, threads);
        }
    }

    /**
     * A file that could not be decoded.
     *
     * @param file the file
     * @param reason the decoder's complaint
     */
    public record Undecodable(Path file, String reason) {}

    private static final List<String> EXTENSIONS = List.of(".jpg", ".jpeg", ".png");
    private static final int REPORT_LIMIT = 20;

    private final String name;
    private final List<String> classes;
    private final Path[] files;
    private final int[] labels;
    /** Image sizes from validation, or null (read on demand). */
    private final int[] heights;
    private final int[] widths;
    private final List<Undecodable> undecodable;
    private final int ignoredFiles;

    private ImageFolderDataset(String name, List<String> classes, Path[] files, int[] labels, int[] heights,
            int[] widths, List<Undecodable> undecodable, int ignoredFiles) {
        this.name = name;
        this.classes = classes;
        this.files = files;
        this.labels = labels;
        this.heights = heights;
        this.widths = widths;
        this.undecodable = undecodable;
        this.ignoredFiles = ignoredFiles;
    }

    /**
     * Scans and validates a folder.
     *
     * @param root the folder holding one sub-folder per class
     * @param options validation and skipping
     * @return the dataset
     * @throws java.nio.file.NoSuchFileException when the root is missing
     * @throws DatasetFormatException when there are no classes, a class has no images, or (without
     *     skipping) some files cannot be decoded; the message lists them
     */
    public static ImageFolderDataset open(Path root, Options options) throws IOException {
        List<Path> classDirs = classDirectories(root);
        if (classDirs.isEmpty()) {
            throw new DatasetFormatException(root, DatasetFormatException.NO_OFFSET,
                    "no class sub-folders (expected root/<class>/<image>)");
        }
        List<String> classes = new ArrayList<>();
        List<Path> files = new ArrayList<>();
        List<Integer> labels = new ArrayList<>();
        int ignored = 0;
        for (int c = 0; c < classDirs.size(); c++) {
            Path dir = classDirs.get(c);
            classes.add(dir.getFileName().toString());
            List<Path> all;
            try (Stream<Path> s = Files.list(dir)) {
                all = s.filter(Files::isRegularFile).sorted((a, b) -> a.getFileName().toString()
                        .compareTo(b.getFileName().toString())).toList();
            }
            int found = 0;
            for (Path f : all) {
                if (isImageName(f)) {
                    files.add(f);
                    labels.add(c);
                    found++;
                } else {
                    ignored++;
                }
            }
            if (found == 0) {
                throw new DatasetFormatException(dir, DatasetFormatException.NO_OFFSET,
                        "class folder has no .jpg, .jpeg or .png files");
            }
        }
        String name = "image folder " + root + " (" + classes.size() + " classes)";
        if (options.validation() == Validation.NONE) {
            return new ImageFolderDataset(name, List.copyOf(classes), files.toArray(Path[]::new),
                    labels.stream().mapToInt(Integer::intValue).toArray(), null, null, List.of(), ignored);
        }
        Check[] checks = validate(files, options);
        List<Undecodable> bad = new ArrayList<>();
        List<Path> keptFiles = new ArrayList<>();
        List<Integer> keptLabels = new ArrayList<>();
        List<int[]> keptSizes = new ArrayList<>();
        for (int i = 0; i < files.size(); i++) {
            Check check = checks[i];
            if (check.failure() != null) {
                bad.add(new Undecodable(files.get(i), check.failure()));
            } else {
                keptFiles.add(files.get(i));
                keptLabels.add(labels.get(i));
                keptSizes.add(new int[] {check.height(), check.width()});
            }
        }
        if (!bad.isEmpty() && !options.skipUndecodable()) {
            throw new DatasetFormatException(root, DatasetFormatException.NO_OFFSET, bad.size() + " of " + files.size()
                    + " image files cannot be decoded (open with skipUndecodable to leave them out): " + describe(bad));
        }
        if (keptFiles.isEmpty()) {
            throw new DatasetFormatException(root, DatasetFormatException.NO_OFFSET,
                    "no decodable images: " + describe(bad));
        }
        int n = keptFiles.size();
        int[] heights = new int[n];
        int[] widths = new int[n];
        for (int i = 0; i < n; i++) {
            heights[i] = keptSizes.get(i)[0];
            widths[i] = keptSizes.get(i)[1];
        }
        return new ImageFolderDataset(name, List.copyOf(classes), keptFiles.toArray(Path[]::new),
                keptLabels.stream().mapToInt(Integer::intValue).toArray(), heights, widths, List.copyOf(bad), ignored);
    }

    /** The outcome of checking one file: its size, or why it failed. */
    private record Check(int height, int width, String failure) {}

    /** Checks every file on a fixed pool of named daemon threads, which are gone on return. */
    private static Check[] validate(List<Path> files, Options options) throws IOException {
        Check[] checks = new Check[files.size()];
        AtomicInteger threadIds = new AtomicInteger();
        List<Thread> started = java.util.Collections.synchronizedList(new ArrayList<>());
        ThreadFactory factory = r -> {
            Thread t = Thread.ofPlatform().name("amdim-imagefolder-validate-" + threadIds.incrementAndGet())
                    .daemon(true).unstarted(r);
            started.add(t);
            return t;
        };
        try (ExecutorService pool = Executors.newFixedThreadPool(options.threads(), factory)) {
            List<Future<int[]>> results = new ArrayList<>(files.size());
            boolean full = options.validation() == Validation.FULL;
            for (Path f : files) {
                results.add(pool.submit(() -> full ? decodedSize(f) : readSize(f)));
            }
            for (int i = 0; i < files.size(); i++) {
                try {
                    int[] hw = results.get(i).get();
                    checks[i] = new Check(hw[0], hw[1], null);
                } catch (ExecutionException e) {
                    Throwable cause = e.getCause();
                    checks[i] = new Check(0, 0, cause.getClass().getSimpleName() + ": " + cause.getMessage());
                } catch (InterruptedException e) {
                    pool.shutdownNow();
                    Thread.currentThread().interrupt();
                    throw new IOException("interrupted while validating " + files.size() + " images", e);
                }
            }
        }
        // The pool is terminated once its workers finished their tasks, but a worker thread may
        // still be on its way out; wait for it so that no validation thread outlives open().
        synchronized (started) {
            for (Thread t : started) {
                joinQuietly(t);
            }
        }
        return checks;
    }

    private static void joinQuietly(Thread t) {
        boolean interrupted = false;
        while (t.isAlive()) {
            try {
                t.join();
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    private static int[] readSize(Path file) throws IOException {
        try (ImageInputStream in = new FileImageInputStream(file.toFile())) {
            ImageReader reader = readerFor(in, file);
            try {
                reader.setInput(in, true, true);
                return new int[] {reader.getHeight(0), reader.getWidth(0)};
            } finally {
                reader.dispose();
            }
        }
    }

    private static int[] decodedSize(Path file) throws IOException {
        BufferedImage img = decode(file);
        return new int[] {img.getHeight(), img.getWidth()};
    }

    private static ImageReader readerFor(ImageInputStream in, Path file) throws IOException {
        Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
        if (!readers.hasNext()) {
            throw new IOException("no image decoder recognises the content of " + file);
        }
        return readers.next();
    }

    /**
     * Decodes one file with the first {@code javax.imageio} reader that recognises its content.
     * A {@link FileImageInputStream} is used directly so that ImageIO's disk cache is not involved.
     */
    private static BufferedImage decode(Path file) throws IOException {
        try (ImageInputStream in = new FileImageInputStream(file.toFile())) {
            ImageReader reader = readerFor(in, file);
            try {
                reader.setInput(in, true, true);
                // A corrupt or truncated JPEG body decodes "successfully" (grey or garbled blocks) with only a
                // warning; such a file is as undecodable as one the reader refuses.
                List<String> warnings = new ArrayList<>();
                reader.addIIOReadWarningListener((source, warning) -> warnings.add(warning));
                BufferedImage img = reader.read(0);
                if (img == null) {
                    throw new IOException("decoder returned no image for " + file);
                }
                if (!warnings.isEmpty()) {
                    throw new IOException("damaged image data in " + file + ": " + String.join("; ", warnings));
                }
                return img;
            } finally {
                reader.dispose();
            }
        }
    }

    /**
     * The class names of an image folder, in label order, from its directory listing alone (nothing is decoded):
     * for checking that two splits number their classes alike.
     *
     * @throws IOException when {@code root} is not a directory
     */
    public static List<String> classNames(Path root) throws IOException {
        return classDirectories(root).stream().map(d -> d.getFileName().toString()).toList();
    }

    private static List<Path> classDirectories(Path root) throws IOException {
        BinaryFiles.requireDirectory(root, "image folder");
        try (Stream<Path> s = Files.list(root)) {
            return s.filter(Files::isDirectory).sorted((a, b) -> a.getFileName().toString()
                    .compareTo(b.getFileName().toString())).toList();
        }
    }

    private static String describe(List<Undecodable> bad) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < Math.min(bad.size(), REPORT_LIMIT); i++) {
            sb.append(i == 0 ? "" : "; ").append(bad.get(i).file()).append(" (").append(bad.get(i).reason()).append(')');
        }
        if (bad.size() > REPORT_LIMIT) {
            sb.append("; and ").append(bad.size() - REPORT_LIMIT).append(" more");
        }
        return sb.toString();
    }

    private static boolean isImageName(Path f) {
        String n = f.getFileName().toString().toLowerCase(Locale.ROOT);
        for (String ext : EXTENSIONS) {
            if (n.endsWith(ext)) {
                return true;
            }
        }
        return false;
    }

    /**
     * Converts a decoded image to 8-bit RGB, HWC, as PIL's {@code convert("RGB")} (the one conversion every
     * reader of decoded images uses, this folder's and {@code org.amdim.embed}'s): gray is
     * replicated (read from the raster, since {@code getRGB} would apply a gamma conversion to
     * gray images), alpha is dropped, other colour models go through {@code getRGB}.
     *
     * @param img the decoded image
     * @param dst the buffer to fill (reshaped)
     */
    public static void toRgb(BufferedImage img, ImageBuffer dst) {
        int w = img.getWidth();
        int h = img.getHeight();
        dst.reshape(h, w, 3);
        byte[] out = dst.data();
        ColorModel cm = img.getColorModel();
        Raster raster = img.getRaster();
        int bands = raster.getNumBands();
        boolean gray = cm.getColorSpace().getType() == ColorSpace.TYPE_GRAY && !(cm instanceof IndexColorModel);
        boolean plainRgb = cm.getColorSpace().isCS_sRGB() && bands >= 3
                && (cm instanceof ComponentColorModel || cm instanceof DirectColorModel) && allBits(cm, 8);
        if (gray) {
            int bits = cm.getComponentSize(0);
            int max = (1 << bits) - 1;
            int[] row = new int[w];
            for (int y = 0; y < h; y++) {
                raster.getSamples(0, y, w, 1, 0, row);
                for (int x = 0; x < w; x++) {
                    int v = bits == 8 ? row[x] : (int) ((row[x] * 255L + max / 2) / max);
                    int o = (y * w + x) * 3;
                    out[o] = (byte) v;
                    out[o + 1] = (byte) v;
                    out[o + 2] = (byte) v;
                }
            }
        } else if (plainRgb) {
            int[] row = new int[w * bands];
            for (int y = 0; y < h; y++) {
                raster.getPixels(0, y, w, 1, row);
                for (int x = 0; x < w; x++) {
                    int o = (y * w + x) * 3;
                    int p = x * bands;
                    out[o] = (byte) row[p];
                    out[o + 1] = (byte) row[p + 1];
                    out[o + 2] = (byte) row[p + 2];
                }
            }
        } else {
            int[] row = new int[w];
            for (int y = 0; y < h; y++) {
                img.getRGB(0, y, w, 1, row, 0, w);
                for (int x = 0; x < w; x++) {
                    int argb = row[x];
                    int o = (y * w + x) * 3;
                    out[o] = (byte) (argb >>> 16);
                    out[o + 1] = (byte) (argb >>> 8);
                    out[o + 2] = (byte) argb;
                }
            }
        }
    }

    private static boolean allBits(ColorModel cm, int bits) {
        for (int s : cm.getComponentSize()) {
            if (s != bits) {
                return false;
            }
        }
        return true;
    }

    /** {@return the class names, in label order} */
    public List<String> classes() {
        return classes;
    }

    /**
     * Returns the file of one image.
     *
     * @param index in {@code 0..size()-1}
     * @return the path
     */
    public Path file(int index) {
        return files[ImageDataset.checkIndex(index, files.length, name)];
    }

    /** {@return the files left out because they could not be decoded (empty unless skipping)} */
    public List<Undecodable> undecodable() {
        return undecodable;
    }

    /** {@return how many files in class folders were ignored for their extension} */
    public int ignoredFiles() {
        return ignoredFiles;
    }

    @Override
    public int size() {
        return files.length;
    }

    @Override
    public int height() {
        return VARIABLE_SIZE;
    }

    @Override
    public int width() {
        return VARIABLE_SIZE;
    }

    @Override
    public int channels() {
        return 3;
    }

    @Override
    public int numClasses() {
        return classes.size();
    }

    @Override
    public int label(int index) {
        return labels[ImageDataset.checkIndex(index, files.length, name)];
    }

    @Override
    public int imageHeight(int index) {
        return size(index)[0];
    }

    @Override
    public int imageWidth(int index) {
        return size(index)[1];
    }

    private int[] size(int index) {
        ImageDataset.checkIndex(index, files.length, name);
        if (heights != null) {
            return new int[] {heights[index], widths[index]};
        }
        try {
            return readSize(files[index]);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the header of " + files[index], e);
        }
    }

    @Override
    public void readImage(int index, ImageBuffer dst) {
        ImageDataset.checkIndex(index, files.length, name);
        try {
            toRgb(decode(files[index]), dst);
        } catch (IOException | RuntimeException e) {
            throw new UncheckedIOException("cannot decode " + files[index] + " (index " + index + " of " + name + ")",
                    e instanceof IOException io ? io : new IOException(e));
        }
    }

    @Override
    public void readImage(int index, byte[] dst) {
        ImageBuffer tmp = new ImageBuffer();
        readImage(index, tmp);
        ImageDataset.checkDestination(dst, tmp.length(), name);
        System.arraycopy(tmp.data(), 0, dst, 0, tmp.length());
    }

    @Override
    public String name() {
        return name;
    }
}
