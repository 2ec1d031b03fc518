package org.amdim.tools;

import org.amdim.tensor.NoLeaks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.util.concurrent.Callable;

import org.amdim.tensor.Tensor;
import org.amdim.tensor.TensorScope;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Failures inside a command: {@code error: <message>}, exit 1, stack traces only with --verbose. */
@ExtendWith(NoLeaks.class)
class FailureReportingTest {
    /** A test subcommand that fails in the way its option says. */
    @Command(name = "fail")
    static final class Fail implements Callable<Integer> {
        @Option(names = "--how")
        String how = "argument";

        @Override
        public Integer call() throws IOException {
            switch (how) {
                case "argument" -> throw new IllegalArgumentException("the value is out of range");
                case "io" -> throw new NoSuchFileException("/no/such/file.safetensors");
                case "torch" -> {
                    try (var scope = TensorScope.open()) {
                        Tensor.zeros(2, 3).matmul(Tensor.zeros(4, 5)); // shapes do not fit: libtorch says so
                    }
                }
                default -> throw new IllegalStateException("a bug");
            }
            return 0;
        }
    }

    private static CliRun run(String... args) {
        CommandLine cmd = AmdimCli.commandLine();
        cmd.addSubcommand(new Fail());
        return CliRun.on(cmd, args);
    }

    @Test
    void expectedFailurePrintsOnlyTheMessage() {
        CliRun r = run("fail");
        assertEquals(AmdimCli.EXIT_FAILURE, r.exitCode(), r.describe());
        assertEquals("error: the value is out of range", r.err().strip());
        assertEquals("", r.out());
    }

    @Test
    void ioFailureIsExpected() {
        CliRun r = run("fail", "--how", "io");
        assertEquals(AmdimCli.EXIT_FAILURE, r.exitCode(), r.describe());
        // Java's NoSuchFileException carries only the path: the message says what is wrong with it too.
        assertEquals("error: /no/such/file.safetensors: no such file or directory", r.err().strip());
    }

    @Test
    void libtorchErrorShowsLibtorchsMessage() {
        CliRun r = run("fail", "--how", "torch");
        assertEquals(AmdimCli.EXIT_FAILURE, r.exitCode(), r.describe());
        assertTrue(r.err().startsWith("error: "), r.describe());
        assertTrue(r.err().contains("cannot be multiplied"), r.describe());
        assertFalse(r.err().contains("\tat "), r.describe());
    }

    @Test
    void verboseOnTheTopCommandAddsTheStackTrace() {
        CliRun r = run("--verbose", "fail");
        assertEquals(AmdimCli.EXIT_FAILURE, r.exitCode(), r.describe());
        assertTrue(r.err().startsWith("error: the value is out of range"), r.describe());
        assertTrue(r.err().contains("\tat " + Fail.class.getName()), r.describe());
    }

    @Test
    void verboseAfterTheSubcommandWorksToo() {
        CliRun r = run("fail", "-v");
        assertTrue(r.err().contains("\tat "), r.describe());
    }

    @Test
    void unexpectedFailureIsNamedAsInternal() {
        CliRun r = run("fail", "--how", "bug");
        assertEquals(AmdimCli.EXIT_FAILURE, r.exitCode(), r.describe());
        assertTrue(r.err().startsWith("error: internal failure: java.lang.IllegalStateException: a bug"),
                r.describe());
        assertTrue(r.err().contains("--verbose"), r.describe());
        assertFalse(r.err().contains("\tat "), r.describe());
    }
}
