package org.amdim.tools.render;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.Rectangle;
import java.awt.Shape;
import java.awt.geom.AffineTransform;
import java.awt.geom.Ellipse2D;
import java.awt.geom.Line2D;
import java.awt.geom.Path2D;
import java.util.ArrayList;
import java.util.List;

/**
 * A line chart drawn with Java2D into a rectangle of a picture: title, framed plot area with grid lines, tick
 * labels on both axes, axis titles, the curves and a legend.
 */
public final class LineChart {
    /** The corner of the plot area the legend prefers (it moves to another one that hides less of the curves). */
    public enum LegendCorner {
        /** The upper right corner (where decreasing curves usually leave room). */
        TOP_RIGHT,
        /** The lower right corner (where increasing curves usually leave room). */
        BOTTOM_RIGHT
    }

    private static final Font TITLE_FONT = new Font(Font.SANS_SERIF, Font.BOLD, 14);
    private static final Font TICK_FONT = new Font(Font.SANS_SERIF, Font.PLAIN, 11);
    private static final Font AXIS_FONT = new Font(Font.SANS_SERIF, Font.PLAIN, 12);
    private static final Color GRID = new Color(0xE4E4E4);
    private static final Color MARK = new Color(0xB8B8B8);
    private static final int LEFT = 64;
    private static final int RIGHT = 18;
    private static final int TOP = 30;
    private static final int BOTTOM = 44;
    private static final int INTERVALS = 8;

    private final String title;
    private final String xLabel;
    private final String yLabel;
    private final List<Series> series = new ArrayList<>();
    private double[] verticalMarks = new double[0];
    private double xLo = Double.NaN;
    private double xHi = Double.NaN;
    private double yLo = Double.NaN;
    private double yHi = Double.NaN;
    private LegendCorner legendCorner = LegendCorner.TOP_RIGHT;

    /** An empty chart with a title and axis titles. */
    public LineChart(String title, String xLabel, String yLabel) {
        this.title = title;
        this.xLabel = xLabel;
        this.yLabel = yLabel;
    }

    /** Adds a curve (empty ones are skipped). */
    public LineChart add(Series s) {
        if (s.points().size() > 0) {
            series.add(s);
        }
        return this;
    }

    /** Whether the chart has any curve. */
    public boolean isEmpty() {
        return series.isEmpty();
    }

    /** Faint dashed vertical lines at these x values (e.g. epoch ends). */
    public LineChart verticalMarks(double... xs) {
        this.verticalMarks = xs.clone();
        return this;
    }

    /** Makes the x axis cover at least {@code lo..hi}. */
    public LineChart xRange(double lo, double hi) {
        this.xLo = lo;
        this.xHi = hi;
        return this;
    }

    /** Makes the y axis cover at least {@code lo..hi}. */
    public LineChart yRange(double lo, double hi) {
        this.yLo = lo;
        this.yHi = hi;
        return this;
    }

    /** Where to put the legend. */
    public LineChart legend(LegendCorner corner) {
        this.legendCorner = corner;
        return this;
    }

    /** Draws the chart into {@code area} of {@code g} (a context from {@link Png#graphics}). */
    public void draw(Graphics2D g, Rectangle area) {
        Rectangle plot = new Rectangle(area.x + LEFT, area.y + TOP, area.width - LEFT - RIGHT,
                area.height - TOP - BOTTOM);
        g.setColor(Color.BLACK);
        g.setFont(TITLE_FONT);
        FontMetrics tm = g.getFontMetrics();
        g.drawString(title, plot.x + (plot.width - tm.stringWidth(title)) / 2, area.y + tm.getAscent() + 6);
        if (plot.width < 20 || plot.height < 20) {
            return;
        }
        g.setColor(Color.WHITE);
        g.fill(plot);
        if (series.isEmpty()) {
            frame(g, plot);
            centred(g, plot, "no data yet");
            return;
        }
        Ticks xt = Ticks.covering(min(true, xLo), max(true, xHi), INTERVALS);
        Ticks yt = Ticks.covering(min(false, yLo), max(false, yHi), INTERVALS / 2 + 2);
        Axis ax = new Axis(xt, plot.x, plot.x + plot.width);
        Axis ay = new Axis(yt, plot.y + plot.height, plot.y);
        grid(g, plot, xt, yt, ax, ay);
        marks(g, plot, ax);
        Shape oldClip = g.getClip();
        g.clip(plot);
        for (Series s : series) {
            curve(g, s, ax, ay);
        }
        g.setClip(oldClip);
        frame(g, plot);
        tickLabels(g, plot, xt, yt, ax, ay);
        axisTitles(g, area, plot);
        legend(g, plot, ax, ay);
    }

