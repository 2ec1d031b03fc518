package org.amdim.tools;

import org.amdim.tensor.Device;
import org.amdim.tensor.Torch;

import picocli.CommandLine.Option;

/** Where and with how many threads libtorch runs: shared by the commands that run the model. */
public final class ComputeOptions {
    @Option(names = "--threads", defaultValue = "2", description = "libtorch intra-op threads.")
    int threads;

    @Option(names = "--device", defaultValue = "cpu", description = "cpu, cuda or cuda:N.")
    String device;

    /** The device named by {@code --device}. */
    public Device device() {
        return Device.parse(device);
    }

    /** Sets libtorch's intra-op thread count to {@code --threads}. */
    public void applyThreads() {
        Torch.setNumThreads(threads);
    }
}
