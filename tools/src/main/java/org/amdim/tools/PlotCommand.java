package org.amdim.tools;

import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.Rectangle;
import java.awt.image.BufferedImage;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

import org.amdim.tools.render.LineChart;
import org.amdim.tools.render.MetricsTable;
import org.amdim.tools.render.Palette;
import org.amdim.tools.render.Png;
import org.amdim.tools.render.Series;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code amdim plot}: training curves of a run as a PNG, from its {@code metrics.csv}. The upper panel shows the
 * optimised loss and the three NCE terms per logged step; the lower one the online classifiers' training accuracy
 * per logged step and their test accuracy at each epoch end. Dashed vertical lines mark epoch ends. The file may
 * be plotted while the run is still writing it.
 */
@Command(name = "plot", mixinStandardHelpOptions = true, showDefaultValues = true,
        description = "Plot loss and accuracy curves of a training run (its metrics.csv) to a PNG.")
public final class PlotCommand implements Callable<Integer> {
    private static final int TITLE_BAND = 34;

    @Spec
    private CommandSpec spec;

    @Option(names = "--run", required = true, paramLabel = "DIR",
            description = "Run directory (the -o of 'amdim train'), or its metrics.csv.")
    Path run;

    @Option(names = {"--output", "-o"}, paramLabel = "FILE", description = "The PNG file to write"
            + " (default: DIR/plot.png).")
    Path output;

    @Option(names = "--width", defaultValue = "1000", description = "Picture width in pixels.")
    int width;

    @Option(names = "--height", defaultValue = "800", description = "Picture height in pixels.")
    int height;

    @Override
    public Integer call() throws Exception {
        Png.ensureHeadless();
        OptionRanges.of(spec).between("--width", width, 300, 10_000, "").between("--height", height, 300, 10_000, "");
        Path dir = Files.isRegularFile(run) ? run.toAbsolutePath().getParent() : run;
        Path csv = Files.isRegularFile(run) ? run : run.resolve("metrics.csv");
        if (!Files.exists(run)) {
            throw new CommandFailedException("run directory " + run + " does not exist");
        }
        MetricsTable table = MetricsTable.read(csv);
        Path out = output != null ? output : dir.resolve("plot.png");

        BufferedImage img = Png.blank(width, height);
        Graphics2D g = Png.graphics(img);
        try {
            String name = dir.toAbsolutePath().normalize().getFileName() == null ? dir.toString()
                    : dir.toAbsolutePath().normalize().getFileName().toString();
            title(g, "AMDIM training: " + name, summary(table));
            int panel = (height - TITLE_BAND) / 2;
            lossChart(table).draw(g, new Rectangle(0, TITLE_BAND, width, panel));
            accuracyChart(table).draw(g, new Rectangle(0, TITLE_BAND + panel, width, height - TITLE_BAND - panel));
        } finally {
            g.dispose();
        }
        Png.write(img, out);
        PrintWriter pw = spec.commandLine().getOut();
        pw.printf("wrote %s (%dx%d) from %d rows of %s%n", out, width, height, table.size(), csv);
        pw.flush();
        return AmdimCli.EXIT_OK;
    }

    /** Losses against steps: per logged step, or per epoch end for a file without step rows. */
    static LineChart lossChart(MetricsTable t) {
        LineChart chart = new LineChart("loss", "step", "loss").legend(LineChart.LegendCorner.TOP_RIGHT);
        String kind = t.has("step", "loss_opt") ? "step" : "epoch";
        chart.add(new Series("loss_opt (optimised)", t.series(kind, "loss_opt"), new Color(0x202020), 2f, false));
        String[] terms = {"loss_1t5", "loss_1t7", "loss_5t5"};
        String[] names = {"loss_1t5 (global to 5x5)", "loss_1t7 (global to 7x7)", "loss_5t5 (5x5 to 5x5)"};
        for (int i = 0; i < terms.length; i++) {
            chart.add(new Series(names[i], t.series("step", terms[i]), Palette.color(i), 1.3f, false));
        }
        return common(chart, t);
    }

