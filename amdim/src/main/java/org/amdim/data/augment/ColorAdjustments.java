package org.amdim.data.augment;

import org.amdim.data.ImageBuffer;

/**
 * Colour adjustments of uint8 images (grayscale, brightness, contrast, saturation, hue), matching PIL's
 * arithmetic to the bit, since the original augmentations ran on PIL images: the "L" (luma) conversion,
 * {@code ImageEnhance} brightness, contrast and colour (saturation), which all go through
 * {@code Image.blend}, and the RGB↔HSV conversions behind torchvision's {@code adjust_hue}.
 *
 * <p>Every method works in place on RGB (3-channel) buffers; on grayscale buffers the brightness
 * and contrast adjustments apply and saturation and hue leave the image unchanged, as torchvision
 * does for mode "L".
 */
public final class ColorAdjustments {

    private ColorAdjustments() {}

    /**
     * PIL's RGB→L conversion (ITU-R 601-2 luma in 16-bit fixed point with rounding):
     * {@code (R·19595 + G·38470 + B·7471 + 0x8000) >> 16}.
     *
     * @param r red, 0..255
     * @param g green, 0..255
     * @param b blue, 0..255
     * @return the luma, 0..255
     */
    public static int luma(int r, int g, int b) {
        return (r * 19595 + g * 38470 + b * 7471 + 0x8000) >>> 16;
    }

    /**
     * PIL's {@code Image.blend(degenerate, image, alpha)} for one sample:
     * {@code degenerate + alpha·(image − degenerate)} in single precision, truncated toward zero
     * and clipped to 0..255 (the clipping matters only when extrapolating, alpha outside [0, 1]).
     *
     * @param degenerate the sample of the first image
     * @param image the sample of the second image
     * @param alpha the blend factor, already rounded to float as PIL's C code receives it
     * @return the blended sample
     */
    public static int blend(int degenerate, int image, float alpha) {
        float t = degenerate + alpha * (image - degenerate);
        // Branch-free clip; the int conversion truncates toward zero like C's (UINT8) cast.
        return (int) Math.min(Math.max(t, 0f), 255f);
    }

    /**
     * {@code ImageEnhance.Brightness(img).enhance(factor)}: a blend with a black image.
     *
     * @param img the image, modified in place
     * @param factor the brightness factor (1 = unchanged)
     */
    public static void adjustBrightness(ImageBuffer img, double factor) {
        applyTable(img, blendTable(0, (float) factor));
    }

    /**
     * {@code ImageEnhance.Contrast(img).enhance(factor)}: a blend with a uniform gray image whose
     * level is the mean of the image's L conversion, rounded as {@code int(mean + 0.5)}.
     *
     * @param img the image, modified in place
     * @param factor the contrast factor (1 = unchanged)
     */
    public static void adjustContrast(ImageBuffer img, double factor) {
        applyTable(img, blendTable(meanLuma(img), (float) factor));
    }

    /** The 256 results of blending each possible sample with a constant degenerate value. */
    private static byte[] blendTable(int degenerate, float alpha) {
        byte[] table = new byte[256];
        for (int v = 0; v < 256; v++) {
            table[v] = (byte) blend(degenerate, v, alpha);
        }
        return table;
    }

    private static void applyTable(ImageBuffer img, byte[] table) {
        byte[] d = img.data();
        int n = img.length();
        for (int i = 0; i < n; i++) {
            d[i] = table[d[i] & 0xFF];
        }
    }

    /**
     * {@code ImageEnhance.Color(img).enhance(factor)}: a blend of each pixel with its own luma.
     *
     * @param img the image, modified in place (unchanged when grayscale)
     * @param factor the saturation factor (1 = unchanged, 0 = grayscale)
     */
    public static void adjustSaturation(ImageBuffer img, double factor) {
        if (img.channels() != 3) {
            return;
        }
        float alpha = (float) factor;
        byte[] d = img.data();
        int n = img.length();
        for (int i = 0; i < n; i += 3) {
            int r = d[i] & 0xFF;
            int g = d[i + 1] & 0xFF;
            int b = d[i + 2] & 0xFF;
            int l = luma(r, g, b);
            d[i] = (byte) blend(l, r, alpha);
            d[i + 1] = (byte) blend(l, g, alpha);
            d[i + 2] = (byte) blend(l, b, alpha);
        }
    }

