package org.amdim.train;

import static org.junit.jupiter.api.Assertions.*;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.amdim.data.DatasetSpec;
import org.amdim.model.encoder.EncoderConfig;
import org.amdim.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a run directory must survive: resuming from an older checkpoint, a second run, crashes that leave
 * temporary files and metric rows behind, and a diverging loss.
 */
class RunDirectoryTest {
    private static TrainConfig tiny(Path out, long maxSteps) {
        return TrainConfig.defaults().toBuilder()
                .dataset(DatasetSpec.synthetic(64))
                .encoder(new EncoderConfig(32, 8, 32, 2, false))
                .batchSize(16).epochs(50).maxSteps(maxSteps).lr(2e-3).warmupSteps(5)
                .threads(2).workers(1).evalBatches(0).bnWarmupBatches(0).logEvery(1).checkpointEvery(1)
                .output(out).build();
    }

    private static Trainer quiet(TrainConfig c, ByteArrayOutputStream log) {
        return new Trainer(c, new ProgressReporter(new PrintStream(log, true, StandardCharsets.UTF_8), false, 1000));
    }

    private static Trainer quiet(TrainConfig c) {
        return quiet(c, new ByteArrayOutputStream());
    }

    private static List<Long> steps(Path dir) throws IOException {
        List<Long> out = new ArrayList<>();
        for (Path p : CheckpointStore.list(dir)) {
            try (var c = CheckpointStore.load(p)) {
                out.add(c.step());
            }
        }
        return out;
    }

    @Test
    void resumingFromAnOlderCheckpointContinuesItsLineageAndSetsTheRestAside(@TempDir Path dir) throws IOException {
        quiet(tiny(dir, 5)).run(null);
        assertEquals(List.of(4L, 5L), steps(dir));
        Path four = CheckpointStore.list(dir).get(0);
        quiet(tiny(dir, 7)).run(four);
        // 5 of the abandoned continuation must neither be pruned in place of 6 nor count as the newest.
        assertEquals(List.of(6L, 7L), steps(dir));
        assertTrue(Files.exists(dir.resolve(CheckpointStore.ABANDONED_DIR).resolve("checkpoint-000000005.safetensors")));
        try (var newest = CheckpointStore.load(dir)) {
            assertEquals(7, newest.step());
        }
    }

    @Test
    void anAbandonedLaterCheckpointNeitherPrunesTheNewOnesNorCountsAsNewest(@TempDir Path dir) throws IOException {
        // 4 steps per epoch: checkpoints at 3 (every 3), 4 (epoch end) and 6; the newest two, 4 and 6, stay.
        quiet(tiny(dir, 6).toBuilder().checkpointEvery(3).build()).run(null);
        assertEquals(List.of(4L, 6L), steps(dir));
        Path four = CheckpointStore.list(dir).get(0);
        quiet(tiny(dir, 5)).run(four);
        // By file names alone, 5 would sit between 4 and the abandoned 6, 4 would be pruned and 6 be "newest".
        assertEquals(List.of(4L, 5L), steps(dir));
        try (var newest = CheckpointStore.load(dir)) {
            assertEquals(5, newest.step());
        }
    }

    @Test
    void aSecondRunIntoALockedDirectoryIsRefused(@TempDir Path dir) throws IOException {
        try (RunLock held = RunLock.acquire(dir)) {
            IOException e = assertThrows(IOException.class, () -> quiet(tiny(dir, 1)).run(null));
            assertTrue(e.getMessage().contains("another training run is writing into " + dir), e.getMessage());
            assertTrue(CheckpointStore.list(dir).isEmpty(), "nothing written");
        }
        // Released: the directory is usable again.
        quiet(tiny(dir, 1)).run(null);
        assertEquals(List.of(1L), steps(dir));
    }

    @Test
    void theLockIsReleasedWhenTheRunFails(@TempDir Path dir) throws IOException {
        Path missing = dir.resolve("no-such-checkpoint");
        assertThrows(IOException.class, () -> quiet(tiny(dir, 1)).run(missing));
        RunLock.acquire(dir).close();
    }

