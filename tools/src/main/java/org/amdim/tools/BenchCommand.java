package org.amdim.tools;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

import org.amdim.tools.bench.BenchSuite;
import org.amdim.tools.bench.SummaryTable;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.RunnerException;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code amdim bench}: runs the JMH suite ({@link org.amdim.tools.bench}) in this process through JMH's runner
 * API, writes JSON results and prints a Markdown summary with the Java/C++ ratios. Forked benchmark JVMs get
 * native access like this one.
 */
@Command(name = "bench",
        mixinStandardHelpOptions = true,
        showDefaultValues = true,
        description = {
            "Run the JMH benchmarks (Java beside C++ twins) and print a summary table.",
            "JMH's own launcher works too: java --enable-native-access=ALL-UNNAMED -cp amdim.jar"
                    + " org.openjdk.jmh.Main [JMH options]",
        })
public final class BenchCommand implements Callable<Integer> {
    @Spec
    private CommandSpec spec;

    @Parameters(arity = "0..1", paramLabel = "REGEX",
            description = "Run only the benchmarks whose full name (package.Class.method) contains a match;"
                    + " all when omitted.")
    private String regex;

    @Option(names = "--list", description = "List the selected benchmarks instead of running them.")
    private boolean list;

    @Option(names = "--json", paramLabel = "FILE", defaultValue = BenchSuite.DEFAULT_JSON,
            description = "Where to write the results as JMH JSON.")
    private Path json;

    @Option(names = "--quick",
            description = "Shorter run: 2x1 s warmup and 3x1 s measurement (instead of 3x1 s and 5x1 s).")
    private boolean quick;

    @Option(names = "--intra-op-threads", paramLabel = "N", defaultValue = "" + BenchSuite.DEFAULT_THREADS,
            description = "libtorch intra-op threads in the benchmark JVMs.")
    private int threads;

    @Option(names = "--forks", paramLabel = "N",
            description = "Forked JVMs per benchmark (default: the benchmarks' own, 1); 0 runs in this JVM.")
    private Integer forks;

    @Option(names = {"-p", "--param"}, paramLabel = "NAME=V[,V...]",
            description = "Run with these values of the benchmarks' @Param NAME instead of their own, as JMH's -p"
                    + " (comma-separated values each make a run); repeatable. A name the selected benchmarks do not"
                    + " declare is ignored. The thread count is --intra-op-threads.")
    private Map<String, String> params = new LinkedHashMap<>();

    @Override
    public Integer call() {
        if (regex != null) {
            try {
                Pattern.compile(regex);
            } catch (PatternSyntaxException e) {
                throw new ParameterException(spec.commandLine(),
                        "Invalid value for REGEX: '" + regex + "': " + e.getDescription());
            }
        }
        OptionRanges ranges = OptionRanges.of(spec)
                .between("--intra-op-threads", threads, 1, OptionRanges.maxThreads(), "at most one per core");
        if (forks != null) {
            ranges.between("--forks", forks, 0, 100, "");
        }
        Map<String, List<String>> paramValues = paramValues();
        List<String> selected = BenchSuite.list(regex);
        if (selected.isEmpty()) {
            throw new IllegalArgumentException("no benchmark matches '" + regex + "' (see 'amdim bench --list')");
        }
        PrintWriter out = spec.commandLine().getOut();
        if (list) {
            selected.forEach(out::println);
            out.flush();
            return AmdimCli.EXIT_OK;
        }
        BenchSuite.Settings settings = new BenchSuite.Settings(regex, json, quick, threads, forks, paramValues);
        Collection<RunResult> results;
        try {
            results = BenchSuite.run(settings);
        } catch (RunnerException e) {
            throw new CommandFailedException("benchmark run failed: " + e.getMessage(), e);
        }
        out.println();
        out.print(SummaryTable.markdown(SummaryTable.rows(SummaryTable.entries(results))));
        out.println();
        out.println("JSON results: " + json.toAbsolutePath());
        out.flush();
        return AmdimCli.EXIT_OK;
    }

    /** The {@code -p} options as value lists; a usage error for the thread count or an empty value. */
    private Map<String, List<String>> paramValues() {
        Map<String, List<String>> values = new LinkedHashMap<>();
        params.forEach((name, joined) -> {
            if (name.equals(BenchSuite.THREADS_PARAM)) {
                throw new ParameterException(spec.commandLine(),
                        "-p " + name + ": the thread count is set with --intra-op-threads");
            }
            List<String> list = Arrays.asList(joined.split(",", -1));
            if (name.isEmpty() || list.contains("")) {
                throw new ParameterException(spec.commandLine(),
                        "Invalid value for -p: '" + name + "=" + joined + "': expected NAME=V[,V...]");
            }
            values.put(name, list);
        });
        return values;
    }
}
