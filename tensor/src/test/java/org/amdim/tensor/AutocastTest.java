package org.amdim.tensor;

import static org.junit.jupiter.api.Assertions.*;

import java.util.List;
import java.util.concurrent.CompletableFuture;

import org.amdim.bindings.TorchException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Autocast regions on the CPU (bfloat16): what they change, what they restore, and what they refuse. */
@ExtendWith(NoLeaks.class)
class AutocastTest {

    @AfterEach
    void autocastIsOffAgain() {
        assertFalse(Autocast.isEnabled(Device.Type.CPU), "a test left CPU autocast on");
        assertFalse(Autocast.isEnabled(Device.Type.CUDA), "a test left CUDA autocast on");
    }

    @Test
    void matmulConvAndLinearRunInBfloat16InsideTheRegionOnly() {
        CpuKernelAssumptions.assumeBfloat16Convolutions();
        try (var scope = TensorScope.open()) {
            Tensor a = Tensor.randn(4, 8);
            Tensor b = Tensor.randn(8, 3);
            Tensor x = Tensor.randn(2, 3, 6, 6);
            Tensor w = Tensor.randn(5, 3, 3, 3);
            Tensor lw = Tensor.randn(7, 8);
            assertEquals(DType.FLOAT32, a.matmul(b).dtype());
            try (var ac = Autocast.enable(Device.Type.CPU, DType.BFLOAT16)) {
                assertTrue(Autocast.isEnabled(Device.Type.CPU));
                assertEquals(DType.BFLOAT16, a.matmul(b).dtype());
                assertEquals(DType.BFLOAT16, a.mm(b).dtype());
                assertEquals(DType.BFLOAT16, Functional.conv2d(x, w, null, 1, 1).dtype());
                assertEquals(DType.BFLOAT16, Functional.linear(a, lw, null).dtype());
                // element-wise ops are not on autocast's lists: they keep their inputs' dtype
                assertEquals(DType.FLOAT32, a.add(a).dtype());
            }
            assertEquals(DType.FLOAT32, a.matmul(b).dtype());
            assertEquals(DType.FLOAT32, Functional.conv2d(x, w, null, 1, 1).dtype());
        }
    }

    @Test
    void bfloat16ResultIsTheFloat32ResultRoundedToBfloat16Precision() {
        try (var scope = TensorScope.open()) {
            Tensor a = Tensor.randn(16, 32);
            Tensor b = Tensor.randn(32, 8);
            Tensor exact = a.to(DType.FLOAT64).matmul(b.to(DType.FLOAT64));
            Tensor low;
            try (var ac = Autocast.enable(Device.Type.CPU, DType.BFLOAT16)) {
                low = a.matmul(b);
            }
            double err = low.to(DType.FLOAT64).sub(exact).abs().max().item();
            double scale = exact.abs().max().item();
            // bfloat16 keeps 8 significant bits: inputs and output rounded, relative error well under 2^-5
            assertTrue(err > 0, "bfloat16 must actually lose precision");
            assertTrue(err < scale / 32, "error " + err + " for magnitude " + scale);
        }
    }

    @Test
    void gradientsOfFloat32LeavesStayFloat32() {
        try (var scope = TensorScope.open()) {
            Tensor x = Tensor.of(new float[] {1, 2, 3, 4, 5, 6}, 2, 3);
            Tensor w = Tensor.of(new float[] {0.5f, -1, 2}, 3, 1).requiresGrad(true);
            Tensor y;
            try (var ac = Autocast.enable(Device.Type.CPU, DType.BFLOAT16)) {
                y = x.matmul(w);
            }
            assertEquals(DType.BFLOAT16, y.dtype());
            y.sum().backward();
            Tensor g = w.grad();
            assertEquals(DType.FLOAT32, g.dtype());
            // d(sum(x·w))/dw = column sums of x, exact in bfloat16
            assertArrayEquals(new float[] {5, 7, 9}, g.toFloatArray());
        }
    }

    @Test
    void nestedRegionsRestoreTheOuterState() {
        DType cpuDefault = Autocast.dtype(Device.Type.CPU);
        DType cudaDefault = Autocast.dtype(Device.Type.CUDA);
        try (var scope = TensorScope.open()) {
            Tensor a = Tensor.randn(3, 3);
            try (var outer = Autocast.enable(Device.Type.CPU, DType.BFLOAT16)) {
                try (var island = Autocast.disable(Device.Type.CPU)) {
                    assertFalse(Autocast.isEnabled(Device.Type.CPU));
                    assertEquals(DType.FLOAT32, a.matmul(a).dtype());
                    try (var inner = Autocast.enable(Device.Type.CPU, DType.BFLOAT16)) {
                        assertEquals(DType.BFLOAT16, a.matmul(a).dtype());
                    }
                    assertFalse(Autocast.isEnabled(Device.Type.CPU));
                }
                assertTrue(Autocast.isEnabled(Device.Type.CPU));
                assertEquals(DType.BFLOAT16, a.matmul(a).dtype());
            }
            assertFalse(Autocast.isEnabled(Device.Type.CPU));
        }
        // The CUDA state is a flag and a dtype per thread even without a device: set and restored independently.
        try (var fp16 = Autocast.enable(Device.Type.CUDA, DType.FLOAT16)) {
            try (var bf16 = Autocast.enable(Device.Type.CUDA, DType.BFLOAT16)) {
                assertEquals(DType.BFLOAT16, Autocast.dtype(Device.Type.CUDA));
                assertFalse(Autocast.isEnabled(Device.Type.CPU), "CUDA regions leave the CPU alone");
            }
            assertEquals(DType.FLOAT16, Autocast.dtype(Device.Type.CUDA));
            assertTrue(Autocast.isEnabled(Device.Type.CUDA));
        }
        assertEquals(cudaDefault, Autocast.dtype(Device.Type.CUDA));
        assertEquals(cpuDefault, Autocast.dtype(Device.Type.CPU));
    }

