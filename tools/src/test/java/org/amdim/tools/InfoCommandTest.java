package org.amdim.tools;

import org.amdim.tensor.NoLeaks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.amdim.bindings.NativeLibrary;
import org.amdim.tensor.Torch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** {@code amdim info} runs and reports the facts. */
@ExtendWith(NoLeaks.class)
class InfoCommandTest {
    @Test
    void printsLibtorchVersionThreadsBlasCudaShimAndJava() {
        CliRun r = CliRun.of("info");
        assertEquals(0, r.exitCode(), r.describe());
        String out = r.out();
        assertTrue(out.contains("libtorch:") && out.contains(Torch.version()), r.describe());
        assertTrue(Torch.version().matches("\\d+\\.\\d+.*"), Torch.version());
        assertTrue(out.contains("intra-op threads:  " + Torch.getNumThreads()), r.describe());
        assertTrue(out.contains("native shim:") && out.contains(NativeLibrary.load().toString()), r.describe());
        assertTrue(out.contains("java:") && out.contains(Runtime.version().toString()), r.describe());
        for (String key : new String[] {"blas:", "cpu kernels:       ATen ", "cpu memory cache:  on", "cuda:",
                "cuda devices:", "cudnn:",
                "memory format:     auto (train's default) picks on the CPU channels-last unless contiguous is at"
                        + " least 10 % faster"}) {
            assertTrue(out.contains(key), key + " missing\n" + r.describe());
        }
        Torch.Tf32 tf32 = Torch.tf32();
        assertTrue(out.contains("tf32 (cuda):       matrix products " + (tf32.matmul() ? "on" : "off")
                + ", convolutions " + (tf32.cudnn() ? "on" : "off")), r.describe());
        assertEquals("", r.err());
    }
}
