package org.amdim.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

/** {@code amdim bench --list}: the suite is registered and selectable (no benchmark is run). */
class BenchCommandTest {
    private static final List<String> SUITE = List.of(
            "org.amdim.tools.bench.AdamBench.stepCpp",
            "org.amdim.tools.bench.AdamBench.stepJava",
            "org.amdim.tools.bench.ConvBench.forwardBackwardCpp",
            "org.amdim.tools.bench.ConvBench.forwardBackwardJava",
            "org.amdim.tools.bench.ConvBench.forwardCpp",
            "org.amdim.tools.bench.ConvBench.forwardJava",
            "org.amdim.tools.bench.OpOverheadBench.addCpp",
            "org.amdim.tools.bench.OpOverheadBench.addJava",
            "org.amdim.tools.bench.OpOverheadBench.addScopedJava",
            "org.amdim.tools.bench.OpOverheadBench.noopDowncall");

    @Test
    void listsTheBenchmarks() {
        CliRun r = CliRun.of("bench", "--list");
        assertEquals(0, r.exitCode(), r.describe());
        List<String> listed = r.out().lines().toList();
        assertTrue(listed.containsAll(SUITE), r.describe());
    }

    @Test
    void regexSelects() {
        CliRun r = CliRun.of("bench", "--list", "AdamBench");
        assertEquals(0, r.exitCode(), r.describe());
        assertEquals(List.of("org.amdim.tools.bench.AdamBench.stepCpp", "org.amdim.tools.bench.AdamBench.stepJava"),
                r.out().lines().toList());
    }

    @Test
    void regexMatchingNothingIsAnError() {
        CliRun r = CliRun.of("bench", "--list", "NoSuchBench");
        assertEquals(AmdimCli.EXIT_FAILURE, r.exitCode(), r.describe());
        assertTrue(r.err().startsWith("error: no benchmark matches 'NoSuchBench'"), r.describe());
    }

    @Test
    void paramOverridesAreParsed() {
        CliRun r = CliRun.of("bench", "--list", "-p", "batch=1,32", "--param", "preset=cifar10", "AdamBench");
        assertEquals(0, r.exitCode(), r.describe());
    }

    @Test
    void threadsAreNotAParamOverride() {
        CliRun r = CliRun.of("bench", "--list", "-p", "threads=4");
        assertEquals(AmdimCli.EXIT_USAGE, r.exitCode(), r.describe());
        assertTrue(r.err().contains("--intra-op-threads"), r.describe());
    }

    @Test
    void emptyParamValuesAreUsageErrors() {
        for (String bad : List.of("batch=", "batch=1,,2", "=3", "batch")) {
            CliRun r = CliRun.of("bench", "--list", "-p", bad);
            assertEquals(AmdimCli.EXIT_USAGE, r.exitCode(), bad + ": " + r.describe());
        }
    }
}
