package org.amdim.train;

import static org.junit.jupiter.api.Assertions.*;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

import org.amdim.tensor.CudaAssumptions;
import org.amdim.tensor.Device;
import org.amdim.tensor.Tensor;
import org.amdim.tensor.Torch;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** A few training steps on a CUDA device in every precision; skipped, with the reason, without one. */
class TrainerCudaTest {
    @BeforeEach
    void needsCuda() {
        CudaAssumptions.assumeCuda();
    }

    @ParameterizedTest
    @EnumSource(AmpMode.class)
    void aFewStepsOnTheGpuGiveFiniteLossesAndResume(AmpMode amp, @TempDir Path dir) throws IOException {
        long live = Tensor.liveHandles();
        Device gpu = Device.cuda(0);
        Trainer.TrainResult r = MixedPrecisionTrainingTest.quiet(MixedPrecisionTrainingTest.tiny(dir, 2, amp, gpu),
                new ByteArrayOutputStream()).run(null);
        assertEquals(2, r.steps());
        try (var ckpt = CheckpointStore.load(dir)) {
            assertEquals(amp.toString(), ckpt.metadata().get("amp"));
            assertEquals(amp.needsGradScaler(), !ckpt.scaler().isEmpty(), "scaler state only for fp16");
        }
        // resume to step 4 from the checkpoint (the scaler's scale included for fp16)
        Trainer.TrainResult resumed = MixedPrecisionTrainingTest.quiet(
                MixedPrecisionTrainingTest.tiny(dir, 4, amp, gpu), new ByteArrayOutputStream()).run(dir);
        assertEquals(4, resumed.steps());
        List<Double> l = MixedPrecisionTrainingTest.losses(dir);
        assertEquals(4, l.size());
        for (double v : l) {
            assertTrue(Double.isFinite(v) && v > 0, amp + ": loss " + v + " in " + l);
        }
        Torch.CudaMemory m = Torch.cudaMemory(0);
        assertTrue(m.maxAllocated() > 0, m.toString());
        assertEquals(live, Tensor.liveHandles(), "training leaves no native tensors behind");
    }
}
