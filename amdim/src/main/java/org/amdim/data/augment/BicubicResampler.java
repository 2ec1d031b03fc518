package org.amdim.data.augment;

import org.amdim.data.ImageBuffer;

/**
 * Antialiased bicubic resizing of uint8 images, matching PIL's arithmetic to the bit
 * ({@code Image.resize(size, BICUBIC)}, Resample.c): a separable convolution with the Keys cubic kernel (a = −0.5) whose
 * support widens by the scale factor when shrinking (antialiasing), weights normalised to sum 1
 * and quantised to 22-bit fixed point, the horizontal pass first into an 8-bit intermediate image
 * (only over the rows the vertical pass needs), then the vertical pass, each rounding and clipping
 * to 0..255. A pass whose size does not change is skipped, as in PIL.
 *
 * <p>An instance holds scratch arrays and is not thread-safe: keep one per worker thread.
 */
public final class BicubicResampler {

    private static final int PRECISION_BITS = 32 - 8 - 2;
    private static final double BICUBIC_SUPPORT = 2.0;

    private final Coefficients horizontal = new Coefficients();
    private final Coefficients vertical = new Coefficients();
    private byte[] temp = new byte[0];
    private int[] accumulator = new int[0];

    /** Creates a resampler with empty scratch space. */
    public BicubicResampler() {}

    /**
     * The bicubic convolution kernel with a = −0.5 (Keys), as PIL defines it.
     *
     * @param x the distance from the sample centre, in input pixels (scaled)
     * @return the weight
     */
    public static double bicubic(double x) {
        final double a = -0.5;
        if (x < 0.0) {
            x = -x;
        }
        if (x < 1.0) {
            return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
        }
        if (x < 2.0) {
            return (((x - 5) * x + 8) * x - 4) * a;
        }
        return 0.0;
    }

    /**
     * Resizes a whole image: {@code img.resize((outWidth, outHeight), Image.BICUBIC)}.
     *
     * @param src the source image
     * @param outHeight output rows
     * @param outWidth output columns
     * @param dst the output buffer (reshaped; must not be {@code src})
     */
    public void resize(ImageBuffer src, int outHeight, int outWidth, ImageBuffer dst) {
        resizeCrop(src, 0, 0, src.height(), src.width(), outHeight, outWidth, dst);
    }

    /**
     * Crops then resizes: {@code img.crop((left, top, left + width, top + height))
     * .resize((outWidth, outHeight), Image.BICUBIC)}, which is what torchvision's
     * {@code resized_crop} does on PIL images.
     *
     * @param src the source image
     * @param top first row of the crop
     * @param left first column of the crop
     * @param height rows of the crop, at least 1
     * @param width columns of the crop, at least 1
     * @param outHeight output rows, at least 1
     * @param outWidth output columns, at least 1
     * @param dst the output buffer (reshaped; must not be {@code src})
     * @throws IllegalArgumentException when the crop leaves the image or a size is not positive
     */
    public void resizeCrop(ImageBuffer src, int top, int left, int height, int width,
            int outHeight, int outWidth, ImageBuffer dst) {
        if (src == dst) {
            throw new IllegalArgumentException("source and destination must differ");
        }
        if (height < 1 || width < 1 || outHeight < 1 || outWidth < 1) {
            throw new IllegalArgumentException("sizes must be positive: crop " + height + "x" + width
                    + ", output " + outHeight + "x" + outWidth);
        }
        if (top < 0 || left < 0 || top + height > src.height() || left + width > src.width()) {
            throw new IllegalArgumentException("crop (top " + top + ", left " + left + ", " + height + "x" + width
                    + ") leaves the " + src.height() + "x" + src.width() + " image");
        }
        int channels = src.channels();
        boolean needHorizontal = outWidth != width;
        boolean needVertical = outHeight != height;
        dst.reshape(outHeight, outWidth, channels);
        if (!needHorizontal && !needVertical) {
            copyCrop(src, top, left, height, width, dst);
            return;
        }
        vertical.compute(height, outHeight);
        // Rows of the crop that the vertical pass reads.
        int firstRow = vertical.bounds[0];
        int lastRow = vertical.bounds[2 * outHeight - 2] + vertical.bounds[2 * outHeight - 1];
        if (needHorizontal) {
            horizontal.compute(width, outWidth);
            int rows = lastRow - firstRow;
            int tempLength = rows * outWidth * channels;
            if (temp.length < tempLength) {
                temp = new byte[tempLength];
            }
            horizontalPass(src.data(), src.width(), top + firstRow, left, rows, outWidth, channels, temp);
            if (needVertical) {
                verticalPass(temp, outWidth, -firstRow, 0, outHeight, outWidth, channels, dst.data());
            } else {
                System.arraycopy(temp, 0, dst.data(), 0, tempLength);
            }
        } else {
            verticalPass(src.data(), src.width(), top, left, outHeight, outWidth, channels, dst.data());
        }
    }

    private static void copyCrop(ImageBuffer src, int top, int left, int height, int width, ImageBuffer dst) {
        int c = src.channels();
        int rowBytes = width * c;
        for (int y = 0; y < height; y++) {
            System.arraycopy(src.data(), ((top + y) * src.width() + left) * c, dst.data(), y * rowBytes, rowBytes);
        }
    }

