package org.amdim.tools;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

/** What `--nproc` workers inherit from the launching JVM besides its environment. */
class LocalLauncherTest {
    @Test
    void workersGetTheProjectsSystemPropertiesAndNoOthers() {
        System.setProperty("amdim.test.forwarded", "/opt/shim/libtorchshim.so");
        System.setProperty("unrelated.test.property", "x");
        try {
            List<String> options = LocalLauncher.projectProperties();
            assertTrue(options.contains("-Damdim.test.forwarded=/opt/shim/libtorchshim.so"), options.toString());
            assertFalse(options.stream().anyMatch(o -> o.contains("unrelated.test.property")), options.toString());
        } finally {
            System.clearProperty("amdim.test.forwarded");
            System.clearProperty("unrelated.test.property");
        }
    }
}