    /** Training accuracy per logged step (thin), test accuracy per epoch end (thick, with dots). */
    static LineChart accuracyChart(MetricsTable t) {
        LineChart chart = new LineChart("accuracy of the online classifiers", "step", "accuracy")
                .legend(LineChart.LegendCorner.BOTTOM_RIGHT);
        Color mlp = Palette.color(0);
        Color lin = Palette.color(1);
        chart.add(new Series("train MLP (batch)", t.series("step", "acc_mlp"), lighter(mlp), 1.2f, false));
        chart.add(new Series("train linear (batch)", t.series("step", "acc_lin"), lighter(lin), 1.2f, false));
        chart.add(new Series("test MLP (epoch end)", t.series("epoch", "test_acc_mlp"), mlp, 2.2f, true));
        chart.add(new Series("test linear (epoch end)", t.series("epoch", "test_acc_lin"), lin, 2.2f, true));
        MetricsTable.XySeries knn = t.series("epoch", "test_acc_knn");
        if (knn.size() > 0) {
            chart.add(new Series("test k-NN (train --knn-every)", knn, Palette.color(2), 2.2f, true));
        }
        return common(chart, t).yRange(0, 1);
    }

    /** Shared x axis (from step 0) and epoch-end marks. */
    private static LineChart common(LineChart chart, MetricsTable t) {
        double[] epochEnds = t.series("epoch", "epoch").x();
        chart.verticalMarks(epochEnds);
        double lastStep = 0;
        for (String kind : List.of("step", "epoch")) {
            double[] xs = t.series(kind, "step").x();
            if (xs.length > 0) {
                lastStep = Math.max(lastStep, xs[xs.length - 1]);
            }
        }
        return chart.xRange(0, Math.max(1, lastStep));
    }

    private static Color lighter(Color c) {
        return new Color((c.getRed() + 255) / 2, (c.getGreen() + 255) / 2, (c.getBlue() + 255) / 2);
    }

    /** The last step, epoch and test accuracies, for the title line. */
    static String summary(MetricsTable t) {
        List<String> parts = new ArrayList<>();
        double step = Math.max(last(t, "step", "step"), last(t, "epoch", "step"));
        if (!Double.isNaN(step)) {
            parts.add(String.format(Locale.ROOT, "step %.0f", step));
        }
        double epochs = t.series("epoch", "epoch").size();
        if (epochs > 0) {
            parts.add(String.format(Locale.ROOT, "%.0f epoch%s", epochs, epochs == 1 ? "" : "s"));
        }
        double mlp = t.last("epoch", "test_acc_mlp");
        double lin = t.last("epoch", "test_acc_lin");
        if (!Double.isNaN(mlp) || !Double.isNaN(lin)) {
            parts.add(String.format(Locale.ROOT, "test accuracy MLP %.4f, linear %.4f", mlp, lin));
        }
        double knn = t.last("epoch", "test_acc_knn");
        if (!Double.isNaN(knn)) {
            parts.add(String.format(Locale.ROOT, "k-NN %.4f", knn));
        }
        return String.join(" | ", parts);
    }

    private static double last(MetricsTable t, String kind, String column) {
        MetricsTable.XySeries s = t.series(kind, column);
        return s.size() == 0 ? Double.NaN : s.x()[s.size() - 1];
    }

    private void title(Graphics2D g, String title, String summary) {
        g.setColor(Color.BLACK);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 16));
        FontMetrics fm = g.getFontMetrics();
        g.drawString(title, 14, 8 + fm.getAscent());
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        g.setColor(Color.DARK_GRAY);
        FontMetrics sm = g.getFontMetrics();
        g.drawString(summary, width - 14 - sm.stringWidth(summary), 8 + fm.getAscent());
    }
}
