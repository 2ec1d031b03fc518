package org.amdim.tools.bench;

import java.io.PrintStream;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.results.format.ResultFormatType;
import org.openjdk.jmh.runner.BenchmarkList;
import org.openjdk.jmh.runner.BenchmarkListEntry;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.format.OutputFormatFactory;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import org.openjdk.jmh.runner.options.VerboseMode;

/**
 * The suite's shared settings and the in-process entry to JMH's {@link Runner}. The benchmarks' own annotations
 * hold the full settings (3×1 s warmup, 5×1 s measurement, 1 fork, {@value #DEFAULT_THREADS} intra-op threads);
 * {@link Settings#quick()} shortens them for a smoke run.
 */
public final class BenchSuite {
    /** Every forked benchmark JVM makes FFM downcalls, so it needs native access. */
    public static final String NATIVE_ACCESS = "--enable-native-access=ALL-UNNAMED";
    /** Where the JSON results go unless told otherwise. */
    public static final String DEFAULT_JSON = "bench-results.json";
    /** The name of the {@code @Param} holding the number of libtorch intra-op threads. */
    public static final String THREADS_PARAM = "threads";
    /** The default number of intra-op threads (the benchmarks' {@code @Param} default). */
    public static final int DEFAULT_THREADS = 2;

    /** Quick runs: warmup iterations. */
    static final int QUICK_WARMUP_ITERATIONS = 2;
    /** Quick runs: measurement iterations. */
    static final int QUICK_MEASUREMENT_ITERATIONS = 3;

    private BenchSuite() {
    }

    /**
     * What to run and how.
     *
     * @param regex   benchmarks whose full name matches (found anywhere in the name); null runs all
     * @param json    the JSON result file
     * @param quick   2×1 s warmup and 3×1 s measurement instead of the annotations' 3×1 s and 5×1 s
     * @param threads libtorch intra-op threads in the benchmark JVM
     * @param forks   forked JVMs per benchmark; null keeps the annotations' (1); 0 runs in this JVM
     * @param params  values for the benchmarks' {@code @Param}s by name, replacing the annotations' (JMH's
     *                {@code -p}); a name no selected benchmark declares is ignored, as by JMH. Never
     *                {@value #THREADS_PARAM}, which {@code threads} sets
     */
    public record Settings(String regex, Path json, boolean quick, int threads, Integer forks,
                           Map<String, List<String>> params) {
        /** Checks the values. */
        public Settings {
            if (threads < 1) {
                throw new IllegalArgumentException("threads must be >= 1, got " + threads);
            }
            if (forks != null && forks < 0) {
                throw new IllegalArgumentException("forks must be >= 0, got " + forks);
            }
            Map<String, List<String>> copy = new LinkedHashMap<>();
            params.forEach((name, values) -> {
                if (name.equals(THREADS_PARAM)) {
                    throw new IllegalArgumentException("the " + THREADS_PARAM
                            + " parameter comes from the thread count, not from the parameter overrides");
                }
                if (values.isEmpty() || values.stream().anyMatch(String::isEmpty)) {
                    throw new IllegalArgumentException("parameter " + name + " needs non-empty values, got "
                            + values);
                }
                copy.put(name, List.copyOf(values));
            });
            params = Collections.unmodifiableMap(copy);
        }

        /** Settings that keep every benchmark's own {@code @Param} values (but the thread count). */
        public Settings(String regex, Path json, boolean quick, int threads, Integer forks) {
            this(regex, json, quick, threads, forks, Map.of());
        }
    }

    /** The full names ({@code package.Class.method}) of the benchmarks that {@code regex} (null: all) selects. */
    public static List<String> list(String regex) {
        PrintStream silent = new PrintStream(OutputStream.nullOutputStream());
        return BenchmarkList.defaultList()
                .find(OutputFormatFactory.createFormatInstance(silent, VerboseMode.SILENT), includes(regex), List.of())
                .stream().map(BenchmarkListEntry::getUsername).distinct().toList();
    }

    /** JMH options for {@code s}. */
    public static ChainedOptionsBuilder options(Settings s) {
        ChainedOptionsBuilder b = new OptionsBuilder()
                .resultFormat(ResultFormatType.JSON)
                .result(s.json().toString())
                .param(THREADS_PARAM, Integer.toString(s.threads()))
                // The annotations say the same; repeated here so that a benchmark added without it still works.
                .jvmArgsAppend(NATIVE_ACCESS)
                .shouldFailOnError(true);
        for (Map.Entry<String, List<String>> p : s.params().entrySet()) {
            b = b.param(p.getKey(), p.getValue().toArray(String[]::new));
        }
        for (String include : includes(s.regex())) {
            b = b.include(include);
        }
        if (s.quick()) {
            b = b.warmupIterations(QUICK_WARMUP_ITERATIONS).warmupTime(TimeValue.seconds(1))
                    .measurementIterations(QUICK_MEASUREMENT_ITERATIONS).measurementTime(TimeValue.seconds(1));
        }
        if (s.forks() != null) {
            b = b.forks(s.forks());
        }
        return b;
    }

    /**
     * Runs the selected benchmarks in this process (forks as configured); JMH prints its progress on
     * {@code System.out} and writes the JSON file.
     */
    public static Collection<RunResult> run(Settings s) throws RunnerException {
        return new Runner(options(s).build()).run();
    }

    private static List<String> includes(String regex) {
        return regex == null || regex.isBlank() ? List.of(".*") : List.of(regex);
    }
}
