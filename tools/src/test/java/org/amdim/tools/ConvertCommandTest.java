package org.amdim.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.amdim.nn.io.NamedTensors;
import org.amdim.nn.io.TensorFiles;
import org.amdim.tensor.NoLeaks;
import org.amdim.tensor.Tensor;
import org.amdim.train.CheckpointStore;
import org.amdim.train.OriginalCheckpoint;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code amdim convert} on checkpoints PyTorch wrote from the original code (fixtures of
 * scripts/fixtures/make_pth_fixtures.py): its output works with {@code eval} and {@code export}, the weights arrive
 * unchanged, a malicious file is refused without running, and usage errors exit 2 naming the option.
 */
@ExtendWith(NoLeaks.class)
class ConvertCommandTest {
    @TempDir
    Path tmp;

    private static Path fixture(String name) {
        URL url = ConvertCommandTest.class.getResource("/original-pth/" + name);
        assertNotNull(url, "missing test resource original-pth/" + name);
        try {
            return Path.of(url.toURI());
        } catch (URISyntaxException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void convertedCheckpointIsEvaluatedByAmdimEval() {
        Path dir = tmp.resolve("converted");
        CliRun r = CliRun.of("convert", fixture("tiny32_bn_zip.pth").toString(), "-o", dir.toString());
        assertEquals(0, r.exitCode(), r.describe());
        assertTrue(r.out().contains("PyTorch zip format): 32x32 encoder, ndf 4, n_rkhs 16, n_depth 2, use_bn true,"
                + " 5 classes"), r.describe());
        assertTrue(r.out().contains("checkpoint-000000000.safetensors"), r.describe());
        CliRun eval = CliRun.of("eval", "--checkpoint", dir.toString(), "--synthetic-size", "32", "--max-train", "32",
                "--max-test", "16", "--epochs", "1", "--batch", "16");
        assertEquals(0, eval.exitCode(), eval.describe());
        assertTrue(eval.out().contains("trained encoder: linear top-1"), eval.describe());
        // The original has no mixture heads, so segment says so instead of drawing nothing.
        CliRun seg = CliRun.of("segment", "--checkpoint", dir.toString(), "--synthetic-size", "32", "-o",
                tmp.resolve("seg.png").toString());
        assertEquals(AmdimCli.EXIT_FAILURE, seg.exitCode(), seg.describe());
        assertTrue(seg.err().contains("has no mixture heads"), seg.describe());
    }

    @Test
    void legacyCheckpointKeepsEveryWeightAndTheCursor() throws IOException {
        Path dir = tmp.resolve("legacy");
        CliRun r = CliRun.of("convert", fixture("tiny128_legacy.pth").toString(), "-o", dir.toString());
        assertEquals(0, r.exitCode(), r.describe());
        try (OriginalCheckpoint original = OriginalCheckpoint.read(fixture("tiny128_legacy.pth"));
             CheckpointStore.Checkpoint ckpt = CheckpointStore.load(dir)) {
            Map<String, Tensor> model = ckpt.model();
            assertEquals(original.stateDict().keySet(), model.keySet());
            for (var e : original.stateDict().entrySet()) {
                assertTrue(e.getValue().allclose(model.get(e.getKey()), 0, 0), e.getKey() + " changed");
            }
            assertTrue(ckpt.optimizer().isEmpty(), "the original saves no optimizer state");
            assertEquals("128", ckpt.metadata().get("model.input_size"));
            assertEquals("1234", ckpt.metadata().get("original.info_step"));
            assertEquals("tiny128_legacy.pth", ckpt.metadata().get("converted_from"));
        }
        Path exported = tmp.resolve("exported.safetensors");
        CliRun export = CliRun.of("export", "--checkpoint", dir.toString(), "-o", exported.toString());
        assertEquals(0, export.exitCode(), export.describe());
    }

    @Test
    void encoderOnlyWritesTheEncoderWeightsUnderTheOriginalEncodersNames() throws IOException {
        Path out = tmp.resolve("sub/encoder.safetensors");
        CliRun r = CliRun.of("convert", fixture("tiny128_legacy.pth").toString(), "--encoder-only", "-o",
                out.toString());
        assertEquals(0, r.exitCode(), r.describe());
        try (OriginalCheckpoint original = OriginalCheckpoint.read(fixture("tiny128_legacy.pth"));
             NamedTensors enc = TensorFiles.load(out)) {
            String prefix = "encoder.module.";
            long n = original.stateDict().keySet().stream().filter(k -> k.startsWith(prefix)).count();
            assertEquals(n, enc.tensors().size());
            for (var e : enc.tensors().entrySet()) {
                assertTrue(e.getValue().allclose(original.stateDict().get(prefix + e.getKey()), 0, 0), e.getKey());
            }
            assertEquals("32", enc.metadata().get("model.n_rkhs"));
        }
    }

    @Test
    void aPickleThatWouldRunACommandIsRefusedAndRunsNothing() throws IOException {
        Path marker = tmp.resolve("pwned");
        // PROTO 2, GLOBAL os.system, the command as a tuple, REDUCE, STOP: what pickle.dumps writes for an
        // object whose __reduce__ returns (os.system, ("touch ...",)).
        byte[] cmd = ("touch " + marker).getBytes(StandardCharsets.UTF_8);
        byte[] head = "\u0080\u0002cos\nsystem\n(X".getBytes(StandardCharsets.ISO_8859_1);
        byte[] len = {(byte) cmd.length, 0, 0, 0};
        byte[] tail = "tR.".getBytes(StandardCharsets.ISO_8859_1);
        Path evil = tmp.resolve("evil.pth");
        Files.write(evil, concat(head, len, cmd, tail));
        CliRun r = CliRun.of("convert", evil.toString(), "-o", tmp.resolve("out").toString());
        assertEquals(AmdimCli.EXIT_FAILURE, r.exitCode(), r.describe());
        assertTrue(r.err().contains("refused global 'os.system'"), r.describe());
        assertFalse(Files.exists(marker), "the payload ran");
        assertFalse(Files.exists(tmp.resolve("out")), "nothing is written for a refused file");
    }

    @Test
    void helpNamesTheInputTheOutputAndTheEncoderOnlyMode() {
        CliRun r = CliRun.of("convert", "--help");
        assertEquals(0, r.exitCode(), r.describe());
        assertTrue(r.out().startsWith("Usage: amdim convert "), r.describe());
        for (String s : List.of("FILE.pth", "--output=DIR", "--encoder-only", "restricted unpickler")) {
            assertTrue(r.out().contains(s), "'" + s + "' missing from the help\n" + r.describe());
        }
    }

    @Test
    void usageErrorsExit2NamingTheOption() throws IOException {
        CliRun noOutput = CliRun.of("convert", fixture("tiny32_bn_zip.pth").toString());
        assertEquals(AmdimCli.EXIT_USAGE, noOutput.exitCode(), noOutput.describe());
        assertTrue(noOutput.err().contains("--output"), noOutput.describe());

        CliRun missing = CliRun.of("convert", tmp.resolve("nope.pth").toString(), "-o", tmp.toString());
        assertEquals(AmdimCli.EXIT_USAGE, missing.exitCode(), missing.describe());
        assertTrue(missing.err().contains("FILE.pth: no such file"), missing.describe());

        Path run = tmp.resolve("run");
        assertEquals(0, CliRun.of("convert", fixture("tiny32_bn_zip.pth").toString(), "-o", run.toString())
                .exitCode());
        CliRun again = CliRun.of("convert", fixture("tiny32_bn_zip.pth").toString(), "-o", run.toString());
        assertEquals(AmdimCli.EXIT_USAGE, again.exitCode(), again.describe());
        assertTrue(again.err().contains("--output: " + run + " already holds checkpoints"), again.describe());
        assertEquals(List.of(run.resolve("checkpoint-000000000.safetensors")), CheckpointStore.list(run));

        CliRun dirForFile = CliRun.of("convert", fixture("tiny32_bn_zip.pth").toString(), "--encoder-only", "-o",
                tmp.toString());
        assertEquals(AmdimCli.EXIT_USAGE, dirForFile.exitCode(), dirForFile.describe());
        assertTrue(dirForFile.err().contains("--output: with --encoder-only"), dirForFile.describe());
    }

    private static byte[] concat(byte[]... parts) {
        int n = 0;
        for (byte[] p : parts) {
            n += p.length;
        }
        byte[] out = new byte[n];
        int at = 0;
        for (byte[] p : parts) {
            System.arraycopy(p, 0, out, at, p.length);
            at += p.length;
        }
        return out;
    }
}
