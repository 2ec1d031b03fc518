package org.amdim.tools;

import java.util.concurrent.Callable;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;

/**
 * The {@code amdim} top command. It does nothing itself but hold the subcommands and the options every
 * subcommand shares; a new subcommand is one more entry in {@code subcommands} below.
 *
 * <p>Exit codes: {@value #EXIT_OK} success, {@value #EXIT_FAILURE} a failure reported as {@code error: ...}
 * (see {@link FailureHandler}), {@value #EXIT_USAGE} a usage error such as an unknown option or a bad value
 * (see {@link UsageErrorHandler}).
 */
@Command(name = "amdim",
        mixinStandardHelpOptions = true,
        versionProvider = JarVersion.class,
        showDefaultValues = true,
        description = "AMDIM on libtorch through the Java FFM API: training, evaluation and tools.",
        subcommands = {
            CommandLine.HelpCommand.class,
            InfoCommand.class,
            BenchCommand.class,
            TrainCommand.class,
            EvalCommand.class,
            EmbedCommand.class,
            ExportCommand.class,
            ConvertCommand.class,
            ViewsCommand.class,
            SegmentCommand.class,
            PlotCommand.class,
        })
public final class AmdimCli implements Callable<Integer> {
    /** Exit code of a successful command. */
    public static final int EXIT_OK = CommandLine.ExitCode.OK;
    /** Exit code of a command that failed (the reason is printed as {@code error: ...}). */
    public static final int EXIT_FAILURE = CommandLine.ExitCode.SOFTWARE;
    /** Exit code of a command line that could not be parsed. */
    public static final int EXIT_USAGE = CommandLine.ExitCode.USAGE;

    @Spec
    private CommandSpec spec;

    // INHERIT: "-v" is accepted after any subcommand as well as before it.
    @Option(names = {"-v", "--verbose"}, scope = ScopeType.INHERIT,
            description = "Print the stack trace of a failure.")
    private boolean verbose;

    /** Runs the command line and exits the JVM with its exit code. */
    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    /** A fresh command line with the project's error handling, ready for {@link CommandLine#execute}. */
    public static CommandLine commandLine() {
        return new CommandLine(new AmdimCli())
                .setExecutionExceptionHandler(new FailureHandler())
                .setParameterExceptionHandler(new UsageErrorHandler());
    }

    /** Called when no subcommand was given: that is a usage error. */
    @Override
    public Integer call() {
        throw new ParameterException(spec.commandLine(), "Missing command: choose one of "
                + String.join(", ", spec.subcommands().keySet()));
    }
}
