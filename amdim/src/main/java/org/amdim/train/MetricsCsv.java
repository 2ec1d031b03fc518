package org.amdim.train;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * A {@code metrics.csv} as {@link MetricsLog} wrote it, read back: its header and its rows, and one column of the
 * rows of one kind ({@code step} or {@code epoch}). Columns are found by the file's own header, so a file from a
 * version with fewer columns reads too.
 *
 * @param header the column names, {@code kind} first
 * @param rows the cells of every row after the header, empty strings where a row has no value
 */
public record MetricsCsv(List<String> header, List<List<String>> rows) {
    /** The kind of the rows written once per {@code --log-every} steps. */
    public static final String STEP = "step";
    /** The kind of the rows written at every epoch end. */
    public static final String EPOCH = "epoch";

    /** Compact constructor: keeps immutable copies. */
    public MetricsCsv {
        header = List.copyOf(header);
        rows = rows.stream().map(List::copyOf).toList();
    }

    /**
     * Reads {@code metrics.csv} of a run directory, or the file itself when {@code path} names a file.
     *
     * @throws IOException when it cannot be read, or is empty
     */
    public static MetricsCsv read(Path path) throws IOException {
        Path file = Files.isDirectory(path) ? path.resolve("metrics.csv") : path;
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        if (lines.isEmpty()) {
            throw new IOException(file + " is empty: no header");
        }
        return new MetricsCsv(cells(lines.getFirst()),
                lines.subList(1, lines.size()).stream().map(MetricsCsv::cells).toList());
    }

    private static List<String> cells(String line) {
        return List.of(line.split(",", -1));
    }

    /** The rows of one kind, in file order. */
    public List<List<String>> rows(String kind) {
        return rows.stream().filter(r -> r.getFirst().equals(kind)).toList();
    }

    /**
     * The cells of {@code column} in the rows of {@code kind}, in file order (empty strings where a row has no
     * value).
     *
     * @throws IllegalArgumentException when the header has no such column
     */
    public List<String> cells(String kind, String column) {
        int col = header.indexOf(column);
        if (col < 0) {
            throw new IllegalArgumentException("metrics.csv has no column '" + column + "': " + header);
        }
        return rows(kind).stream().map(r -> r.get(col)).toList();
    }

    /**
     * The values of {@code column} in the rows of {@code kind}; every such row must have one.
     *
     * @throws NumberFormatException when a row's cell is empty or not a number
     */
    public List<Double> values(String kind, String column) {
        return cells(kind, column).stream().map(Double::parseDouble).toList();
    }
}
