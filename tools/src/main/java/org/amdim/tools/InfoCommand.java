package org.amdim.tools;

import java.io.IOException;
import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

import org.amdim.bindings.NativeLibrary;
import org.amdim.tensor.CpuKernels;
import org.amdim.tensor.CpuMemoryCache;
import org.amdim.tensor.Device;
import org.amdim.tensor.Torch;
import org.amdim.train.EncoderFormat;
import org.amdim.train.TrainConfig;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * {@code amdim info}: what this installation runs on (versions, threads, BLAS, CUDA, where the native shim was
 * loaded from), for bug reports and for the header of benchmark results.
 */
@Command(name = "info",
        mixinStandardHelpOptions = true,
        showDefaultValues = true,
        description = "Print the libtorch version, threads, CPU kernels, BLAS, CUDA/cuDNN, native shim and Java version.")
public final class InfoCommand implements Callable<Integer> {
    @Spec
    private CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        facts().forEach((k, v) -> out.printf("%-18s %s%n", k + ":", v));
        out.flush();
        return AmdimCli.EXIT_OK;
    }

    /** The facts, in print order. Loads the native shim (a failure to load it is reported by the CLI). */
    static Map<String, String> facts() throws IOException {
        Map<String, String> f = new LinkedHashMap<>();
        f.put("amdim", JarVersion.projectVersion());
        f.put("java", Runtime.version() + " (" + System.getProperty("java.vm.vendor") + ", "
                + System.getProperty("java.vm.name") + ")");
        f.put("native shim", NativeLibrary.load().toString());
        f.put("libtorch", Torch.version());
        List<String> restored = NativeLibrary.restoredSignals();
        if (!restored.isEmpty()) {
            f.put("signal handlers", "the JVM's " + String.join(", ", restored)
                    + " handlers were replaced while libtorch loaded and have been put back");
        }
        f.put("intra-op threads", Integer.toString(Torch.getNumThreads()));
        f.put("cpu cores", Integer.toString(Runtime.getRuntime().availableProcessors()));
        f.put("cpu kernels", CpuKernels.current().describe()
                + "; caps: ATEN_CPU_CAPABILITY=avx2|default, ONEDNN_MAX_CPU_ISA=AVX2|SSE41");
        f.put("blas", BlasProbe.probe().describe());
        f.put("native environment", String.join(", ", NativeLibrary.nativeEnvironment()));
        CpuMemoryCache.Stats cache = CpuMemoryCache.stats();
        f.put("cpu memory cache", cache.installed() && cache.idleLimit() > 0
                ? "on, keeps up to " + (cache.idleLimit() >> 20) + " MiB of freed blocks (-D"
                        + CpuMemoryCache.IDLE_BYTES_PROPERTY + "=bytes)"
                : "off");
        f.put("memory format", TrainConfig.defaults().memoryFormat() + " (train's default) picks on the CPU "
                + EncoderFormat.howAutoDecides(Device.CPU) + ", on CUDA " + EncoderFormat.howAutoDecides(Device.cuda(0))
                + "; a resumed run keeps its checkpoint's (--memory-format)");
        f.put("cuda", (Torch.cudaIsAvailable() ? "available" : "not available")
                + (Torch.builtWithCuda() ? " (libtorch built with CUDA)" : " (libtorch built without CUDA)"));
        f.put("cuda devices", Integer.toString(Torch.cudaDeviceCount()));
        f.put("cudnn", Torch.cudnnIsAvailable() ? "available" : "not available");
        Torch.Tf32 tf32 = Torch.tf32();
        f.put("tf32 (cuda)", "matrix products " + (tf32.matmul() ? "on" : "off") + ", convolutions "
                + (tf32.cudnn() ? "on" : "off") + " (--tf32)");
        return f;
    }
}