    private double min(boolean x, double forced) {
        double m = Double.isNaN(forced) ? Double.POSITIVE_INFINITY : forced;
        for (Series s : series) {
            for (double v : x ? s.points().x() : s.points().y()) {
                m = Math.min(m, v);
            }
        }
        return m;
    }

    private double max(boolean x, double forced) {
        double m = Double.isNaN(forced) ? Double.NEGATIVE_INFINITY : forced;
        for (Series s : series) {
            for (double v : x ? s.points().x() : s.points().y()) {
                m = Math.max(m, v);
            }
        }
        return m;
    }

    /** Maps data values to pixel coordinates along one axis. */
    private record Axis(Ticks ticks, double from, double to) {
        double px(double v) {
            return from + (v - ticks.min()) / (ticks.max() - ticks.min()) * (to - from);
        }
    }

    private static void grid(Graphics2D g, Rectangle plot, Ticks xt, Ticks yt, Axis ax, Axis ay) {
        g.setColor(GRID);
        g.setStroke(new BasicStroke(1f));
        for (int i = 0; i < xt.count(); i++) {
            double px = ax.px(xt.value(i));
            g.draw(new Line2D.Double(px, plot.y, px, plot.y + plot.height));
        }
        for (int i = 0; i < yt.count(); i++) {
            double py = ay.px(yt.value(i));
            g.draw(new Line2D.Double(plot.x, py, plot.x + plot.width, py));
        }
    }

    private void marks(Graphics2D g, Rectangle plot, Axis ax) {
        if (verticalMarks.length == 0 || verticalMarks.length > 60) {
            return; // too many would hide the curves
        }
        g.setColor(MARK);
        g.setStroke(new BasicStroke(1f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, new float[] {4f, 4f}, 0f));
        for (double x : verticalMarks) {
            double px = ax.px(x);
            if (px >= plot.x && px <= plot.x + plot.width) {
                g.draw(new Line2D.Double(px, plot.y, px, plot.y + plot.height));
            }
        }
    }

    private static void curve(Graphics2D g, Series s, Axis ax, Axis ay) {
        double[] xs = s.points().x();
        double[] ys = s.points().y();
        g.setColor(s.color());
        g.setStroke(new BasicStroke(s.width(), BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND));
        if (xs.length > 1) {
            Path2D.Double path = new Path2D.Double();
            path.moveTo(ax.px(xs[0]), ay.px(ys[0]));
            for (int i = 1; i < xs.length; i++) {
                path.lineTo(ax.px(xs[i]), ay.px(ys[i]));
            }
            g.draw(path);
        }
        if (s.markers() || xs.length == 1) {
            double r = s.width() + 1.5;
            for (int i = 0; i < xs.length; i++) {
                g.fill(new Ellipse2D.Double(ax.px(xs[i]) - r, ay.px(ys[i]) - r, 2 * r, 2 * r));
            }
        }
    }

    private static void frame(Graphics2D g, Rectangle plot) {
        g.setColor(Color.GRAY);
        g.setStroke(new BasicStroke(1f));
        g.draw(plot);
    }

    private static void tickLabels(Graphics2D g, Rectangle plot, Ticks xt, Ticks yt, Axis ax, Axis ay) {
        g.setFont(TICK_FONT);
        FontMetrics fm = g.getFontMetrics();
        g.setStroke(new BasicStroke(1f));
        for (int i = 0; i < xt.count(); i++) {
            double v = xt.value(i);
            int px = (int) Math.round(ax.px(v));
            g.setColor(Color.GRAY);
            g.drawLine(px, plot.y + plot.height, px, plot.y + plot.height + 4);
            String s = xt.label(v);
            g.setColor(Color.DARK_GRAY);
            g.drawString(s, px - fm.stringWidth(s) / 2, plot.y + plot.height + 6 + fm.getAscent());
        }
        for (int i = 0; i < yt.count(); i++) {
            double v = yt.value(i);
            int py = (int) Math.round(ay.px(v));
            g.setColor(Color.GRAY);
            g.drawLine(plot.x - 4, py, plot.x, py);
            String s = yt.label(v);
            g.setColor(Color.DARK_GRAY);
            g.drawString(s, plot.x - 7 - fm.stringWidth(s), py + (fm.getAscent() - fm.getDescent()) / 2);
        }
    }

