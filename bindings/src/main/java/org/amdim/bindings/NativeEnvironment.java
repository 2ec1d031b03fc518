package org.amdim.bindings;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Environment defaults that native libraries read once, when they load, set in this process's C environment
 * before libtorch is loaded. A variable the user has set is left alone ({@code setenv} without overwrite), so each
 * stays the user's to choose. (Java's {@link System#getenv} keeps its snapshot from the JVM's start and does not
 * show them.)
 */
final class NativeEnvironment {
    /**
     * The defaults, with why.
     *
     * <p>{@code OPENBLAS_THREAD_TIMEOUT=4}: OpenBLAS's worker threads, after each product, spin calling
     * {@code sched_yield} for 2^28 cycles (its default, about a tenth of a second) before they sleep. libtorch
     * alternates OpenBLAS products with OpenMP-parallel kernels many times a step, so the spinning workers take
     * cores from the OpenMP threads: in a profile of a small-encoder training step on 2 cores, OpenBLAS's worker spent
     * 8 % of all samples in the kernel's scheduler against 3.5 % computing. 4 (2^4 cycles, the least OpenBLAS
     * accepts) makes them sleep at once; a product then wakes them, which costs microseconds against products of
     * milliseconds.
     */
    static final Map<String, String> DEFAULTS = Map.of("OPENBLAS_THREAD_TIMEOUT", "4");

    private static volatile List<String> described = List.of();

    private NativeEnvironment() {
    }

    /** Each default as {@code NAME=value (amdim's default)} or {@code NAME=value (set by the user)}. */
    static List<String> describe() {
        return described;
    }

    /** Sets every default that is not set already; failures only warn (the defaults are tuning, not function). */
    static void applyDefaults() {
        MethodHandle setenv;
        try {
            Linker linker = Linker.nativeLinker();
            setenv = linker.downcallHandle(linker.defaultLookup().find("setenv").orElseThrow(),
                    FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS,
                            ValueLayout.JAVA_INT));
        } catch (RuntimeException e) {
            System.err.println("amdim: cannot set native environment defaults (" + e + ")");
            return;
        }
        List<String> lines = new ArrayList<>();
        try (Arena arena = Arena.ofConfined()) {
            for (Map.Entry<String, String> d : DEFAULTS.entrySet()) {
                String user = System.getenv(d.getKey());
                lines.add(d.getKey() + "=" + (user != null ? user + " (set by the user)" : d.getValue()
                        + " (amdim's default)"));
                MemorySegment name = arena.allocateFrom(d.getKey());
                MemorySegment value = arena.allocateFrom(d.getValue());
                int rc = (int) setenv.invokeExact(name, value, 0);
                if (rc != 0) {
                    System.err.println("amdim: setenv(" + d.getKey() + ") failed");
                }
            }
        } catch (Throwable t) {
            System.err.println("amdim: cannot set native environment defaults (" + t + ")");
        }
        described = List.copyOf(lines);
    }
}
