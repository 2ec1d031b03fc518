package org.amdim.tools;

import static org.amdim.tools.CommandHelpAndErrorsTest.assertUsageError;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Every option's valid range is checked before any work: a value outside it is a usage error (exit 2) that names
 * the option, never a stall, an {@code internal failure} or a stack trace.
 */
class OptionRangesTest {
    @TempDir
    Path tmp;

    private CliRun train(String option, String value) {
        List<String> args = new ArrayList<>(List.of("train", "--preset", "tiny", "--synthetic-size", "64", "--batch",
                "16", "--max-steps", "1", "-o", tmp.resolve("run").toString()));
        args.add(option);
        args.add(value);
        return CliRun.of(args.toArray(String[]::new));
    }

    @ParameterizedTest
    @CsvSource({
            "--threads, 10000", "--threads, 0", "--log-every, 0", "--log-every, -3", "--synthetic-size, 2000000000",
            "--synthetic-size, 0", "--warmup, -1", "--milestones, '10,-5'", "--max-steps, -1", "--mixture, -2",
            "--mixture-tau, 0", "--eval-batches, -2", "--nproc, -1", "--nproc, 100000", "--classes, 1",
            "--batch, 1", "--epochs, 0", "--lr, -1", "--lr, NaN", "--lr, Infinity", "--workers, 0",
            "--workers, 100000", "--checkpoint-every, -1", "--nonfinite-skips, -1", "--world-size, 0", "--rank, -1",
            "--dist-timeout, 0", "--ndf, 0", "--n-depth, -1"})
    void trainRefusesOutOfRangeValues(String option, String value) {
        CliRun r = train(option, value);
        assertUsageError(r, option);
        assertFalse(Files.exists(tmp.resolve("run").resolve("metrics.csv")), "refused before any work");
    }

    @ParameterizedTest
    @CsvSource({"--epochs, 0", "--max-train, -5", "--max-test, -1", "--batch, 0", "--lr, 0", "--threads, 10000",
            "--synthetic-size, -1"})
    void evalRefusesOutOfRangeValues(String option, String value) {
        // The checkpoint does not exist: the range check must come first.
        CliRun r = CliRun.of("eval", "--checkpoint", tmp.resolve("none").toString(), option, value);
        assertUsageError(r, option);
    }

    @Test
    void segmentAndPlotRefuseOutOfRangeValues() {
        String none = tmp.resolve("none").toString();
        assertUsageError(CliRun.of("segment", "--checkpoint", none, "--alpha", "2"), "--alpha");
        assertUsageError(CliRun.of("segment", "--checkpoint", none, "--columns", "0"), "--columns");
        assertUsageError(CliRun.of("views", "--epoch", "-1"), "--epoch");
        assertUsageError(CliRun.of("plot", "--run", none, "--width", "5"), "--width");
        assertUsageError(CliRun.of("bench", "--list", "--intra-op-threads", "10000"), "--intra-op-threads");
        assertUsageError(CliRun.of("bench", "--list", "--forks", "-1"), "--forks");
    }

    @Test
    void anOutputThatIsAFileIsRefusedSayingSo() throws IOException {
        Path file = Files.writeString(tmp.resolve("notes.txt"), "x");
        CliRun r = CliRun.of("train", "--preset", "tiny", "-o", file.toString());
        assertUsageError(r, "--output " + file + " is an existing file, not a directory");
    }

    @Test
    void anOutputThatCannotBeCreatedIsRefusedSayingWhy() throws IOException {
        Path file = Files.writeString(tmp.resolve("notes.txt"), "x");
        Path under = file.resolve("run"); // a directory below a file: impossible for anyone, root included
        CliRun r = CliRun.of("train", "--preset", "tiny", "-o", under.toString());
        assertUsageError(r, "--output cannot create the run directory " + under + " (");
        assertTrue(r.err().contains("choose a place you can write to"), r.describe());
    }
}
