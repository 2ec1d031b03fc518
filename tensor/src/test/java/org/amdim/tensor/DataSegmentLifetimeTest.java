package org.amdim.tensor;

import static org.junit.jupiter.api.Assertions.*;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** A segment from {@link Tensor#dataSegment()} dies with its tensor: reads after close throw, never crash. */
@ExtendWith(NoLeaks.class)
class DataSegmentLifetimeTest {
    /** 8 MiB of float32: above glibc's mmap threshold, so a freed block is unmapped when the cache keeps none. */
    private static final long BIG = 2L << 20;

    @Test
    void readingAfterCloseThrows() {
        MemorySegment data;
        try (Tensor t = Tensor.ones(4)) {
            data = t.dataSegment();
            assertEquals(1f, data.getAtIndex(ValueLayout.JAVA_FLOAT, 3));
        }
        assertThrows(IllegalStateException.class, () -> data.getAtIndex(ValueLayout.JAVA_FLOAT, 0));
    }

    @Test
    void writesWhileOpenReachTheTensorAndEverySegmentDiesAtClose() {
        MemorySegment first;
        MemorySegment second;
        try (Tensor t = Tensor.zeros(3)) {
            first = t.dataSegment();
            second = t.dataSegment();
            first.setAtIndex(ValueLayout.JAVA_FLOAT, 1, 7f);
            assertArrayEquals(new float[] {0, 7, 0}, t.toFloatArray());
        }
        assertThrows(IllegalStateException.class, () -> first.get(ValueLayout.JAVA_BYTE, 0));
        assertThrows(IllegalStateException.class, () -> second.get(ValueLayout.JAVA_BYTE, 0));
    }

    @Test
    void aScopeClosingItsTensorsEndsTheirSegments() {
        MemorySegment data;
        try (var scope = TensorScope.open()) {
            data = Tensor.ones(2).dataSegment();
        }
        assertThrows(IllegalStateException.class, () -> data.get(ValueLayout.JAVA_BYTE, 0));
    }

    /**
     * With no idle cache the freed block is unmapped, so a read through a stale segment would be a SIGSEGV: run it
     * in a child JVM so that a crash fails this test rather than the whole run.
     */
    @Test
    void aReadAfterCloseOfAnUnmappedBlockThrowsInsteadOfCrashing(@TempDir Path dir) throws Exception {
        // A crash report goes to the temporary directory, not into the module's working directory; no idle cache
        // comes after the inherited settings, so that it wins.
        ChildJvm.Result r = ChildJvm.run(ReadAfterClose.class, Map.of(), List.of(
                "-XX:ErrorFile=" + dir.resolve("hs_err_%p.log"), "-Damdim.cpuCache.idleBytes=0"), 120);
        assertTrue(r.finished(), "the child JVM hung:\n" + r.output());
        assertEquals(0, r.exitCode(), "the child JVM (exit 134 or 139 is a crash):\n" + r.output());
        assertTrue(r.output().contains("IllegalStateException"), r.output());
    }

    /** The child: reads an unmapped tensor's segment; exit 0 when that throws, 3 when it reads stale memory. */
    public static final class ReadAfterClose {
        public static void main(String[] args) {
            MemorySegment data;
            try (Tensor t = Tensor.ones(BIG)) {
                data = t.dataSegment();
            }
            try {
                float v = data.getAtIndex(ValueLayout.JAVA_FLOAT, BIG / 2);
                System.out.println("read " + v + " from a closed tensor");
                System.exit(3);
            } catch (IllegalStateException e) {
                System.out.println("IllegalStateException: " + e.getMessage());
            }
        }
    }
}
