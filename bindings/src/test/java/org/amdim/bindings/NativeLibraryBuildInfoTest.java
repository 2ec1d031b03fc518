package org.amdim.bindings;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Which build record {@link NativeLibrary#buildInfo()} reads: a shim named by {@code amdim.shim.path} was built
 * elsewhere (a GPU machine's libtorch, say), so its own record beside it counts, never the packaged one.
 * None of these tests loads a library.
 */
class NativeLibraryBuildInfoTest {
    private static final String PROPERTY = "amdim.shim.path";

    @AfterEach
    void clearOverride() {
        System.clearProperty(PROPERTY);
    }

    @Test
    void withoutAnOverrideThePackagedRecordIsRead() {
        Properties info = NativeLibrary.buildInfo();
        assertTrue(info.containsKey("libtorch.dir"), "the build writes libtorch.dir into the class path: " + info);
        assertTrue(info.containsKey("cuda"), info.toString());
    }

    @Test
    void anOverriddenShimIsDescribedByTheRecordBesideIt(@TempDir Path dir) throws IOException {
        Path shim = Files.writeString(dir.resolve("libtorchshim.so"), "not loaded here");
        Files.writeString(dir.resolve("torchshim.properties"), "libtorch.dir=/opt/torch/lib\ncuda=true\n");
        System.setProperty(PROPERTY, shim.toString());
        Properties info = NativeLibrary.buildInfo();
        assertEquals("/opt/torch/lib", info.getProperty("libtorch.dir"));
        assertEquals("true", info.getProperty("cuda"));
    }

    @Test
    void anOverriddenShimWithoutARecordHasNone(@TempDir Path dir) throws IOException {
        Path shim = Files.writeString(dir.resolve("libtorchshim.so"), "not loaded here");
        System.setProperty(PROPERTY, shim.toString());
        assertFalse(NativeLibrary.buildInfo().containsKey("libtorch.dir"),
                "the packaged record must not describe a shim built elsewhere");
    }
}
