package org.amdim.tools.render;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.Color;
import java.awt.image.BufferedImage;
import java.util.HashSet;
import java.util.Set;

import org.junit.jupiter.api.Test;

/** Grid geometry, nearest-neighbour enlargement and distinct palette colours. */
class ImageGridTest {
    static {
        Png.ensureHeadless();
    }

    @Test
    void layoutGeometry() {
        GridLayout l = new GridLayout(2, 3, 10, 20, 4, 18, 7);
        assertEquals(3 * 10 + 4 * 4, l.width());
        assertEquals(18 + 2 * 20 + 3 * 4 + 7, l.height());
        assertEquals(4 + 2 * 14, l.x(2));
        assertEquals(18 + 4 + 24, l.y(1));
        assertEquals(l.height() - 7, l.footerTop());
        assertThrows(IllegalArgumentException.class, () -> new GridLayout(0, 1, 1, 1, 0, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> new GridLayout(1, 1000, 64, 64, 4, 0, 0));
    }

    @Test
    void tilesAreEnlargedWithSharpPixels() {
        BufferedImage tile = new BufferedImage(2, 2, BufferedImage.TYPE_INT_RGB);
        int[] colors = {0xFF0000, 0x00FF00, 0x0000FF, 0xFFFF00};
        tile.setRGB(0, 0, 2, 2, colors, 0, 2);
        GridLayout l = new GridLayout(1, 2, 6, 6, 2, 0, 0);
        ImageGrid grid = new ImageGrid(l);
        grid.place(0, 1, tile);
        BufferedImage img = grid.image();
        for (int y = 0; y < 6; y++) {
            for (int x = 0; x < 6; x++) {
                int expected = colors[(y / 3) * 2 + x / 3];
                assertEquals(expected, img.getRGB(l.x(1) + x, l.y(0) + y) & 0xFFFFFF, "pixel " + x + "," + y);
            }
        }
        assertEquals(0xFFFFFF, img.getRGB(l.x(1) - 1, l.y(0)) & 0xFFFFFF, "the gap stays white");
        assertEquals(0xFFFFFF, img.getRGB(l.x(0), l.y(0)) & 0xFFFFFF, "the empty cell stays white");
    }

    @Test
    void titlesDrawInkInTheHeaderOnly() {
        GridLayout l = new GridLayout(1, 1, 80, 10, 2, ImageGrid.LABEL_BAND, 0);
        ImageGrid grid = new ImageGrid(l);
        grid.title(0, "view 1");
        int ink = 0;
        for (int y = 0; y < l.height(); y++) {
            for (int x = 0; x < l.width(); x++) {
                if ((grid.image().getRGB(x, y) & 0xFFFFFF) != 0xFFFFFF) {
                    assertTrue(y < l.y(0), "ink below the header at " + x + "," + y);
                    ink++;
                }
            }
        }
        assertTrue(ink > 20, "the title drew " + ink + " pixels");
    }

    @Test
    void paletteColoursAreDistinct() {
        Set<Integer> seen = new HashSet<>();
        for (int i = 0; i < 40; i++) {
            Color c = Palette.color(i);
            assertTrue(seen.add(c.getRGB()), "colour " + i + " repeats");
        }
        assertNotEquals(Palette.color(0), Palette.color(10));
        assertThrows(IllegalArgumentException.class, () -> Palette.color(-1));
    }
}
