package org.amdim.tensor;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.amdim.bindings.NativeLibrary;

/**
 * Runs a main class of the test class path in a child JVM that loads the same native shim with the same settings
 * as this one. For what one JVM cannot test in itself: a crash, a first call, an environment read once per
 * process, a lock held by another process. Shared through the test jar.
 */
public final class ChildJvm {
    /**
     * What the child did.
     *
     * @param finished whether it ended within the limit (it is killed otherwise)
     * @param exitCode its exit status (meaningless when it did not finish)
     * @param output   its stdout and stderr together
     */
    public record Result(boolean finished, int exitCode, String output) {
    }

    private ChildJvm() {
    }

    /**
     * The command line: this JVM's {@code java} with native access, the {@code -Damdim.*} settings this JVM was
     * given, {@code jvmOptions} (after them, so that they win), the test class path, {@code main} and its
     * arguments.
     */
    public static List<String> command(Class<?> main, List<String> jvmOptions, String... args) {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new ArrayList<>(List.of(java, "--enable-native-access=ALL-UNNAMED"));
        cmd.addAll(NativeLibrary.childJvmProperties());
        cmd.addAll(jvmOptions);
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), main.getName()));
        cmd.addAll(List.of(args));
        return cmd;
    }

    /** Runs {@code main} with {@code args} to its end, killing it after {@code limitSeconds}. */
    public static Result run(Class<?> main, int limitSeconds, String... args) throws IOException, InterruptedException {
        return run(main, Map.of(), List.of(), limitSeconds, args);
    }

    /**
     * Runs {@code main} with {@code args}, the extra environment variables and JVM options, to its end, killing it
     * after {@code limitSeconds}. Its output goes through a temporary file, so that a child that writes much
     * cannot block on a full pipe.
     */
    public static Result run(Class<?> main, Map<String, String> env, List<String> jvmOptions, int limitSeconds,
            String... args) throws IOException, InterruptedException {
        Path log = Files.createTempFile("child-jvm", ".log");
        try {
            ProcessBuilder pb = new ProcessBuilder(command(main, jvmOptions, args)).redirectErrorStream(true)
                    .redirectOutput(log.toFile());
            pb.environment().putAll(env);
            Process p = pb.start();
            boolean finished = p.waitFor(limitSeconds, TimeUnit.SECONDS);
            if (!finished) {
                p.destroyForcibly().waitFor();
            }
            return new Result(finished, finished ? p.exitValue() : -1, Files.readString(log));
        } finally {
            Files.deleteIfExists(log);
        }
    }
}
