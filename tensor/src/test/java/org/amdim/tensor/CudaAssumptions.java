package org.amdim.tensor;

import org.junit.jupiter.api.Assumptions;

/** Skips a test, with the reason shown, where no CUDA device can be used. Shared through the test jar. */
public final class CudaAssumptions {
    private CudaAssumptions() {
    }

    /** Aborts the calling test unless a CUDA device is usable, saying why not (no CUDA build, or no device). */
    public static void assumeCuda() {
        Assumptions.assumeTrue(Torch.cudaIsAvailable(), () -> "no CUDA device: libtorch " + Torch.version()
                + (Torch.builtWithCuda() ? " has CUDA support but sees no device" : " was built without CUDA"));
    }
}
