package org.amdim.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * cuDNN's and TF32's process-wide switches read back as set. They are plain flags in libtorch's global context,
 * so this runs without CUDA too; what they do on a GPU is checked by the CUDA tests.
 */
class BackendFlagsTest {
    @Test
    void tf32SettingsRoundTripAndReturnThePreviousOnes() {
        Torch.Tf32 original = Torch.tf32();
        try {
            assertEquals(original, Torch.setTf32(new Torch.Tf32(true, false)));
            assertEquals(new Torch.Tf32(true, false), Torch.tf32());
            assertEquals(new Torch.Tf32(true, false), Torch.setTf32(Torch.Tf32.OFF));
            assertEquals(Torch.Tf32.OFF, Torch.tf32());
        } finally {
            Torch.setTf32(original);
        }
        assertEquals(original, Torch.tf32());
    }

    @Test
    void libtorchStartsWithPyTorchsTf32Defaults() {
        // Other tests in this JVM restore what they change; the defaults are products off, convolutions on.
        assertEquals(Torch.Tf32.DEFAULT, Torch.tf32());
    }

    @Test
    void tf32ModesParseInAnyCaseAndOthersAreRefused() {
        assertEquals(Torch.Tf32.DEFAULT, Torch.Tf32.parse("default"));
        assertEquals(new Torch.Tf32(true, true), Torch.Tf32.parse(" ON "));
        assertEquals(new Torch.Tf32(false, false), Torch.Tf32.parse("off"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Torch.Tf32.parse("fast"));
        assertTrue(e.getMessage().contains("'fast'"), e.getMessage());
    }

    @Test
    void cudnnFlagsRoundTrip() {
        Torch.CudnnFlags original = Torch.cudnnFlags();
        try {
            Torch.setCudnnFlags(false, true, true);
            assertEquals(new Torch.CudnnFlags(false, true, true), Torch.cudnnFlags());
            Torch.setCudnnFlags(true, false, false);
            assertEquals(new Torch.CudnnFlags(true, false, false), Torch.cudnnFlags());
        } finally {
            Torch.setCudnnFlags(original.enabled(), original.benchmark(), original.deterministic());
        }
    }
}
