package org.amdim.tools.render;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reading metrics.csv: columns by name, empty cells, repeated steps, and the errors. */
class MetricsTableTest {
    @TempDir
    Path dir;

    private Path write(String text) throws IOException {
        return Files.writeString(dir.resolve("metrics.csv"), text);
    }

    @Test
    void seriesTakeTheirRowKindAndSkipEmptyCells() throws IOException {
        MetricsTable t = MetricsTable.read(write("""
                kind,step,epoch,loss_opt,test_acc_mlp
                step,1,0,5.5,
                step,2,0,4.25,
                epoch,2,0,4.25,0.5
                step,3,1,,
                step,4,1,3,
                epoch,4,1,3,0.75
                """));
        assertEquals(6, t.size());
        MetricsTable.XySeries loss = t.series("step", "loss_opt");
        assertArrayEquals(new double[] {1, 2, 4}, loss.x());
        assertArrayEquals(new double[] {5.5, 4.25, 3}, loss.y());
        MetricsTable.XySeries test = t.series("epoch", "test_acc_mlp");
        assertArrayEquals(new double[] {2, 4}, test.x());
        assertArrayEquals(new double[] {0.5, 0.75}, test.y());
        assertTrue(t.has("epoch", "test_acc_mlp"));
        assertFalse(t.has("step", "test_acc_mlp"));
        assertFalse(t.has("step", "no_such_column"));
        assertEquals(0.75, t.last("epoch", "test_acc_mlp"));
        assertTrue(Double.isNaN(t.last("step", "test_acc_mlp")));
    }

    @Test
    void aRepeatedStepKeepsTheRowWrittenLastAndSeriesAreOrderedByStep() throws IOException {
        // A run resumed from the checkpoint of step 2 logs steps 3 and 4 again.
        MetricsTable t = MetricsTable.read(write("""
                kind,step,loss_opt
                step,1,9
                step,2,8
                step,3,7
                step,4,6
                step,3,7.5
                step,4,6.5
                step,5,5
                """));
        MetricsTable.XySeries s = t.series("step", "loss_opt");
        assertArrayEquals(new double[] {1, 2, 3, 4, 5}, s.x());
        assertArrayEquals(new double[] {9, 8, 7.5, 6.5, 5}, s.y());
    }

    @Test
    void columnsAreFoundByName() throws IOException {
        MetricsTable t = MetricsTable.read(write("loss_opt,kind,step\n2.5,step,10\n"));
        assertArrayEquals(new double[] {10}, t.series("step", "loss_opt").x());
        assertArrayEquals(new double[] {2.5}, t.series("step", "loss_opt").y());
    }

    @Test
    void missingEmptyHeaderOnlyAndMalformedFilesAreReported() throws IOException {
        IOException missing = assertThrows(IOException.class, () -> MetricsTable.read(dir.resolve("metrics.csv")));
        assertTrue(missing.getMessage().contains("metrics.csv"), missing.getMessage());
        IOException empty = assertThrows(IOException.class, () -> MetricsTable.read(write("")));
        assertTrue(empty.getMessage().contains("is empty"), empty.getMessage());
        IOException header = assertThrows(IOException.class, () -> MetricsTable.read(write("kind,step,loss_opt\n")));
        assertTrue(header.getMessage().contains("no rows"), header.getMessage());
        IOException foreign = assertThrows(IOException.class, () -> MetricsTable.read(write("a,b\n1,2\n")));
        assertTrue(foreign.getMessage().contains("'kind' and 'step'"), foreign.getMessage());
        IOException bad = assertThrows(IOException.class,
                () -> MetricsTable.read(write("kind,step,loss_opt\nstep,1,oops\n")));
        assertTrue(bad.getMessage().contains("line 2") && bad.getMessage().contains("loss_opt")
                && bad.getMessage().contains("'oops'"), bad.getMessage());
    }
}
