package org.amdim.tensor;

import org.junit.jupiter.api.Assumptions;

/** Skips a test, with the reason shown, where the CPU kernels this process runs lack what it needs. Shared through
 * the test jar. */
public final class CpuKernelAssumptions {
    private CpuKernelAssumptions() {
    }

    /**
     * Aborts the calling test where bfloat16 convolutions cannot run: only where oneDNN is capped below the CPU's
     * AVX-512 (as CI's AVX2 stage does on an AVX-512 machine; see {@link CpuKernels#bfloat16Convolutions()}). A
     * real AVX2 CPU runs them, in libtorch's own kernels, and the test with it.
     */
    public static void assumeBfloat16Convolutions() {
        CpuKernels k = CpuKernels.current();
        Assumptions.assumeTrue(k.bfloat16Convolutions(), () -> "no bfloat16 convolution kernels: oneDNN is capped at "
                + k.onednn() + " on an AVX-512 CPU, where libtorch gives bfloat16 convolutions to oneDNN");
    }
}
