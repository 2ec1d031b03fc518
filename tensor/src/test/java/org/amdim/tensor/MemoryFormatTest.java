package org.amdim.tensor;

import static org.junit.jupiter.api.Assertions.*;

import org.amdim.bindings.TorchException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(NoLeaks.class)
class MemoryFormatTest {

    @Test
    void channelsLastReordersStridesNotValues() {
        try (var scope = TensorScope.open()) {
            Tensor x = Tensor.arange(2 * 3 * 4 * 5).to(DType.FLOAT32).reshape(2, 3, 4, 5);
            Tensor nhwc = x.contiguous(MemoryFormat.CHANNELS_LAST);
            // NHWC order of an (N, C, H, W) = (2, 3, 4, 5) tensor: C fastest, then W, then H, then N.
            assertArrayEquals(new long[] {60, 1, 15, 3}, nhwc.strides());
            assertArrayEquals(new long[] {2, 3, 4, 5}, nhwc.shape());
            assertTrue(nhwc.isContiguous(MemoryFormat.CHANNELS_LAST));
            assertFalse(nhwc.isContiguous());
            assertFalse(nhwc.isContiguous(MemoryFormat.CONTIGUOUS));
            assertArrayEquals(x.toFloatArray(), nhwc.toFloatArray());
            Tensor back = nhwc.contiguous(MemoryFormat.CONTIGUOUS);
            assertArrayEquals(new long[] {60, 20, 5, 1}, back.strides());
            assertArrayEquals(x.toFloatArray(), back.toFloatArray());
        }
    }

    @Test
    void alreadyDenseTensorsAreNotCopied() {
        try (var scope = TensorScope.open()) {
            Tensor nhwc = Tensor.randn(2, 3, 4, 4).contiguous(MemoryFormat.CHANNELS_LAST);
            Tensor same = nhwc.contiguous(MemoryFormat.CHANNELS_LAST);
            same.fill_(7);
            assertEquals(7f, nhwc.toFloatArray()[0], "a second handle to the same storage, not a copy");
            // One channel: both orders coincide, so the tensor is dense in both.
            Tensor oneChannel = Tensor.randn(2, 1, 3, 3);
            assertTrue(oneChannel.isContiguous(MemoryFormat.CHANNELS_LAST));
            assertTrue(oneChannel.isContiguous(MemoryFormat.CONTIGUOUS));
        }
    }

    @Test
    void channelsLastNeedsFourDimensions() {
        try (var scope = TensorScope.open()) {
            Tensor m = Tensor.randn(3, 4);
            TorchException e = assertThrows(TorchException.class, () -> m.contiguous(MemoryFormat.CHANNELS_LAST));
            assertTrue(e.getMessage().contains("4-D"), e.getMessage());
        }
    }

    @Test
    void gradientFlowsThroughTheLayoutChange() {
        try (var scope = TensorScope.open()) {
            Tensor x = Tensor.randn(DType.FLOAT64, Device.CPU, 2, 3, 2, 2).requiresGrad(true);
            Tensor weights = Tensor.randn(DType.FLOAT64, Device.CPU, 2, 3, 2, 2);
            x.contiguous(MemoryFormat.CHANNELS_LAST).mul(weights).sum().backward();
            // d/dx sum(x * w) = w, whatever layout the product was computed in.
            assertArrayEquals(weights.toDoubleArray(), x.grad().toDoubleArray(), 0.0);
        }
    }

    @Test
    void convolutionKeepsChannelsLastAndItsValues() {
        try (var scope = TensorScope.open()) {
            Tensor x = Tensor.randn(DType.FLOAT64, Device.CPU, 2, 4, 6, 6);
            Tensor w = Tensor.randn(DType.FLOAT64, Device.CPU, 5, 4, 3, 3);
            Tensor reference = Functional.conv2d(x, w, null, 1, 0);
            Tensor nhwc = Functional.conv2d(x.contiguous(MemoryFormat.CHANNELS_LAST), w, null, 1, 0);
            assertTrue(nhwc.isContiguous(MemoryFormat.CHANNELS_LAST), "the output follows the input's layout");
            double[] a = reference.toDoubleArray();
            double[] b = nhwc.toDoubleArray();
            for (int i = 0; i < a.length; i++) {
                assertEquals(a[i], b[i], 1e-12 * (1 + Math.abs(a[i])), "element " + i);
            }
        }
    }

    @Test
    void namesParseAsOnTheCommandLine() {
        assertEquals(MemoryFormat.CHANNELS_LAST, MemoryFormat.parse("channels-last"));
        assertEquals(MemoryFormat.CHANNELS_LAST, MemoryFormat.parse("CHANNELS_LAST"));
        assertEquals(MemoryFormat.CONTIGUOUS, MemoryFormat.parse(" contiguous "));
        assertEquals("channels-last", MemoryFormat.CHANNELS_LAST.cliName());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> MemoryFormat.parse("nhwc"));
        assertTrue(e.getMessage().contains("channels-last"), e.getMessage());
    }
}
