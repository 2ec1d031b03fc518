package org.amdim.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What {@link MetricsLog} writes, {@link MetricsCsv} reads back, column by column and kind by kind. */
class MetricsCsvTest {
    @Test
    void readsBackWhatTheLogWrote(@TempDir Path dir) throws IOException {
        try (MetricsLog log = new MetricsLog(dir)) {
            log.write("step", Map.of("step", 1.0, "loss_opt", 2.5));
            log.write("step", Map.of("step", 2.0, "loss_opt", 1.25));
            log.write("epoch", Map.of("step", 2.0, "test_acc_lin", 0.5));
        }
        MetricsCsv csv = MetricsCsv.read(dir);
        assertEquals("kind", csv.header().getFirst());
        assertEquals(List.of(2.5, 1.25), csv.values(MetricsCsv.STEP, "loss_opt"));
        assertEquals(List.of("1", "2"), csv.cells(MetricsCsv.STEP, "step"));
        assertEquals(List.of(0.5), csv.values(MetricsCsv.EPOCH, "test_acc_lin"));
        assertEquals(List.of(""), csv.cells(MetricsCsv.EPOCH, "loss_opt"), "empty where a row has no value");
        assertThrows(NumberFormatException.class, () -> csv.values(MetricsCsv.EPOCH, "loss_opt"));
        assertThrows(IllegalArgumentException.class, () -> csv.cells(MetricsCsv.STEP, "no_such_column"));
    }
}
