package org.amdim.tensor.distributed;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.amdim.tensor.ChildJvm;

/**
 * Runs a main class of the test class path as the ranks of a process group: one JVM per rank, with the
 * {@code torch.distributed} environment variables set, on 127.0.0.1 and a free port.
 */
public final class RankProcesses {
    /** What one rank did: its exit code and its output (stdout and stderr together). */
    public record Result(int rank, int exitCode, String output) {
        @Override
        public String toString() {
            return "rank " + rank + " exited with " + exitCode + ":\n" + output;
        }
    }

    private RankProcesses() {
    }

    /** A TCP port that was free a moment ago. */
    public static int freePort() {
        try (ServerSocket s = new ServerSocket(0)) {
            s.setReuseAddress(true);
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Starts {@code worldSize} JVMs running {@code mainClass} with {@code args}, waits for all (killing them after
     * {@code limitSeconds}) and returns their results in rank order.
     */
    public static List<Result> run(Class<?> mainClass, int worldSize, int limitSeconds, Path workDir, String... args)
            throws IOException, InterruptedException {
        int port = freePort();
        List<Process> procs = new ArrayList<>();
        List<Path> logs = new ArrayList<>();
        try {
            for (int r = 0; r < worldSize; r++) {
                List<String> cmd = ChildJvm.command(mainClass, List.of("-Xss4m"), args);
                Path log = workDir.resolve("rank" + r + ".log");
                ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
                pb.environment().put("RANK", Integer.toString(r));
                pb.environment().put("LOCAL_RANK", Integer.toString(r));
                pb.environment().put("WORLD_SIZE", Integer.toString(worldSize));
                pb.environment().put("MASTER_ADDR", "127.0.0.1");
                pb.environment().put("MASTER_PORT", Integer.toString(port));
                procs.add(pb.start());
                logs.add(log);
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(limitSeconds);
            List<Result> results = new ArrayList<>();
            for (int r = 0; r < worldSize; r++) {
                Process p = procs.get(r);
                long left = deadline - System.nanoTime();
                int code = p.waitFor(Math.max(left, 1), TimeUnit.NANOSECONDS) ? p.exitValue() : -999;
                results.add(new Result(r, code, Files.readString(logs.get(r))));
            }
            return results;
        } finally {
            for (Process p : procs) {
                if (p.isAlive()) {
                    p.destroyForcibly();
                    p.waitFor(10, TimeUnit.SECONDS);
                }
            }
        }
    }
}
