package org.amdim.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.amdim.tensor.distributed.Backend;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every public entry point that reaches the generated bindings works as the first call a program makes: each is
 * run in a fresh child JVM, where nothing has loaded the shim before it. (In this test JVM the shim is long
 * loaded, so such a failure could never show here.) The bindings look the shim up by name when first touched,
 * so an entry point that touches them before making sure the shim is loaded fails with
 * {@code ExceptionInInitializerError ... Cannot open library: libtorchshim.so}.
 */
class FirstCallTest {
    @ParameterizedTest
    @ValueSource(strings = {"memory-format", "memory-format-code", "cache-empty", "cache-limit", "backend"})
    void worksAsTheFirstCall(String entry) throws Exception {
        ChildJvm.Result r = ChildJvm.run(Child.class, 120, entry);
        assertTrue(r.finished(), "the child did not finish");
        assertEquals(0, r.exitCode(), r.output());
        assertTrue(r.output().contains("ok " + entry), r.output());
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
