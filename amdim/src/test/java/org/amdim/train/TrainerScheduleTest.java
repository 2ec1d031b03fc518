package org.amdim.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;

import org.amdim.data.DatasetSpec;
import org.amdim.model.encoder.EncoderConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The trainer applies the original's schedule update by update: what {@code metrics.csv} logs as {@code lr}. */
class TrainerScheduleTest {
    private static final double LR = 2e-3;

    @Test
    void theLoggedLearningRatesFollowTheOriginalLoop(@TempDir Path dir) throws IOException {
        // 64 images in batches of 16: 4 updates per epoch; warm-up 5 updates; milestone 0; 3 epochs.
        TrainConfig c = TrainConfig.defaults().toBuilder().dataset(DatasetSpec.synthetic(64))
                .encoder(new EncoderConfig(32, 8, 32, 2, false)).batchSize(16).epochs(3).lr(LR).warmupSteps(5)
                .milestones(new int[] {0}).threads(2).workers(1).evalBatches(0).bnWarmupBatches(0).logEvery(1)
                .output(dir).build();
        new Trainer(c, new ProgressReporter(new PrintStream(new ByteArrayOutputStream()), false, 1000)).run(null);
        // t = 0..4: warm-up (t+1)/5. End of epoch 0 (after t = 3): step(0) → 0.2, overwritten by the warm-up
        // before t = 4, whose 1.0 then stays for t = 5..7. End of epoch 1: step(1) → 0.2 for t = 8..11.
        double[] expected = {0.2, 0.4, 0.6, 0.8, 1.0, 1.0, 1.0, 1.0, 0.2, 0.2, 0.2, 0.2};
        double[] logged = column(dir.resolve("metrics.csv"), "lr");
        for (int i = 0; i < expected.length; i++) {
            expected[i] *= LR;
        }
        // metrics.csv prints 6 significant digits (%.6g): half a unit of the sixth, 5e-6 relative, is the bound.
        // The one-epoch-early decay would log 0.2·LR from t = 4 on, 80 % off.
        assertArrayEquals(expected, logged, 5e-6 * LR);
    }

    private static double[] column(Path csv, String name) throws IOException {
        return MetricsCsv.read(csv).values(MetricsCsv.STEP, name).stream().mapToDouble(Double::doubleValue).toArray();
    }
}
