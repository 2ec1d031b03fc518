package org.amdim.tools;

import org.amdim.tensor.NoLeaks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The model commands' help texts (with their defaults) and their answers to bad command lines: usage errors exit 2,
 * failures exit 1, both with a message naming the culprit and no stack trace.
 */
@ExtendWith(NoLeaks.class)
class CommandHelpAndErrorsTest {
    @TempDir
    Path tmp;

    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
            train   | --batch=<batch>     | Default: 200         | Default: runs/amdim
            train   | --dataset=<kind>    | Default: synthetic   | Default: 2e-4
            eval    | --checkpoint        | Default: 30          | Default: 256
            export  | --checkpoint        | --full-model         | --output
            views   | --count             | Default: views.png   | Default: 8
            segment | --checkpoint        | Default: segment.png | Default: 0.55
            plot    | --run=DIR           | Default: 1000        | Default: 800
            """)
    void helpExitsZeroAndShowsTheOptionsWithTheirDefaults(String command, String a, String b, String c) {
        CliRun r = CliRun.of(command, "--help");
        assertEquals(0, r.exitCode(), r.describe());
        assertTrue(r.out().startsWith("Usage: amdim " + command + " "), r.describe());
        for (String s : List.of(a, b, c)) {
            assertTrue(r.out().contains(s), "'" + s + "' missing from the help\n" + r.describe());
        }
        assertEquals("", r.err(), r.describe());
    }

    @Test
    void unknownOptionOnTrain() {
        CliRun r = CliRun.of("train", "--frobnicate");
        assertUsageError(r, "--frobnicate");
        assertTrue(r.err().contains("Try 'amdim train --help'"), r.describe());
    }

    @Test
    void badNumbersNameTheOptionAndTheValue() {
        for (String[] args : List.of(new String[] {"train", "--batch", "many"},
                new String[] {"views", "--count", "eight"}, new String[] {"segment", "--checkpoint", "x", "--alpha", "half"},
                new String[] {"eval", "--checkpoint", "x", "--epochs", "1.5"})) {
            CliRun r = CliRun.of(args);
            assertUsageError(r, args[args.length - 2]);
            assertTrue(r.err().contains("'" + args[args.length - 1] + "'"), r.describe());
        }
    }

    @Test
    void unknownDatasetIsAUsageErrorListingTheKinds() {
        for (String command : List.of("train", "views")) {
            CliRun r = CliRun.of(command, "--dataset", "nonsense");
            assertUsageError(r, "--dataset");
            assertTrue(r.err().contains("nonsense") && r.err().contains("cifar10"), r.describe());
        }
    }

    @Test
    void aBadTf32ModeIsAUsageErrorListingTheModes() {
        CliRun r = CliRun.of("train", "--tf32", "sometimes");
        assertUsageError(r, "--tf32");
        assertTrue(r.err().contains("sometimes") && r.err().contains("default, on or off"), r.describe());
    }

    @Test
    void aBadMemoryFormatIsAUsageErrorListingTheFormats() {
        CliRun r = CliRun.of("train", "--memory-format", "sideways");
        assertUsageError(r, "--memory-format");
        assertTrue(r.err().contains("sideways") && r.err().contains("auto, channels-last or contiguous"),
                r.describe());
        CliRun help = CliRun.of("train", "--help");
        assertTrue(help.out().contains("--memory-format=<memoryFormat>") && help.out().contains("Default: auto"),
                help.describe());
    }

    @Test
    void missingRequiredOptionsAreUsageErrors() {
        assertUsageError(CliRun.of("eval"), "--checkpoint");
        assertUsageError(CliRun.of("export", "-o", "x.safetensors"), "--checkpoint");
        assertUsageError(CliRun.of("export", "--checkpoint", "x"), "--output");
        assertUsageError(CliRun.of("segment"), "--checkpoint");
        assertUsageError(CliRun.of("plot"), "--run");
    }

    @Test
    void aMissingCheckpointIsAFailureNamingIt() {
        String missing = tmp.resolve("nowhere.safetensors").toString();
        assertFailure(CliRun.of("eval", "--checkpoint", missing), missing);
        assertFailure(CliRun.of("segment", "--checkpoint", missing), missing);
        assertFailure(CliRun.of("export", "--checkpoint", missing, "-o", tmp.resolve("e.safetensors").toString()),
                missing);
    }

    @Test
    void aDatasetKindWithoutItsDirectoryIsAFailure() {
        assertFailure(CliRun.of("views", "--dataset", "cifar10"), "--data DIR is required for --dataset cifar10");
        Path none = tmp.resolve("no-such-dir");
        assertFailure(CliRun.of("views", "--dataset", "stl10", "--data", none.toString()), none.toString());
    }

    @Test
    void outOfRangeValuesAreFailuresNamingTheOption() {
        assertUsageError(CliRun.of("views", "--count", "0"), "--count");
        assertUsageError(CliRun.of("views", "--scale", "-1"), "--scale");
        assertFailure(CliRun.of("views", "--synthetic-size", "1000", "--count", "1000"), "larger than 32768 pixels");
        assertFailure(CliRun.of("train", "--preset", "huge", "--max-steps", "1"), "--preset");
    }

    @Test
    void plotWithoutMetricsIsAFailure() throws IOException {
        assertFailure(CliRun.of("plot", "--run", tmp.resolve("absent").toString()), "absent");
        Path run = Files.createDirectories(tmp.resolve("run"));
        assertFailure(CliRun.of("plot", "--run", run.toString()), "metrics.csv");
        Files.writeString(run.resolve("metrics.csv"), "");
        assertFailure(CliRun.of("plot", "--run", run.toString()), "is empty");
        Files.writeString(run.resolve("metrics.csv"), "kind,step,loss_opt\n");
        assertFailure(CliRun.of("plot", "--run", run.toString()), "no rows");
    }

    static void assertUsageError(CliRun r, String named) {
        assertEquals(AmdimCli.EXIT_USAGE, r.exitCode(), r.describe());
        assertTrue(r.err().startsWith("error: "), r.describe());
        assertTrue(r.err().contains(named), "the message should name " + named + "\n" + r.describe());
        assertFalse(r.err().contains("\tat "), "no stack trace on a usage error\n" + r.describe());
    }

    static void assertFailure(CliRun r, String named) {
        assertEquals(AmdimCli.EXIT_FAILURE, r.exitCode(), r.describe());
        assertTrue(r.err().startsWith("error: "), r.describe());
        assertFalse(r.err().startsWith("error: internal failure"), "an expected failure\n" + r.describe());
        assertTrue(r.err().contains(named), "the message should name " + named + "\n" + r.describe());
        assertFalse(r.err().contains("\tat "), "no stack trace without --verbose\n" + r.describe());
    }
}
