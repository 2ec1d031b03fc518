package org.amdim.data.augment;

import org.amdim.data.ImageBuffer;

/**
 * PIL's colour operations on uint8 images, reproduced to the bit: the "L" (luma) conversion,
 * {@code ImageEnhance} brightness, contrast and colour (saturation), which all go through
 * {@code Image.blend}, and the RGB↔HSV conversions behind torchvision's {@code adjust_hue}.
 *
 * <p>Every method works in place on RGB (3-channel) buffers; on grayscale buffers the brightness
 * and contrast adjustments apply and saturation and hue leave the image unchanged, as torchvision
 * does for mode "L".
 */
public final class PilColor {

    private PilColor() {}

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
        float s = cr / (float) maxc;
        float rc = (float) (maxc - r) / cr;
        float gc = (float) (maxc - g) / cr;
        float bc = (float) (maxc - b) / cr;
        float h;
        if (r == maxc) {
            h = bc - gc;
        } else if (g == maxc) {
            h = (float) (2.0 + rc - bc);
        } else {
            h = (float) (4.0 + gc - rc);
        }
        // fmod(h / 6 + 1, 1): the argument lies in [5/6, 11/6], where fmod is exactly "subtract 1
        // when >= 1" (Sterbenz), and Java's % on doubles is far slower than that.
        double wrapped = h / 6.0 + 1.0;
        h = (float) (wrapped >= 1.0 ? wrapped - 1.0 : wrapped);
        int uh = clip8((int) (h * 255.0));
        int us = clip8((int) (s * 255.0));
        return uh << 16 | us << 8 | maxc;
    }

    /**
     * PIL's HSV→RGB conversion ({@code hsv2rgb} in Convert.c), including its float/double mix and
     * round-half-away-from-zero.
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
        int i = (int) Math.floor((float) h * 6.0 / 255.0);
        float f = (float) ((float) h * 6.0 / 255.0 - (float) i);
        float fs = (float) ((float) s / 255.0);
        int p = clip8((int) Math.round((float) v * (1.0 - fs)));
        float fsf = fs * f; // single-precision product, as in C
        int q = clip8((int) Math.round((float) v * (1.0 - fsf)));
        int t = clip8((int) Math.round((float) v * (1.0 - fs * (1.0 - f))));
        return switch (i % 6) {
            case 0 -> v << 16 | t << 8 | p;
            case 1 -> q << 16 | v << 8 | p;
            case 2 -> p << 16 | v << 8 | t;
            case 3 -> p << 16 | q << 8 | v;
            case 4 -> t << 16 | p << 8 | v;
            default -> v << 16 | p << 8 | q;
        };
    }

    private static int clip8(int v) {
        return v <= 0 ? 0 : Math.min(v, 255);
    }
}
