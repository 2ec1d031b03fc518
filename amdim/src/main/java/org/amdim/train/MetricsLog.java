package org.amdim.train;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Appends one CSV row per record to {@code metrics.csv}: a {@code kind} column ({@code step} or {@code epoch}),
 * then fixed columns, empty where a record has no value. Rows are flushed at once, so the file is readable (and
 * plottable) while training runs and survives a crash. A resumed run appends to the same file, after
 * {@link #dropRowsAfter dropping} the rows past its checkpoint.
 */
public final class MetricsLog implements AutoCloseable {
    /** The columns after {@code kind}, in file order. */
    public static final List<String> COLUMNS = List.of("step", "epoch", "lr", "loss_opt", "loss_inf", "loss_g2l",
            "loss_1t5", "loss_1t7", "loss_5t5", "lgt_reg", "loss_cls", "loss_mix", "acc_mlp", "acc_lin",
            "test_acc_mlp", "test_acc_lin", "test_acc_knn", "img_per_s", "elapsed_s");

    private final Path file;
    private BufferedWriter out;

    /** Opens (creating or appending to) the log in {@code dir}. */
    public MetricsLog(Path dir) throws IOException {
        Files.createDirectories(dir);
        file = dir.resolve("metrics.csv");
        open();
    }

    private void open() throws IOException {
        boolean fresh = !Files.exists(file) || Files.size(file) == 0;
        out = Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                StandardOpenOption.APPEND);
        if (fresh) {
            out.write("kind," + String.join(",", COLUMNS));
            out.newLine();
            out.flush();
        }
    }

    /**
     * Drops the rows of steps after {@code step}: a run resumed from the checkpoint of {@code step} writes them
     * again (and a crash may have left a partial last line). The file is replaced atomically.
     */
    public void dropRowsAfter(long step) throws IOException {
        out.close();
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        List<String> kept = new ArrayList<>();
        if (!lines.isEmpty()) {
            // Columns as the file's own header names them: a file from an older version may have fewer.
            List<String> header = List.of(lines.get(0).split(",", -1));
            int stepColumn = header.indexOf("step");
            kept.add(lines.get(0));
            for (String line : lines.subList(1, lines.size())) {
                String[] cells = line.split(",", -1);
                if (stepColumn > 0 && cells.length == header.size() && stepOf(cells[stepColumn]) <= step) {
                    kept.add(line);
                }
            }
        }
        if (kept.size() < lines.size()) {
            Path temp = file.resolveSibling("." + file.getFileName() + ".tmp");
            Files.write(temp, kept, StandardCharsets.UTF_8);
            Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        }
        open();
    }

    /** A row's step, or infinity for a cell a crash cut short (the row is then dropped). */
    private static double stepOf(String cell) {
        try {
            return Double.parseDouble(cell);
        } catch (NumberFormatException e) {
            return Double.POSITIVE_INFINITY;
        }
    }

    /** Appends a row; unknown keys are an error (they would silently vanish otherwise). */
    public void write(String kind, Map<String, Double> values) {
        for (String k : values.keySet()) {
            if (!COLUMNS.contains(k)) {
                throw new IllegalArgumentException("unknown metric column '" + k + "'");
            }
        }
        StringBuilder sb = new StringBuilder(kind);
        for (String c : COLUMNS) {
            sb.append(',');
            Double v = values.get(c);
            if (v != null) {
                sb.append(v == Math.rint(v) && Math.abs(v) < 1e15 ? Long.toString(v.longValue())
                        : String.format(Locale.ROOT, "%.6g", v));
            }
        }
        try {
            out.write(sb.toString());
            out.newLine();
            out.flush();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write metrics: " + e.getMessage(), e);
        }
    }

    @Override
    public void close() throws IOException {
        out.close();
    }
}
