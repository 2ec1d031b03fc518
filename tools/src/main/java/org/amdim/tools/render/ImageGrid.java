package org.amdim.tools.render;

import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;

/**
 * A picture of images laid out by a {@link GridLayout}: tiles are scaled to the tile size with nearest-neighbour
 * sampling (pixels stay sharp squares), titles are centred in the header band.
 */
public final class ImageGrid {
    /** Font of titles and legends. */
    public static final Font LABEL_FONT = new Font(Font.SANS_SERIF, Font.PLAIN, 12);
    /** Height of a header band with one line of {@link #LABEL_FONT} text. */
    public static final int LABEL_BAND = 18;

    private final GridLayout layout;
    private final BufferedImage image;

    /** An empty (white) picture of the layout's size. */
    public ImageGrid(GridLayout layout) {
        this.layout = layout;
        this.image = Png.blank(layout.width(), layout.height());
    }

    /** The layout. */
    public GridLayout layout() {
        return layout;
    }

    /** The picture drawn so far. */
    public BufferedImage image() {
        return image;
    }

    /** Draws {@code tile} into cell ({@code row}, {@code col}), scaled (nearest) to the tile size. */
    public void place(int row, int col, BufferedImage tile) {
        Graphics2D g = image.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_NEAREST_NEIGHBOR);
            g.drawImage(tile, layout.x(col), layout.y(row), layout.tileWidth(), layout.tileHeight(), null);
        } finally {
            g.dispose();
        }
    }

    /** Writes {@code text} centred above column {@code col} in the header band. */
    public void title(int col, String text) {
        Graphics2D g = Png.graphics(image);
        try {
            g.setFont(LABEL_FONT);
            g.setColor(Color.DARK_GRAY);
            FontMetrics fm = g.getFontMetrics();
            int x = layout.x(col) + (layout.tileWidth() - fm.stringWidth(text)) / 2;
            int y = (layout.header() + layout.gap() + fm.getAscent() - fm.getDescent()) / 2;
            g.drawString(text, Math.max(layout.x(col), x), y);
        } finally {
            g.dispose();
        }
    }
}
