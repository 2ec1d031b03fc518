package org.amdim.data.synthetic;

import java.util.SplittableRandom;
import org.amdim.data.ImageDataset;
import org.amdim.data.Seeds;

/**
 * Procedurally drawn RGB images in 10 classes: five shapes (disk, square, triangle, ring, cross)
 * times two textures (solid, striped). Everything else is random nuisance shared by all classes:
 * the shape's colour, position, size and rotation, the stripes' angle and period, and a background
 * made of a two-colour gradient plus per-pixel noise. Because colours are drawn independently of
 * the class, a classifier has to look at shape and texture, not at a colour cue.
 *
 * <p>Image {@code i} has label {@code i mod 10} (so classes are balanced to within one image) and
 * is drawn from a random stream seeded by (seed, i) alone: any index can be generated on its own,
 * in any order, on any thread, and is the same every time. No files are involved.
 */
public final class SyntheticShapesDataset implements ImageDataset {

    /** Number of classes: 5 shapes × 2 textures. */
    public static final int NUM_CLASSES = 10;

    private static final long DOMAIN = 0x5348415045L; // "SHAPE"
    private static final String[] SHAPES = {"disk", "square", "triangle", "ring", "cross"};
    private static final double SQRT3 = Math.sqrt(3.0);

    /**
     * Dataset settings.
     *
     * @param size number of images (default 10 000)
     * @param height image rows (default 32)
     * @param width image columns (default 32)
     * @param seed the seed every image is derived from (default 0)
     */
    public record Options(int size, int height, int width, long seed) {

        /** 10 000 images of 32×32, seed 0. */
        public static final Options DEFAULT = new Options(10_000, 32, 32, 0L);

        /** Validates the fields. */
        public Options {
            if (size < 0 || height < 8 || width < 8) {
                throw new IllegalArgumentException("need size >= 0 and images of at least 8x8, got " + size + " of "
                        + height + "x" + width);
            }
        }

        /**
         * Returns a copy with another image count.
         *
         * @param value the new setting
         * @return the modified copy
         */
        public Options withSize(int value) {
            return new Options(value, height, width, seed);
        }

        /**
         * Returns a copy with square images of another side.
         *
         * @param side the new setting
         * @return the modified copy
         */
        public Options withImageSize(int side) {
            return new Options(size, side, side, seed);
        }

        /**
         * Returns a copy with another seed.
         *
         * @param value the new setting
         * @return the modified copy
         */
        public Options withSeed(long value) {
            return new Options(size, height, width, value);
        }
    }

    private final Options options;

    /**
     * Creates the dataset; nothing is generated until an image is read.
     *
     * @param options count, image size and seed
     */
    public SyntheticShapesDataset(Options options) {
        this.options = options;
    }

    /** {@return the settings} */
    public Options options() {
        return options;
    }

    /**
     * Returns a readable name of a class, e.g. "striped triangle".
     *
     * @param label 0..9
     * @return the name
     */
    public static String className(int label) {
        return (label % 2 == 0 ? "solid " : "striped ") + SHAPES[label / 2];
    }

    @Override
    public int size() {
        return options.size();
    }

    @Override
    public int height() {
        return options.height();
    }

    @Override
    public int width() {
        return options.width();
    }

    @Override
    public int channels() {
        return 3;
    }

    @Override
    public int numClasses() {
        return NUM_CLASSES;
    }

    @Override
    public int label(int index) {
        return ImageDataset.checkIndex(index, options.size(), name()) % NUM_CLASSES;
    }

    @Override
    public String name() {
        return "synthetic shapes (" + options.size() + " images of " + options.height() + "x" + options.width()
                + ", seed " + options.seed() + ")";
    }

    @Override
    public void readImage(int index, byte[] dst) {
        ImageDataset.checkDestination(dst, (long) options.height() * options.width() * 3, name());
        render(index, dst, null);
    }

    /**
     * Draws only the shape's coverage mask of an image: per pixel, how many of its 2×2
     * sub-samples fall inside the shape (0..4). Useful to inspect or test the geometry apart from
     * the random colours.
     *
     * @param index the image
     * @param coverage at least height × width bytes, row-major
     */
    public void coverage(int index, byte[] coverage) {
        ImageDataset.checkDestination(coverage, (long) options.height() * options.width(), name());
        render(index, null, coverage);
    }

