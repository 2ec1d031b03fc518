package org.amdim.bench.ort;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Times repeated single-batch runs: a warm-up, then enough runs for a minimum time and count. */
final class BatchTimer {
    /** One batch's run; may throw what the runtime throws. */
    @FunctionalInterface
    interface Run {
        void once() throws Exception;
    }

    /**
     * The timed runs' statistics.
     *
     * @param medianSeconds the median time of one run
     * @param minSeconds    the fastest run
     * @param maxSeconds    the slowest run
     * @param reps          timed runs
     */
    record Summary(double medianSeconds, double minSeconds, double maxSeconds, int reps) {
    }

    private BatchTimer() {
    }

    /**
     * Runs {@code run} untimed for at least one run and {@code warmupSeconds}, then timed for at least
     * {@code minReps} runs and {@code minSeconds}.
     */
    static Summary time(Run run, double warmupSeconds, double minSeconds, int minReps) throws Exception {
        double spent = 0;
        for (int n = 0; n < 1 || spent < warmupSeconds; n++) {
            spent += once(run);
        }
        List<Double> times = new ArrayList<>();
        double total = 0;
        while (times.size() < minReps || total < minSeconds) {
            double t = once(run);
            times.add(t);
            total += t;
        }
        double[] sorted = times.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        return new Summary(median(sorted), sorted[0], sorted[sorted.length - 1], sorted.length);
    }

    /** The median of sorted values (the mean of the middle two for an even count). */
    static double median(double[] sorted) {
        if (sorted.length == 0) {
            throw new IllegalArgumentException("no values");
        }
        if (!isSorted(sorted)) {
            throw new IllegalArgumentException("values not sorted: " + Arrays.toString(sorted));
        }
        int mid = sorted.length / 2;
        return sorted.length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }

    private static boolean isSorted(double[] v) {
        for (int i = 1; i < v.length; i++) {
            if (v[i] < v[i - 1]) {
                return false;
            }
        }
        return true;
    }

    private static double once(Run run) throws Exception {
        long start = System.nanoTime();
        run.once();
        return (System.nanoTime() - start) * 1e-9;
    }
}
