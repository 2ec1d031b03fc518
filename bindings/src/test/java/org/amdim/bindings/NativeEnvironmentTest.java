package org.amdim.bindings;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.Map;

import org.junit.jupiter.api.Test;

class NativeEnvironmentTest {
    @Test
    void onceLoadedEachDefaultIsInTheCEnvironmentUnlessTheUserSetIt() throws Throwable {
        NativeLibrary.load();
        assertFalse(NativeEnvironment.DEFAULTS.isEmpty());
        Linker linker = Linker.nativeLinker();
        MethodHandle getenv = linker.downcallHandle(linker.defaultLookup().find("getenv").orElseThrow(),
                FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.ADDRESS));
        try (Arena arena = Arena.ofConfined()) {
            for (Map.Entry<String, String> d : NativeEnvironment.DEFAULTS.entrySet()) {
                // The JVM's snapshot of the environment it started with: what the user set, if anything.
                String user = System.getenv(d.getKey());
                MemorySegment value = (MemorySegment) getenv.invokeExact(arena.allocateFrom(d.getKey()));
                assertFalse(value.equals(MemorySegment.NULL), d.getKey() + " is not set");
                assertEquals(user != null ? user : d.getValue(), NativeLibrary.string(value), d.getKey());
                String line = d.getKey() + "=" + (user != null ? user + " (set by the user)"
                        : d.getValue() + " (amdim's default)");
                assertTrue(NativeLibrary.nativeEnvironment().contains(line), NativeLibrary.nativeEnvironment()
                        + " lacks " + line);
            }
        }
    }
}
