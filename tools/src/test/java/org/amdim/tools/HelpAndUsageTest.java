package org.amdim.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import picocli.CommandLine;

/** Help on every command, and usage errors: exit codes and messages that name the bad argument. */
class HelpAndUsageTest {
    /** Every command's path below {@code amdim}, the top command included (empty path), found recursively. */
    static Stream<List<String>> commandPaths() {
        List<List<String>> paths = new ArrayList<>();
        collect(AmdimCli.commandLine(), new ArrayList<>(), paths);
        return paths.stream();
    }

    private static void collect(CommandLine cmd, List<String> path, List<List<String>> out) {
        out.add(List.copyOf(path));
        cmd.getSubcommands().forEach((name, sub) -> {
            if (sub.getCommandName().equals(name)) { // skip aliases
                List<String> p = new ArrayList<>(path);
                p.add(name);
                collect(sub, p, out);
            }
        });
    }

    @ParameterizedTest
    @MethodSource("commandPaths")
    void helpExitsZeroAndShowsUsage(List<String> path) {
        List<String> args = new ArrayList<>(path);
        args.add("--help");
        CliRun r = CliRun.of(args.toArray(String[]::new));
        assertEquals(0, r.exitCode(), r.describe());
        assertTrue(r.out().contains("Usage: " + String.join(" ", prepend("amdim", path)) + " "), r.describe());
        assertEquals("", r.err());
    }

    @ParameterizedTest
    @MethodSource("commandPaths")
    void ourCommandsShowDefaultValues(List<String> path) {
        CommandLine cmd = AmdimCli.commandLine();
        for (String name : path) {
            cmd = cmd.getSubcommands().get(name);
        }
        if (cmd.getCommand() instanceof CommandLine.HelpCommand) {
            return; // picocli's own
        }
        assertTrue(cmd.getCommandSpec().usageMessage().showDefaultValues(),
                "showDefaultValues is off for '" + cmd.getCommandSpec().qualifiedName() + "'");
    }

    @Test
    void benchHelpShowsItsDefaults() {
        CliRun r = CliRun.of("bench", "--help");
        assertTrue(r.out().contains("Default: bench-results.json"), r.describe());
        assertTrue(r.out().contains("Default: 2"), r.describe());
    }

    @Test
    void versionNamesTheProjectVersion() {
        CliRun r = CliRun.of("--version");
        assertEquals(0, r.exitCode(), r.describe());
        assertTrue(r.out().startsWith("amdim " + JarVersion.projectVersion()), r.describe());
        assertFalse(JarVersion.projectVersion().equals("unknown"), "version.properties was not filtered");
    }

    @Test
    void unknownOptionIsAUsageErrorNamingIt() {
        CliRun r = CliRun.of("bench", "--frobnicate");
        assertUsageError(r, "--frobnicate");
        assertTrue(r.err().contains("Try 'amdim bench --help'"), r.describe());
    }

    @Test
    void unknownOptionOnInfo() {
        assertUsageError(CliRun.of("info", "--nope"), "--nope");
    }

    @Test
    void badOptionValueNamesTheOptionAndTheValue() {
        CliRun r = CliRun.of("bench", "--intra-op-threads", "many");
        assertUsageError(r, "--intra-op-threads");
        assertTrue(r.err().contains("'many'"), r.describe());
    }

    @Test
    void badRegexIsAUsageError() {
        assertUsageError(CliRun.of("bench", "--list", "Conv[("), "REGEX");
    }

    @Test
    void unknownCommandIsAUsageErrorWithASuggestion() {
        CliRun r = CliRun.of("bnch");
        assertUsageError(r, "'bnch'");
        assertTrue(r.err().contains("bench"), r.describe());
    }

    @Test
    void noCommandIsAUsageError() {
        assertUsageError(CliRun.of(), "Missing command");
    }

    private static void assertUsageError(CliRun r, String named) {
        assertEquals(AmdimCli.EXIT_USAGE, r.exitCode(), r.describe());
        assertTrue(r.err().startsWith("error: "), r.describe());
        assertTrue(r.err().contains(named), "the message should name " + named + "\n" + r.describe());
        assertFalse(r.err().contains("\tat "), "no stack trace on a usage error\n" + r.describe());
        assertEquals("", r.out(), r.describe());
    }

    private static List<String> prepend(String first, List<String> rest) {
        List<String> all = new ArrayList<>();
        all.add(first);
        all.addAll(rest);
        return all;
    }
}