    /**
     * torchvision's {@code adjust_hue} on a PIL image: convert to PIL's 8-bit HSV, add
     * {@code uint8(hueFactor·255)} to H with wrap-around, convert back. The round trip is lossy
     * even for a zero shift, exactly as in PIL.
     *
     * @param img the image, modified in place (unchanged when grayscale)
     * @param hueFactor the shift as a fraction of the hue circle, in [−0.5, 0.5]
     */
    public static void adjustHue(ImageBuffer img, double hueFactor) {
        if (img.channels() != 3) {
            return;
        }
        if (!(hueFactor >= -0.5 && hueFactor <= 0.5)) {
            throw new IllegalArgumentException("hue factor must lie in [-0.5, 0.5], got " + hueFactor);
        }
        int shift = hueShift(hueFactor);
        byte[] d = img.data();
        int n = img.length();
        for (int i = 0; i < n; i += 3) {
            int hsv = rgbToHsv(d[i] & 0xFF, d[i + 1] & 0xFF, d[i + 2] & 0xFF);
            int h = ((hsv >>> 16) + shift) & 0xFF;
            int rgb = hsvToRgb(h, (hsv >>> 8) & 0xFF, hsv & 0xFF);
            d[i] = (byte) (rgb >>> 16);
            d[i + 1] = (byte) (rgb >>> 8);
            d[i + 2] = (byte) rgb;
        }
    }

    /**
     * The hue shift numpy computes as {@code np.uint8(hue_factor * 255)}: truncation toward zero,
     * then wrap-around modulo 256 for negative values.
     *
     * @param hueFactor the hue factor
     * @return the shift, 0..255
     */
    public static int hueShift(double hueFactor) {
        return ((int) (hueFactor * 255.0)) & 0xFF;
    }

    /**
     * torchvision's {@code RandomGrayscale} output for RGB: the L conversion replicated to three
     * channels. A grayscale buffer is left as it is.
     *
     * @param img the image, modified in place
     */
    public static void grayscale(ImageBuffer img) {
        if (img.channels() != 3) {
            return;
        }
        byte[] d = img.data();
        int n = img.length();
        for (int i = 0; i < n; i += 3) {
            byte l = (byte) luma(d[i] & 0xFF, d[i + 1] & 0xFF, d[i + 2] & 0xFF);
            d[i] = l;
            d[i + 1] = l;
            d[i + 2] = l;
        }
    }

    /**
     * {@code int(ImageStat.Stat(img.convert("L")).mean[0] + 0.5)}: the rounded mean luma.
     *
     * @param img an RGB or grayscale image
     * @return the rounded mean, 0..255
     */
    public static int meanLuma(ImageBuffer img) {
        byte[] d = img.data();
        int n = img.length();
        long sum = 0;
        int pixels;
        if (img.channels() == 3) {
            for (int i = 0; i < n; i += 3) {
                sum += luma(d[i] & 0xFF, d[i + 1] & 0xFF, d[i + 2] & 0xFF);
            }
            pixels = n / 3;
        } else {
            for (int i = 0; i < n; i++) {
                sum += d[i] & 0xFF;
            }
            pixels = n;
        }
        if (pixels == 0) {
            return 0;
        }
        return (int) ((double) sum / pixels + 0.5);
    }

    /**
     * PIL's RGB→HSV conversion ({@code rgb2hsv_row} in Convert.c), with its mix of single and
     * double precision reproduced: H and S are scaled by 255 and truncated, V is max(R, G, B).
     *
     * @param r red
     * @param g green
     * @param b blue
     * @return {@code H << 16 | S << 8 | V}
     */
    public static int rgbToHsv(int r, int g, int b) {
        int maxc = Math.max(r, Math.max(g, b));
        int minc = Math.min(r, Math.min(g, b));
        if (minc == maxc) {
            return maxc;
        }
        float cr = maxc - minc;
        float rc = (float) (maxc - r) / cr;
        float gc = (float) (maxc - g) / cr;
        float bc = (float) (maxc - b) / cr;
        // All three candidates, then a select: cheaper than a data-dependent branch.
        float fromRed = bc - gc;
        float fromGreen = (float) (2.0 + rc - bc);
        float fromBlue = (float) (4.0 + gc - rc);
        float h = r == maxc ? fromRed : g == maxc ? fromGreen : fromBlue;
        // fmod(h / 6 + 1, 1): the argument lies in [5/6, 11/6], where fmod is exactly "subtract 1
        // when >= 1" (Sterbenz), and Java's % on doubles is far slower than that.
        double wrapped = h / 6.0 + 1.0;
        h = (float) (wrapped >= 1.0 ? wrapped - 1.0 : wrapped);
        int uh = clip8((int) (h * 255.0));
        // S = trunc((float) cr / (float) maxc · 255.0) depends on (maxc, cr) only: tabulated.
        int us = HsvTables.SATURATION[maxc << 8 | (maxc - minc)] & 0xFF;
        return uh << 16 | us << 8 | maxc;
    }

