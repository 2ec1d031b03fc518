package org.amdim.tools;

import org.amdim.train.TrainConfig;

import picocli.CommandLine.IDefaultValueProvider;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * The defaults of {@code amdim train}'s options, read from {@link TrainConfig#defaults()} so that the command line
 * and the library cannot drift apart; picocli applies them to options not given and shows them in {@code --help}.
 * Options that are not a configuration value (the data-parallel launch, {@code --mixture}'s "off") keep their
 * defaults in their annotations.
 */
public final class TrainDefaults implements IDefaultValueProvider {
    private static final TrainConfig DEFAULTS = TrainConfig.defaults();

    @Override
    public String defaultValue(ArgSpec argSpec) {
        if (!(argSpec instanceof OptionSpec option)) {
            return null;
        }
        TrainConfig d = DEFAULTS;
        return switch (option.longestName()) {
            case "--batch" -> Integer.toString(d.batchSize());
            case "--max-steps" -> Long.toString(d.maxSteps());
            case "--lr" -> number(d.lr());
            case "--warmup" -> Long.toString(d.warmupSteps());
            case "--mixture-tau" -> number(d.mixture().tau());
            case "--threads" -> Integer.toString(d.threads());
            case "--device" -> d.device().toString();
            case "--workers" -> Integer.toString(d.workers());
            case "--amp" -> d.amp().toString();
            case "--memory-format" -> d.memoryFormat().toString();
            case "--seed" -> Long.toString(d.seed());
            case "--output" -> d.output().toString();
            case "--checkpoint-every" -> Long.toString(d.checkpointEvery());
            case "--eval-batches" -> Integer.toString(d.evalBatches());
            case "--log-every" -> Integer.toString(d.logEvery());
            case "--nonfinite-skips" -> Integer.toString(d.nonFiniteSkips());
            default -> null;
        };
    }

    /** A double as a person writes it: {@code 2e-4} rather than Java's {@code 2.0E-4}; {@code 1.0} as it is. */
    static String number(double value) {
        String s = Double.toString(value);
        int e = s.indexOf('E');
        if (e < 0) {
            return s;
        }
        String mantissa = s.substring(0, e);
        if (mantissa.endsWith(".0")) {
            mantissa = mantissa.substring(0, mantissa.length() - 2);
        }
        return mantissa + "e" + s.substring(e + 1);
    }
}
