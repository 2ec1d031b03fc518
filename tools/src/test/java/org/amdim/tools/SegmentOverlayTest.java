package org.amdim.tools;

import org.amdim.tensor.NoLeaks;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.awt.image.BufferedImage;

import org.amdim.tools.render.Palette;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The component overlay against hand-computed pixels: nearest upsampling of the map, the gray base, alpha
 * blending, and the white borders between regions.
 */
@ExtendWith(NoLeaks.class)
class SegmentOverlayTest {
    private static final int WHITE = 0xFFFFFF;

    private static BufferedImage filled(int side, int rgb) {
        BufferedImage img = new BufferedImage(side, side, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < side; y++) {
            for (int x = 0; x < side; x++) {
                img.setRGB(x, y, rgb);
            }
        }
        return img;
    }

    /** Map columns 0..3 belong to component 0, columns 4..6 to component 1. */
    private static int[] leftRight() {
        int[] cells = new int[49];
        for (int i = 0; i < 7; i++) {
            for (int j = 4; j < 7; j++) {
                cells[i * 7 + j] = 1;
            }
        }
        return cells;
    }

    @Test
    void opaqueOverlayShowsEachPixelsCellWithABorderBetweenComponents() {
        // 14 px over 7 cells: a cell covers 2 source pixels, 4 display pixels at factor 2 (28 px in all). The
        // border is the last display column of map column 3 (display x = 15), on every row.
        BufferedImage out = SegmentCommand.overlay(filled(14, 0x808080), leftRight(), 7, 7, 1.0, 2);
        assertEquals(28, out.getWidth());
        assertEquals(28, out.getHeight());
        int c0 = Palette.color(0).getRGB() & 0xFFFFFF;
        int c1 = Palette.color(1).getRGB() & 0xFFFFFF;
        for (int y = 0; y < 28; y++) {
            for (int x = 0; x < 28; x++) {
                int expected = x == 15 ? WHITE : x < 16 ? c0 : c1;
                assertEquals(expected, out.getRGB(x, y) & 0xFFFFFF, "pixel " + x + "," + y);
            }
        }
    }

    @Test
    void cellsOfUnevenSizeFollowFloorOfPositionTimesCellsOverSize() {
        // 32 px over 7 cells: source column 9 is in map column 1 (9·7/32 = 1.97), 10 in column 2 (70/32).
        int[] cells = new int[49];
        for (int i = 0; i < 7; i++) {
            cells[i * 7 + 2] = 2;
        }
        BufferedImage out = SegmentCommand.overlay(filled(32, 0), cells, 7, 7, 1.0, 1);
        assertEquals(WHITE, out.getRGB(9, 0) & 0xFFFFFF, "the last column of map column 1 borders component 2");
        assertEquals(Palette.color(0).getRGB(), out.getRGB(8, 0) | 0xFF000000);
        assertEquals(Palette.color(2).getRGB(), out.getRGB(10, 0) | 0xFF000000);
    }

    @Test
    void transparentOverlayShowsTheImageInGrayAndHalfBlendsHalfway() {
        int rgb = 0x3C78B4; // (60, 120, 180): luma 0.299·60 + 0.587·120 + 0.114·180 = 108.86 -> 109
        int gray = 109 << 16 | 109 << 8 | 109;
        assertEquals(gray, SegmentCommand.gray(rgb));
        int[] one = new int[49];
        assertEquals(gray, SegmentCommand.overlay(filled(7, rgb), one, 7, 7, 0.0, 1).getRGB(3, 3) & 0xFFFFFF);
        int c = Palette.color(0).getRGB();
        int expected = 0;
        for (int shift = 16; shift >= 0; shift -= 8) {
            expected |= (int) Math.round((109 + ((c >> shift) & 0xFF)) / 2.0) << shift;
        }
        assertEquals(expected, SegmentCommand.overlay(filled(7, rgb), one, 7, 7, 0.5, 1).getRGB(3, 3) & 0xFFFFFF);
    }
}
