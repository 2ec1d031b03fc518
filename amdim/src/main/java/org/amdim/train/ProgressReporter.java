package org.amdim.train;

import java.io.PrintStream;
import java.util.Locale;

/**
 * Training progress for humans: an updating bar with loss, images/s and ETA on a terminal, plain lines every
 * {@code interval} steps when the output is a file or a pipe (so logs stay readable).
 */
public final class ProgressReporter {
    private static final long REDRAW_NANOS = 100_000_000L;

    private final PrintStream out;
    private final boolean terminal;
    private final int interval;
    private long lastDraw;

    /**
     * @param out      where to print
     * @param terminal whether {@code out} is an interactive terminal
     * @param interval steps between plain lines when not a terminal
     */
    public ProgressReporter(PrintStream out, boolean terminal, int interval) {
        this.out = out;
        this.terminal = terminal;
        this.interval = Math.max(1, interval);
    }

    /** A reporter on standard output that detects whether it is a terminal. */
    public static ProgressReporter forStdout(int interval) {
        var console = System.console();
        return new ProgressReporter(System.out, console != null && console.isTerminal(), interval);
    }

    /**
     * Reports one step.
     *
     * @param epoch      current epoch (0-based)
     * @param batch      batch within the epoch (0-based)
     * @param batches    batches per epoch
     * @param step       global step (updates done)
     * @param loss       the optimised loss
     * @param imgPerSec  throughput
     * @param etaSeconds estimated seconds left in the run
     */
    public void step(int epoch, int batch, int batches, long step, double loss, double imgPerSec, double etaSeconds) {
        String eta = eta(etaSeconds);
        boolean last = batch + 1 == batches;
        if (terminal) {
            long now = System.nanoTime();
            if (now - lastDraw < REDRAW_NANOS && !last) {
                return;
            }
            lastDraw = now;
            int width = 30;
            int filled = (int) Math.round(width * (batch + 1.0) / Math.max(1, batches));
            out.printf(Locale.ROOT, "\repoch %d [%s%s] %d/%d loss %.4f  %.1f img/s  ETA %s   ", epoch + 1,
                    "=".repeat(filled), " ".repeat(width - filled), batch + 1, batches, loss, imgPerSec, eta);
            if (last) {
                out.println();
            }
            out.flush();
        } else if (step % interval == 0 || last) {
            out.printf(Locale.ROOT, "epoch %d batch %d/%d step %d loss %.4f %.1f img/s ETA %s%n", epoch + 1,
                    batch + 1, batches, step, loss, imgPerSec, eta);
            out.flush();
        }
    }

    private static String eta(double seconds) {
        if (!(seconds >= 0) || Double.isInfinite(seconds)) {
            return "?";
        }
        long s = Math.round(seconds);
        return String.format(Locale.ROOT, "%d:%02d:%02d", s / 3600, (s / 60) % 60, s % 60);
    }

    /** Prints a line outside the bar (e.g. an evaluation result). */
    public void line(String text) {
        if (terminal) {
            out.print("\r");
        }
        out.println(text);
        out.flush();
    }
}
