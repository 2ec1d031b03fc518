package org.amdim.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.amdim.data.DatasetSpec;
import org.amdim.model.encoder.EncoderConfig;
import org.amdim.tensor.MemoryFormat;
import org.amdim.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --memory-format}: an auto run decides, logs and records its format without changing anything else (it
 * equals the run given that format bit for bit), and a resumed auto run keeps the recorded format untimed.
 */
class TrainerMemoryFormatTest {
    private static final Pattern DECISION = Pattern.compile("encoder memory format: (\\S+) \\((.*)\\)");

    private static TrainConfig tiny(Path out, long maxSteps, EncoderFormat format) {
        return TrainConfig.defaults().toBuilder()
                .dataset(DatasetSpec.synthetic(64))
                .encoder(new EncoderConfig(32, 8, 32, 2, false))
                .batchSize(16).epochs(50).maxSteps(maxSteps).lr(2e-3).warmupSteps(5)
                .threads(2).workers(2).evalBatches(0).bnWarmupBatches(0).logEvery(1)
                .memoryFormat(format).output(out).build();
    }

    /** Runs training; returns its log. */
    private static String run(TrainConfig c, Path resume) throws IOException {
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        new Trainer(c, new ProgressReporter(new PrintStream(log, true, StandardCharsets.UTF_8), false, 1000))
                .run(resume);
        return log.toString(StandardCharsets.UTF_8);
    }

    private static Matcher decision(String log) {
        Matcher m = DECISION.matcher(log);
        assertTrue(m.find(), "the log states the memory format:\n" + log);
        return m;
    }

    private static String recorded(Path dir) throws IOException {
        try (var ckpt = CheckpointStore.load(dir)) {
            return ckpt.metadata().get(TrainConfig.MEMORY_FORMAT_KEY);
        }
    }

    private static void assertSameCheckpoints(Path a, Path b) throws IOException {
        try (var x = CheckpointStore.load(a); var y = CheckpointStore.load(b)) {
            assertEquals(x.step(), y.step());
            assertEquals(x.model().keySet(), y.model().keySet());
            for (var e : x.model().entrySet()) {
                assertArrayEquals(e.getValue().toDoubleArray(), y.model().get(e.getKey()).toDoubleArray(), 0.0,
                        e.getKey());
            }
            assertEquals(x.optimizer().keySet(), y.optimizer().keySet());
            for (var e : x.optimizer().entrySet()) {
                assertArrayEquals(e.getValue().toDoubleArray(), y.optimizer().get(e.getKey()).toDoubleArray(), 0.0,
                        e.getKey());
            }
        }
    }

    @Test
    void autoTimesBothFormatsRecordsTheChoiceAndOtherwiseEqualsTheRunGivenThatFormat(@TempDir Path dir)
            throws IOException {
        long live = Tensor.liveHandles();
        Path auto = dir.resolve("auto");
        Matcher m = decision(run(tiny(auto, 3, EncoderFormat.AUTO), null));
        EncoderFormat chosen = EncoderFormat.parse(m.group(1));
        assertTrue(chosen != EncoderFormat.AUTO);
        assertTrue(m.group(2).contains("channels-last") && m.group(2).contains("contiguous")
                && m.group(2).contains(" s "), "the log gives both timings: " + m.group());
        assertEquals(chosen.toString(), recorded(auto));
        // The trial made no update, restored the batch-norm statistics and drew nothing the steps read.
        Path fixed = dir.resolve("fixed");
        String log = run(tiny(fixed, 3, chosen), null);
        assertEquals("as configured", decision(log).group(2));
        assertSameCheckpoints(auto, fixed);
        assertEquals(live, Tensor.liveHandles(), "the trial leaves no native tensors behind");
    }

    @Test
    void aResumedAutoRunKeepsTheCheckpointsFormatWithoutTiming(@TempDir Path dir) throws IOException {
        Path split = dir.resolve("split");
        run(tiny(split, 2, EncoderFormat.CONTIGUOUS), null);
        assertEquals("contiguous", recorded(split));
        Matcher m = decision(run(tiny(split, 4, EncoderFormat.AUTO), split));
        assertEquals("contiguous", m.group(1));
        assertEquals("auto: as the checkpoint recorded", m.group(2));
        assertEquals("contiguous", recorded(split));
        // Bit for bit the uninterrupted contiguous run: same format, same lineage.
        Path full = dir.resolve("full");
        run(tiny(full, 4, EncoderFormat.CONTIGUOUS), null);
        assertSameCheckpoints(full, split);
    }

    @Test
    void anExplicitFormatOverridesTheCheckpointsAndSaysWhatThatCosts(@TempDir Path dir) throws IOException {
        Path run = dir.resolve("run");
        run(tiny(run, 1, EncoderFormat.CONTIGUOUS), null);
        Matcher m = decision(run(tiny(run, 2, EncoderFormat.CHANNELS_LAST), run));
        assertEquals("channels-last", m.group(1));
        assertTrue(m.group(2).contains("the checkpoint computed in contiguous"), m.group());
        assertEquals("channels-last", recorded(run));
    }

    @Test
    void checkpointsOlderThanTheSettingComputedChannelsLast() {
        try (var model = Trainer.buildModel(tiny(Path.of("unused"), 1, EncoderFormat.AUTO))) {
            FormatTrial.Decision d = FormatTrial.decide(tiny(Path.of("unused"), 1, EncoderFormat.AUTO), model,
                    java.util.Map.of("step", "3"), null);
            assertEquals(MemoryFormat.CHANNELS_LAST, d.format());
            assertTrue(d.how().contains("predates"), d.how());
            assertTrue(d.seconds().isEmpty(), "not timed");
        }
    }

    @Test
    void contiguousMustBeClearlyFasterToBeChosen() {
        assertFalse(FormatTrial.prefersContiguous(0.181, 0.173), "4 % faster: within the trial's noise");
        assertFalse(FormatTrial.prefersContiguous(0.100, 0.1001), "slower");
        assertTrue(FormatTrial.prefersContiguous(0.200, 0.179), "over 10 % faster");
    }

    @Test
    void theTrialLeavesTheModelAsItFoundIt() {
        TrainConfig c = tiny(Path.of("unused"), 1, EncoderFormat.AUTO);
        try (var model = Trainer.buildModel(c)) {
            model.eval();
            var before = new java.util.LinkedHashMap<String, double[]>();
            model.stateDict().forEach((k, v) -> before.put(k, v.toDoubleArray()));
            var timed = FormatTrial.time(c, model);
            assertEquals(2, timed.size());
            timed.values().forEach(s -> assertTrue(s > 0 && Double.isFinite(s), "seconds " + s));
            assertFalse(model.isTraining(), "the mode is put back");
            assertEquals(MemoryFormat.CHANNELS_LAST, model.encoder().memoryFormat(), "the format is put back");
            model.stateDict().forEach((k, v) -> assertArrayEquals(before.get(k), v.toDoubleArray(), 0.0, k));
            for (var e : model.namedParameters().entrySet()) {
                try (Tensor g = e.getValue().grad()) {
                    assertTrue(g == null, e.getKey() + " keeps no gradient");
                }
            }
        }
    }
}
