package org.amdim.tools;

import java.io.PrintWriter;
import java.util.Locale;

/**
 * Progress of a pass over N images for humans: an updating bar with images/s and ETA on a terminal, a plain
 * line at every tenth of the way otherwise (so logs stay short), and a closing summary line.
 */
final class ImagesProgress {
    private static final long REDRAW_NANOS = 100_000_000L;
    private static final int WIDTH = 30;

    private final PrintWriter out;
    private final boolean terminal;
    private final String what;
    private final long total;
    private final long start = System.nanoTime();
    private long lastDraw;
    private long lastTenth = -1;

    /**
     * @param out      where to print
     * @param terminal whether {@code out} is an interactive terminal
     * @param what     the verb shown, e.g. {@code embedding}
     * @param total    images in the pass
     */
    ImagesProgress(PrintWriter out, boolean terminal, String what, long total) {
        this.out = out;
        this.terminal = terminal;
        this.what = what;
        this.total = Math.max(1, total);
    }

    /** A progress display on {@code out} that is a bar when standard output is a terminal. */
    static ImagesProgress on(PrintWriter out, String what, long total) {
        var console = System.console();
        return new ImagesProgress(out, console != null && console.isTerminal(), what, total);
    }

    /** Reports that {@code done} images are finished. */
    void update(long done) {
        double seconds = (System.nanoTime() - start) / 1e9;
        double rate = seconds > 0 ? done / seconds : 0;
        String eta = rate > 0 ? String.format(Locale.ROOT, "%.0f s", (total - done) / rate) : "?";
        if (terminal) {
            long now = System.nanoTime();
            if (now - lastDraw < REDRAW_NANOS && done < total) {
                return;
            }
            lastDraw = now;
            int filled = (int) Math.round(WIDTH * (double) done / total);
            out.printf(Locale.ROOT, "\r%s [%s%s] %d/%d  %.1f images/s  ETA %s   ", what, "=".repeat(filled),
                    " ".repeat(WIDTH - filled), done, total, rate, eta);
            out.flush();
        } else {
            long tenth = done * 10 / total;
            if (tenth != lastTenth) {
                lastTenth = tenth;
                out.printf(Locale.ROOT, "%s %d/%d  %.1f images/s  ETA %s%n", what, done, total, rate, eta);
                out.flush();
            }
        }
    }

    /** Ends the bar and prints {@code summary} with the overall rate appended. */
    void finish(long done, String summary) {
        double seconds = (System.nanoTime() - start) / 1e9;
        if (terminal) {
            out.println();
        }
        out.printf(Locale.ROOT, "%s (%d images in %.1f s, %.1f images/s)%n", summary, done, seconds,
                seconds > 0 ? done / seconds : 0);
        out.flush();
    }
}
