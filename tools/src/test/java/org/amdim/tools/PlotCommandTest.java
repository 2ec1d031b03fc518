package org.amdim.tools;

import org.amdim.tensor.NoLeaks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

import org.amdim.tools.render.Palette;
import org.amdim.train.MetricsLog;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** {@code amdim plot} on a metrics file written by {@link MetricsLog}, as a training run writes it. */
@ExtendWith(NoLeaks.class)
class PlotCommandTest {
    @TempDir
    Path run;

    @BeforeAll
    static void headless() {
        Pictures.assumeHeadless();
    }

    /** Two epochs of 20 steps: falling losses, rising accuracies. */
    private void writeMetrics() throws IOException {
        try (MetricsLog log = new MetricsLog(run)) {
            for (int step = 1; step <= 40; step++) {
                int epoch = (step - 1) / 20;
                double loss = 30 * Math.exp(-step / 15.0) + 5;
                log.write("step", java.util.Map.of("step", (double) step, "epoch", (double) epoch, "loss_opt", loss,
                        "loss_1t5", loss / 3, "loss_1t7", loss / 3.5, "loss_5t5", loss / 2.5,
                        "acc_mlp", 0.1 + step / 60.0, "acc_lin", 0.1 + step / 80.0));
                if (step % 20 == 0) {
                    log.write("epoch", java.util.Map.of("step", (double) step, "epoch", (double) epoch,
                            "loss_opt", loss, "test_acc_mlp", 0.2 + 0.2 * epoch, "test_acc_lin", 0.15 + 0.2 * epoch));
                }
            }
        }
    }

    @Test
    void plotsBothPanelsIntoTheRunDirectory() throws IOException {
        writeMetrics();
        CliRun r = CliRun.of("plot", "--run", run.toString());
        assertEquals(0, r.exitCode(), r.describe());
        assertTrue(r.out().contains("from 42 rows"), r.describe());
        BufferedImage img = Pictures.read(run.resolve("plot.png"));
        assertEquals(1000, img.getWidth());
        assertEquals(800, img.getHeight());
        int half = img.getHeight() / 2;
        // The upper panel holds the loss_opt curve (near-black), the lower one the test MLP dots (colour 0).
        assertTrue(count(img, 0, half, 0x202020) > 100, "no loss_opt curve in the upper panel");
        assertTrue(count(img, half, img.getHeight(), Palette.color(0).getRGB()) > 30, "no test MLP points below");
        assertTrue(count(img, 0, half, Palette.color(0).getRGB()) > 50, "no loss_1t5 curve above");
    }

    @Test
    void outputFileAndSizeCanBeChosenAndTheCsvNamedDirectly() throws IOException {
        writeMetrics();
        Path out = run.resolve("pics/curves.png");
        CliRun r = CliRun.of("plot", "--run", run.resolve("metrics.csv").toString(), "-o", out.toString(),
                "--width", "640", "--height", "480");
        assertEquals(0, r.exitCode(), r.describe());
        BufferedImage img = Pictures.read(out);
        assertEquals(640, img.getWidth());
        assertEquals(480, img.getHeight());
        assertTrue(!Files.exists(run.resolve("plot.png")));
    }

    @Test
    void aFileWithOnlyOneRowStillPlots() throws IOException {
        Files.writeString(run.resolve("metrics.csv"), String.format(Locale.ROOT,
                "kind,%s%nstep,1,0,,31.5%n", String.join(",", MetricsLog.COLUMNS)));
        CliRun r = CliRun.of("plot", "--run", run.toString());
        assertEquals(0, r.exitCode(), r.describe());
        assertEquals(1000, Pictures.read(run.resolve("plot.png")).getWidth());
    }

    @Test
    void tooSmallAPictureIsRefused() throws IOException {
        writeMetrics();
        CommandHelpAndErrorsTest.assertUsageError(CliRun.of("plot", "--run", run.toString(), "--width", "10"),
                "--width");
    }

    private static int count(BufferedImage img, int y0, int y1, int rgb) {
        int n = 0;
        for (int y = y0; y < y1; y++) {
            for (int x = 0; x < img.getWidth(); x++) {
                if ((img.getRGB(x, y) & 0xFFFFFF) == (rgb & 0xFFFFFF)) {
                    n++;
                }
            }
        }
        return n;
    }
}
