package org.amdim.tools.bench;

import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

import org.openjdk.jmh.infra.BenchmarkParams;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.RunResult;

/**
 * A README-ready Markdown table of a run: benchmark, parameters, score, error, units, for each benchmark marked
 * {@link ImagesPerOp} its rate in images per second, and for each Java benchmark with a {@link NativeTwin} the
 * ratio of its score to its C++ twin's (same parameters and units; above 1 means the Java path is slower). The
 * images-per-second column appears only when some row has a rate.
 */
public final class SummaryTable {
    /**
     * One measured benchmark.
     *
     * @param benchmark the full name, {@code package.Class.method}
     * @param params    the JMH parameters, e.g. {@code threads=2}
     * @param score     the primary score
     * @param error     the half-width of the 99.9% confidence interval (NaN with too few iterations)
     * @param unit      the score's unit, e.g. {@code ns/op}
     * @param twin      the full name of its C++ twin, or null
     * @param images    images per operation ({@link ImagesPerOp}), or NaN when the benchmark does not count them
     */
    public record Entry(String benchmark, Map<String, String> params, double score, double error, String unit,
            String twin, double images) {
        /** Copies the parameters. */
        public Entry {
            params = new TreeMap<>(params);
        }

        /** An entry that does not count images. */
        public Entry(String benchmark, Map<String, String> params, double score, double error, String unit,
                String twin) {
            this(benchmark, params, score, error, unit, twin, Double.NaN);
        }

        /**
         * The score as images per second: {@code images / (score in seconds)} for a time per operation
         * ({@code ms/op}), {@code score per second × images} for a throughput ({@code ops/s}); empty when the
         * entry does not count images or the unit is neither.
         */
        public Optional<Double> imagesPerSecond() {
            if (Double.isNaN(images) || !(score > 0)) {
                return Optional.empty();
            }
            int slash = unit.indexOf('/');
            if (slash < 0) {
                return Optional.empty();
            }
            String num = unit.substring(0, slash);
            String den = unit.substring(slash + 1);
            if (den.equals("op")) {
                return seconds(num).map(s -> images / (score * s));
            }
            if (num.equals("ops")) {
                return seconds(den).map(s -> score / s * images);
            }
            return Optional.empty();
        }

        String key() {
            return benchmark + params;
        }

        String shortName() {
            int method = benchmark.lastIndexOf('.');
            int cls = method > 0 ? benchmark.lastIndexOf('.', method - 1) : -1;
            return benchmark.substring(cls + 1);
        }
    }

    /**
     * A row of the table.
     *
     * @param entry the measurement
     * @param ratio its score over its twin's score, when it has a measured twin
     */
    public record Row(Entry entry, Optional<Double> ratio) {
    }

    private SummaryTable() {
    }

    /** Seconds in one of JMH's time units, as its score units spell them. */
    private static Optional<Double> seconds(String unit) {
        return Optional.ofNullable(switch (unit) {
            case "ns" -> 1e-9;
            case "us" -> 1e-6;
            case "ms" -> 1e-3;
            case "s" -> 1.0;
            case "min" -> 60.0;
            case "hr" -> 3600.0;
            case "day" -> 86400.0;
            default -> null;
        });
    }

    /** The entries of JMH's results, with twins looked up from the benchmark classes' annotations. */
    public static List<Entry> entries(Collection<RunResult> results) {
        List<Entry> out = new ArrayList<>();
        for (RunResult r : results) {
            BenchmarkParams p = r.getParams();
            Map<String, String> params = new LinkedHashMap<>();
            for (String k : p.getParamsKeys()) {
                params.put(k, p.getParam(k));
            }
            Result<?> primary = r.getPrimaryResult();
            out.add(new Entry(p.getBenchmark(), params, primary.getScore(), primary.getScoreError(),
                    primary.getScoreUnit(), twinOf(p.getBenchmark()), imagesOf(p.getBenchmark(), params)));
        }
        return out;
    }

    /** Pairs each entry with its twin's score ratio, keeping the order. */
    public static List<Row> rows(List<Entry> entries) {
        Map<String, Entry> byKey = new LinkedHashMap<>();
        for (Entry e : entries) {
            byKey.put(e.key(), e);
        }
        List<Row> rows = new ArrayList<>();
        for (Entry e : entries) {
            Optional<Double> ratio = Optional.empty();
            if (e.twin() != null) {
                Entry twin = byKey.get(e.twin() + e.params());
                if (twin != null && twin.unit().equals(e.unit()) && twin.score() > 0) {
                    ratio = Optional.of(e.score() / twin.score());
                }
            }
            rows.add(new Row(e, ratio));
        }
        return rows;
    }