    /** Draws image {@code index} into {@code dst} (HWC RGB) and/or its coverage into {@code mask}. */
    private void render(int index, byte[] dst, byte[] mask) {
        int label = label(index);
        int h = options.height();
        int w = options.width();
        SplittableRandom rng = new SplittableRandom(Seeds.derive(options.seed(), DOMAIN, index));
        int shape = label / 2;
        boolean striped = label % 2 == 1;

        // Background: a gradient between two random colours along a random direction, plus noise.
        int[] bg0 = randomColor(rng);
        int[] bg1 = randomColor(rng);
        double gradAngle = rng.nextDouble(2 * Math.PI);
        double gx = Math.cos(gradAngle);
        double gy = Math.sin(gradAngle);
        int noise = rng.nextInt(4, 24);

        // Foreground colour, pushed away from the background's luma so the shape stays visible.
        int[] fg = randomColor(rng);
        double bgLuma = (luma(bg0) + luma(bg1)) / 2.0;
        contrastAway(fg, bgLuma, 80);
        int[] stripe = fg.clone();
        contrastAway(stripe, luma(fg), 90);

        int side = Math.min(h, w);
        double radius = side * rng.nextDouble(0.22, 0.40);
        double cx = rng.nextDouble(radius, w - radius);
        double cy = rng.nextDouble(radius, h - radius);
        double theta = rng.nextDouble(2 * Math.PI);
        double cos = Math.cos(theta);
        double sin = Math.sin(theta);
        double stripeAngle = rng.nextDouble(Math.PI);
        double sx = Math.cos(stripeAngle);
        double sy = Math.sin(stripeAngle);
        double period = Math.max(3.0, radius * rng.nextDouble(0.35, 0.6));
        double phase = rng.nextDouble(period);

        double diag = Math.abs(gx) * (w - 1) + Math.abs(gy) * (h - 1);
        double g0 = Math.min(0, gx * (w - 1)) + Math.min(0, gy * (h - 1));
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                double t = diag == 0 ? 0 : ((gx * x + gy * y) - g0) / diag;
                int n = rng.nextInt(-noise, noise + 1);
                // Coverage of the shape by a 2×2 grid of sub-samples, for smooth edges.
                int covered = 0;
                int stripeHits = 0;
                for (int s = 0; s < 4; s++) {
                    double px = x + 0.25 + 0.5 * (s & 1) - cx;
                    double py = y + 0.25 + 0.5 * (s >> 1) - cy;
                    double u = (cos * px + sin * py) / radius;
                    double v = (-sin * px + cos * py) / radius;
                    if (inside(shape, u, v)) {
                        covered++;
                        if (striped && Math.floorMod((long) Math.floor((sx * px + sy * py + phase) / (period / 2)), 2L) == 1) {
                            stripeHits++;
                        }
                    }
                }
                if (mask != null) {
                    mask[y * w + x] = (byte) covered;
                }
                if (dst == null) {
                    continue;
                }
                int o = (y * w + x) * 3;
                for (int c = 0; c < 3; c++) {
                    double back = bg0[c] + (bg1[c] - bg0[c]) * t + n;
                    double front = (fg[c] * (covered - stripeHits) + stripe[c] * stripeHits) / 4.0;
                    double value = back * (4 - covered) / 4.0 + front;
                    dst[o + c] = (byte) Math.clamp(Math.round(value), 0, 255);
                }
            }
        }
    }

    /** Shape membership in the shape's own frame, scaled so that the shape spans about [−1, 1]. */
    private static boolean inside(int shape, double u, double v) {
        return switch (shape) {
            case 0 -> u * u + v * v <= 1.0;
            case 1 -> Math.max(Math.abs(u), Math.abs(v)) <= 0.8;
            case 2 -> v >= -0.5 && v <= 1.0 - SQRT3 * Math.abs(u);
            case 3 -> {
                double r2 = u * u + v * v;
                yield r2 <= 1.0 && r2 >= 0.3;
            }
            default -> (Math.abs(u) <= 0.3 && Math.abs(v) <= 1.0) || (Math.abs(v) <= 0.3 && Math.abs(u) <= 1.0);
        };
    }

    private static int[] randomColor(SplittableRandom rng) {
        return new int[] {rng.nextInt(256), rng.nextInt(256), rng.nextInt(256)};
    }

    private static double luma(int[] c) {
        return 0.299 * c[0] + 0.587 * c[1] + 0.114 * c[2];
    }

    /** Moves a colour towards black or white until its luma differs from {@code from} by {@code gap}. */
    private static void contrastAway(int[] color, double from, double gap) {
        double l = luma(color);
        if (Math.abs(l - from) >= gap) {
            return;
        }
        boolean darken = from >= 128;
        double target = darken ? Math.max(0, from - gap) : Math.min(255, from + gap);
        // Blend with black (scale) or white (lift) to reach the target luma.
        if (darken) {
            double f = l <= 0 ? 0 : target / l;
            for (int c = 0; c < 3; c++) {
                color[c] = (int) Math.round(color[c] * f);
            }
        } else {
            double f = l >= 255 ? 1 : (target - l) / (255 - l);
            for (int c = 0; c < 3; c++) {
                color[c] = (int) Math.round(color[c] + (255 - color[c]) * f);
            }
        }
    }
}
