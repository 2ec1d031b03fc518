package org.amdim.data.augment;

import org.amdim.data.ImageBuffer;

/**
 * The deterministic geometric operations of the pipeline with torchvision's PIL semantics:
 * horizontal flip, AMDIM's reflect-padded translation, center crop (with zero padding when the
 * crop is larger than the image) and the output size of {@code Resize(int)}.
 */
public final class Geometry {

    private Geometry() {}

    /**
     * Mirrors an image left to right in place ({@code Image.FLIP_LEFT_RIGHT}).
     *
     * @param img the image
     */
    public static void flipHorizontal(ImageBuffer img) {
        byte[] d = img.data();
        int w = img.width();
        int c = img.channels();
        for (int y = 0; y < img.height(); y++) {
            int row = y * w * c;
            for (int l = 0, r = w - 1; l < r; l++, r--) {
                for (int k = 0; k < c; k++) {
                    int a = row + l * c + k;
                    int b = row + r * c + k;
                    byte t = d[a];
                    d[a] = d[b];
                    d[b] = t;
                }
            }
        }
    }

    /**
     * AMDIM's {@code RandomTranslateWithReflect} for given shifts: the output pixel (y, x) is the
     * input pixel (y − dy, x − dx), where coordinates outside the image are mirrored about the
     * edge pixel without repeating it (numpy's "reflect" mode: −1 → 1, W → W − 2). Positive shifts
     * move the content right and down. This is what the original's paste of flipped copies at
     * offsets {@code ±(size − 1)} followed by a crop computes.
     *
     * @param src the source image
     * @param dx horizontal shift, {@code |dx| < width}
     * @param dy vertical shift, {@code |dy| < height}
     * @param dst the output, same size as the source (must not be {@code src})
     */
    public static void translateReflect(ImageBuffer src, int dx, int dy, ImageBuffer dst) {
        int h = src.height();
        int w = src.width();
        int c = src.channels();
        if (Math.abs(dx) >= Math.max(w, 2) || Math.abs(dy) >= Math.max(h, 2)) {
            throw new IllegalArgumentException("shift (" + dx + ", " + dy + ") too large for a " + h + "x" + w + " image");
        }
        if (src == dst) {
            throw new IllegalArgumentException("source and destination must differ");
        }
        dst.reshape(h, w, c);
        byte[] in = src.data();
        byte[] out = dst.data();
        for (int y = 0; y < h; y++) {
            int sy = reflect(y - dy, h);
            int outRow = y * w * c;
            int inRow = sy * w * c;
            // The interior is one contiguous run; only up to |dx| columns need mirroring.
            int x0 = Math.max(0, dx);
            int x1 = Math.min(w, w + dx);
            System.arraycopy(in, inRow + (x0 - dx) * c, out, outRow + x0 * c, (x1 - x0) * c);
            for (int x = 0; x < x0; x++) {
                System.arraycopy(in, inRow + reflect(x - dx, w) * c, out, outRow + x * c, c);
            }
            for (int x = x1; x < w; x++) {
                System.arraycopy(in, inRow + reflect(x - dx, w) * c, out, outRow + x * c, c);
            }
        }
    }

    /**
     * Mirrors a coordinate into 0..n−1 without repeating the edge (valid for {@code -n < i < 2n - 1}).
     *
     * @param i the coordinate
     * @param n the size
     * @return the mirrored coordinate
     */
    public static int reflect(int i, int n) {
        if (n == 1) {
            return 0;
        }
        if (i < 0) {
            return -i;
        }
        if (i >= n) {
            return 2 * (n - 1) - i;
        }
        return i;
    }

    /**
     * torchvision's {@code CenterCrop} on a PIL image: the crop's top-left corner is
     * {@code round((H − h) / 2)}, {@code round((W − w) / 2)} with Python's round-half-to-even, and
     * an image smaller than the crop is first padded with zeros ({@code (d) // 2} before,
     * {@code (d + 1) // 2} after).
     *
     * @param src the source image
     * @param height crop rows
     * @param width crop columns
     * @param dst the output (must not be {@code src})
     */
    public static void centerCrop(ImageBuffer src, int height, int width, ImageBuffer dst) {
        if (src == dst) {
            throw new IllegalArgumentException("source and destination must differ");
        }
        int h = src.height();
        int w = src.width();
        int c = src.channels();
        int padTop = height > h ? (height - h) / 2 : 0;
        int padLeft = width > w ? (width - w) / 2 : 0;
        int paddedH = h + padTop + (height > h ? (height - h + 1) / 2 : 0);
        int paddedW = w + padLeft + (width > w ? (width - w + 1) / 2 : 0);
        int top = (int) Math.rint((paddedH - height) / 2.0) - padTop;
        int left = (int) Math.rint((paddedW - width) / 2.0) - padLeft;
        dst.reshape(height, width, c);
        byte[] in = src.data();
        byte[] out = dst.data();
        for (int y = 0; y < height; y++) {
            int sy = top + y;
            int outRow = y * width * c;
            if (sy < 0 || sy >= h) {
                java.util.Arrays.fill(out, outRow, outRow + width * c, (byte) 0);
                continue;
            }
            for (int x = 0; x < width; x++) {
                int sx = left + x;
                for (int k = 0; k < c; k++) {
                    out[outRow + x * c + k] = sx < 0 || sx >= w ? 0 : in[(sy * w + sx) * c + k];
                }
            }
        }
    }

    /**
     * The output size of torchvision's {@code Resize(size)} with an int size: the shorter side
     * becomes {@code size}, the longer {@code int(size · long / short)} (truncated).
     *
     * @param height the image rows
     * @param width the image columns
     * @param size the target shorter side
     * @return {@code {newHeight, newWidth}}
     */
    public static int[] resizedShorterSide(int height, int width, int size) {
        if (width <= height) {
            return new int[] {(int) ((double) ((long) size * height) / width), size};
        }
        return new int[] {size, (int) ((double) ((long) size * width) / height)};
    }
}
