package org.amdim.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

import org.amdim.model.AmdimConfig;
import org.amdim.model.AmdimModel;
import org.amdim.model.encoder.EncoderConfig;
import org.amdim.model.encoder.Features;
import org.amdim.nn.io.NamedTensors;
import org.amdim.nn.io.TensorFiles;
import org.amdim.nn.io.pth.PthFile;
import org.amdim.nn.io.pth.PthFormatException;
import org.amdim.tensor.Autograd;
import org.amdim.tensor.NoLeaks;
import org.amdim.tensor.Tensor;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Checkpoints written by PyTorch from the original code's {@code Model} (scripts/fixtures/make_pth_fixtures.py: a
 * 128 px one in the legacy format, a 32 px one with {@code use_bn} in the zip format) convert to a model whose
 * encoder gives the original encoder's eval-mode outputs for the stored inputs, directly and after a round trip
 * through our checkpoint format.
 *
 * <p>Tolerance: {@code |ours − original| ≤ 1e-5 · max|original|} per output, the check the reference vectors'
 * README suggests for eval-mode encoder outputs (a float64 replay and an independent implementation agreed with
 * the original to 4e-7 · max|value|): float32 rounding of convolutions summed in a different order, not a
 * different computation.
 */
@ExtendWith(NoLeaks.class)
class OriginalCheckpointTest {
    private static final double REL_TOL = 1e-5;
    private static final Map<String, Double> WORST = new TreeMap<>();

    @TempDir
    Path tmp;

    static Path fixture(String name) {
        URL url = OriginalCheckpointTest.class.getResource("/original-pth/" + name);
        assertNotNull(url, "missing test resource original-pth/" + name + " (scripts/fixtures/make_pth_fixtures.py)");
        try {
            return Path.of(url.toURI());
        } catch (URISyntaxException e) {
            throw new AssertionError(e);
        }
    }

    @AfterAll
    static void printWorst() {
        WORST.entrySet().removeIf(e -> e.getKey().contains("expected to differ"));
        WORST.forEach((k, v) -> System.out.printf(Locale.ROOT, "worst |ours - original| / tolerance, %s: %.4f%n",
                k, v));
    }

    @Test
    void legacyFormat128PxReadsTheOriginalsHyperparameters() throws IOException {
        try (OriginalCheckpoint c = OriginalCheckpoint.read(fixture("tiny128_legacy.pth"))) {
            assertEquals(PthFile.Format.LEGACY, c.format());
            assertEquals(new EncoderConfig(128, 4, 32, 2, false), c.config().encoder());
            assertEquals(10, c.config().classes());
            assertEquals(20.0, c.config().tclip());
            assertEquals(1234L, c.cursor().get("info_step"));
            assertEquals(3L, c.cursor().get("info_epoch"));
            assertTrue(c.stateDict().containsKey("encoder.module.layer_list.0.conv.weight"));
            assertTrue(c.stateDict().containsKey("g2l_loss.masks_r5"));
            assertEquals("1234", c.metadata().get("original.info_step"));
            assertEquals("pth-legacy", c.metadata().get("converted_from_format"));
        }
    }

    @Test
    void zipFormat32PxWithBatchNormsReadsTheOriginalsHyperparameters() throws IOException {
        try (OriginalCheckpoint c = OriginalCheckpoint.read(fixture("tiny32_bn_zip.pth"))) {
            assertEquals(PthFile.Format.ZIP, c.format());
            assertEquals(new EncoderConfig(32, 4, 16, 2, true), c.config().encoder());
            assertEquals(5, c.config().classes());
            assertEquals(10.0, c.config().tclip());
        }
    }

    @Test
    void legacy128EncoderGivesTheOriginalsOutputs() throws IOException {
        checkOutputs("tiny128_legacy");
    }

    @Test
    void zip32EncoderGivesTheOriginalsOutputs() throws IOException {
        checkOutputs("tiny32_bn_zip");
    }

    private void checkOutputs(String name) throws IOException {
        try (OriginalCheckpoint c = OriginalCheckpoint.read(fixture(name + ".pth"));
             NamedTensors expected = TensorFiles.load(fixture(name + ".expected.safetensors"));
             AmdimModel model = c.model()) {
            compare(name + " converted", model, expected);
            // The same weights after a round trip through our checkpoint format, as eval/embed/segment load them.
            Path dir = tmp.resolve(name);
            new CheckpointStore(dir, 1).save(0, model.stateDict(), Map.of(), c.metadata());
            try (AmdimModel back = ModelCheckpoints.load(dir)) {
                assertEquals(c.config().encoder(), back.config().encoder());
                compare(name + " via checkpoint", back, expected);
            }
        }
    }

