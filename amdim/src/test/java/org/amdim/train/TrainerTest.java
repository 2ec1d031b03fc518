package org.amdim.train;

import static org.junit.jupiter.api.Assertions.*;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.RandomAccessFile;
import java.nio.file.Path;
import java.util.List;

import org.amdim.data.DatasetSpec;
import org.amdim.model.encoder.EncoderConfig;
import org.amdim.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The training loop at a tiny configuration on the synthetic dataset. */
class TrainerTest {
    private static TrainConfig tiny(Path out, int images, long maxSteps) {
        return TrainConfig.defaults().toBuilder()
                .dataset(DatasetSpec.synthetic(images))
                .encoder(new EncoderConfig(32, 8, 32, 2, false))
                .batchSize(16).epochs(50).maxSteps(maxSteps).lr(2e-3).warmupSteps(5)
                .threads(2).workers(2).evalBatches(0).bnWarmupBatches(0).logEvery(1)
                // Fixed, not auto: the resume test compares two fresh runs bit for bit, and auto may time the
                // formats differently in each (TrainerMemoryFormatTest covers auto).
                .memoryFormat(EncoderFormat.CHANNELS_LAST)
                .output(out).build();
    }

    private static Trainer quiet(TrainConfig c) {
        return new Trainer(c, new ProgressReporter(new PrintStream(new ByteArrayOutputStream()), false, 1000));
    }

    private static List<Double> losses(Path dir) throws IOException {
        return MetricsCsv.read(dir).values(MetricsCsv.STEP, "loss_opt");
    }

    @Test
    void lossDecreasesOverAFewDozenSteps(@TempDir Path dir) throws IOException {
        long live = Tensor.liveHandles();
        Trainer.TrainResult r = quiet(tiny(dir, 320, 40)).run(null);
        assertEquals(40, r.steps());
        List<Double> l = losses(dir);
        assertEquals(40, l.size());
        double first = l.subList(0, 5).stream().mapToDouble(Double::doubleValue).average().orElseThrow();
        double last = l.subList(35, 40).stream().mapToDouble(Double::doubleValue).average().orElseThrow();
        assertTrue(last < first - 0.5, "loss should fall: first " + first + ", last " + last);
        assertNotNull(r.checkpoint());
        assertEquals(live, Tensor.liveHandles(), "training leaves no native tensors behind");
    }

    @Test
    void resumedRunEqualsUninterruptedBitForBit(@TempDir Path dir) throws IOException {
        // 64 images / batch 16 = 4 steps per epoch: the resume point (3) is mid-epoch, the end (7) in epoch 2.
        Path full = dir.resolve("full");
        Path split = dir.resolve("split");
        quiet(tiny(full, 64, 7)).run(null);
        quiet(tiny(split, 64, 3)).run(null);
        quiet(tiny(split, 64, 7)).run(split);
        try (var a = CheckpointStore.load(full); var b = CheckpointStore.load(split)) {
            assertEquals(7, a.step());
            assertEquals(7, b.step());
            assertEquals(a.model().keySet(), b.model().keySet());
            for (var e : a.model().entrySet()) {
                Tensor other = b.model().get(e.getKey());
                assertArrayEquals(e.getValue().toDoubleArray(), other.toDoubleArray(), 0.0, e.getKey());
            }
            for (var e : a.optimizer().entrySet()) {
                assertArrayEquals(e.getValue().toDoubleArray(), b.optimizer().get(e.getKey()).toDoubleArray(), 0.0,
                        e.getKey());
            }
        }
    }

    @Test
    void corruptCheckpointIsRefusedAndThePreviousOneStillLoads(@TempDir Path dir) throws IOException {
        TrainConfig c = tiny(dir, 64, 4).toBuilder().checkpointEvery(2).build();
        quiet(c).run(null);
        List<Path> files = CheckpointStore.list(dir);
        assertEquals(2, files.size(), "keeps the newest two: " + files);
        Path newest = files.get(1);
        try (RandomAccessFile f = new RandomAccessFile(newest.toFile(), "rw")) {
            f.setLength(f.length() / 2);
        }
        IOException e = assertThrows(IOException.class, () -> CheckpointStore.load(dir));
        assertTrue(e.getMessage().contains(newest.getFileName().toString()), e.getMessage());
        assertTrue(e.getMessage().contains(files.get(0).toString()), "names the previous checkpoint: " + e.getMessage());
        try (var prev = CheckpointStore.load(files.get(0))) {
            assertEquals(2, prev.step());
        }
    }
}
