package org.amdim.tensor;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Scopes, explicit close and the live-handle counter. */
@ExtendWith(NoLeaks.class)
class OwnershipTest {

    @Test
    void scopeClosesWhatItOwnsAndKeepsWhatIsKept() {
        long before = Tensor.liveHandles();
        Tensor kept;
        Tensor dropped;
        try (var scope = TensorScope.open()) {
            dropped = Tensor.ones(3).mul(2);
            kept = scope.keep(dropped.add(1));
            assertTrue(scope.size() >= 2);
        }
        assertTrue(dropped.isClosed());
        assertFalse(kept.isClosed());
        assertArrayEquals(new float[] {3, 3, 3}, kept.toFloatArray());
        assertEquals(before + 1, Tensor.liveHandles());
        kept.close();
        assertEquals(before, Tensor.liveHandles());
    }

    @Test
    void keptTensorsMoveToTheEnclosingScope() {
        Tensor inner;
        try (var outer = TensorScope.open()) {
            try (var scope = TensorScope.open()) {
                inner = scope.keep(Tensor.zeros(2));
            }
            assertFalse(inner.isClosed());
        }
        assertTrue(inner.isClosed(), "the outer scope closes what the inner one kept");
    }

    @Test
    void closingTwiceAndEarlyCloseAreHarmless() {
        try (var scope = TensorScope.open()) {
            Tensor t = Tensor.zeros(2);
            t.close();
            scope.close();
            scope.close();
        }
    }

    @Test
    void aHundredThousandOpsInAScopeLeaveTheCountUnchanged() {
        long before = Tensor.liveHandles();
        try (var scope = TensorScope.open()) {
            Tensor a = Tensor.ones(1);
            Tensor b = Tensor.ones(1);
            for (int i = 0; i < 100_000; i++) {
                a.add(b);
            }
            assertEquals(before + 100_002, Tensor.liveHandles());
        }
        assertEquals(before, Tensor.liveHandles());
    }

    @Test
    void explicitCloseInALoopKeepsTheCountFlat() {
        long before = Tensor.liveHandles();
        try (Tensor a = Tensor.ones(1); Tensor b = Tensor.ones(1)) {
            for (int i = 0; i < 10_000; i++) {
                a.add(b).close();
            }
        }
        assertEquals(before, Tensor.liveHandles());
    }

    @Test
    void scopesAreThreadLocal() throws Exception {
        try (var scope = TensorScope.open()) {
            Tensor[] fromOtherThread = new Tensor[1];
            Thread th = new Thread(() -> fromOtherThread[0] = Tensor.zeros(1));
            th.start();
            th.join();
            scope.close();
            assertFalse(fromOtherThread[0].isClosed(), "a tensor made on another thread is not this scope's");
            fromOtherThread[0].close();
        }
    }
}
