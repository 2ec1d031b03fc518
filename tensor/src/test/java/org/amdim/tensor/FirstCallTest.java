package org.amdim.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.amdim.bindings.NativeLibrary;
import org.amdim.tensor.distributed.Backend;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every public entry point that reaches the generated bindings works as the first call a program makes: each is
 * run in a fresh child JVM, where nothing has loaded the shim before it. (In this test JVM the shim is long
 * loaded, so such a failure could never show here.) The bindings look the shim up by name when first touched,
 * so an entry point that touches them before making sure the shim is loaded fails with
 * {@code ExceptionInInitializerError ... Cannot open library: libtorchshim.so}.
 */
class FirstCallTest {
    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(strings = {"memory-format", "memory-format-code", "cache-empty", "cache-limit", "backend"})
    void worksAsTheFirstCall(String entry) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new ArrayList<>(List.of(java, "--enable-native-access=ALL-UNNAMED"));
        cmd.addAll(NativeLibrary.childJvmProperties());
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), Child.class.getName(), entry));
        Path log = dir.resolve("child.log");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "the child did not finish");
        String out = Files.readString(log);
        assertEquals(0, p.exitValue(), out);
        assertTrue(out.contains("ok " + entry), out);
    }

    /** The child: makes one call, the first of the program, then one tensor op that uses what it returned. */
    public static final class Child {
        public static void main(String[] args) {
            switch (args[0]) {
                case "memory-format" -> {
                    MemoryFormat format = MemoryFormat.parse("channels-last");
                    try (Tensor x = Tensor.zeros(1, 2, 3, 3); Tensor y = x.contiguous(format)) {
                        check(y.isContiguous(format));
                    }
                }
                case "memory-format-code" -> check(MemoryFormat.CHANNELS_LAST.code() != MemoryFormat.CONTIGUOUS.code());
                case "cache-empty" -> CpuMemoryCache.empty();
                case "cache-limit" -> CpuMemoryCache.setIdleLimit(1L << 20);
                case "backend" -> Backend.GLOO.isAvailable();
                default -> throw new IllegalArgumentException(args[0]);
            }
            System.out.println("ok " + args[0]);
        }

        private static void check(boolean condition) {
            if (!condition) {
                throw new AssertionError("unexpected result");
            }
        }
    }
}
