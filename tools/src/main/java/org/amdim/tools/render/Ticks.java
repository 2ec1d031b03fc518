package org.amdim.tools.render;

import java.util.Locale;

/**
 * Axis ticks at "nice" values: a step of 1, 2, 2.5 or 5 times a power of ten, chosen as the smallest such step
 * that gives at most the wanted number of intervals, and an axis range widened to whole steps.
 *
 * @param min   the axis start, a multiple of {@code step} at or below the data minimum
 * @param max   the axis end, a multiple of {@code step} at or above the data maximum
 * @param step  the distance between ticks
 */
public record Ticks(double min, double max, double step) {
    private static final double[] NICE = {1, 2, 2.5, 5, 10};

    /** Validates the range. */
    public Ticks {
        if (!(step > 0) || !(max > min) || !Double.isFinite(min) || !Double.isFinite(max)) {
            throw new IllegalArgumentException("bad ticks " + min + ".." + max + " by " + step);
        }
    }

    /**
     * Ticks covering {@code lo..hi} with at most {@code intervals} intervals. An empty range ({@code lo == hi}) is
     * widened around its value first.
     */
    public static Ticks covering(double lo, double hi, int intervals) {
        if (!Double.isFinite(lo) || !Double.isFinite(hi) || hi < lo || intervals < 1) {
            throw new IllegalArgumentException("cannot place ticks on " + lo + ".." + hi);
        }
        if (hi == lo) {
            double pad = lo == 0 ? 1 : Math.abs(lo) * 0.1;
            lo -= pad;
            hi += pad;
        }
        double rough = (hi - lo) / intervals;
        double magnitude = Math.pow(10, Math.floor(Math.log10(rough)));
        for (int attempt = 0; ; attempt++) {
            for (double n : NICE) {
                double step = n * magnitude;
                // A tiny tolerance keeps a range that is already a whole number of steps (0..1 by 0.2) exact.
                double min = Math.floor(lo / step + 1e-9) * step;
                double max = Math.ceil(hi / step - 1e-9) * step;
                if ((max - min) / step <= intervals + 1e-9 || attempt > 2) {
                    return new Ticks(min, max, step);
                }
            }
            magnitude *= 10;
        }
    }

    /** Number of ticks (both ends included). */
    public int count() {
        return (int) Math.round((max - min) / step) + 1;
    }

    /** The {@code i}-th tick value, rounded so that e.g. 0.1·3 prints as 0.3. */
    public double value(int i) {
        double v = min + i * step;
        return Math.abs(v) < step * 1e-9 ? 0 : v;
    }

    /** The label of tick value {@code v}: as few decimals as the step needs, {@code k}/{@code M} for large values. */
    public String label(double v) {
        double big = Math.max(Math.abs(min), Math.abs(max));
        double unit = 1;
        String suffix = "";
        if (big >= 1e6) {
            unit = 1e6;
            suffix = "M";
        } else if (big >= 1e4) {
            unit = 1e3;
            suffix = "k";
        }
        int decimals = decimals(step / unit);
        if (v == 0) {
            return "0";
        }
        return String.format(Locale.ROOT, "%." + decimals + "f", v / unit) + suffix;
    }

    /** The decimals needed to write multiples of {@code step} exactly (at most 9). */
    static int decimals(double step) {
        for (int d = 0; d < 9; d++) {
            double scaled = step * Math.pow(10, d);
            if (Math.abs(scaled - Math.rint(scaled)) < 1e-6 * Math.max(1, scaled)) {
                return d;
            }
        }
        return 9;
    }
}
