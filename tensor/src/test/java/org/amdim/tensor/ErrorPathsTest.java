package org.amdim.tensor;

import static org.junit.jupiter.api.Assertions.*;

import org.amdim.bindings.TorchException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Bad inputs give clear Java exceptions with libtorch's message; the JVM never crashes. */
@ExtendWith(NoLeaks.class)
class ErrorPathsTest {

    @Test
    void shapeMismatchCarriesLibtorchsMessageWithoutBacktrace() {
        try (var scope = TensorScope.open()) {
            Tensor a = Tensor.zeros(2, 3);
            Tensor b = Tensor.zeros(4, 5);
            TorchException e = assertThrows(TorchException.class, () -> a.mm(b));
            assertTrue(e.getMessage().contains("2x3") && e.getMessage().contains("4x5"), e.getMessage());
            assertFalse(e.getMessage().contains("Exception raised from"), "no C++ backtrace: " + e.getMessage());
            assertThrows(TorchException.class, () -> a.add(b));
            assertThrows(TorchException.class, () -> a.reshape(7));
        }
    }

    @Test
    void wrongDtypesAndBadArguments() {
        try (var scope = TensorScope.open()) {
            Tensor logits = Tensor.zeros(2, 3);
            TorchException range = assertThrows(TorchException.class,
                    () -> Functional.crossEntropy(logits, Tensor.of(new long[] {0, 5})), "class 5 of 3");
            assertTrue(range.getMessage().contains("out of bounds"), range.getMessage());
            assertThrows(TorchException.class, () -> Tensor.zeros(2).indexSelect(0, Tensor.of(new float[] {0})),
                    "float index");
            assertThrows(TorchException.class, () -> Tensor.zeros(2, 2).item());
            assertThrows(TorchException.class, () -> Tensor.zeros(2).select(0, 5));
            assertThrows(TorchException.class,
                    () -> Functional.conv2d(Tensor.zeros(1, 3, 4, 4), Tensor.zeros(2, 4, 3, 3), null, 1, 0));
            assertThrows(TorchException.class, () -> Tensor.zeros(3).backward(), "non-scalar needs a gradient");
        }
    }

    @Test
    void cudaOnACpuOnlyMachineIsAClearError() {
        if (Torch.cudaIsAvailable()) {
            return; // the CPU-only failure path cannot be shown on a machine with a GPU
        }
        try (var scope = TensorScope.open()) {
            TorchException e = assertThrows(TorchException.class, () -> Tensor.zeros(2).to(Device.cuda(0)));
            assertTrue(e.getMessage().toLowerCase().contains("cuda"), e.getMessage());
        }
    }

    @Test
    void useAfterCloseThrowsIllegalState() {
        Tensor t = Tensor.zeros(2);
        t.close();
        t.close(); // harmless
        assertTrue(t.isClosed());
        var e = assertThrows(IllegalStateException.class, t::sum);
        assertTrue(e.getMessage().contains("closed"));
        assertThrows(IllegalStateException.class, () -> t.add(t));
        assertEquals("tensor(<closed>)", t.toString());
    }

    @Test
    void aLibtorchErrorDoesNotPoisonLaterCalls() {
        try (var scope = TensorScope.open()) {
            assertThrows(TorchException.class, () -> Tensor.zeros(2).add(Tensor.zeros(3)));
            assertEquals(4, Tensor.ones(2).add(Tensor.ones(2)).sum().item());
        }
    }
}
