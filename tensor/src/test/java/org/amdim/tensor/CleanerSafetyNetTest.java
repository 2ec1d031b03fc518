package org.amdim.tensor;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;

/**
 * The Cleaner frees tensors their owner forgot. Kept apart from the other ownership tests because it leaks on
 * purpose, which {@link NoLeaks} would rightly report.
 */
class CleanerSafetyNetTest {

    @Test
    void theCleanerFreesForgottenTensors() throws InterruptedException {
        long before = Tensor.liveHandles();
        long leakedBefore = Tensor.leakedCount();
        for (int i = 0; i < 100; i++) {
            Tensor.zeros(4); // forgotten on purpose, outside any scope
        }
        for (int i = 0; i < 50 && Tensor.liveHandles() > before; i++) {
            System.gc();
            Thread.sleep(20);
        }
        assertEquals(before, Tensor.liveHandles());
        assertEquals(leakedBefore + 100, Tensor.leakedCount());
    }
}
