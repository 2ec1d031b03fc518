package org.amdim.train;

import static org.junit.jupiter.api.Assertions.*;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.amdim.bindings.TorchException;
import org.amdim.data.DatasetSpec;
import org.amdim.model.encoder.EncoderConfig;
import org.amdim.nn.optim.GradScaler;
import org.amdim.tensor.Autocast;
import org.amdim.tensor.CpuKernelAssumptions;
import org.amdim.tensor.Device;
import org.amdim.tensor.Tensor;
import org.amdim.tensor.Torch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The {@code amp} setting of the training loop on the CPU, and the loss scaler's place in checkpoints. */
class MixedPrecisionTrainingTest {
    static TrainConfig tiny(Path out, long maxSteps, AmpMode amp, Device device) {
        return TrainConfig.defaults().toBuilder()
                .dataset(DatasetSpec.synthetic(64))
                .encoder(new EncoderConfig(32, 8, 32, 2, false))
                .batchSize(16).epochs(5).maxSteps(maxSteps).lr(2e-3).warmupSteps(2)
                .threads(2).workers(1).evalBatches(0).bnWarmupBatches(0).logEvery(1)
                .device(device).amp(amp).output(out).build();
    }

    static Trainer quiet(TrainConfig c, ByteArrayOutputStream log) {
        return new Trainer(c, new ProgressReporter(new PrintStream(log), false, 1000));
    }

    static List<Double> losses(Path dir) throws IOException {
        return MetricsCsv.read(dir).values(MetricsCsv.STEP, "loss_opt");
    }

    @Test
    void ampDefaultsToNoneAndIsPartOfTheConfiguration() {
        TrainConfig d = TrainConfig.defaults();
        assertEquals(AmpMode.NONE, d.amp());
        assertEquals("none", d.describe().get("amp"));
        TrainConfig b = d.toBuilder().amp(AmpMode.BF16).build();
        assertEquals(AmpMode.BF16, b.amp());
        assertEquals("bf16", b.describe().get("amp"));
        assertEquals(AmpMode.BF16, b.toBuilder().build().amp(), "the builder carries amp over");
        assertThrows(IllegalArgumentException.class, () -> d.toBuilder().amp(null).build());
        assertEquals(AmpMode.FP16, AmpMode.parse(" FP16 "));
        assertEquals(AmpMode.NONE, AmpMode.parse("none"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> AmpMode.parse("fp8"));
        assertTrue(e.getMessage().contains("bf16"), e.getMessage());
        assertTrue(AmpMode.FP16.needsGradScaler());
        assertFalse(AmpMode.BF16.needsGradScaler());
    }

    @Test
    void bfloat16TrainingOnTheCpuCompletesWithFiniteLosses(@TempDir Path dir) throws IOException {
        CpuKernelAssumptions.assumeBfloat16Convolutions();
        long live = Tensor.liveHandles();
        Trainer.TrainResult r = quiet(tiny(dir, 2, AmpMode.BF16, Device.CPU), new ByteArrayOutputStream()).run(null);
        assertEquals(2, r.steps());
        List<Double> l = losses(dir);
        assertEquals(2, l.size(), "the second loss comes after a bfloat16 update");
        for (double v : l) {
            assertTrue(Double.isFinite(v) && v > 0, "loss " + v + " in " + l);
        }
        assertFalse(Autocast.isEnabled(Device.Type.CPU), "the run closes its autocast regions");
        try (var ckpt = CheckpointStore.load(dir)) {
            assertEquals("bf16", ckpt.metadata().get("amp"));
            assertTrue(ckpt.scaler().isEmpty(), "bfloat16 needs no loss scaler");
            for (var e : ckpt.model().entrySet()) {
                if (e.getValue().dtype().isFloatingPoint()) {
                    assertEquals(org.amdim.tensor.DType.FLOAT32, e.getValue().dtype(), "parameters stay float32: "
                            + e.getKey());
                }
            }
        }
        assertEquals(live, Tensor.liveHandles(), "training leaves no native tensors behind");
    }

    @Test
    void float16OnTheCpuIsRefusedBeforeTrainingStarts(@TempDir Path dir) {
        String v = Torch.version();
        org.junit.jupiter.api.Assumptions.assumeTrue(v.startsWith("1.") || v.matches("2\\.[0-3]\\..*"),
                "libtorch " + v + " supports float16 autocast on the CPU");
        TorchException e = assertThrows(TorchException.class,
                () -> quiet(tiny(dir, 2, AmpMode.FP16, Device.CPU), new ByteArrayOutputStream()).run(null));
        assertTrue(e.getMessage().contains("bfloat16"), e.getMessage());
        assertFalse(Files.exists(dir.resolve("metrics.csv")), "nothing was trained");
    }

    @Test
    void bfloat16WithSeveralCpuProcessesIsRefusedBeforeJoining(@TempDir Path dir) {
        // gloo cannot all-gather the bfloat16 features: refused up front, before any process group is formed
        TrainConfig c = tiny(dir, 2, AmpMode.BF16, Device.CPU);
        Trainer t = new Trainer(c, new ProgressReporter(new PrintStream(new ByteArrayOutputStream()), false, 1000),
                DistributedConfig.of(0, 2, "127.0.0.1:29731").withTimeout(Duration.ofSeconds(5)));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> t.run(null));
        assertTrue(e.getMessage().contains("gloo"), e.getMessage());
    }

    @Test
    void checkpointsCarryTheScalerStateWhenThereIsOne(@TempDir Path dir) throws IOException {
        CheckpointStore store = new CheckpointStore(dir, 2);
        GradScaler scaler = new GradScaler(GradScaler.Options.defaults().withInitScale(512));
        Map<String, Tensor> model = new LinkedHashMap<>();
        model.put("w", Tensor.ones(2));
        Map<String, Tensor> state = scaler.stateDict();
        try {
            store.save(1, model, Map.of(), Map.of("k", "v"));
            store.save(2, model, Map.of(), state, Map.of("k", "v"));
        } finally {
            model.values().forEach(Tensor::close);
            state.values().forEach(Tensor::close);
        }
        try (var old = CheckpointStore.load(CheckpointStore.list(dir).get(0)); var now = CheckpointStore.load(dir)) {
            assertTrue(old.scaler().isEmpty());
            assertEquals(1, old.model().size());
            assertEquals(2, now.step());
            GradScaler resumed = new GradScaler();
            resumed.loadStateDict(now.scaler());
            assertEquals(512.0, resumed.getScale());
            assertEquals(1, now.model().size(), "scaler keys stay out of the model state");
        }
    }
}
