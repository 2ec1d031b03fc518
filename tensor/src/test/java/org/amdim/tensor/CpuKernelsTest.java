package org.amdim.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

/**
 * {@link CpuKernels} reads what libtorch really runs, and the environment caps that CI uses to stand in for older
 * CPUs take effect: checked in child JVMs, because libtorch reads the caps once per process.
 */
class CpuKernelsTest {
    @Test
    void thisProcessNamesItsKernelsAndCpu() {
        CpuKernels k = CpuKernels.current();
        assertNotEquals("unknown", k.aten(), k.describe());
        assertTrue(k.describe().startsWith("ATen " + k.aten() + ", oneDNN " + k.onednn() + " on "), k.describe());
        if (Files.isReadable(Path.of("/proc/cpuinfo"))) {
            assertNotEquals("unknown", k.cpu());
        }
    }

    @Test
    void bfloat16ConvolutionsAreMissingOnlyWhereOnednnIsCappedBelowTheCpusAvx512() {
        List<String> avx512 = List.of("avx2", "avx512f", "avx512bw", "avx512vl", "avx512dq");
        assertTrue(new CpuKernels("c", List.of("avx2", "fma"), "AVX2", "avx2").bfloat16Convolutions());
        assertTrue(new CpuKernels("c", avx512, "AVX2", "avx512_core").bfloat16Convolutions());
        assertTrue(new CpuKernels("c", avx512, "AVX2", "unknown").bfloat16Convolutions());
        assertFalse(new CpuKernels("c", avx512, "AVX2", "avx2").bfloat16Convolutions());
    }

    @Test
    void theScalarFallbackCapTakesEffect() throws Exception {
        String out = probe(Map.of("ATEN_CPU_CAPABILITY", "default"));
        assertTrue(out.contains("kernels: ATen NO AVX, oneDNN "), out);
    }

    @Test
    void theOnednnCapTakesEffectOnItsConvolutions() throws Exception {
        // Both spellings: oneDNN 2.x reads ONEDNN_*, and DNNL_* as the older name.
        String out = probe(Map.of("ATEN_CPU_CAPABILITY", "avx2", "ONEDNN_MAX_CPU_ISA", "SSE41",
                "DNNL_MAX_CPU_ISA", "SSE41", "ONEDNN_VERBOSE", "1", "DNNL_VERBOSE", "1"));
        if (CpuKernels.current().onednn().equals("unknown")) {
            return; // a libtorch with a private oneDNN: neither the ISA nor its verbose lines can be read
        }
        assertTrue(out.contains("kernels: ATen AVX2, oneDNN sse41 "), out);
        // oneDNN's verbose lines name the implementation of each primitive it ran, e.g. jit:sse41.
        List<String> convolutions = out.lines().filter(l -> l.contains(",convolution,")).toList();
        assertFalse(convolutions.isEmpty(), "the probe's convolution did not run in oneDNN:\n" + out);
        for (String line : convolutions) {
            assertFalse(line.contains("avx"), "a convolution above the cap: " + line);
        }
    }

    /** Runs {@link Probe} in a child JVM with the given environment and returns what it printed. */
    private static String probe(Map<String, String> env) throws Exception {
        ChildJvm.Result r = ChildJvm.run(Probe.class, env, List.of(), 120);
        assertTrue(r.finished(), "the probe did not finish");
        assertEquals(0, r.exitCode(), r.output());
        return r.output();
    }

    /** The child: names its kernels and runs one convolution large enough for libtorch to give it to oneDNN. */
    public static final class Probe {
        public static void main(String[] args) {
            System.out.println("kernels: " + CpuKernels.current().describe());
            System.out.flush();
            Torch.manualSeed(0);
            try (Tensor x = Tensor.randn(16, 8, 16, 16); Tensor w = Tensor.randn(16, 8, 3, 3);
                    Tensor y = Functional.conv2d(x, w, null, 1, 1)) {
                System.out.println("conv: " + y.shape().length + " dims");
            }
        }
    }
}
