package org.amdim.tools;

import java.io.PrintWriter;
import java.io.StringWriter;

import picocli.CommandLine;

/**
 * The outcome of running the CLI in-process with captured streams.
 *
 * @param exitCode what {@code amdim} would exit with
 * @param out      standard output
 * @param err      standard error
 */
record CliRun(int exitCode, String out, String err) {
    /** Runs {@code amdim args...}. */
    static CliRun of(String... args) {
        return on(AmdimCli.commandLine(), args);
    }

    /** Runs a prepared command line (e.g. with a test subcommand added). */
    static CliRun on(CommandLine cmd, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cmd.setOut(new PrintWriter(out, true));
        cmd.setErr(new PrintWriter(err, true));
        int code = cmd.execute(args);
        return new CliRun(code, out.toString(), err.toString());
    }

    /** For assertion messages. */
    String describe() {
        return "exit " + exitCode + "\n--- out ---\n" + out + "\n--- err ---\n" + err;
    }
}
