package org.amdim.tools.render;

import java.awt.Color;

/**
 * One curve of a {@link LineChart}.
 *
 * @param name    the legend text
 * @param points  the points, ordered by x
 * @param color   the line colour
 * @param width   the line width in pixels
 * @param markers whether to draw a dot at every point (single points always get one)
 */
public record Series(String name, MetricsTable.XySeries points, Color color, float width, boolean markers) {
}
