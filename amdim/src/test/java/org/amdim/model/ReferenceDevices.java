package org.amdim.model;

import java.util.stream.Stream;

import org.amdim.tensor.CudaAssumptions;
import org.amdim.tensor.Device;
import org.amdim.tensor.Torch;

/**
 * The devices the reference-vector tests run on: always the CPU, and {@code cuda:0}, skipped with the reason
 * where there is none. On CUDA the test runs in full float32 ({@link Torch.Tf32#OFF}: cuDNN would otherwise
 * run float32 convolutions in TF32, whose 10-bit mantissa no float32 tolerance survives), so the same
 * tolerances hold on both.
 */
public final class ReferenceDevices {
    private ReferenceDevices() {
    }

    /** The {@code @MethodSource} of device-parameterised reference tests. */
    public static Stream<Device> cpuAndCuda() {
        return Stream.of(Device.CPU, Device.cuda(0));
    }

    /**
     * Skips the test where {@code device} is a CUDA device this machine lacks, and otherwise switches TF32 off
     * until the returned handle is closed.
     */
    public static Float32 use(Device device) {
        if (device.isCuda()) {
            CudaAssumptions.assumeCuda();
        }
        return new Float32(Torch.setTf32(Torch.Tf32.OFF));
    }

    /** Puts the TF32 settings back. */
    public record Float32(Torch.Tf32 previous) implements AutoCloseable {
        @Override
        public void close() {
            Torch.setTf32(previous);
        }
    }
}