    @Test
    void closingOutOfOrderOrTwiceIsCaught() {
        var outer = Autocast.enable(Device.Type.CPU, DType.BFLOAT16);
        var inner = Autocast.disable(Device.Type.CPU);
        IllegalStateException e = assertThrows(IllegalStateException.class, outer::close);
        assertTrue(e.getMessage().contains("innermost first"), e.getMessage());
        assertFalse(Autocast.isEnabled(Device.Type.CPU), "the inner (disabled) region is still in force");
        inner.close();
        inner.close();
        outer.close();
        assertFalse(Autocast.isEnabled(Device.Type.CPU));
    }

    @Test
    void closingOnAnotherThreadIsRefused() throws Exception {
        try (var ac = Autocast.enable(Device.Type.CPU, DType.BFLOAT16)) {
            Throwable t = CompletableFuture.supplyAsync(() -> {
                try {
                    ac.close();
                    return null;
                } catch (IllegalStateException e) {
                    return e;
                }
            }).get();
            assertInstanceOf(IllegalStateException.class, t);
            // and another thread's state was never this one's
            Boolean elsewhere = CompletableFuture.supplyAsync(() -> Autocast.isEnabled(Device.Type.CPU)).get();
            assertFalse(elsewhere);
            assertTrue(Autocast.isEnabled(Device.Type.CPU));
        }
    }

    @Test
    void unsupportedDtypesAreRefusedWithoutChangingTheState() {
        DType before = Autocast.dtype(Device.Type.CPU);
        assertThrows(TorchException.class, () -> Autocast.enable(Device.Type.CPU, DType.FLOAT64));
        if (Torch.version().startsWith("1.") || Torch.version().matches("2\\.[0-3]\\..*")) {
            TorchException e = assertThrows(TorchException.class,
                    () -> Autocast.enable(Device.Type.CPU, DType.FLOAT16));
            assertTrue(e.getMessage().contains("2.4"), e.getMessage());
        }
        assertFalse(Autocast.isEnabled(Device.Type.CPU));
        assertEquals(before, Autocast.dtype(Device.Type.CPU));
        // nothing was left open: a fresh region is depth 1 and closes cleanly
        Autocast.enable(Device.Type.CPU, DType.BFLOAT16).close();
    }

    @Test
    void unscaleGradsMultipliesAndReportsNonFiniteValues() {
        try (var scope = TensorScope.open()) {
            Tensor p1 = Tensor.zeros(3).requiresGrad(true);
            Tensor p2 = Tensor.zeros(2).requiresGrad(true);
            Tensor noGrad = Tensor.zeros(2).requiresGrad(true);
            p1.mul(Tensor.of(new float[] {2, 4, 8})).sum().backward();
            p2.mul(Tensor.of(new float[] {6, -10})).sum().backward();
            assertFalse(FusedOptim.unscaleGrads(List.of(p1, p2, noGrad), 0.5));
            assertArrayEquals(new float[] {1, 2, 4}, p1.grad().toFloatArray());
            assertArrayEquals(new float[] {3, -5}, p2.grad().toFloatArray());
            assertNull(noGrad.grad());

            p2.zeroGrad();
            p2.mul(Tensor.of(new float[] {Float.POSITIVE_INFINITY, 1})).sum().backward();
            assertTrue(FusedOptim.unscaleGrads(List.of(p1, p2), 0.25));
            // every gradient is still unscaled, the finite ones exactly
            assertArrayEquals(new float[] {0.25f, 0.5f, 1}, p1.grad().toFloatArray());
            assertArrayEquals(new float[] {Float.POSITIVE_INFINITY, 0.25f}, p2.grad().toFloatArray());

            p2.zeroGrad();
            p2.mul(Tensor.of(new float[] {Float.NaN, 1})).sum().backward();
            assertTrue(FusedOptim.unscaleGrads(List.of(p2), 1.0));
            assertFalse(FusedOptim.unscaleGrads(List.of(p1), 1.0));
            assertFalse(FusedOptim.unscaleGrads(List.of(), 0.5));
        }
    }
}
