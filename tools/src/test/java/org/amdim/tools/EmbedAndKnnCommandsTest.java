package org.amdim.tools;

import static org.amdim.tools.CommandHelpAndErrorsTest.assertFailure;
import static org.amdim.tools.CommandHelpAndErrorsTest.assertUsageError;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import javax.imageio.ImageIO;

import org.amdim.embed.DatasetEmbeddings;
import org.amdim.embed.ImageEmbedder;
import org.amdim.nn.io.Json;
import org.amdim.nn.io.NamedTensors;
import org.amdim.nn.io.SafetensorsDType;
import org.amdim.nn.io.SafetensorsFile;
import org.amdim.nn.io.TensorFiles;
import org.amdim.tensor.DType;
import org.amdim.tensor.NoLeaks;
import org.amdim.data.DatasetSpec;
import org.amdim.train.MetricsCsv;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code amdim embed}, {@code amdim eval --knn} and {@code train --knn-every} on one tiny run trained once for
 * the class (synthetic data, tiny encoder, 8 steps over two epochs, the k-NN monitor every epoch).
 */
@ExtendWith(NoLeaks.class)
class EmbedAndKnnCommandsTest {
    private static final Pattern KNN = Pattern.compile(
            "(trained|random) encoder: k-NN top-1 ([0-9.]+) \\(k (\\d+), tau 0.07; (\\d+) train / (\\d+) test images");

    @TempDir
    static Path tmp;
    private static Path run;

    @BeforeAll
    static void trainTinyRun() {
        run = tmp.resolve("run");
        CliRun r = CliRun.of("train", "--synthetic-size", "64", "--batch", "16", "--preset", "tiny", "--max-steps", "8",
                "--epochs", "2", "--eval-batches", "0", "--knn-every", "1", "--threads", "2", "--workers", "1",
                "-o", run.toString());
        assertEquals(0, r.exitCode(), r.describe());
    }

    @Test
    void theKnnMonitorLogsItsAccuracyAtEveryEpochEndAndThePlotShowsIt() throws IOException {
        List<Double> accuracies = MetricsCsv.read(run).values(MetricsCsv.EPOCH, "test_acc_knn");
        assertEquals(2, accuracies.size(), accuracies.toString());
        for (double acc : accuracies) {
            assertTrue(acc >= 0 && acc <= 1, accuracies.toString());
        }
        Pictures.assumeHeadless();
        CliRun p = CliRun.of("plot", "--run", run.toString(), "-o", tmp.resolve("plot.png").toString());
        assertEquals(0, p.exitCode(), p.describe());
    }

    @Test
    void evalKnnReportsTheAccuracyOfTheTrainedAndOfARandomEncoder() {
        for (String mode : List.of("trained", "random")) {
            CliRun r = mode.equals("trained")
                    ? CliRun.of("eval", "--checkpoint", run.toString(), "--synthetic-size", "64", "--knn")
                    : CliRun.of("eval", "--checkpoint", run.toString(), "--synthetic-size", "64", "--knn", "5",
                            "--random-init");
            assertEquals(0, r.exitCode(), r.describe());
            Matcher m = KNN.matcher(r.out());
            assertTrue(m.find(), r.describe());
            assertEquals(mode, m.group(1));
            double acc = Double.parseDouble(m.group(2));
            assertTrue(acc >= 0 && acc <= 1, r.describe());
            // k 200 by default, but never more than the 64 training images
            assertEquals(mode.equals("trained") ? "64" : "5", m.group(3), r.describe());
            assertEquals("64", m.group(4));
            assertEquals("12", m.group(5));
        }
    }

    @Test
    void embedWritesADatasetSplitAsSafetensorsWithLabelsAndIndices() throws IOException {
        Path out = tmp.resolve("emb/test.safetensors");
        CliRun r = CliRun.of("embed", "--checkpoint", run.toString(), "--synthetic-size", "64", "--split", "test",
                "-o", out.toString());
        assertEquals(0, r.exitCode(), r.describe());
        assertTrue(r.out().contains("images/s"), r.describe());
        assertStandardSafetensors(out);
        try (NamedTensors file = TensorFiles.load(out);
                ImageEmbedder embedder = ImageEmbedder.open(run);
                DatasetEmbeddings expected = embedder.embedDataset(DatasetSpec.synthetic(64).open(false), 0, null)) {
            assertArrayEquals(new long[] {12, 128}, file.get("embeddings").shape());
            // the same images in the same batch through the same encoder: the same floats
            assertArrayEquals(expected.embeddings().toFloatArray(), file.get("embeddings").toFloatArray(), 0f);
            assertArrayEquals(expected.labels().toLongArray(), file.get("labels").toLongArray());
            assertArrayEquals(new long[] {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}, file.get("indices").toLongArray());
            assertEquals("amdim-embeddings/1", file.metadata().get("format"));
            assertEquals("test", file.metadata().get("split"));
            assertEquals("r1", file.metadata().get("output"));
        }
    }