    @Test
    void theComparisonSeesAWrongUseBn() throws IOException {
        // The check can fail: the same weights with the optional batch norms switched off give other outputs.
        try (OriginalCheckpoint c = OriginalCheckpoint.read(fixture("tiny32_bn_zip.pth"));
             NamedTensors expected = TensorFiles.load(fixture("tiny32_bn_zip.expected.safetensors"));
             AmdimModel wrong = AmdimModel.create(new AmdimConfig(c.config().encoder().withUseBn(false),
                     c.config().classes(), c.config().tclip(), c.config().evaluatorDropout(), c.config().mixture(), 0))) {
            wrong.loadStateDict(c.stateDict(), true);
            wrong.eval();
            assertThrows(AssertionError.class, () -> compare("use_bn off (expected to differ)", wrong, expected));
        }
    }

    private static void compare(String what, AmdimModel model, NamedTensors expected) {
        try (var ng = Autograd.noGrad(); Features f = model.encoder().encode(expected.get("x"))) {
            Map<String, Tensor> ours = new HashMap<>(Map.of("r1", f.r1(), "r5", f.r5(), "r7", f.r7()));
            for (String k : List.of("r1", "r5", "r7")) {
                Tensor ref = expected.get(k);
                Tensor got = ours.get(k);
                assertArrayEquals(ref.shape(), got.shape(), what + " " + k);
                float[] r = ref.toFloatArray();
                float[] g = got.toFloatArray();
                double maxAbs = 0;
                for (float v : r) {
                    maxAbs = Math.max(maxAbs, Math.abs(v));
                }
                double tol = REL_TOL * maxAbs;
                double worst = 0;
                for (int i = 0; i < r.length; i++) {
                    worst = Math.max(worst, Math.abs(g[i] - r[i]));
                }
                WORST.merge(what + " " + k, worst / tol, Math::max);
                assertTrue(worst <= tol, String.format(Locale.ROOT, "%s %s: max |diff| %.3g > tolerance %.3g",
                        what, k, worst, tol));
            }
        }
    }

    @Test
    void thePublishedModelsHyperparametersGiveTheirPresets() throws PthFormatException {
        assertEquals(EncoderConfig.imagenetMedium(), OriginalCheckpoint.config("x",
                hyperparams(256, 2048)).encoder());
        assertEquals(EncoderConfig.imagenetLarge(), OriginalCheckpoint.config("x",
                hyperparams(320, 2560)).encoder());
        AmdimConfig c = OriginalCheckpoint.config("x", hyperparams(320, 2560));
        assertEquals(1000, c.classes());
        assertEquals(20.0, c.tclip());
    }

    @Test
    void useBnAndTclipMayBeMissingAsTheOriginalsRestoreIgnoresThem() throws PthFormatException {
        Map<String, Object> hp = hyperparams(256, 2048);
        hp.remove("use_bn");
        hp.remove("tclip");
        AmdimConfig c = OriginalCheckpoint.config("x", hp);
        assertEquals(EncoderConfig.imagenetMedium(), c.encoder());
        assertEquals(20.0, c.tclip());
        hp.put("use_bn", 1L);
        assertTrue(OriginalCheckpoint.config("x", hp).encoder().useBn(), "train.py's --use_bn 1 as an int");
        hp.remove("ndf");
        var e = assertThrows(PthFormatException.class, () -> OriginalCheckpoint.config("x", hp));
        assertTrue(e.getMessage().contains("hyperparams['ndf'] must be an int, got nothing"), e.getMessage());
    }

    @Test
    void hyperparametersThatCannotBeBuiltAreRefusedByName() {
        Map<String, Object> hp = hyperparams(256, 512); // n_rkhs below 8·ndf
        var e = assertThrows(PthFormatException.class, () -> OriginalCheckpoint.config("f.pth", hp));
        assertTrue(e.getMessage().contains("n_rkhs (512) must be at least 8*ndf = 2048"), e.getMessage());
        hp.put("n_depth", "10");
        e = assertThrows(PthFormatException.class, () -> OriginalCheckpoint.config("f.pth", hp));
        assertTrue(e.getMessage().contains("hyperparams['n_depth'] must be an int"), e.getMessage());
    }

    @Test
    void aFileThatIsNotAPthIsRefused() {
        var e = assertThrows(PthFormatException.class,
                () -> OriginalCheckpoint.read(fixture("tiny32_bn_zip.expected.safetensors")));
        assertTrue(e.getMessage().contains("not a PyTorch checkpoint"), e.getMessage());
    }

    /** The hyper-parameters as the original's Model records them for an ImageNet run. */
    static Map<String, Object> hyperparams(long ndf, long nRkhs) {
        Map<String, Object> hp = new HashMap<>();
        hp.put("ndf", ndf);
        hp.put("n_classes", 1000L);
        hp.put("n_rkhs", nRkhs);
        hp.put("tclip", 20.0);
        hp.put("n_depth", 10L);
        hp.put("encoder_size", 128L);
        hp.put("use_bn", Boolean.FALSE);
        return hp;
    }
}
