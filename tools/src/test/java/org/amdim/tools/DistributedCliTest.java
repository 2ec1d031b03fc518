package org.amdim.tools;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The data-parallel options of {@code amdim train}. */
class DistributedCliTest {

    @Test
    void aRankWithoutAWorldIsAClearError(@TempDir Path dir) {
        CliRun r = CliRun.of("train", "--rank", "1", "--preset", "tiny", "--synthetic-size", "32", "--batch", "16",
                "--max-steps", "1", "-o", dir.toString());
        assertEquals(AmdimCli.EXIT_USAGE, r.exitCode(), r.describe());
        assertTrue(r.err().contains("--rank 1 needs --world-size"), r.describe());
        assertFalse(r.err().contains("\tat "), "no stack trace: " + r.describe());
    }

    @Test
    void aMalformedMasterIsAClearError(@TempDir Path dir) {
        CliRun r = CliRun.of("train", "--world-size", "2", "--master", "nohostport", "--preset", "tiny",
                "--synthetic-size", "32", "--batch", "16", "--max-steps", "1", "-o", dir.toString());
        assertEquals(AmdimCli.EXIT_FAILURE, r.exitCode(), r.describe());
        assertTrue(r.err().contains("host:port"), r.describe());
    }

    @Test
    void nprocStartsLocalWorkersThatTrainTogether(@TempDir Path dir) throws Exception {
        CliRun r = CliRun.of("train", "--nproc", "2", "--preset", "tiny", "--synthetic-size", "64", "--batch", "8",
                "--max-steps", "2", "--epochs", "1", "--threads", "1", "--workers", "1", "--eval-batches", "0",
                "--log-every", "1", "--dist-timeout", "60", "-o", dir.toString());
        assertEquals(AmdimCli.EXIT_OK, r.exitCode(), r.describe());
        assertTrue(Files.exists(dir.resolve("checkpoint-000000002.safetensors")), "rank 0 wrote the checkpoint");
        assertTrue(Files.readString(dir.resolve("metrics.csv")).lines().count() >= 3, "two step rows");
    }
}
