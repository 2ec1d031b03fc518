package org.amdim.tools;

import java.io.IOException;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.amdim.bindings.NativeLibrary;

/**
 * Starts {@code n} local worker processes of one data-parallel run ({@code amdim train --nproc N}), each the same
 * command with {@code --rank i --world-size N --master 127.0.0.1:PORT}, and waits for them. When one fails the
 * others are stopped (they would otherwise wait for it until their timeout), and the failure's exit code is
 * returned.
 */
final class LocalLauncher {
    private LocalLauncher() {
    }

    /**
     * Runs the workers.
     *
     * @param subcommandArgs the subcommand and its arguments, without {@code --nproc} and any rank options
     * @return 0 when every worker succeeded, else the first failing worker's exit code
     */
    static int run(int n, List<String> subcommandArgs) throws IOException, InterruptedException {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        String java = ProcessHandle.current().info().command().orElse("java");
        List<Process> workers = new ArrayList<>();
        try {
            for (int rank = 0; rank < n; rank++) {
                List<String> cmd = new ArrayList<>(List.of(java, "--enable-native-access=ALL-UNNAMED"));
                cmd.addAll(NativeLibrary.childJvmProperties()); // the same shim and settings in every worker
                cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), AmdimCli.class.getName()));
                cmd.addAll(subcommandArgs);
                cmd.addAll(List.of("--rank", Integer.toString(rank), "--world-size", Integer.toString(n),
                        "--master", "127.0.0.1:" + port));
                workers.add(new ProcessBuilder(cmd).inheritIO().start());
            }
            while (true) {
                boolean allDone = true;
                for (Process p : workers) {
                    if (p.isAlive()) {
                        allDone = false;
                    } else if (p.exitValue() != 0) {
                        return p.exitValue();
                    }
                }
                if (allDone) {
                    return 0;
                }
                workers.get(0).waitFor(200, TimeUnit.MILLISECONDS);
            }
        } finally {
            for (Process p : workers) {
                if (p.isAlive()) {
                    p.destroy();
                }
            }
        }
    }
}
