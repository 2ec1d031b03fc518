package org.amdim.tensor.distributed;

import static org.junit.jupiter.api.Assertions.*;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.amdim.bindings.TorchException;
import org.amdim.tensor.CudaAssumptions;
import org.amdim.tensor.Device;
import org.amdim.tensor.NoLeaks;
import org.amdim.tensor.Tensor;
import org.amdim.tensor.TensorScope;
import org.amdim.tensor.Torch;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** A process group within this JVM: a group of one, argument checks, the rendezvous timeout, the environment. */
@ExtendWith(NoLeaks.class)
class ProcessGroupTest {
    private static ProcessGroup single() {
        return ProcessGroup.init(Backend.GLOO, 0, 1, "127.0.0.1", RankProcesses.freePort(), Duration.ofSeconds(10));
    }

    @Test
    void glooIsBuiltInAndNcclNeedsCuda() {
        assertTrue(Backend.GLOO.isAvailable(), "the shim must be built with the gloo headers (libgloo-dev)");
        assertEquals(Backend.NCCL, Backend.parse(" NCCL "));
        assertThrows(IllegalArgumentException.class, () -> Backend.parse("mpi"));
    }

    @Test
    void aGroupOfOneIsTheIdentity() {
        try (ProcessGroup pg = single(); var scope = TensorScope.open()) {
            assertEquals(0, pg.rank());
            assertEquals(1, pg.worldSize());
            Tensor a = Tensor.of(new float[] {1, 2, 3}, 3);
            pg.allReduceSum(a);
            pg.allReduceMean(a);
            pg.broadcast(a, 0);
            assertArrayEquals(new float[] {1, 2, 3}, a.toFloatArray());
            Tensor g = pg.allGather(a);
            assertArrayEquals(new float[] {1, 2, 3}, g.toFloatArray());
            Tensor x = Tensor.of(new double[] {1, 2}, 2).requiresGrad(true);
            Tensor y = pg.allGatherWithGrad(x);
            y.square().sum().backward();
            assertArrayEquals(new double[] {2, 4}, x.grad().toDoubleArray(), "a group of one: gradient unscaled");
            assertEquals(1, pg.allGatherList(a).size());
            pg.barrier();
        }
    }

    @Test
    void anNcclGroupOfOneReducesOnTheGpu() {
        CudaAssumptions.assumeCuda();
        Assumptions.assumeTrue(Backend.NCCL.isAvailable(), "the shim was built without nccl.h");
        try (ProcessGroup pg = ProcessGroup.init(Backend.NCCL, 0, 1, "127.0.0.1", RankProcesses.freePort(),
                Duration.ofSeconds(30)); var scope = TensorScope.open()) {
            Tensor a = Tensor.of(new float[] {1, 2, 3}, 3).to(Device.cuda(0));
            pg.allReduceSum(a);
            pg.broadcast(a, 0);
            assertEquals(Device.cuda(0), a.device());
            assertArrayEquals(new float[] {1, 2, 3}, a.toFloatArray());
            assertArrayEquals(new float[] {1, 2, 3}, pg.allGather(a).toFloatArray());
            pg.barrier();
        }
    }

    @Test
    void averagingIntegersIsRefused() {
        try (ProcessGroup pg = single(); var scope = TensorScope.open()) {
            Tensor i = Tensor.of(new long[] {1, 2}, 2);
            TorchException e = assertThrows(TorchException.class, () -> pg.allReduceMean(i));
            assertTrue(e.getMessage().contains("floating-point"), e.getMessage());
        }
    }

    @Test
    void argumentsAreChecked() {
        assertThrows(IllegalArgumentException.class,
                () -> ProcessGroup.init(Backend.GLOO, 2, 2, "127.0.0.1", 1234, Duration.ofSeconds(1)));
        assertThrows(IllegalArgumentException.class,
                () -> ProcessGroup.init(Backend.GLOO, 0, 1, "127.0.0.1", 0, Duration.ofSeconds(1)));
        assertThrows(IllegalArgumentException.class,
                () -> ProcessGroup.init(Backend.GLOO, 0, 1, "127.0.0.1", 1234, Duration.ZERO));
        ProcessGroup pg = single();
        pg.close();
        pg.close();
        assertThrows(IllegalStateException.class, pg::barrier);
        try (var scope = TensorScope.open(); ProcessGroup g = single()) {
            assertThrows(IllegalArgumentException.class, () -> g.broadcast(List.of(Tensor.ones(1)), 1));
        }
    }

    @Test
    void aMissingPeerEndsTheRendezvousAfterTheTimeout() {
        long t0 = System.nanoTime();
        TorchException e = assertThrows(TorchException.class, () -> ProcessGroup.init(Backend.GLOO, 0, 2,
                "127.0.0.1", RankProcesses.freePort(), Duration.ofMillis(1500)));
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertTrue(e.getMessage().contains("cannot create the gloo process group"), e.getMessage());
        assertTrue(ms >= 1000 && ms < 8000, "rendezvous failed after " + ms + " ms with a 1.5 s timeout");
    }

    @Test
    void theEnvironmentIsReadAsTorchDistributedDoes() {
        var s = ProcessGroup.EnvSpec.parse(Map.of("RANK", "1", "WORLD_SIZE", "4", "MASTER_ADDR", "10.0.0.1",
                "MASTER_PORT", "29500"));
        assertEquals(new ProcessGroup.EnvSpec(1, 4, 1, "10.0.0.1", 29500), s);
        assertEquals(2, ProcessGroup.EnvSpec.parse(Map.of("RANK", "1", "WORLD_SIZE", "4", "LOCAL_RANK", "2",
                "MASTER_ADDR", "h", "MASTER_PORT", "1")).localRank());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ProcessGroup.EnvSpec.parse(Map.of("RANK", "0", "WORLD_SIZE", "1", "MASTER_ADDR", "h")));
        assertTrue(e.getMessage().contains("MASTER_PORT"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> ProcessGroup.EnvSpec.parse(Map.of("RANK", "x")));
    }
}