    @Test
    void metricRowsPastTheCheckpointAreDroppedOnResume(@TempDir Path dir) throws IOException {
        quiet(tiny(dir, 3)).run(null);
        // A crash after step 5 was logged but before its checkpoint: rows 4 and 5 (and a cut line) remain.
        Path csv = dir.resolve("metrics.csv");
        List<String> lines = Files.readAllLines(csv);
        String row3 = lines.get(lines.size() - 1);
        Files.writeString(csv, row3.replaceFirst("^step,3,", "step,4,") + "\n"
                + row3.replaceFirst("^step,3,", "step,5,") + "\nstep,6,0,0.1", java.nio.file.StandardOpenOption.APPEND);
        quiet(tiny(dir, 5)).run(dir);
        List<Long> logged = MetricsCsv.read(csv).cells(MetricsCsv.STEP, "step").stream().map(Long::parseLong).toList();
        // One row per step, none twice (the epoch row of step 4 is another kind).
        assertEquals(List.of(1L, 2L, 3L, 4L, 5L), logged, Files.readString(csv));
    }

    @Test
    void temporariesOfInterruptedCheckpointWritesAreRemovedOnStart(@TempDir Path dir) throws IOException {
        Path leftover = dir.resolve(".checkpoint-000000004.safetensors.k3j2h1.tmp");
        Path unrelated = dir.resolve("notes.tmp");
        Files.write(leftover, new byte[1000]);
        Files.write(unrelated, new byte[1]);
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        quiet(tiny(dir, 1), log).run(null);
        assertFalse(Files.exists(leftover));
        assertTrue(Files.exists(unrelated), "only the checkpoint writer's temporaries go");
        assertTrue(log.toString(StandardCharsets.UTF_8).contains("removed " + leftover), log.toString());
    }

    @Test
    void aDivergingRunStopsNamingTheStepAndKeepsTheLastGoodCheckpoint(@TempDir Path dir) throws IOException {
        long live = Tensor.liveHandles();
        quiet(tiny(dir, 2)).run(null);
        TrainConfig diverging = tiny(dir, 20).toBuilder().lr(1e30).warmupSteps(0).build();
        TrainingDivergedException e = assertThrows(TrainingDivergedException.class,
                () -> quiet(diverging).run(dir));
        assertTrue(e.step() > 2, "step " + e.step());
        assertTrue(e.getMessage().contains("at step " + e.step()), e.getMessage());
        // Every checkpoint left was taken at a finite loss: the newest one's weights are finite.
        try (var newest = CheckpointStore.load(dir)) {
            assertEquals(e.step() - 1, newest.step());
            assertEquals(newest.path(), e.lastGoodCheckpoint());
            for (var t : newest.model().entrySet()) {
                for (double v : t.getValue().toDoubleArray()) {
                    assertTrue(Double.isFinite(v), t.getKey());
                }
            }
        }
        assertEquals(live, Tensor.liveHandles(), "the failed run leaves no native tensors behind");
    }

    @Test
    void aCheckpointWithFlippedDataBytesIsRefusedNamingTheFile(@TempDir Path dir) throws IOException {
        quiet(tiny(dir, 2)).run(null);
        Path newest = CheckpointStore.list(dir).get(1);
        try (var f = new java.io.RandomAccessFile(newest.toFile(), "rw")) {
            f.seek(f.length() - 100); // the data section: the header checks cannot see this
            int b = f.read();
            f.seek(f.length() - 100);
            f.write(b ^ 1);
        }
        IOException e = assertThrows(IOException.class, () -> CheckpointStore.load(dir));
        assertTrue(e.getMessage().contains(newest.toString()) && e.getMessage().contains("checksum"), e.getMessage());
        assertTrue(e.getMessage().contains("previous checkpoint"), e.getMessage());
    }

    @Test
    void nonFiniteStepsCanBeSkippedUpToTheLimit(@TempDir Path dir) throws IOException {
        TrainConfig diverging = tiny(dir, 20).toBuilder().lr(1e30).warmupSteps(0).nonFiniteSkips(3).build();
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        TrainingDivergedException e = assertThrows(TrainingDivergedException.class,
                () -> quiet(diverging, log).run(null));
        String text = log.toString(StandardCharsets.UTF_8);
        for (long s = e.step() - 3; s < e.step(); s++) {
            assertTrue(text.contains("step " + s + " skipped: the loss is"), text);
        }
    }
}
