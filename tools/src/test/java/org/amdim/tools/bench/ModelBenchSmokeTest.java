package org.amdim.tools.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

import org.amdim.data.augment.AugmentationPreset;
import org.amdim.model.encoder.Encoder;
import org.amdim.model.encoder.EncoderConfig;
import org.amdim.model.encoder.InferenceEncoder;
import org.amdim.tensor.CpuKernelAssumptions;
import org.amdim.tensor.Tensor;
import org.amdim.tensor.TensorScope;
import org.amdim.tensor.NoLeaks;
import org.amdim.tensor.Torch;
import org.amdim.nn.io.TensorFiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The model-scale benchmarks' bodies on small sizes, called directly (no JMH): they do their work, free every
 * tensor in tear-down and stop the loader's threads.
 */
@ExtendWith(NoLeaks.class)
class ModelBenchSmokeTest {
    /** A 32×32 encoder small enough for a test: ndf 8, n_rkhs 32, one unit per block. */
    private static final EncoderConfig SMALL = new EncoderConfig(32, 8, 32, 1, false);

    @Test
    void trainStepUpdatesTheParameters() {
        TrainStepBench b = new TrainStepBench();
        b.setup(SMALL, 4);
        try {
            Tensor stem = b.model().encoder().parameters().get(0);
            float[] before = stem.toFloatArray();
            double loss = b.step();
            assertTrue(Double.isFinite(loss), "loss " + loss);
            assertFalse(Arrays.equals(before, stem.toFloatArray()), "Adam moved the stem's weights");
            assertTrue(Double.isFinite(b.step()));
        } finally {
            b.tearDown();
        }
        assertNull(b.model());
    }

    @Test
    void trainStepRunsUnderBf16Autocast() {
        CpuKernelAssumptions.assumeBfloat16Convolutions();
        TrainStepBench b = new TrainStepBench();
        b.amp = "bf16";
        b.setup(SMALL, 4);
        try {
            assertTrue(Double.isFinite(b.step()));
            assertTrue(Double.isFinite(b.step()));
        } finally {
            b.tearDown();
        }
    }

    @Test
    void encoderForwardAndBackward() {
        EncoderBench b = new EncoderBench();
        b.setup(SMALL, 2);
        try {
            assertTrue(Double.isFinite(b.forward()));
            Tensor stem = b.encoder().parameters().get(0);
            assertNull(stem.grad(), "the forward alone records no gradient");
            assertTrue(Double.isFinite(b.forwardBackward()));
            try (var _ = TensorScope.open()) {
                Tensor g = stem.grad();
                assertNotNull(g, "backward reached the stem");
                assertTrue(g.abs().sum().item() > 0);
            }
        } finally {
            b.tearDown();
        }
    }

    @Test
    void embedBenchRunsBothPathsToTheSameR1() {
        InferenceEncoder.Path[] paths = InferenceEncoder.Path.values();
        double[] first = new double[paths.length];
        for (int i = 0; i < paths.length; i++) {
            EmbedBench b = new EmbedBench();
            b.setup(SMALL, 3, paths[i]);
            try {
                assertEquals(paths[i], b.inference().path());
                first[i] = b.r1();
                assertTrue(Double.isFinite(first[i]), "r1 " + first[i]);
                assertEquals(first[i], b.r1(), 0.0, "the same batch gives the same value again");
            } finally {
                b.tearDown();
            }
        }
        // The same seed, so the same encoder and images: the paths agree to float32 rounding (the final batch norm
        // has unit running variance here, so r1 is of order 1).
        for (int i = 1; i < paths.length; i++) {
            assertEquals(first[0], first[i], 1e-5 * Math.max(1, Math.abs(first[0])), paths[i].cliName());
        }
    }

    /** {@code -p weights=FILE} loads the file's state dict over the initialisation, strictly. */
    @Test
    void embedBenchLoadsWeights(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("encoder.safetensors");
        Path partial = dir.resolve("partial.safetensors");
        Torch.manualSeed(5); // another seed than the benchmark's: other weights
        try (Encoder other = Encoder.create(SMALL); var scope = TensorScope.open()) {
            Map<String, Tensor> state = new HashMap<>(other.stateDict());
            TensorFiles.save(file, state, Map.of());
            state.remove(state.keySet().iterator().next());
            TensorFiles.save(partial, state, Map.of());
        }
        double[] r1 = new double[2];
        for (int i = 0; i < 2; i++) {
            EmbedBench b = new EmbedBench();
            b.weights = i == 0 ? "" : file.toString();
            b.setup(SMALL, 3, InferenceEncoder.Path.MODULE);
            try {
                r1[i] = b.r1();
            } finally {
                b.tearDown();
            }
        }
        assertTrue(r1[1] != r1[0], "the weights were loaded: " + Arrays.toString(r1));
        EmbedBench strict = new EmbedBench();
        strict.weights = partial.toString();
        assertThrows(IllegalArgumentException.class, () -> strict.setup(SMALL, 3, InferenceEncoder.Path.MODULE));
    }

    @Test
    void augmentationRunsAcrossEpochsAndStopsItsWorkers() {
        AugmentationBench b = new AugmentationBench();
        b.setup(AugmentationPreset.CIFAR32, 32, 24, 8, 2);
        String prefix = b.loader().threadNamePrefix();
        try {
            for (int i = 0; i < 7; i++) {
                assertEquals(8, b.nextBatch());
            }
            assertEquals(2, b.loader().position().epoch(), "7 batches of 3 per epoch");
        } finally {
            b.tearDown();
        }
        assertTrue(Thread.getAllStackTraces().keySet().stream().noneMatch(t -> t.getName().startsWith(prefix)),
                "worker threads still alive");
    }

    @Test
    void stlAugmentationCropsLargerImages() {
        AugmentationBench b = new AugmentationBench();
        b.setup(AugmentationPreset.STL64, 96, 8, 4, 1);
        try {
            for (int i = 0; i < 3; i++) {
                assertEquals(4, b.nextBatch());
            }
        } finally {
            b.tearDown();
        }
    }
}
