package org.amdim.bindings;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;

/**
 * The JVM keeps its own signal handlers when libtorch and its dependencies load (Debian 13's libtorch pulls in
 * UCX, which installs its own SIGSEGV handler, and the JVM then dies at its first implicit null check).
 */
class SignalHandlersTest {
    private static final int SIGPIPE = 13;

    @Test
    void aChangedDispositionIsPutBackAndNamed() {
        long original = SignalHandlers.currentHandler(SIGPIPE);
        SignalHandlers saved = SignalHandlers.capture(List.of(SIGPIPE));
        // SIGPIPE: the JVM's handler only ignores it, so a moment of SIG_IGN in between changes nothing.
        SignalHandlers.install(SIGPIPE, 1);
        assertEquals(1, SignalHandlers.currentHandler(SIGPIPE));
        assertEquals(List.of("SIGPIPE"), saved.restoreChanged());
        assertEquals(original, SignalHandlers.currentHandler(SIGPIPE));
    }

    @Test
    void anUnchangedDispositionIsLeftAlone() {
        SignalHandlers saved = SignalHandlers.capture(SignalHandlers.JVM_SIGNALS.keySet());
        assertEquals(List.of(), saved.restoreChanged());
    }

    @Test
    void afterLoadingLibtorchTheFatalSignalsStillReachTheJvm() throws IOException {
        NativeLibrary.load();
        List<long[]> jvm = libjvmMappings();
        assertTrue(!jvm.isEmpty(), "libjvm.so is not in /proc/self/maps");
        for (int sig : new int[] {4, 7, 8, 11}) {
            long handler = SignalHandlers.currentHandler(sig);
            boolean inJvm = jvm.stream().anyMatch(r -> Long.compareUnsigned(handler, r[0]) >= 0
                    && Long.compareUnsigned(handler, r[1]) < 0);
            assertTrue(inJvm, SignalHandlers.JVM_SIGNALS.get(sig) + " is handled at 0x" + Long.toHexString(handler)
                    + ", outside libjvm.so (restored: " + NativeLibrary.restoredSignals() + ")");
        }
    }

    private static List<long[]> libjvmMappings() throws IOException {
        return Files.readAllLines(Path.of("/proc/self/maps")).stream()
                .filter(line -> line.endsWith("/libjvm.so"))
                .map(line -> {
                    String[] range = line.substring(0, line.indexOf(' ')).split("-");
                    return new long[] {Long.parseUnsignedLong(range[0], 16), Long.parseUnsignedLong(range[1], 16)};
                })
                .toList();
    }
}
