package org.amdim.train;

import static org.junit.jupiter.api.Assertions.*;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.amdim.bindings.NativeLibrary;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The run-directory lock between processes: a second process is refused, and a {@code kill -9} releases it. */
class RunLockProcessTest {
    @Test
    void anotherProcessHoldingTheDirectoryIsNamedAndItsDeathReleasesIt(@TempDir Path dir) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new ArrayList<>(List.of(java, "--enable-native-access=ALL-UNNAMED"));
        cmd.addAll(NativeLibrary.childJvmProperties());
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), Holder.class.getName(), dir.toString()));
        Process holder = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(holder.getInputStream(),
                    StandardCharsets.UTF_8));
            assertEquals("locked", out.readLine(), "the holder process took the lock");
            IOException e = assertThrows(IOException.class, () -> RunLock.acquire(dir));
            assertTrue(e.getMessage().contains("process " + holder.pid()), e.getMessage());
        } finally {
            holder.destroyForcibly(); // SIGKILL: no shutdown hook, no close()
            assertTrue(holder.waitFor(30, TimeUnit.SECONDS));
        }
        RunLock.acquire(dir).close(); // the OS released it with the process
    }

    /** Holds the lock on {@code args[0]} until killed. */
    public static final class Holder {
        public static void main(String[] args) throws Exception {
            RunLock lock = RunLock.acquire(Path.of(args[0]));
            System.out.println("locked");
            System.out.flush();
            Thread.sleep(TimeUnit.MINUTES.toMillis(5));
            lock.close();
        }
    }
}
