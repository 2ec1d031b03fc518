package org.amdim.bindings;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

/** What child JVMs (`--nproc` workers, the tests' rank processes) inherit from this one besides its environment. */
class ChildJvmPropertiesTest {
    @Test
    void childrenGetTheProjectsSystemPropertiesAndNoOthers() {
        System.setProperty("amdim.test.forwarded", "/opt/shim/libtorchshim.so");
        System.setProperty("unrelated.test.property", "x");
        try {
            List<String> options = NativeLibrary.childJvmProperties();
            assertTrue(options.contains("-Damdim.test.forwarded=/opt/shim/libtorchshim.so"), options.toString());
            assertFalse(options.stream().anyMatch(o -> o.contains("unrelated.test.property")), options.toString());
        } finally {
            System.clearProperty("amdim.test.forwarded");
            System.clearProperty("unrelated.test.property");
        }
    }
}
