package org.amdim.tensor;

import static org.junit.jupiter.api.Assertions.*;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import org.amdim.bindings.TorchException;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Tensors in oneDNN's opaque layout: the conversions round-trip exactly, the ops the encoder chains on them work
 * and equal their strided versions, and every {@link Tensor} method either works or throws a documented exception.
 */
@ExtendWith(NoLeaks.class)
class MkldnnLayoutTest {
    /** The unit roundoff of float32. */
    private static final double U = 0x1p-24;

    @BeforeAll
    static void needsOneDnn() {
        org.junit.jupiter.api.Assumptions.assumeTrue(Torch.mkldnnAvailable(), "libtorch was built without oneDNN");
    }

    @Test
    void roundTripsExactlyAndKeepsTheMetadata() {
        try (var scope = TensorScope.open()) {
            Tensor x = Tensor.randn(2, 3, 5, 4);
            Tensor m = x.toMkldnn();
            assertEquals(Layout.STRIDED, x.layout());
            assertEquals(Layout.MKLDNN, m.layout());
            assertArrayEquals(new long[] {2, 3, 5, 4}, m.shape());
            assertEquals(4, m.dim());
            assertEquals(120, m.numel());
            assertEquals(DType.FLOAT32, m.dtype());
            assertEquals(Device.CPU, m.device());
            assertFalse(m.isContiguous(), "no strided format describes it");
            assertFalse(m.isContiguous(MemoryFormat.CHANNELS_LAST));
            // A reorder moves values, it does not compute with them.
            assertArrayEquals(x.toFloatArray(), m.toFloatArray());
            assertArrayEquals(x.toDoubleArray(), m.toDoubleArray());
            Tensor back = m.toDense();
            assertEquals(Layout.STRIDED, back.layout());
            assertTrue(back.isContiguous());
            assertArrayEquals(x.toFloatArray(), back.toFloatArray());
            // Any strides in: a channels-last and a transposed source give the same values.
            assertArrayEquals(x.toFloatArray(), x.contiguous(MemoryFormat.CHANNELS_LAST).toMkldnn().toFloatArray());
            Tensor t = x.transpose(1, 3);
            assertArrayEquals(t.toFloatArray(), t.toMkldnn().toFloatArray());
            // toDense of a strided tensor is the tensor itself.
            assertEquals(Layout.STRIDED, x.toDense().layout());
        }
    }

    @Test
    void copiesOutToHeapAndNativeMemory() {
        try (var scope = TensorScope.open(); Arena arena = Arena.ofConfined()) {
            Tensor x = Tensor.randn(2, 8, 3, 3);
            Tensor m = x.toMkldnn();
            float[] heap = new float[144];
            m.copyTo(MemorySegment.ofArray(heap));
            assertArrayEquals(x.toFloatArray(), heap);
            MemorySegment off = arena.allocate(144 * 4L, 4);
            m.copyTo(off);
            assertArrayEquals(x.toFloatArray(), off.toArray(ValueLayout.JAVA_FLOAT));
        }
    }

