package org.amdim.tensor;

import static org.junit.jupiter.api.Assertions.*;

import java.lang.foreign.Arena;
import java.lang.foreign.ValueLayout;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(NoLeaks.class)
class CreationAndCopyTest {

    @Test
    void factoriesHaveTheRightValuesShapesAndTypes() {
        try (var scope = TensorScope.open()) {
            assertArrayEquals(new float[] {0, 0, 0, 0, 0, 0}, Tensor.zeros(2, 3).toFloatArray());
            assertArrayEquals(new long[] {2, 3}, Tensor.ones(2, 3).shape());
            assertArrayEquals(new double[] {1, 1}, Tensor.ones(DType.FLOAT64, Device.CPU, 2).toDoubleArray());
            assertArrayEquals(new float[] {2.5f, 2.5f}, Tensor.full(2.5, 2).toFloatArray());
            assertArrayEquals(new long[] {0, 1, 2, 3}, Tensor.arange(4).toLongArray());
            assertArrayEquals(new double[] {1, 1.5, 2, 2.5},
                    Tensor.arange(1, 3, 0.5, DType.FLOAT64, Device.CPU).toDoubleArray());
            assertArrayEquals(new float[] {1, 0, 0, 0, 1, 0, 0, 0, 1}, Tensor.eye(3).toFloatArray());
            assertEquals(DType.INT64, Tensor.randint(0, 5, 10).dtype());
            assertEquals(Device.CPU, Tensor.empty(3).device());
            assertEquals(0, Tensor.scalar(3).dim());
            assertEquals(3.0, Tensor.scalar(3).item());
        }
    }

    @Test
    void randomTensorsAreSeededAndInRange() {
        try (var scope = TensorScope.open()) {
            Torch.manualSeed(7);
            float[] a = Tensor.rand(100).toFloatArray();
            Torch.manualSeed(7);
            float[] b = Tensor.rand(100).toFloatArray();
            assertArrayEquals(a, b);
            for (float x : a) {
                assertTrue(x >= 0 && x < 1);
            }
            for (long x : Tensor.randint(3, 6, 200).toLongArray()) {
                assertTrue(x >= 3 && x < 6);
            }
            double mean = Tensor.randn(10000).mean().item();
            assertEquals(0, mean, 0.05);
            long[] perm = Tensor.randperm(10).toLongArray();
            java.util.Arrays.sort(perm);
            assertArrayEquals(new long[] {0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, perm);
        }
    }

    @Test
    void javaArraysRoundTripInEveryType() {
        try (var scope = TensorScope.open()) {
            assertArrayEquals(new float[] {1.5f, -2}, Tensor.of(new float[] {1.5f, -2}).toFloatArray());
            assertArrayEquals(new double[] {1e-300, 3}, Tensor.of(new double[] {1e-300, 3}).toDoubleArray());
            assertArrayEquals(new long[] {Long.MAX_VALUE, -1}, Tensor.of(new long[] {Long.MAX_VALUE, -1}).toLongArray());
            assertArrayEquals(new int[] {7, -7}, Tensor.of(new int[] {7, -7}).toIntArray());
            assertArrayEquals(new byte[] {(byte) 255, 0}, Tensor.of(new byte[] {(byte) 255, 0}).toByteArray());
            assertArrayEquals(new boolean[] {true, false}, Tensor.of(new boolean[] {true, false}).toBooleanArray());
            Tensor m = Tensor.of(new float[] {1, 2, 3, 4, 5, 6}, 2, 3);
            assertArrayEquals(new long[] {2, 3}, m.shape());
            assertArrayEquals(new long[] {3, 1}, m.strides());
            assertArrayEquals(new float[] {1, 4, 2, 5, 3, 6}, m.t().toFloatArray(), "non-contiguous copy-out");
            assertEquals(DType.FLOAT16, m.to(DType.FLOAT16).dtype());
            assertEquals(DType.BFLOAT16, m.to(DType.BFLOAT16).dtype());
            assertArrayEquals(new float[] {1, 2, 3, 4, 5, 6}, m.to(DType.BFLOAT16).toFloatArray());
        }
    }

    @Test
    void nativeSegmentsAreCopiedOnceAndDataSegmentAliasesStorage() {
        try (var scope = TensorScope.open(); Arena arena = Arena.ofConfined()) {
            var seg = arena.allocate(ValueLayout.JAVA_FLOAT, 4);
            for (int i = 0; i < 4; i++) {
                seg.setAtIndex(ValueLayout.JAVA_FLOAT, i, i * 10);
            }
            Tensor t = Tensor.fromSegment(seg, DType.FLOAT32, 2, 2);
            assertArrayEquals(new float[] {0, 10, 20, 30}, t.toFloatArray());
            t.dataSegment().setAtIndex(ValueLayout.JAVA_FLOAT, 3, 99);
            assertEquals(99, t.select(0, 1).select(0, 1).item());
            var out = arena.allocate(16);
            t.copyTo(out);
            assertEquals(99, out.getAtIndex(ValueLayout.JAVA_FLOAT, 3));
            assertThrows(org.amdim.bindings.TorchException.class, () -> Tensor.fromSegment(seg, DType.FLOAT32, 3));
            assertThrows(org.amdim.bindings.TorchException.class,
                    () -> Tensor.fromSegment(java.lang.foreign.MemorySegment.ofArray(new float[3]), DType.FLOAT32, 2));
        }
    }

    @Test
    void deviceStringsParseWithClearErrors() {
        assertEquals(Device.CPU, Device.parse("cpu"));
        assertEquals(Device.cuda(0), Device.parse("cuda"));
        assertEquals(Device.cuda(3), Device.parse("CUDA:3"));
        assertEquals("cuda:1", Device.cuda(1).toString());
        var e = assertThrows(IllegalArgumentException.class, () -> Device.parse("gpu0"));
        assertTrue(e.getMessage().contains("gpu0") && e.getMessage().contains("cuda:N"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Device.parse("cuda:-1"));
        assertThrows(IllegalArgumentException.class, () -> Device.parse("cuda:x"));
    }

    @Test
    void runtimeSettings() {
        assertFalse(Torch.version().isEmpty());
        int before = Torch.getNumThreads();
        Torch.setNumThreads(2);
        assertEquals(2, Torch.getNumThreads());
        Torch.setNumThreads(before);
        assertThrows(IllegalArgumentException.class, () -> Torch.setNumThreads(0));
        assertTrue(Torch.cudaDeviceCount() >= 0);
        Torch.noop();
    }
}
