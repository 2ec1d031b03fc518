package org.amdim.data.augment;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.amdim.data.ImageBuffer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Bit-exactness against real PIL: the expected values in {@code data/pil-reference.txt} were
 * produced by Pillow 9.4 ({@code data/make_pil_reference.py}), so these tests pin the L conversion,
 * the HSV conversions, ImageEnhance, torchvision's adjust_hue and bicubic resizing to PIL's output.
 */
class PilReferenceTest {

    private static final List<String[]> CASES = new ArrayList<>();

    @BeforeAll
    static void load() throws IOException {
        try (InputStream in = PilReferenceTest.class.getResourceAsStream("/data/pil-reference.txt")) {
            assertTrue(in != null, "test resource data/pil-reference.txt is missing");
            BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.US_ASCII));
            for (String line; (line = r.readLine()) != null; ) {
                if (!line.isBlank() && !line.startsWith("#")) {
                    CASES.add(line.trim().split(" "));
                }
            }
        }
    }

    private static List<String[]> cases(String kind) {
        List<String[]> out = CASES.stream().filter(c -> c[0].equals(kind)).toList();
        assertTrue(!out.isEmpty(), "no reference cases of kind " + kind);
        return out;
    }

    private static ImageBuffer image(int w, int h, String hex) {
        ImageBuffer img = new ImageBuffer(h, w, 3);
        byte[] bytes = HexFormat.of().parseHex(hex);
        assertEquals(w * h * 3, bytes.length);
        System.arraycopy(bytes, 0, img.data(), 0, bytes.length);
        return img;
    }

    private static int i(String s) {
        return Integer.parseInt(s);
    }

    @Test
    void lumaMatchesPil() {
        for (String[] c : cases("luma")) {
            assertEquals(i(c[4]), ColorAdjustments.luma(i(c[1]), i(c[2]), i(c[3])), () -> String.join(" ", c));
        }
    }

    @Test
    void rgbToHsvMatchesPil() {
        for (String[] c : cases("rgb2hsv")) {
            int hsv = ColorAdjustments.rgbToHsv(i(c[1]), i(c[2]), i(c[3]));
            assertEquals(i(c[4]) + "," + i(c[5]) + "," + i(c[6]),
                    (hsv >>> 16) + "," + ((hsv >>> 8) & 0xFF) + "," + (hsv & 0xFF), () -> String.join(" ", c));
        }
    }

    @Test
    void hsvToRgbMatchesPil() {
        for (String[] c : cases("hsv2rgb")) {
            int rgb = ColorAdjustments.hsvToRgb(i(c[1]), i(c[2]), i(c[3]));
            assertEquals(i(c[4]) + "," + i(c[5]) + "," + i(c[6]),
                    (rgb >>> 16) + "," + ((rgb >>> 8) & 0xFF) + "," + (rgb & 0xFF), () -> String.join(" ", c));
        }
    }

    @Test
    void enhanceMatchesPil() {
        for (String[] c : cases("enhance")) {
            double factor = Double.parseDouble(c[2]);
            ImageBuffer img = image(i(c[3]), i(c[4]), c[5]);
            switch (c[1]) {
                case "brightness" -> ColorAdjustments.adjustBrightness(img, factor);
                case "contrast" -> ColorAdjustments.adjustContrast(img, factor);
                case "saturation" -> ColorAdjustments.adjustSaturation(img, factor);
                default -> throw new AssertionError(c[1]);
            }
            assertEquals(c[6], HexFormat.of().formatHex(img.toByteArray()), c[1] + " " + factor);
        }
    }

    @Test
    void hueMatchesTorchvisionOnPil() {
        for (String[] c : cases("hue")) {
            double factor = Double.parseDouble(c[1]);
            ImageBuffer img = image(i(c[2]), i(c[3]), c[4]);
            ColorAdjustments.adjustHue(img, factor);
            assertEquals(c[5], HexFormat.of().formatHex(img.toByteArray()), "hue " + factor);
        }
    }

    @Test
    void grayscaleMatchesPil() {
        for (String[] c : cases("gray")) {
            ImageBuffer img = image(i(c[1]), i(c[2]), c[3]);
            ColorAdjustments.grayscale(img);
            assertEquals(c[4], HexFormat.of().formatHex(img.toByteArray()));
        }
    }

    @Test
    void bicubicResizeMatchesPil() {
        BicubicResampler resample = new BicubicResampler();
        for (String[] c : cases("resize")) {
            ImageBuffer img = image(i(c[1]), i(c[2]), c[5]);
            ImageBuffer out = new ImageBuffer();
            resample.resize(img, i(c[4]), i(c[3]), out);
            assertArrayEquals(HexFormat.of().parseHex(c[6]), out.toByteArray(),
                    () -> "resize " + c[1] + "x" + c[2] + " -> " + c[3] + "x" + c[4]);
        }
    }

    @Test
    void cropThenResizeMatchesPil() {
        BicubicResampler resample = new BicubicResampler();
        for (String[] c : cases("cropresize")) {
            int left = i(c[3]);
            int top = i(c[4]);
            int right = i(c[5]);
            int bottom = i(c[6]);
            ImageBuffer img = image(i(c[1]), i(c[2]), c[9]);
            ImageBuffer out = new ImageBuffer();
            resample.resizeCrop(img, top, left, bottom - top, right - left, i(c[8]), i(c[7]), out);
            assertArrayEquals(HexFormat.of().parseHex(c[10]), out.toByteArray(), () -> String.join(" ", c).substring(0, 40));
        }
    }
}
