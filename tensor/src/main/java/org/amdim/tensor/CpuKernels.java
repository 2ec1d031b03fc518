package org.amdim.tensor;

import static org.amdim.bindings.ffm.TorchShim.ts_cpu_capability;
import static org.amdim.bindings.ffm.TorchShim.ts_onednn_isa;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;

import org.amdim.bindings.NativeLibrary;

/**
 * Which CPU kernels libtorch runs, and on what CPU. Float32 results differ in their last bits between kernels, so
 * this belongs in bug reports and benchmark headers ({@code amdim info} prints it).
 *
 * <p>Both kernel families can be capped below what the CPU offers, which is how one machine stands in for older
 * ones: {@code ATEN_CPU_CAPABILITY=avx2} or {@code default} (no vector kernels) for ATen, and
 * {@code ONEDNN_MAX_CPU_ISA=AVX2} (older oneDNN releases read {@code DNNL_MAX_CPU_ISA}) for oneDNN's convolutions.
 * Both are read once, when libtorch first uses them.
 *
 * @param cpu      the CPU's model name, or {@code "unknown"}
 * @param cpuFlags the CPU's vector-instruction flags that decide kernels ({@code avx2}, {@code avx512f}, ...)
 * @param aten     ATen's kernels as libtorch's build summary names them ({@code AVX512}, {@code AVX2},
 *                 {@code NO AVX}), or {@code "unknown"}
 * @param onednn   oneDNN's effective instruction set ({@code avx512_core_bf16}, {@code avx2}, ...), or
 *                 {@code "unknown"} where libtorch links oneDNN privately
 */
public record CpuKernels(String cpu, List<String> cpuFlags, String aten, String onednn) {
    private static final String UNKNOWN = "unknown";
    /** The flags worth naming: the vector extensions libtorch and oneDNN choose kernels by. */
    private static final List<String> KERNEL_FLAGS = List.of("avx2", "fma", "avx512f", "avx512bw", "avx512vl",
            "avx512dq", "avx512_vnni", "avx512_bf16", "amx_bf16", "amx_tile");

    static {
        ShimCalls.ensureLoaded();
    }

    /** The kernels of this process (the environment caps included) and the CPU it runs on. */
    public static CpuKernels current() {
        List<String> cpuInfo = cpuInfo();
        return new CpuKernels(orUnknown(field(cpuInfo, "model name")), kernelFlags(field(cpuInfo, "flags")),
                orUnknown(NativeLibrary.string(ts_cpu_capability())), orUnknown(NativeLibrary.string(ts_onednn_isa())));
    }

    /** Copies the flags. */
    public CpuKernels {
        cpuFlags = List.copyOf(cpuFlags);
    }

    /**
     * Whether a bfloat16 convolution can run. libtorch sends bfloat16 convolutions to oneDNN when the CPU has
     * AVX-512 (BW, VL and DQ), and oneDNN has bfloat16 kernels from {@code avx512_core} up; on a CPU without
     * AVX-512 libtorch uses its own kernels instead. Only a oneDNN capped below AVX-512 on an AVX-512 CPU has
     * neither, and then every bfloat16 convolution fails ("could not create a primitive descriptor").
     */
    public boolean bfloat16Convolutions() {
        boolean libtorchPicksOnednn = cpuFlags.containsAll(List.of("avx512bw", "avx512vl", "avx512dq"));
        return !libtorchPicksOnednn || onednn.equals(UNKNOWN) || onednn.startsWith("avx512_core");
    }

    /** One line: {@code ATen AVX2, oneDNN avx512_core_bf16 on AMD EPYC (avx2 fma avx512f ...)}. */
    public String describe() {
        return "ATen " + aten + ", oneDNN " + onednn + " on " + cpu
                + (cpuFlags.isEmpty() ? "" : " (" + String.join(" ", cpuFlags) + ")");
    }

    private static String orUnknown(String s) {
        return s == null || s.isBlank() ? UNKNOWN : s;
    }

    private static List<String> cpuInfo() {
        try {
            return Files.readAllLines(Path.of("/proc/cpuinfo"));
        } catch (IOException | RuntimeException e) {
            return List.of(); // not Linux, or not readable: the CPU stays unknown
        }
    }

    /** The first value of a {@code name : value} line of /proc/cpuinfo (every core repeats them), or "". */
    private static String field(List<String> cpuInfo, String name) {
        for (String line : cpuInfo) {
            int colon = line.indexOf(':');
            if (colon > 0 && line.substring(0, colon).trim().equals(name)) {
                return line.substring(colon + 1).trim();
            }
        }
        return "";
    }

    private static List<String> kernelFlags(String flags) {
        Set<String> present = new HashSet<>(Arrays.asList(flags.split("\\s+")));
        return KERNEL_FLAGS.stream().filter(present::contains).toList();
    }
}
