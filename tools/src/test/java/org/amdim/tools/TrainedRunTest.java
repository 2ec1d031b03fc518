package org.amdim.tools;

import org.amdim.tensor.NoLeaks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.amdim.model.AmdimConfig;
import org.amdim.model.AmdimModel;
import org.amdim.model.encoder.EncoderConfig;
import org.amdim.model.mixture.MixtureConfig;
import org.amdim.nn.io.NamedTensors;
import org.amdim.nn.io.TensorFiles;
import org.amdim.tensor.Tensor;
import org.amdim.tensor.Torch;
import org.amdim.tools.render.Palette;
import org.amdim.train.CheckpointStore;
import org.amdim.train.ModelCheckpoints;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The commands that work on a training run, on one tiny run trained once for the class (synthetic data, tiny
 * encoder, mixture heads with 3 components, 6 steps over two epochs): {@code eval}, {@code export} read back with
 * {@link TensorFiles}, {@code segment} and {@code plot}.
 */
@ExtendWith(NoLeaks.class)
class TrainedRunTest {
    private static final Pattern EVAL = Pattern.compile(
            "trained encoder: linear top-1 ([0-9.]+), MLP top-1 ([0-9.]+) \\((\\d+) train / (\\d+) test images");

    @TempDir
    static Path tmp;
    private static Path run;

    @BeforeAll
    static void trainTinyRun() throws IOException {
        Pictures.assumeHeadless();
        run = tmp.resolve("run");
        CliRun r = CliRun.of("train", "--synthetic-size", "64", "--batch", "16", "--preset", "tiny", "--max-steps", "6",
                "--epochs", "2", "--eval-batches", "1", "--log-every", "1", "--threads", "2", "--workers", "1",
                "--mixture", "3", "-o", run.toString());
        assertEquals(0, r.exitCode(), r.describe());
        assertFalse(CheckpointStore.list(run).isEmpty(), "no checkpoint written");
        assertTrue(CheckpointStore.list(run).getLast().getFileName().toString().contains("000000006"));
    }

    @Test
    void metricsHoldEveryStepAndTheEpochEnd() throws IOException {
        List<String> lines = Files.readAllLines(run.resolve("metrics.csv"));
        assertTrue(lines.get(0).startsWith("kind,step,epoch,lr,loss_opt"), lines.get(0));
        assertEquals(6, lines.stream().filter(l -> l.startsWith("step,")).count(), String.join("\n", lines));
        assertEquals(1, lines.stream().filter(l -> l.startsWith("epoch,4,")).count(), String.join("\n", lines));
    }

    @Test
    void evalReportsAccuraciesOfTheTrainedEncoder() {
        CliRun r = CliRun.of("eval", "--checkpoint", run.toString(), "--synthetic-size", "64", "--max-train", "64",
                "--max-test", "32", "--epochs", "2", "--batch", "32");
        assertEquals(0, r.exitCode(), r.describe());
        Matcher m = EVAL.matcher(r.out());
        assertTrue(m.find(), r.describe());
        for (int g = 1; g <= 2; g++) {
            double acc = Double.parseDouble(m.group(g));
            assertTrue(acc >= 0 && acc <= 1, r.describe());
        }
        assertEquals("64", m.group(3));
        assertEquals("12", m.group(4)); // the synthetic test split has a fifth of 64 images
    }

    @Test
    void exportedEncoderReadsBackWithTheOriginalsNamesAndTheCheckpointsValues() throws IOException {
        Path out = tmp.resolve("export/encoder.safetensors");
        CliRun r = CliRun.of("export", "--checkpoint", run.toString(), "-o", out.toString());
        assertEquals(0, r.exitCode(), r.describe());
        assertTrue(r.out().contains("tensors to " + out), r.describe());
        try (NamedTensors exported = TensorFiles.load(out);
                CheckpointStore.Checkpoint ckpt = CheckpointStore.load(run)) {
            Tensor w = exported.get("layer_list.0.conv.weight");
            assertNotNull(w);
            assertEquals(4, w.dim());
            assertEquals(3, w.size(1), "the stem takes RGB");
            assertEquals(16, w.size(0), "the tiny preset's stem has ndf = 16 filters");
            Tensor saved = ckpt.model().get("encoder.module.layer_list.0.conv.weight");
            assertTrue(w.allclose(saved, 0, 0), "exported weights differ from the checkpoint's");
            assertTrue(exported.tensors().keySet().stream().noneMatch(k -> k.startsWith("encoder.")
                    || k.startsWith("evaluator.") || k.startsWith("mixture.")), exported.tensors().keySet().toString());
            assertEquals("16", exported.metadata().get("model.ndf"));
        }
        Path full = tmp.resolve("export/full.safetensors");
        assertEquals(0, CliRun.of("export", "--checkpoint", run.toString(), "-o", full.toString(), "--full-model")
                .exitCode());
        try (NamedTensors all = TensorFiles.load(full)) {
            assertTrue(all.contains("encoder.module.layer_list.0.conv.weight"));
            assertTrue(all.contains("mixture.w1"), all.tensors().keySet().toString());
        }
    }

