package org.amdim.tools.render;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The rows of a run's {@code metrics.csv} (written by {@code org.amdim.train.MetricsLog}): a {@code kind} column
 * ({@code step} or {@code epoch}), then named numeric columns that may be empty. Columns are found by the header's
 * names, so files with extra or reordered columns read as well.
 */
public final class MetricsTable {
    private final Path file;
    private final Map<String, Integer> columns;
    private final List<String> kinds;
    private final List<double[]> rows;

    private MetricsTable(Path file, Map<String, Integer> columns, List<String> kinds, List<double[]> rows) {
        this.file = file;
        this.columns = columns;
        this.kinds = kinds;
        this.rows = rows;
    }

    /**
     * Reads a metrics file.
     *
     * @throws IOException when the file is missing, has no header or no rows, lacks the {@code kind} or
     *                     {@code step} column, or holds a value that is not a number (the message names the line)
     */
    public static MetricsTable read(Path file) throws IOException {
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new IOException("no metrics file " + file + " (is it a run directory written by 'amdim train'?)",
                    e);
        }
        lines = lines.stream().filter(l -> !l.isBlank()).toList();
        if (lines.isEmpty()) {
            throw new IOException(file + " is empty: the run has not logged anything yet");
        }
        String[] header = lines.get(0).strip().split(",", -1);
        Map<String, Integer> cols = new HashMap<>();
        for (int i = 0; i < header.length; i++) {
            cols.putIfAbsent(header[i].strip(), i);
        }
        if (!cols.containsKey("kind") || !cols.containsKey("step")) {
            throw new IOException(file + " is not a metrics file: its header lacks the 'kind' and 'step' columns");
        }
        int kindCol = cols.get("kind");
        List<String> kinds = new ArrayList<>();
        List<double[]> rows = new ArrayList<>();
        for (int li = 1; li < lines.size(); li++) {
            String[] cells = lines.get(li).strip().split(",", -1);
            double[] values = new double[header.length];
            Arrays.fill(values, Double.NaN);
            for (int c = 0; c < Math.min(cells.length, header.length); c++) {
                String cell = cells[c].strip();
                if (c == kindCol || cell.isEmpty()) {
                    continue;
                }
                try {
                    values[c] = Double.parseDouble(cell);
                } catch (NumberFormatException e) {
                    throw new IOException(file + " line " + (li + 1) + ": column '" + header[c] + "' holds '" + cell
                            + "', not a number", e);
                }
            }
            kinds.add(kindCol < cells.length ? cells[kindCol].strip() : "");
            rows.add(values);
        }
        if (rows.isEmpty()) {
            throw new IOException(file + " has no rows yet: training writes one every --log-every steps and at"
                    + " each epoch end");
        }
        return new MetricsTable(file, Map.copyOf(cols), List.copyOf(kinds), List.copyOf(rows));
    }

    /** The file read. */
    public Path file() {
        return file;
    }

    /** Number of data rows. */
    public int size() {
        return rows.size();
    }

    /** Whether rows of {@code kind} have at least one finite value in {@code column}. */
    public boolean has(String kind, String column) {
        return series(kind, column).size() > 0;
    }

    /**
     * The finite values of {@code column} in rows of {@code kind} against their {@code step}, ordered by step. When
     * a step occurs more than once (a run resumed from an earlier checkpoint logs those steps again) the row
     * written last wins.
     */
    public XySeries series(String kind, String column) {
        Integer c = columns.get(column);
        int stepCol = columns.get("step");
        TreeMap<Double, Double> byStep = new TreeMap<>();
        if (c != null) {
            for (int i = 0; i < rows.size(); i++) {
                double[] r = rows.get(i);
                if (kinds.get(i).equals(kind) && Double.isFinite(r[stepCol]) && Double.isFinite(r[c])) {
                    byStep.put(r[stepCol], r[c]);
                }
            }
        }
        double[] x = new double[byStep.size()];
        double[] y = new double[byStep.size()];
        int i = 0;
        for (var e : byStep.entrySet()) {
            x[i] = e.getKey();
            y[i++] = e.getValue();
        }
        return new XySeries(x, y);
    }

    /** The last finite value of {@code column} in rows of {@code kind}, or NaN. */
    public double last(String kind, String column) {
        XySeries s = series(kind, column);
        return s.size() == 0 ? Double.NaN : s.y()[s.size() - 1];
    }

    /**
     * Points ordered by x.
     *
     * @param x the x values (steps)
     * @param y the y values
     */
    public record XySeries(double[] x, double[] y) {
        /** Checks that both arrays have the same length. */
        public XySeries {
            if (x.length != y.length) {
                throw new IllegalArgumentException(x.length + " x values but " + y.length + " y values");
            }
        }

        /** Number of points. */
        public int size() {
            return x.length;
        }
    }
}
