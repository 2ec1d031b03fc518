package org.amdim.tensor;

import static org.junit.jupiter.api.Assertions.*;

import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(NoLeaks.class)
class ShapeOpsTest {

    @Test
    void reshapeViewsAndPermutations() {
        try (var scope = TensorScope.open()) {
            Tensor a = Tensor.arange(6).to(DType.FLOAT32);
            assertArrayEquals(new long[] {2, 3}, a.reshape(2, -1).shape());
            assertArrayEquals(new long[] {3, 2}, a.view(3, 2).shape());
            Tensor m = a.reshape(2, 3);
            assertArrayEquals(new float[] {0, 3, 1, 4, 2, 5}, m.transpose(0, 1).contiguous().toFloatArray());
            assertFalse(m.transpose(0, 1).isContiguous());
            assertArrayEquals(new long[] {3, 2}, m.permute(1, 0).shape());
            assertArrayEquals(new long[] {1, 2, 3}, m.unsqueeze(0).shape());
            assertArrayEquals(new long[] {2, 3}, m.unsqueeze(0).squeeze(0).shape());
            assertArrayEquals(new long[] {2, 3}, m.unsqueeze(1).unsqueeze(0).squeeze().shape());
            assertArrayEquals(new long[] {6}, m.flatten().shape());
            assertArrayEquals(new long[] {4, 2, 3}, m.unsqueeze(0).expand(4, -1, -1).shape());
            assertArrayEquals(new float[] {0, 1, 2, 0, 1, 2}, a.narrow(0, 0, 3).repeat(2).toFloatArray());
            assertArrayEquals(new float[] {2, 1, 0, 5, 4, 3}, m.flip(1).toFloatArray());
            assertThrows(org.amdim.bindings.TorchException.class, () -> m.transpose(0, 1).view(6));
        }
    }

    @Test
    void catStackSplitChunk() {
        try (var scope = TensorScope.open()) {
            Tensor a = Tensor.of(new float[] {1, 2});
            Tensor b = Tensor.of(new float[] {3, 4});
            assertArrayEquals(new float[] {1, 2, 3, 4}, Tensor.cat(List.of(a, b), 0).toFloatArray());
            assertArrayEquals(new long[] {2, 2}, Tensor.stack(List.of(a, b), 0).shape());
            assertArrayEquals(new float[] {1, 3, 2, 4}, Tensor.stack(List.of(a, b), 1).toFloatArray());
            Tensor x = Tensor.arange(7).to(DType.FLOAT32);
            List<Tensor> parts = x.split(3, 0);
            assertEquals(3, parts.size());
            assertArrayEquals(new float[] {6}, parts.get(2).toFloatArray());
            List<Tensor> chunks = x.chunk(2, 0);
            assertEquals(2, chunks.size());
            assertArrayEquals(new float[] {0, 1, 2, 3}, chunks.get(0).toFloatArray());
        }
    }

    @Test
    void slicingAndSelection() {
        try (var scope = TensorScope.open()) {
            Tensor m = Tensor.arange(12).reshape(3, 4);
            assertArrayEquals(new long[] {4, 5, 6, 7}, m.select(0, 1).toLongArray());
            assertArrayEquals(new long[] {1, 3, 5, 7, 9, 11}, m.slice(1, 1, 4, 2).toLongArray());
            assertArrayEquals(new long[] {8, 9, 10, 11}, m.slice(0, 2, Long.MAX_VALUE, 1).toLongArray());
            assertArrayEquals(new long[] {4, 5, 6, 7, 8, 9, 10, 11}, m.narrow(0, 1, 2).toLongArray());
            Tensor view = m.select(0, 0);
            view.fill_(-1);
            assertEquals(-4, m.sum(1, false).toLongArray()[0], "select is a view");
        }
    }
}