    /**
     * PIL's HSV→RGB conversion ({@code hsv2rgb} in Convert.c), including its float/double mix and
     * round-half-away-from-zero. The parts that depend on H alone (sector, fraction), on S alone
     * and on (S, V) are tabulated; the results are identical to evaluating PIL's expressions.
     *
     * @param h hue, 0..255
     * @param s saturation, 0..255
     * @param v value, 0..255
     * @return {@code R << 16 | G << 8 | B}
     */
    public static int hsvToRgb(int h, int s, int v) {
        if (s == 0) {
            return v << 16 | v << 8 | v;
        }
        float f = HsvTables.FRACTION[h];
        float fs = HsvTables.SATURATION_FRACTION[s];
        int p = HsvTables.P[s << 8 | v];
        float fsf = fs * f; // single-precision product, as in C
        int q = clip8((int) Math.round(v * (1.0 - fsf)));
        int t = clip8((int) Math.round(v * (1.0 - fs * (1.0 - f))));
        // Pick (R, G, B) out of (v, q, t, p) by sector without branching.
        int values = v | q << 8 | t << 16 | p << 24;
        int select = HsvTables.SELECT[h];
        int red = values >>> (select & 0x18) & 0xFF;
        int green = values >>> ((select >>> 5) & 0x18) & 0xFF;
        int blue = values >>> ((select >>> 10) & 0x18) & 0xFF;
        return red << 16 | green << 8 | blue;
    }

    /** Tables of the HSV conversions, built once (about 130 KB). */
    private static final class HsvTables {
        /** trunc(S·255) by (maxc << 8 | cr). */
        static final byte[] SATURATION = new byte[256 * 256];
        /** PIL's {@code f}, the position of H within its sector. */
        static final float[] FRACTION = new float[256];
        /** PIL's {@code fs = s / 255.0} rounded to float. */
        static final float[] SATURATION_FRACTION = new float[256];
        /** PIL's {@code p = round(v · (1 − fs))} by (s << 8 | v). */
        static final int[] P = new int[256 * 256];
        /** Bit shifts (0, 8, 16, 24 for v, q, t, p) of red, green and blue, 5 bits apart, by H. */
        static final int[] SELECT = new int[256];

        static {
            for (int maxc = 1; maxc < 256; maxc++) {
                for (int cr = 1; cr <= maxc; cr++) {
                    float s = (float) cr / (float) maxc;
                    SATURATION[maxc << 8 | cr] = (byte) clip8((int) (s * 255.0));
                }
            }
            // Sector → which of (v, q, t, p) is red, green and blue (Convert.c's switch).
            int[][] order = {{0, 2, 3}, {1, 0, 3}, {3, 0, 2}, {3, 1, 0}, {2, 3, 0}, {0, 3, 1}};
            for (int h = 0; h < 256; h++) {
                int i = (int) Math.floor((float) h * 6.0 / 255.0);
                FRACTION[h] = (float) ((float) h * 6.0 / 255.0 - (float) i);
                int[] o = order[i % 6];
                SELECT[h] = (o[0] * 8) | (o[1] * 8) << 5 | (o[2] * 8) << 10;
            }
            for (int s = 0; s < 256; s++) {
                float fs = (float) ((float) s / 255.0);
                SATURATION_FRACTION[s] = fs;
                for (int v = 0; v < 256; v++) {
                    P[s << 8 | v] = clip8((int) Math.round((float) v * (1.0 - fs)));
                }
            }
        }
    }

    private static int clip8(int v) {
        return v <= 0 ? 0 : Math.min(v, 255);
    }
}
