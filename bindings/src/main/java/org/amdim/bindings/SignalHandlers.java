package org.amdim.bindings;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A snapshot of this process's POSIX signal dispositions, to put the JVM's back after loading native code.
 *
 * <p>Why: HotSpot turns SIGSEGV, SIGBUS, SIGFPE and SIGILL from its own code into implicit null checks,
 * safepoint polls and exceptions. A library that installs its own handler for them when it is loaded takes
 * those signals away from the JVM, which then dies at the next null check in compiled code ("SIGSEGV ... sent
 * by kill" once that handler re-raises it). Debian 13's libtorch does exactly this: it links OpenMPI, which
 * loads UCX, whose libucs installs crash-report handlers from its constructor. Snapshotting before
 * {@link System#load} and restoring whatever changed keeps the JVM in charge; the foreign handlers only printed
 * backtraces.
 *
 * <p>The {@code struct sigaction} is handled as bytes in glibc's x86-64 layout (152 bytes; the shim is built for
 * linux-x86_64 only): it is read back from {@code sigaction(2)} and handed to it again unchanged, and only its
 * fields are compared.
 */
final class SignalHandlers {
    /** The signals HotSpot handles on Linux x86-64, by number. */
    static final Map<Integer, String> JVM_SIGNALS = jvmSignals();

    private static final long STRUCT_BYTES = 256; // at least sizeof(struct sigaction)
    // The fields compared, as {offset, length} in glibc's layout: sa_handler, the first 64 bits of sa_mask (the
    // kernel's whole mask: glibc leaves the rest of its 1024-bit sigset_t as it found it), sa_flags, sa_restorer.
    private static final long[][] COMPARED = {{0, 8}, {8, 8}, {136, 4}, {144, 8}};
    private static final MethodHandle SIGACTION;

    static {
        Linker linker = Linker.nativeLinker();
        SIGACTION = linker.downcallHandle(
                linker.defaultLookup().find("sigaction").orElseThrow(
                        () -> new NativeLibraryException("libc has no sigaction")),
                FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.ADDRESS,
                        ValueLayout.ADDRESS));
    }

    private final Map<Integer, MemorySegment> saved = new TreeMap<>();

    private SignalHandlers() {
    }

    /** Records the current disposition of each of {@code signals}. */
    static SignalHandlers capture(Iterable<Integer> signals) {
        SignalHandlers s = new SignalHandlers();
        for (int sig : signals) {
            MemorySegment buf = Arena.ofAuto().allocate(STRUCT_BYTES, 16); // freed with the snapshot
            call(sig, MemorySegment.NULL, buf);
            s.saved.put(sig, buf);
        }
        return s;
    }

    /**
     * Puts back each recorded disposition that has changed since {@link #capture}.
     *
     * @return the names of the signals restored, in signal order (empty when nothing had changed)
     */
    List<String> restoreChanged() {
        List<String> restored = new ArrayList<>();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment now = arena.allocate(STRUCT_BYTES, 16);
            for (var e : saved.entrySet()) {
                call(e.getKey(), MemorySegment.NULL, now);
                if (differs(now, e.getValue())) {
                    call(e.getKey(), e.getValue(), MemorySegment.NULL);
                    restored.add(JVM_SIGNALS.getOrDefault(e.getKey(), "signal " + e.getKey()));
                }
            }
        }
        return restored;
    }

    private static boolean differs(MemorySegment a, MemorySegment b) {
        for (long[] field : COMPARED) {
            if (a.asSlice(field[0], field[1]).mismatch(b.asSlice(field[0], field[1])) != -1) {
                return true;
            }
        }
        return false;
    }

    /** The handler address (or SIG_DFL 0 / SIG_IGN 1) currently set for {@code signal}. */
    static long currentHandler(int signal) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment now = arena.allocate(STRUCT_BYTES, 16);
            call(signal, MemorySegment.NULL, now);
            return now.get(ValueLayout.JAVA_LONG, 0);
        }
    }

    /** Installs {@code handler} (0 = SIG_DFL, 1 = SIG_IGN) for {@code signal}, other fields zero: tests only. */
    static void install(int signal, long handler) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment sa = arena.allocate(STRUCT_BYTES, 16);
            sa.set(ValueLayout.JAVA_LONG, 0, handler);
            call(signal, sa, MemorySegment.NULL);
        }
    }

    private static void call(int signal, MemorySegment act, MemorySegment old) {
        int rc;
        try {
            rc = (int) SIGACTION.invokeExact(signal, act, old);
        } catch (Throwable t) {
            throw new IllegalStateException("sigaction(" + signal + ") failed", t);
        }
        if (rc != 0) {
            throw new IllegalStateException("sigaction(" + signal + ") returned " + rc);
        }
    }

    private static Map<Integer, String> jvmSignals() {
        Map<Integer, String> m = new TreeMap<>();
        m.put(1, "SIGHUP");
        m.put(2, "SIGINT");
        m.put(3, "SIGQUIT");
        m.put(4, "SIGILL");
        m.put(5, "SIGTRAP");
        m.put(7, "SIGBUS");
        m.put(8, "SIGFPE");
        m.put(11, "SIGSEGV");
        m.put(12, "SIGUSR2");
        m.put(13, "SIGPIPE");
        m.put(15, "SIGTERM");
        m.put(25, "SIGXFSZ");
        return Collections.unmodifiableMap(m);
    }
}
