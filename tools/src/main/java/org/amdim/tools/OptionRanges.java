package org.amdim.tools;

import java.util.Locale;

import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;

/**
 * Checks option values against their valid ranges before a command does any work. A value out of range is a
 * usage error: picocli reports the {@link ParameterException} like a parse error, naming the option, and the
 * command exits with {@link AmdimCli#EXIT_USAGE}.
 *
 * <pre>{@code
 * OptionRanges.of(spec).atLeast("--log-every", logEvery, 1).between("--threads", threads, 1, cores);
 * }</pre>
 */
final class OptionRanges {
    private final CommandSpec spec;

    private OptionRanges(CommandSpec spec) {
        this.spec = spec;
    }

    /** Checks for the command of {@code spec}. */
    static OptionRanges of(CommandSpec spec) {
        return new OptionRanges(spec);
    }

    /** Refuses {@code value < min}. */
    OptionRanges atLeast(String option, long value, long min) {
        if (value < min) {
            throw refuse(option, value, "must be >= " + min);
        }
        return this;
    }

    /** Refuses a value outside {@code min..max}; {@code why} (may be empty) explains the bound. */
    OptionRanges between(String option, long value, long min, long max, String why) {
        if (value < min || value > max) {
            throw refuse(option, value, "must lie in " + min + ".." + max + (why.isEmpty() ? "" : " (" + why + ")"));
        }
        return this;
    }

    /** Refuses anything but a finite {@code value > 0}. */
    OptionRanges positive(String option, double value) {
        if (!(value > 0) || Double.isInfinite(value)) {
            throw refuse(option, value, "must be a positive finite number");
        }
        return this;
    }

    /** Refuses anything but a finite value in {@code min..max}. */
    OptionRanges between(String option, double value, double min, double max) {
        if (!(value >= min && value <= max)) {
            throw refuse(option, value, "must lie in " + min + ".." + max);
        }
        return this;
    }

    /** Refuses an array with any element below {@code min}. */
    OptionRanges eachAtLeast(String option, int[] values, int min) {
        for (int v : values) {
            atLeast(option, v, min);
        }
        return this;
    }

    /** A usage error for {@code option} with a free-form reason. */
    ParameterException refuse(String option, String reason) {
        return new ParameterException(spec.commandLine(), option + " " + reason);
    }

    private ParameterException refuse(String option, Object value, String rule) {
        return refuse(option, String.format(Locale.ROOT, "%s, got %s", rule, value));
    }

    /** The most libtorch or loader threads a command accepts: one per core, as more only contend. */
    static int maxThreads() {
        return Math.max(2, Runtime.getRuntime().availableProcessors());
    }
}
