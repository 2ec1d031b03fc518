package org.amdim.tools.render;

/**
 * Where the tiles of an image grid go: {@code rows × cols} equal tiles separated (and surrounded) by
 * {@code gap} pixels, below a header band (column titles) and above a footer band (a legend).
 *
 * @param rows       tile rows, at least 1
 * @param cols       tile columns, at least 1
 * @param tileWidth  width of one tile in pixels
 * @param tileHeight height of one tile in pixels
 * @param gap        pixels between tiles and around the grid
 * @param header     height of the band above the tiles (0 for none)
 * @param footer     height of the band below the tiles (0 for none)
 */
public record GridLayout(int rows, int cols, int tileWidth, int tileHeight, int gap, int header, int footer) {
    /** Validates the sizes. */
    public GridLayout {
        if (rows < 1 || cols < 1 || tileWidth < 1 || tileHeight < 1 || gap < 0 || header < 0 || footer < 0) {
            throw new IllegalArgumentException("bad grid " + rows + "x" + cols + " of " + tileWidth + "x"
                    + tileHeight + " tiles, gap " + gap + ", header " + header + ", footer " + footer);
        }
        if ((long) cols * (tileWidth + gap) + gap > 32_768 || (long) rows * (tileHeight + gap) + gap + header
                + footer > 32_768) {
            throw new IllegalArgumentException("the picture would be larger than 32768 pixels on a side;"
                    + " use fewer images or a smaller scale");
        }
    }

    /** Width of the whole picture. */
    public int width() {
        return cols * tileWidth + (cols + 1) * gap;
    }

    /** Height of the whole picture. */
    public int height() {
        return header + rows * tileHeight + (rows + 1) * gap + footer;
    }

    /** Left edge of column {@code col}. */
    public int x(int col) {
        return gap + col * (tileWidth + gap);
    }

    /** Top edge of row {@code row}. */
    public int y(int row) {
        return header + gap + row * (tileHeight + gap);
    }

    /** Top edge of the footer band. */
    public int footerTop() {
        return height() - footer;
    }
}