    /** The Markdown table of {@code rows}. */
    public static String markdown(List<Row> rows) {
        boolean rates = rows.stream().anyMatch(r -> r.entry().imagesPerSecond().isPresent());
        List<String[]> cells = new ArrayList<>();
        cells.add(rates ? new String[] {"Benchmark", "Params", "Score", "Error", "Units", "img/s", "Java/C++"}
                : new String[] {"Benchmark", "Params", "Score", "Error", "Units", "Java/C++"});
        for (Row row : rows) {
            Entry e = row.entry();
            String ratio = row.ratio().map(r -> format("%.2f", r) + " (vs " + shortMethod(e.twin()) + ")")
                    .orElse("");
            String score = number(e.score());
            String error = Double.isNaN(e.error()) ? "n/a" : "± " + number(e.error());
            cells.add(rates
                    ? new String[] {e.shortName(), params(e.params()), score, error, e.unit(),
                        e.imagesPerSecond().map(SummaryTable::number).orElse(""), ratio}
                    : new String[] {e.shortName(), params(e.params()), score, error, e.unit(), ratio});
        }
        int[] width = new int[cells.get(0).length];
        for (String[] c : cells) {
            for (int i = 0; i < c.length; i++) {
                width[i] = Math.max(width[i], c[i].length());
            }
        }
        StringBuilder sb = new StringBuilder();
        for (int r = 0; r < cells.size(); r++) {
            line(sb, cells.get(r), width);
            if (r == 0) {
                String[] rule = new String[width.length];
                for (int i = 0; i < width.length; i++) {
                    // Right-aligned numbers read better; Markdown's ":" marks the alignment.
                    rule[i] = i >= 2 && i != 4 ? "-".repeat(width[i] - 1) + ":" : "-".repeat(width[i]);
                }
                line(sb, rule, width);
            }
        }
        return sb.toString();
    }

    private static void line(StringBuilder sb, String[] cells, int[] width) {
        sb.append('|');
        for (int i = 0; i < cells.length; i++) {
            String pad = " ".repeat(width[i] - cells[i].length());
            boolean right = i >= 2 && i != 4;
            sb.append(' ').append(right ? pad + cells[i] : cells[i] + pad).append(" |");
        }
        sb.append('\n');
    }

    private static String params(Map<String, String> params) {
        StringBuilder sb = new StringBuilder();
        params.forEach((k, v) -> sb.append(sb.isEmpty() ? "" : ", ").append(k).append('=').append(v));
        return sb.toString();
    }

    /** Three significant digits at least, no exponent. */
    static String number(double v) {
        double a = Math.abs(v);
        if (a >= 100) {
            return format("%.0f", v);
        }
        if (a >= 10) {
            return format("%.1f", v);
        }
        if (a >= 1) {
            return format("%.2f", v);
        }
        return format("%.3g", v);
    }

    private static String format(String f, double v) {
        return String.format(Locale.ROOT, f, v);
    }

    private static String shortMethod(String fullName) {
        return fullName.substring(fullName.lastIndexOf('.') + 1);
    }

    /**
     * The images per operation of {@code benchmark}: the value in {@code params} of the parameter its
     * {@link ImagesPerOp} names, or NaN when it has none (or the value is missing or not a number).
     */
    static double imagesOf(String benchmark, Map<String, String> params) {
        Method m = benchmarkMethod(benchmark);
        ImagesPerOp a = m == null ? null : m.getAnnotation(ImagesPerOp.class);
        String value = a == null ? null : params.get(a.value());
        if (value == null) {
            return Double.NaN;
        }
        try {
            return Double.parseDouble(value);
        } catch (NumberFormatException e) {
            return Double.NaN;
        }
    }

    /** The public method {@code package.Class.method} names (the first of that name), or null. */
    private static Method benchmarkMethod(String benchmark) {
        int dot = benchmark.lastIndexOf('.');
        try {
            Class<?> c = Class.forName(benchmark.substring(0, dot), false, SummaryTable.class.getClassLoader());
            for (Method m : c.getMethods()) {
                if (m.getName().equals(benchmark.substring(dot + 1))) {
                    return m;
                }
            }
        } catch (ClassNotFoundException e) {
            // Results of a benchmark not on this class path: nothing to look up.
        }
        return null;
    }

    /** The full name of the twin that {@code benchmark}'s {@link NativeTwin} names, or null. */
    static String twinOf(String benchmark) {
        Method m = benchmarkMethod(benchmark);
        NativeTwin t = m == null ? null : m.getAnnotation(NativeTwin.class);
        return t == null ? null : benchmark.substring(0, benchmark.lastIndexOf('.')) + "." + t.value();
    }
}
