package org.amdim.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;

import org.amdim.model.AmdimModel;
import org.amdim.model.encoder.EncoderConfig;
import org.amdim.model.encoder.Features;
import org.amdim.nn.io.pth.PthFile;
import org.amdim.tensor.Autograd;
import org.amdim.tensor.NoLeaks;
import org.amdim.tensor.Tensor;
import org.amdim.tensor.Torch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * A checkpoint of the original's {@code Model} for a small configuration, written in PyTorch's legacy format by
 * {@link LegacyPthWriter}, converts to the same model (every tensor equal, the same encoder output). By default at
 * 128 px with ndf 8; with {@code -Damdim.test.published=true} also for the two published ImageNet configurations
 * (ndf 256 / n_rkhs 2048 and ndf 320 / n_rkhs 2560, n_depth 10, 128 px: 1.7 and 2.7 GB of weights, a few minutes
 * and some 9 GB of memory on two cores, so not part of the default run).
 */
@ExtendWith(NoLeaks.class)
class PublishedConfigurationsTest {
    @TempDir
    Path tmp;

    @Test
    void smallLegacyCheckpointConverts() throws IOException {
        roundTrip(8, 64, 2);
    }

    @Test
    void amdimMediumConfigurationBuildsAndLoads() throws IOException {
        assumeTrue(Boolean.getBoolean("amdim.test.published"), "set -Damdim.test.published=true");
        roundTrip(256, 2048, 10);
    }

    @Test
    void amdimLargeConfigurationBuildsAndLoads() throws IOException {
        assumeTrue(Boolean.getBoolean("amdim.test.published"), "set -Damdim.test.published=true");
        roundTrip(320, 2560, 10);
    }

    private void roundTrip(long ndf, long nRkhs, long depth) throws IOException {
        long t0 = System.nanoTime();
        Map<String, Object> hp = OriginalCheckpointTest.hyperparams(ndf, nRkhs);
        hp.put("n_depth", depth);
        Path pth = tmp.resolve("amdim_ndf" + ndf + "_rkhs" + nRkhs + "_rd" + depth + ".pth");
        Torch.manualSeed(ndf);
        try (AmdimModel original = AmdimModel.create(OriginalCheckpoint.config(pth.toString(), hp))) {
            original.eval();
            LegacyPthWriter.write(pth, original.stateDict(), hp);
            try (OriginalCheckpoint c = OriginalCheckpoint.read(pth); AmdimModel converted = c.model()) {
                assertEquals(PthFile.Format.LEGACY, c.format());
                assertEquals(new EncoderConfig(128, (int) ndf, (int) nRkhs, (int) depth, false), c.config().encoder());
                Map<String, Tensor> want = original.stateDict();
                Map<String, Tensor> got = converted.stateDict();
                assertEquals(want.keySet(), got.keySet());
                for (var e : want.entrySet()) {
                    assertTrue(e.getValue().allclose(got.get(e.getKey()), 0, 0), e.getKey());
                }
                try (var ng = Autograd.noGrad(); Tensor x = Tensor.randn(1, 3, 128, 128);
                     Features a = original.encoder().encode(x); Features b = converted.encoder().encode(x)) {
                    assertTrue(a.r1().allclose(b.r1(), 0, 0), "r1 differs");
                }
            }
        }
        System.out.printf(Locale.ROOT, "ndf %d, n_rkhs %d, n_depth %d: built, written (%d MB), converted in %.0f s%n",
                ndf, nRkhs, depth, java.nio.file.Files.size(pth) >> 20, (System.nanoTime() - t0) / 1e9);
    }
}