    @Test
    void embedWritesAFolderOfImagesWithTheirNames() throws IOException {
        Path images = tmp.resolve("images");
        Files.createDirectories(images.resolve("sub"));
        Random rng = new Random(4);
        for (String name : List.of("b.png", "a.png", "sub/c.png")) {
            BufferedImage img = new BufferedImage(32, 32, BufferedImage.TYPE_INT_RGB);
            for (int i = 0; i < 32 * 32; i++) {
                img.setRGB(i % 32, i / 32, rng.nextInt(1 << 24));
            }
            ImageIO.write(img, "png", images.resolve(name).toFile());
        }
        Files.writeString(images.resolve("notes.txt"), "not an image");
        Path out = tmp.resolve("folder.safetensors");
        CliRun r = CliRun.of("embed", "--checkpoint", run.toString(), "--images", images.toString(), "--batch", "2",
                "-o", out.toString());
        assertEquals(0, r.exitCode(), r.describe());
        assertStandardSafetensors(out);
        try (NamedTensors file = TensorFiles.load(out); ImageEmbedder embedder = ImageEmbedder.open(run)) {
            assertEquals(List.of("a.png", "b.png", "sub/c.png"), Json.parse(file.metadata().get("files")));
            assertFalse(file.contains("labels"));
            float[] all = file.get("embeddings").toFloatArray();
            List<String> names = List.of("a.png", "b.png", "sub/c.png");
            for (int i = 0; i < 3; i++) {
                float[] expected = embedder.embed(images.resolve(names.get(i)));
                float[] row = Arrays.copyOfRange(all, i * 128, (i + 1) * 128);
                double max = 0;
                for (float v : expected) {
                    max = Math.max(max, Math.abs(v));
                }
                // batch of 2 against batch of 1: only the order of float32 sums may differ (see ImageEmbedderTest)
                assertArrayEquals(expected, row, (float) (5e-5 * max), names.get(i));
            }
        }
    }

    @Test
    void aFailedEmbedLeavesAnExistingOutputUntouched() throws IOException {
        Path images = tmp.resolve("broken");
        Files.createDirectories(images);
        Files.write(images.resolve("x.png"), new byte[] {(byte) 0x89, 'P', 'N', 'G', 1, 2, 3});
        Path out = tmp.resolve("keep/out.safetensors");
        Files.createDirectories(out.getParent());
        Files.writeString(out, "previous");
        CliRun r = CliRun.of("embed", "--checkpoint", run.toString(), "--images", images.toString(), "-o",
                out.toString());
        assertFailure(r, "x.png");
        assertEquals("previous", Files.readString(out));
        try (var files = Files.list(out.getParent())) {
            assertEquals(1, files.count(), "no temporary file left behind");
        }
    }

    @Test
    void badOptionsAreUsageErrorsNamingThem() {
        String ckpt = run.toString();
        assertUsageError(CliRun.of("embed", "--checkpoint", ckpt, "--split", "val", "-o", "x"), "--split");
        assertUsageError(CliRun.of("embed", "--checkpoint", ckpt, "--images", "d", "--dataset", "cifar10", "-o", "x"),
                "--images");
        assertUsageError(CliRun.of("embed", "--checkpoint", ckpt, "--batch", "0", "-o", "x"), "--batch");
        assertUsageError(CliRun.of("embed", "--checkpoint", ckpt, "--max-images", "-1", "-o", "x"), "--max-images");
        assertUsageError(CliRun.of("embed", "--checkpoint", ckpt, "--output-kind", "r9", "-o", "x"), "--output-kind");
        assertUsageError(CliRun.of("embed", "--checkpoint", ckpt, "--dataset", "cifar10", "-o", "x"), "--data");
        assertUsageError(CliRun.of("embed", "--checkpoint", ckpt), "--output");
        assertUsageError(CliRun.of("embed", "-o", "x"), "--checkpoint");
        assertUsageError(CliRun.of("eval", "--checkpoint", ckpt, "--knn", "0"), "--knn");
        assertUsageError(CliRun.of("eval", "--checkpoint", ckpt, "--knn", "--knn-tau", "0"), "--knn-tau");
        assertUsageError(CliRun.of("train", "--knn-every", "-1"), "--knn-every");
    }

    /**
     * What {@code safetensors.numpy.load_file} needs: only standard dtypes (here F32 and I64) and a metadata map of
     * strings, which {@link SafetensorsFile} checks as it parses.
     */
    private static void assertStandardSafetensors(Path file) throws IOException {
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            for (String name : f.names()) {
                SafetensorsDType t = f.entry(name).dtype();
                assertTrue(t == SafetensorsDType.F32 || t == SafetensorsDType.I64, name + ": " + t);
            }
            assertTrue(f.entry("embeddings").dtype() == TensorFiles.toSafetensors(DType.FLOAT32));
        }
    }
}
