package org.amdim.tools;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;

import org.amdim.tensor.NoLeaks;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** {@code train --lr 1e30} diverges: exit 1 with the step and the last good checkpoint, never exit 0. */
@ExtendWith(NoLeaks.class)
class DivergedRunCliTest {
    @Test
    void aDivergingRunFailsNamingTheStep(@TempDir Path dir) {
        CliRun r = CliRun.of("train", "--preset", "tiny", "--synthetic-size", "64", "--batch", "16", "--max-steps",
                "20", "--lr", "1e30", "--warmup", "0", "--checkpoint-every", "1", "--eval-batches", "0", "-o",
                dir.toString());
        CommandHelpAndErrorsTest.assertFailure(r, "training diverged: the loss is");
        assertTrue(r.err().contains("the last good checkpoint is " + dir), r.describe());
        assertFalse(r.out().contains("done:"), r.describe());
    }
}
