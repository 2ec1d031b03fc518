package org.amdim.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

/** Classifying the BLAS from {@code /proc/self/maps} lines. */
class BlasProbeTest {
    private static String map(String path) {
        return "7f1c2a000000-7f1c2a200000 r-xp 00000000 08:01 1234567                    " + path;
    }

    @Test
    void openBlasBehindTheGenericSoname() {
        BlasProbe.Result r = BlasProbe.fromMaps(List.of(
                map("/usr/lib/x86_64-linux-gnu/libc.so.6"),
                map("/usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3"),
                map("/usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3"),
                "7ffd1c5e8000-7ffd1c609000 rw-p 00000000 00:00 0                          [stack]"));
        assertEquals("OpenBLAS", r.kind());
        assertEquals(List.of("/usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3"), r.libraries());
    }

    @Test
    void referenceBlas() {
        BlasProbe.Result r = BlasProbe.fromMaps(List.of(map("/usr/lib/x86_64-linux-gnu/blas/libblas.so.3.11.0")));
        assertEquals("reference BLAS (netlib)", r.kind());
    }

    @Test
    void mklAndBlis() {
        assertEquals("Intel MKL", BlasProbe.fromMaps(List.of(map("/opt/intel/lib/libmkl_core.so.2"))).kind());
        assertEquals("BLIS", BlasProbe.fromMaps(List.of(map("/usr/lib/x86_64-linux-gnu/blis-openmp/libblas.so.3")))
                .kind());
    }

    @Test
    void noneWhenNoBlasIsMapped() {
        BlasProbe.Result r = BlasProbe.fromMaps(List.of(map("/usr/lib/libtorch_cpu.so"), map("/usr/lib/libc.so.6")));
        assertTrue(r.kind().startsWith("none found"), r.kind());
        assertTrue(r.libraries().isEmpty());
    }
}
