package org.amdim.tensor;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(NoLeaks.class)
class CpuMemoryCacheTest {
    /** 2 Mi float32 elements, 8 MiB: a cached block with huge pages. */
    private static final long BIG = 2L << 20;

    @AfterEach
    void restoreDefault() {
        CpuMemoryCache.setIdleLimit(1L << 30);
    }

    @Test
    void isLibtorchsAllocatorFromTheStart() {
        Tensor.zeros(1).close();
        assertTrue(CpuMemoryCache.stats().installed());
        assertTrue(CpuMemoryCache.stats().idleLimit() > 0);
    }

    @Test
    void aFreedBlockIsHandedOutAgainForTheSameSize() {
        CpuMemoryCache.empty();
        long address;
        try (Tensor a = Tensor.empty(BIG)) {
            address = a.dataSegment().address();
        }
        CpuMemoryCache.Stats before = CpuMemoryCache.stats();
        assertTrue(before.idleBytes() >= BIG * 4, "the freed block is kept: " + before);
        try (Tensor b = Tensor.empty(BIG); var scope = TensorScope.open()) {
            assertEquals(address, b.dataSegment().address(), "the same block again");
            CpuMemoryCache.Stats during = CpuMemoryCache.stats();
            assertEquals(before.hits() + 1, during.hits());
            assertEquals(before.misses(), during.misses());
            // The values a reused block carries are the tensor's to set: writes and reads work as usual.
            b.fill_(2.5);
            assertEquals(2.5 * BIG, b.sum().item(), 0.0);
        }
    }

    @Test
    void repeatedStepsKeepTheFootprintFlat() {
        CpuMemoryCache.empty();
        long misses = CpuMemoryCache.stats().misses();
        for (int step = 0; step < 50; step++) {
            try (var scope = TensorScope.open()) {
                Tensor x = Tensor.randn(64, 128, 8, 8);       // 2 MiB
                Tensor y = x.mul(2).add(x).relu();            // temporaries of the same size
                assertEquals(3 * x.numel(), y.mul(0).add(3).sum().item(), 1e-3);
            }
        }
        CpuMemoryCache.Stats s = CpuMemoryCache.stats();
        assertTrue(s.misses() - misses <= 6, "new blocks after the first step: " + (s.misses() - misses));
        assertEquals(0, s.liveBytes(), "nothing cached is in use once every tensor is closed");
    }

    @Test
    void theIdleLimitBoundsWhatIsKept() {
        CpuMemoryCache.empty();
        CpuMemoryCache.setIdleLimit(BIG * 4 + (1 << 20));   // room for one block
        Tensor a = Tensor.empty(BIG);
        Tensor b = Tensor.empty(BIG);
        a.close();
        b.close();
        assertEquals(BIG * 4, CpuMemoryCache.stats().idleBytes(), "the second block did not fit and was freed");
        CpuMemoryCache.setIdleLimit(0);
        assertEquals(0, CpuMemoryCache.stats().idleBytes(), "a lower limit frees idle blocks at once");
        try (Tensor c = Tensor.empty(BIG)) {
            assertEquals(BIG, c.numel());
        }
        assertEquals(0, CpuMemoryCache.stats().idleBytes(), "limit 0 keeps nothing");
        assertThrows(IllegalArgumentException.class, () -> CpuMemoryCache.setIdleLimit(-1));
    }

    @Test
    void smallTensorsStayWithMalloc() {
        CpuMemoryCache.empty();
        CpuMemoryCache.Stats before = CpuMemoryCache.stats();
        try (Tensor small = Tensor.ones(1000); var scope = TensorScope.open()) {
            assertEquals(1000, small.sum().item(), 0.0);
        }
        CpuMemoryCache.Stats after = CpuMemoryCache.stats();
        assertEquals(before.hits() + before.misses(), after.hits() + after.misses());
    }

    @Test
    void mallocArenasCanBeCappedOnGlibcAndACapMustBePositive() {
        // 64 arenas is more than glibc creates on its own below 8 cores, so the test process is left as it was.
        assertTrue(CpuMemoryCache.limitMallocArenas(64), "Debian's C library is glibc");
        IllegalArgumentException zero = assertThrows(IllegalArgumentException.class,
                () -> CpuMemoryCache.limitMallocArenas(0));
        assertTrue(zero.getMessage().contains("positive"), zero.getMessage());
    }
}