    @Test
    void exportIntoADirectorySaysSoWithoutTheTemporaryFilesName() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("export-dir"));
        CliRun r = CliRun.of("export", "--checkpoint", run.toString(), "-o", dir.toString());
        CommandHelpAndErrorsTest.assertFailure(r, dir.toAbsolutePath() + ": it is a directory");
        assertFalse(r.err().contains(".tmp"), r.describe());
    }

    @Test
    void segmentOverlaysTheComponentMapsWithALegend() throws IOException {
        Path out = tmp.resolve("seg/segment.png");
        CliRun r = CliRun.of("segment", "--checkpoint", run.toString(), "--synthetic-size", "64", "--count", "3",
                "--columns", "2", "--scale", "2", "-o", out.toString());
        assertEquals(0, r.exitCode(), r.describe());
        assertTrue(r.out().contains("3 components on a 7x7 map"), r.describe());
        BufferedImage img = Pictures.read(out);
        // 2 images per row, each as image + overlay: 4 columns of 64 px tiles and 5 gaps of 4 px. Rows: the 18 px
        // title band, 2 rows of tiles, 3 gaps; the legend: one 150 px entry per line fits into 276 px, so 3 lines of
        // 20 px and a gap.
        assertEquals(4 * 64 + 5 * 4, img.getWidth());
        assertEquals(18 + 2 * 64 + 3 * 4 + 3 * 20 + 4, img.getHeight());
        int footer = img.getHeight() - (3 * 20 + 4);
        for (int j = 0; j < 3; j++) {
            assertEquals(Palette.color(j).getRGB(), img.getRGB(4 + 7, footer + j * 20 + 10), "legend swatch " + j);
        }
        // The overlay tile is the image tinted, so it differs from the image beside it.
        int top = 18 + 4;
        int[] image = img.getRGB(4, top, 64, 64, null, 0, 64);
        int[] overlay = img.getRGB(4 + 68, top, 64, 64, null, 0, 64);
        assertFalse(java.util.Arrays.equals(image, overlay));
        // The shares printed add up to 100 %.
        Matcher m = Pattern.compile("\\d+: ([0-9.]+)%").matcher(r.out());
        double sum = 0;
        while (m.find()) {
            sum += Double.parseDouble(m.group(1));
        }
        assertEquals(100, sum, 0.2, r.describe());
    }

    @Test
    void segmentOfACheckpointWithoutMixtureIsAClearFailure() throws IOException {
        Path dir = tmp.resolve("plain");
        EncoderConfig enc = new EncoderConfig(32, 16, 128, 2, false);
        Torch.manualSeed(0);
        try (AmdimModel model = AmdimModel.create(AmdimConfig.of(enc, 10))) {
            Map<String, String> meta = ModelCheckpoints.describe(enc, 10, model.config().tclip(),
                    MixtureConfig.defaults());
            new CheckpointStore(dir, 1).save(0, model.stateDict(), Map.of(), meta);
        }
        CliRun r = CliRun.of("segment", "--checkpoint", dir.toString(), "--synthetic-size", "10",
                "-o", tmp.resolve("never.png").toString());
        CommandHelpAndErrorsTest.assertFailure(r, "the checkpoint was trained without --mixture");
        assertFalse(Files.exists(tmp.resolve("never.png")));
    }

    @Test
    void segmentRefusesADatasetOfAnotherImageSize() throws IOException {
        Path root = TinyImageFolder.create(tmp.resolve("images"), 1);
        CliRun r = CliRun.of("segment", "--checkpoint", run.toString(), "--dataset", "folder", "--data",
                root.toString(), "-o", tmp.resolve("never.png").toString());
        CommandHelpAndErrorsTest.assertFailure(r, "takes 32x32 images");
        assertTrue(r.err().contains("128x128"), r.describe());
    }

    @Test
    void plotOfTheRun() throws IOException {
        CliRun r = CliRun.of("plot", "--run", run.toString());
        assertEquals(0, r.exitCode(), r.describe());
        BufferedImage img = Pictures.read(run.resolve("plot.png"));
        assertEquals(1000, img.getWidth());
        assertEquals(800, img.getHeight());
    }
}
