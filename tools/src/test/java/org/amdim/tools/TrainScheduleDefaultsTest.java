package org.amdim.tools;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.amdim.train.TrainConfig;
import org.junit.jupiter.api.Test;

import picocli.CommandLine;

/**
 * {@code amdim train}'s schedule and evaluation defaults follow the original per dataset: ImageNet's 50 epochs
 * with milestones 30 and 45 for image folders, CIFAR's 300 with 250 and 280 otherwise, the whole test set.
 */
class TrainScheduleDefaultsTest {
    private static TrainConfig parse(String... args) {
        TrainCommand cmd = new TrainCommand();
        new CommandLine(cmd).parseArgs(args);
        return cmd.config(cmd.data.spec(), 10);
    }

    @Test
    void imageFoldersGetTheOriginalImageNetSchedule() {
        TrainConfig c = parse("--dataset", "folder", "--data", "/nonexistent");
        assertEquals(50, c.epochs());
        assertArrayEquals(new int[] {30, 45}, c.milestones());
    }

    @Test
    void smallImageDatasetsGetTheOriginalCifarSchedule() {
        for (String kind : new String[] {"synthetic", "cifar10", "stl10"}) {
            TrainConfig c = parse("--dataset", kind, "--data", "/nonexistent");
            assertEquals(300, c.epochs(), kind);
            assertArrayEquals(new int[] {250, 280}, c.milestones(), kind);
            assertEquals(TrainConfig.WHOLE_TEST_SET, c.evalBatches(), kind + ": the whole test set by default");
        }
    }

    @Test
    void explicitOptionsWin() {
        TrainConfig c = parse("--dataset", "folder", "--data", "/nonexistent", "--epochs", "7", "--milestones", "2,5",
                "--eval-batches", "3");
        assertEquals(7, c.epochs());
        assertArrayEquals(new int[] {2, 5}, c.milestones());
        assertEquals(3, c.evalBatches());
    }
}