    /** Horizontal pass over {@code rows} source rows starting at {@code srcTop}, columns from {@code srcLeft}. */
    private void horizontalPass(byte[] in, int inWidth, int srcTop, int srcLeft, int rows, int outWidth,
            int channels, byte[] out) {
        int[] bounds = horizontal.bounds;
        int[] k = horizontal.weights;
        int ksize = horizontal.ksize;
        int half = 1 << (PRECISION_BITS - 1);
        for (int yy = 0; yy < rows; yy++) {
            int rowBase = ((srcTop + yy) * inWidth + srcLeft) * channels;
            int outBase = yy * outWidth * channels;
            for (int xx = 0; xx < outWidth; xx++) {
                int xmin = bounds[2 * xx];
                int xmax = bounds[2 * xx + 1];
                int kOff = xx * ksize;
                int p = rowBase + xmin * channels;
                if (channels == 3) {
                    int s0 = half;
                    int s1 = half;
                    int s2 = half;
                    for (int x = 0; x < xmax; x++, p += 3) {
                        int w = k[kOff + x];
                        s0 += (in[p] & 0xFF) * w;
                        s1 += (in[p + 1] & 0xFF) * w;
                        s2 += (in[p + 2] & 0xFF) * w;
                    }
                    int o = outBase + xx * 3;
                    out[o] = clip8(s0);
                    out[o + 1] = clip8(s1);
                    out[o + 2] = clip8(s2);
                } else {
                    int s0 = half;
                    for (int x = 0; x < xmax; x++, p++) {
                        s0 += (in[p] & 0xFF) * k[kOff + x];
                    }
                    out[outBase + xx] = clip8(s0);
                }
            }
        }
    }

    /**
     * Vertical pass producing {@code outHeight} rows; source row of bound {@code y} is
     * {@code y + rowShift}, columns start at {@code srcLeft}.
     */
    private void verticalPass(byte[] in, int inWidth, int rowShift, int srcLeft, int outHeight, int outWidth,
            int channels, byte[] out) {
        int[] bounds = vertical.bounds;
        int[] k = vertical.weights;
        int ksize = vertical.ksize;
        int half = 1 << (PRECISION_BITS - 1);
        int rowStride = inWidth * channels;
        int span = outWidth * channels;
        if (accumulator.length < span) {
            accumulator = new int[span];
        }
        int[] acc = accumulator;
        int colBase = srcLeft * channels;
        for (int yy = 0; yy < outHeight; yy++) {
            int ymin = bounds[2 * yy] + rowShift;
            int ymax = bounds[2 * yy + 1];
            int kOff = yy * ksize;
            // Row-at-a-time accumulation: the same sums as PIL's per-pixel loop (integer addition
            // is associative), in an order the JIT can vectorise.
            java.util.Arrays.fill(acc, 0, span, half);
            for (int y = 0; y < ymax; y++) {
                int w = k[kOff + y];
                int p = (ymin + y) * rowStride + colBase;
                for (int i = 0; i < span; i++) {
                    acc[i] += (in[p + i] & 0xFF) * w;
                }
            }
            int outBase = yy * span;
            for (int i = 0; i < span; i++) {
                out[outBase + i] = clip8(acc[i]);
            }
        }
    }

    private static byte clip8(int sum) {
        int v = sum >> PRECISION_BITS;
        return (byte) (v < 0 ? 0 : Math.min(v, 255));
    }

    /**
     * One axis's filter: for each output position the first input index, the number of inputs
     * and their fixed-point weights ({@code precompute_coeffs} + {@code normalize_coeffs_8bpc}).
     */
    static final class Coefficients {
        int ksize;
        int[] bounds = new int[0];
        int[] weights = new int[0];
        private double[] row = new double[0];

        /** Computes the filter for resampling {@code inSize} inputs (box 0..inSize) to {@code outSize}. */
        void compute(int inSize, int outSize) {
            // PIL passes the box as floats; for whole-pixel boxes starting at 0 that is exact.
            double scale = (double) inSize / outSize;
            double filterScale = Math.max(scale, 1.0);
            double support = BICUBIC_SUPPORT * filterScale;
            ksize = (int) Math.ceil(support) * 2 + 1;
            if (bounds.length < 2 * outSize) {
                bounds = new int[2 * outSize];
            }
            if (weights.length < outSize * ksize) {
                weights = new int[outSize * ksize];
            }
            if (row.length < ksize) {
                row = new double[ksize];
            }
            double ss = 1.0 / filterScale;
            for (int xx = 0; xx < outSize; xx++) {
                double center = (xx + 0.5) * scale;
                int xmin = (int) (center - support + 0.5);
                if (xmin < 0) {
                    xmin = 0;
                }
                int xmax = (int) (center + support + 0.5);
                if (xmax > inSize) {
                    xmax = inSize;
                }
                xmax -= xmin;
                double ww = 0.0;
                for (int x = 0; x < xmax; x++) {
                    double w = bicubic((x + xmin - center + 0.5) * ss);
                    row[x] = w;
                    ww += w;
                }
                int off = xx * ksize;
                for (int x = 0; x < ksize; x++) {
                    double w = x < xmax ? (ww != 0.0 ? row[x] / ww : row[x]) : 0.0;
                    weights[off + x] = w < 0
                            ? (int) (-0.5 + w * (1 << PRECISION_BITS))
                            : (int) (0.5 + w * (1 << PRECISION_BITS));
                }
                bounds[2 * xx] = xmin;
                bounds[2 * xx + 1] = xmax;
            }
        }
    }
}