    private void axisTitles(Graphics2D g, Rectangle area, Rectangle plot) {
        g.setFont(AXIS_FONT);
        g.setColor(Color.BLACK);
        FontMetrics fm = g.getFontMetrics();
        g.drawString(xLabel, plot.x + (plot.width - fm.stringWidth(xLabel)) / 2, area.y + area.height - 8);
        AffineTransform old = g.getTransform();
        g.translate(area.x + 4 + fm.getAscent(), plot.y + (plot.height + fm.stringWidth(yLabel)) / 2.0);
        g.rotate(-Math.PI / 2);
        g.drawString(yLabel, 0, 0);
        g.setTransform(old);
    }

    private void legend(Graphics2D g, Rectangle plot, Axis ax, Axis ay) {
        g.setFont(TICK_FONT);
        FontMetrics fm = g.getFontMetrics();
        int line = fm.getHeight() + 2;
        int sample = 22;
        int textWidth = 0;
        for (Series s : series) {
            textWidth = Math.max(textWidth, fm.stringWidth(s.name()));
        }
        int w = 8 + sample + 6 + textWidth + 8;
        int h = 6 + line * series.size() + 2;
        Rectangle box = legendBox(plot, w, h, ax, ay);
        int x = box.x;
        int y = box.y;
        g.setColor(new Color(255, 255, 255, 225));
        g.fillRect(x, y, w, h);
        g.setColor(MARK);
        g.setStroke(new BasicStroke(1f));
        g.drawRect(x, y, w, h);
        for (int i = 0; i < series.size(); i++) {
            Series s = series.get(i);
            int cy = y + 6 + i * line + line / 2;
            g.setColor(s.color());
            g.setStroke(new BasicStroke(Math.max(2f, s.width()), BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND));
            g.draw(new Line2D.Double(x + 8, cy, x + 8 + sample, cy));
            if (s.markers()) {
                double r = s.width() + 1.5;
                g.fill(new Ellipse2D.Double(x + 8 + sample / 2.0 - r, cy - r, 2 * r, 2 * r));
            }
            g.setColor(Color.DARK_GRAY);
            g.drawString(s.name(), x + 8 + sample + 6, cy + (fm.getAscent() - fm.getDescent()) / 2);
        }
    }

    /**
     * The legend's place: of the four corners of the plot area, the one that hides the fewest curve pixels,
     * the preferred corner winning ties.
     */
    private Rectangle legendBox(Rectangle plot, int w, int h, Axis ax, Axis ay) {
        int left = plot.x + 8;
        int right = plot.x + plot.width - w - 8;
        int top = plot.y + 8;
        int bottom = plot.y + plot.height - h - 8;
        List<Rectangle> corners = legendCorner == LegendCorner.TOP_RIGHT
                ? List.of(new Rectangle(right, top, w, h), new Rectangle(right, bottom, w, h),
                        new Rectangle(left, top, w, h), new Rectangle(left, bottom, w, h))
                : List.of(new Rectangle(right, bottom, w, h), new Rectangle(right, top, w, h),
                        new Rectangle(left, bottom, w, h), new Rectangle(left, top, w, h));
        Rectangle best = corners.get(0);
        long bestHidden = Long.MAX_VALUE;
        for (Rectangle r : corners) {
            long hidden = hiddenSamples(r, ax, ay);
            if (hidden < bestHidden) {
                best = r;
                bestHidden = hidden;
            }
        }
        return best;
    }

    /** How many points, sampled every few pixels along the curves, fall inside {@code r}. */
    private long hiddenSamples(Rectangle r, Axis ax, Axis ay) {
        long n = 0;
        for (Series s : series) {
            double[] xs = s.points().x();
            double[] ys = s.points().y();
            for (int i = 0; i < xs.length; i++) {
                double x0 = ax.px(xs[i]);
                double y0 = ay.px(ys[i]);
                if (i == 0) {
                    n += r.contains(x0, y0) ? 1 : 0;
                    continue;
                }
                double x1 = ax.px(xs[i - 1]);
                double y1 = ay.px(ys[i - 1]);
                int steps = (int) Math.min(200, Math.ceil(Math.hypot(x0 - x1, y0 - y1) / 3));
                for (int k = 1; k <= steps; k++) {
                    double t = (double) k / steps;
                    n += r.contains(x1 + t * (x0 - x1), y1 + t * (y0 - y1)) ? 1 : 0;
                }
            }
        }
        return n;
    }

    private static void centred(Graphics2D g, Rectangle r, String text) {
        g.setFont(AXIS_FONT);
        g.setColor(Color.GRAY);
        FontMetrics fm = g.getFontMetrics();
        g.drawString(text, r.x + (r.width - fm.stringWidth(text)) / 2, r.y + r.height / 2);
    }
}
