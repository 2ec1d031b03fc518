package org.amdim.nn.io.pth;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import java.util.Map;

import org.amdim.nn.io.NamedTensors;
import org.amdim.nn.io.TensorFiles;
import org.amdim.tensor.NoLeaks;
import org.amdim.tensor.Tensor;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Files written by PyTorch 1.13's {@code torch.save} in both formats read back bit for bit: every dtype, a
 * transposed (non-contiguous) tensor, a view at a storage offset, a 0-d and an empty tensor, compared with the same
 * tensors written by the fixture script as safetensors.
 */
@ExtendWith(NoLeaks.class)
class PthFileTest {
    @ParameterizedTest
    @ValueSource(strings = {"legacy", "zip"})
    void everyTensorEqualsWhatPyTorchSaved(String format) throws IOException {
        try (PthFile pth = PthFile.open(PthFixtures.path("state_dict_" + format + ".pth"));
             NamedTensors expected = TensorFiles.load(PthFixtures.path("state_dict.expected.safetensors"))) {
            assertEquals(format.equals("zip") ? PthFile.Format.ZIP : PthFile.Format.LEGACY, pth.format());
            Map<?, ?> root = assertInstanceOf(Map.class, pth.root());
            assertEquals(List.of("f32", "f64", "f16", "bf16", "i64", "i32", "i16", "i8", "u8", "bool", "scalar",
                    "transposed", "row_view", "base", "empty"), List.copyOf(root.keySet()), "order is the dict's");
            try (NamedTensors got = pth.tensors(root)) {
                assertEquals(expected.tensors().keySet(), got.tensors().keySet());
                for (String name : expected.tensors().keySet()) {
                    Tensor e = expected.get(name);
                    Tensor g = got.get(name);
                    assertEquals(e.dtype(), g.dtype(), name);
                    assertArrayEquals(e.shape(), g.shape(), name);
                    assertArrayEquals(bytes(e), bytes(g), name + ": bytes differ");
                }
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"legacy", "zip"})
    void viewsOfOneStorageShareItsReference(String format) throws IOException {
        try (PthFile pth = PthFile.open(PthFixtures.path("state_dict_" + format + ".pth"))) {
            Map<?, ?> root = (Map<?, ?>) pth.root();
            TensorRef base = (TensorRef) root.get("base");
            TensorRef row = (TensorRef) root.get("row_view");
            TensorRef transposed = (TensorRef) root.get("transposed");
            assertSame(base.storage(), row.storage());
            assertSame(base.storage(), transposed.storage());
            assertEquals(12, row.offset());
            assertArrayEquals(new long[] {1, 6}, transposed.stride());
            assertFalse(transposed.isContiguous());
            assertTrue(row.isContiguous());
            assertEquals(15 + 0, root.size());
        }
    }

    private static byte[] bytes(Tensor t) {
        try (Tensor c = t.contiguous()) {
            MemorySegment s = c.dataSegment();
            return s.toArray(ValueLayout.JAVA_BYTE);
        }
    }
}
