package org.amdim.tools.render;

import java.awt.Color;

/**
 * Distinct colours for categories (mixture components, plot series): ten hand-picked, well separated
 * colours, then hues spaced by the golden angle so that any number of categories stay distinguishable.
 */
public final class Palette {
    private static final int[] FIXED = {
        0x1F77D4, 0xF28E1C, 0x2CA02C, 0xD62728, 0x9467BD, 0x17BECF, 0xE6C619, 0xE377C2, 0x8C564B, 0x7F7F7F,
    };
    private static final float GOLDEN_TURN = 0.381966f;

    private Palette() {
    }

    /** The colour of category {@code i} (i ≥ 0). */
    public static Color color(int i) {
        if (i < 0) {
            throw new IllegalArgumentException("category index must be >= 0, got " + i);
        }
        if (i < FIXED.length) {
            return new Color(FIXED[i]);
        }
        float hue = (0.07f + (i - FIXED.length) * GOLDEN_TURN) % 1f;
        return Color.getHSBColor(hue, 0.75f, 0.85f);
    }
}
