package org.amdim.tensor;

import static org.junit.jupiter.api.Assertions.*;

import java.util.List;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Tensors, autocast and gradient unscaling on a CUDA device. Every test is skipped, with the reason shown, where
 * no CUDA device can be used.
 */
@ExtendWith(NoLeaks.class)
class CudaTest {
    private static final Device GPU = Device.cuda(0);

    @BeforeEach
    void needsCuda() {
        CudaAssumptions.assumeCuda();
    }

    @Test
    void tensorsRoundTripThroughTheDevice() {
        try (var scope = TensorScope.open()) {
            Tensor host = Tensor.arange(0, 12, 1, DType.FLOAT32, Device.CPU).reshape(3, 4);
            Tensor dev = host.to(GPU);
            assertEquals(GPU, dev.device());
            assertArrayEquals(host.toFloatArray(), dev.mul(2).to(Device.CPU).div(2).toFloatArray());
            // a pinned host tensor copied without blocking arrives intact once the device is synchronised
            Tensor async = host.pinMemory().to(GPU, true);
            Torch.cudaSynchronize(0);
            assertArrayEquals(host.toFloatArray(), async.toFloatArray());
            assertTrue(Torch.cudaDeviceCount() >= 1);
            assertEquals(GPU, Device.cudaIfAvailable());
        }
    }

    @Test
    void memoryStatisticsSeeAnAllocation() {
        long before = Torch.cudaMemory(0).allocated();
        try (Tensor big = Tensor.zeros(DType.FLOAT32, GPU, 1024, 1024)) {
            Torch.CudaMemory m = Torch.cudaMemory(0);
            assertTrue(m.allocated() >= before + 4L * 1024 * 1024, m.toString());
            assertTrue(m.reserved() >= m.allocated() && m.maxAllocated() >= m.allocated(), m.toString());
        }
    }

    @Test
    void cudaAutocastRunsMatmulInFloat16() {
        try (var scope = TensorScope.open()) {
            Tensor a = Tensor.randn(DType.FLOAT32, GPU, 8, 8);
            Tensor w = Tensor.randn(DType.FLOAT32, GPU, 4, 3, 3, 3);
            Tensor x = Tensor.randn(DType.FLOAT32, GPU, 2, 3, 8, 8);
            try (var ac = Autocast.enable(Device.Type.CUDA, DType.FLOAT16)) {
                assertEquals(DType.FLOAT16, a.matmul(a).dtype());
                assertEquals(DType.FLOAT16, Functional.conv2d(x, w, null, 1, 1).dtype());
                // a CPU tensor is not affected by a CUDA region
                assertEquals(DType.FLOAT32, a.to(Device.CPU).matmul(a.to(Device.CPU)).dtype());
            }
            try (var ac = Autocast.enable(Device.Type.CUDA, DType.BFLOAT16)) {
                assertEquals(DType.BFLOAT16, a.matmul(a).dtype());
            }
            assertEquals(DType.FLOAT32, a.matmul(a).dtype());
        }
    }

    @Test
    void fusedUnscaleMatchesTheCpuPath() {
        try (var scope = TensorScope.open()) {
            Tensor p = Tensor.zeros(DType.FLOAT32, GPU, 3).requiresGrad(true);
            p.mul(Tensor.of(new float[] {2, 4, 8}).to(GPU)).sum().backward();
            assertFalse(FusedOptim.unscaleGrads(List.of(p), 0.5));
            assertArrayEquals(new float[] {1, 2, 4}, p.grad().toFloatArray());
            p.zeroGrad();
            p.mul(Tensor.of(new float[] {Float.NaN, 4, 8}).to(GPU)).sum().backward();
            assertTrue(FusedOptim.unscaleGrads(List.of(p), 0.5));
        }
    }

    @Test
    void cudnnFlagsCanBeSet() {
        Torch.setCudnnFlags(true, true, false);
        Torch.setCudnnFlags(true, false, false);
    }
}
