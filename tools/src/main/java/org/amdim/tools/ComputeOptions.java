package org.amdim.tools;

import org.amdim.tensor.CpuMemoryCache;
import org.amdim.tensor.Device;
import org.amdim.tensor.Torch;

import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Option;

/** Where and with how many threads libtorch runs: shared by the commands that run the model. */
public final class ComputeOptions {
    @Option(names = "--threads", defaultValue = "2", description = "libtorch intra-op threads.")
    int threads;

    @Option(names = "--device", defaultValue = "cpu", description = "cpu, cuda or cuda:N.")
    String device;

    @Option(names = "--tf32", defaultValue = "default", converter = Tf32Converter.class,
            description = "TF32 for float32 work on CUDA: default (libtorch's: convolutions only), on (matrix"
                    + " products too), off (full float32).")
    Torch.Tf32 tf32;

    /** Checks the values' ranges (a usage error names the option). */
    void checkRanges(OptionRanges ranges) {
        ranges.between("--threads", threads, 1, OptionRanges.maxThreads(), "at most one per core");
    }

    /** The device named by {@code --device}. */
    public Device device() {
        return Device.parse(device);
    }

    /** The glibc malloc arenas a command that runs the model keeps to ({@link #applyMallocArenas()}). */
    static final int MALLOC_ARENAS = 2;

    /**
     * Caps glibc's malloc arenas at {@value #MALLOC_ARENAS} ({@link CpuMemoryCache#limitMallocArenas}) unless the
     * environment sets {@code MALLOC_ARENA_MAX}, which then rules. First thing in a command that runs the model:
     * the cap only binds arenas created after it.
     */
    public void applyMallocArenas() {
        if (System.getenv("MALLOC_ARENA_MAX") == null) {
            CpuMemoryCache.limitMallocArenas(MALLOC_ARENAS);
        }
    }

    /** Sets libtorch's intra-op thread count to {@code --threads}. */
    public void applyThreads() {
        Torch.setNumThreads(threads);
    }

    /** Sets the process's TF32 switches to {@code --tf32} (they matter on CUDA devices only). */
    public void applyTf32() {
        Torch.setTf32(tf32);
    }

    /** Parses {@code --tf32}: default, on or off. */
    static final class Tf32Converter implements ITypeConverter<Torch.Tf32> {
        @Override
        public Torch.Tf32 convert(String value) {
            return Torch.Tf32.parse(value);
        }
    }
}