    @Test
    void theEncodersOpsRunOnItAndEqualTheirStridedVersions() {
        Torch.manualSeed(5);
        try (var scope = TensorScope.open()) {
            Tensor x = Tensor.randn(2, 4, 6, 6);
            Tensor y = Tensor.randn(2, 4, 6, 6);
            // ReLU and pooling windows of 4 powers of two: exact in both layouts.
            assertArrayEquals(x.relu().toFloatArray(), x.toMkldnn().relu_().toFloatArray());
            assertArrayEquals(Functional.avgPool2d(x, 2, 2).toFloatArray(),
                    Functional.avgPool2d(x.toMkldnn(), 2, 2).toFloatArray());
            assertArrayEquals(Functional.maxPool2d(x, 3, 1).toFloatArray(),
                    Functional.maxPool2d(x.toMkldnn(), 3, 1).toFloatArray());
            // A single rounded addition: exact too.
            Tensor sum = x.toMkldnn();
            assertSame(sum, sum.add_(y.toMkldnn()));
            assertEquals(Layout.MKLDNN, sum.layout());
            assertArrayEquals(x.add(y).toFloatArray(), sum.toFloatArray());
            assertArrayEquals(x.add(y).toFloatArray(), x.toMkldnn().add(y.toMkldnn()).toFloatArray());
            assertArrayEquals(x.toFloatArray(), x.toMkldnn().clone().toFloatArray());
            // A 3x3 average: 9 terms summed and divided in some order, each result within 10·u of the exact one
            // relative to the average of the magnitudes, so the two within twice that.
            double avgBound = 2 * 10 * U * Closeness.maxAbs(Functional.avgPool2d(x.abs(), 3, 1));
            Closeness.assertWithin("avg_pool2d 3x3", Functional.avgPool2d(x.toMkldnn(), 3, 1).toDense(),
                    Functional.avgPool2d(x, 3, 1), avgBound, 0);

            // Evaluation-mode batch norm with running statistics, (x - m)·w/√(v + eps) + b per channel, which the
            // kernels may regroup as x·a + (b - m·a): about 6 roundings per element, each relative to at most
            // (|x| + |m|)·|w|/√(v + eps) + |b| (computed below as a batch norm of magnitudes); twice that apart.
            Tensor rm = Tensor.randn(4);
            Tensor rv = Tensor.rand(4).add(0.5);
            Tensor w = Tensor.randn(4);
            Tensor b = Tensor.randn(4);
            Tensor expected = Functional.batchNorm(x, rm, rv, w, b, false, 0.1, 1e-5);
            Tensor actual = Functional.batchNorm(x.toMkldnn(), rm, rv, w, b, false, 0.1, 1e-5);
            assertEquals(Layout.MKLDNN, actual.layout());
            Tensor magnitude = Functional.batchNorm(x.abs(), rm.abs().neg(), rv, w.abs(), b.abs(), false, 0.1, 1e-5);
            Closeness.assertWithin("batch norm", actual.toDense(), expected, 2 * 6 * U * Closeness.maxAbs(magnitude),
                    0);
        }
    }

    @Test
    void methodsWithoutMeaningThrowDocumentedExceptions() {
        try (var scope = TensorScope.open()) {
            Tensor m = Tensor.randn(2, 3, 4, 4).toMkldnn();
            IllegalStateException strides = assertThrows(IllegalStateException.class, m::strides);
            assertTrue(strides.getMessage().contains("no strides"), strides.getMessage());
            assertThrows(IllegalStateException.class, m::dataSegment);
            assertThrows(TorchException.class, m::toMkldnn, "already in mkldnn layout");
            assertThrows(TorchException.class, () -> m.view(-1));
            assertThrows(TorchException.class, () -> m.narrow(0, 0, 1));
            assertThrows(TorchException.class, () -> m.copy_(Tensor.zeros(2, 3, 4, 4)));
            assertThrows(TorchException.class, () -> Tensor.zeros(2, 3, 4, 4).copy_(m));
            assertThrows(TorchException.class, () -> m.add_(Tensor.zeros(2, 3, 4, 4)), "a strided operand");
            assertThrows(TorchException.class, () -> m.add_(Tensor.zeros(1, 3, 4, 4).toMkldnn()), "broadcasting");
            assertThrows(TorchException.class, () -> m.sum());
            assertThrows(TorchException.class, () -> Functional.pad(m, new long[] {0, 0, 0, 0, 0, 1},
                    Functional.PadMode.CONSTANT, 0));
            assertThrows(TorchException.class, () -> Functional.batchNorm(m, Tensor.zeros(3), Tensor.ones(3), null,
                    null, false, 0.1, 1e-5), "oneDNN's batch norm needs the affine parameters");
            // Only float CPU tensors of 1 to 5 dimensions convert.
            assertThrows(TorchException.class, () -> Tensor.zeros(DType.INT64, Device.CPU, 2, 2).toMkldnn());
            assertThrows(TorchException.class, () -> Tensor.zeros(DType.FLOAT64, Device.CPU, 2, 2).toMkldnn());
            assertThrows(TorchException.class, () -> Tensor.scalar(1).toMkldnn());
            assertThrows(TorchException.class, () -> Tensor.zeros(1, 1, 1, 1, 1, 2).toMkldnn());
        }
    }

    @Test
    void printsLikePyTorchAndClosesLikeAnyTensor() {
        Tensor m;
        try (Tensor x = Tensor.of(new float[] {1, -2})) {
            m = x.toMkldnn();
        }
        assertEquals("tensor([ 1., -2.], layout=torch._mkldnn)", m.toString());
        m.close();
        m.close();
        assertTrue(m.isClosed());
        assertEquals("tensor(<closed>)", m.toString());
        assertThrows(IllegalStateException.class, m::layout);
        assertThrows(IllegalStateException.class, m::toDense);
    }
}
