package org.amdim.knn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.amdim.data.ImageDataset;
import org.amdim.embed.DatasetEmbeddings;
import org.amdim.embed.EmbeddingOutput;
import org.amdim.model.AmdimModel;
import org.amdim.model.encoder.EncoderConfig;
import org.amdim.tensor.Device;
import org.amdim.tensor.NoLeaks;
import org.amdim.tensor.Tensor;
import org.amdim.data.DatasetSpec;
import org.amdim.train.MetricsCsv;
import org.amdim.train.ProgressReporter;
import org.amdim.train.TrainConfig;
import org.amdim.train.Trainer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** The k-NN evaluation's plumbing: unlabelled images left out, the embeddings it compares, the epoch-end monitor. */
@ExtendWith(NoLeaks.class)
class KnnEvaluationTest {
    private static TrainConfig tiny(Path out) {
        return TrainConfig.defaults().toBuilder()
                .dataset(DatasetSpec.synthetic(48))
                .encoder(new EncoderConfig(32, 4, 32, 2, false))
                .batchSize(16).epochs(2).maxSteps(0).lr(2e-3).warmupSteps(1)
                .threads(2).workers(1).evalBatches(0).bnWarmupBatches(0).logEvery(1)
                .output(out).build();
    }

    @Test
    void unlabelledRowsAreLeftOut() throws Exception {
        ImageDataset any = DatasetSpec.synthetic(4).open(false);
        DatasetEmbeddings all = new DatasetEmbeddings(Tensor.of(new float[] {1, 2, 3, 4, 5, 6, 7, 8}, 4, 2),
                Tensor.of(new long[] {0, -1, 2, -1}, 4));
        try (DatasetEmbeddings kept = KnnEvaluation.labelled(all, any)) {
            assertArrayEquals(new float[] {1, 2, 5, 6}, kept.embeddings().toFloatArray());
            assertArrayEquals(new long[] {0, 2}, kept.labels().toLongArray());
        }
        DatasetEmbeddings none = new DatasetEmbeddings(Tensor.of(new float[] {1, 2}, 1, 2),
                Tensor.of(new long[] {-1}, 1));
        var e = assertThrows(IllegalArgumentException.class, () -> KnnEvaluation.labelled(none, any));
        assertTrue(e.getMessage().contains("no labelled images"), e.getMessage());
    }

    @Test
    void theAccuracyIsWeightedKnnOnTheEvaluationEmbeddings(@TempDir Path dir) throws Exception {
        TrainConfig c = tiny(dir);
        ImageDataset train = c.dataset().open(true);
        ImageDataset test = c.dataset().open(false);
        try (AmdimModel model = Trainer.buildModel(c)) {
            var o = WeightedKnn.Options.defaults().withK(7);
            KnnEvaluation.Result r = KnnEvaluation.run(model, train, test, c.dataset().preset(), 10, o, 16, 0, 0,
                    Device.CPU, null);
            assertEquals(48, r.trainImages());
            assertEquals(9, r.testImages());
            assertEquals(7, r.k());
            try (var tr = DatasetEmbeddings.compute(model, EmbeddingOutput.R1, train, c.dataset().preset(), 16, 0,
                    Device.CPU, null);
                    var te = DatasetEmbeddings.compute(model, EmbeddingOutput.R1, test, c.dataset().preset(), 16, 0,
                            Device.CPU, null)) {
                assertEquals(WeightedKnn.accuracy(tr.embeddings(), tr.labels(), te.embeddings(), te.labels(), 10, o),
                        r.accuracy(), 0.0);
            }
        }
    }

    @Test
    void theTrainerRunsMonitorsAtEpochEndsAndLogsWhatTheyReport(@TempDir Path dir) throws Exception {
        List<Integer> epochs = new ArrayList<>();
        List<Boolean> trainingModeAtNextCall = new ArrayList<>();
        Trainer trainer = new Trainer(tiny(dir), new ProgressReporter(new PrintStream(new ByteArrayOutputStream()),
                false, 1000));
        trainer.addMonitor((model, config, epoch) -> {
            trainingModeAtNextCall.add(model.isTraining());
            epochs.add(epoch);
            model.eval(); // the trainer must put training mode back
            return Map.of(KnnMonitor.COLUMN, 0.25 + epoch);
        });
        trainer.run(null);
        assertEquals(List.of(0, 1), epochs);
        assertEquals(List.of(true, true), trainingModeAtNextCall);
        MetricsCsv metrics = MetricsCsv.read(dir);
        assertEquals(List.of("0.250000", "1.25000"), metrics.cells(MetricsCsv.EPOCH, KnnMonitor.COLUMN));
        assertFalse(metrics.cells(MetricsCsv.STEP, KnnMonitor.COLUMN).stream().anyMatch(c -> !c.isEmpty()));
    }

    @Test
    void theMonitorRunsEveryNthEpochOnly() throws Exception {
        var monitor = new KnnMonitor(2, WeightedKnn.Options.defaults());
        assertEquals(Map.of(), monitor.afterEpoch(null, null, 0), "epoch 1 of every 2: nothing to do");
        assertThrows(IllegalArgumentException.class, () -> new KnnMonitor(0, WeightedKnn.Options.defaults()));
    }
}
