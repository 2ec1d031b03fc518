package org.amdim.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * A {@link FusedNet} computes the same whether a run takes one thread or two. With OpenMP's idle threads asleep
 * (OMP_WAIT_POLICY=PASSIVE, no GOMP_SPINCOUNT) runs below the shim's threshold (256 MFLOP) take one thread, so
 * its plan is built and run under a changed thread count; with spinning threads every run takes libtorch's.
 * Both settings are read once per process, hence a child JVM each.
 */
class FusedNetThreadsTest {
    @Test
    void smallAndLargeRunsAreRightWithSleepingAndWithSpinningThreads() throws Exception {
        Assumptions.assumeTrue(FusedNet.available(), "the shim was built without oneDNN's headers");
        for (Map<String, String> env : List.of(Map.of("OMP_WAIT_POLICY", "PASSIVE", "GOMP_SPINCOUNT", ""),
                Map.of("OMP_WAIT_POLICY", "PASSIVE", "GOMP_SPINCOUNT", "1000"))) {
            ChildJvm.Result r = ChildJvm.run(Runs.class, env, List.of(), 120);
            assertTrue(r.finished(), "the child did not finish with " + env);
            assertEquals(0, r.exitCode(), env + "\n" + r.output());
            assertTrue(r.output().contains("batch 1 ok") && r.output().contains("batch 8 ok"), r.output());
        }
    }

    /**
     * The child: a 3×3 convolution with ReLU, 64 → 64 channels on 32×32 (2·64·64·9·30·30 ≈ 66 MFLOP per image),
     * run on 1 image (below the threshold) and on 8 (above), each against libtorch's convolution within float32
     * rounding: 2·n·u of the largest |w|·|x| sum, n = 64·9 + 1 products and roundings per output.
     */
    public static final class Runs {
        public static void main(String[] args) {
            Torch.setNumThreads(2);
            Torch.manualSeed(5);
            try (var scope = TensorScope.open()) {
                Tensor w = Tensor.randn(64, 64, 3, 3);
                try (FusedNet net = FusedNet.builder(64, 32, 32).conv(w, null, 1, 0, true).build()) {
                    for (int batch : new int[] {1, 8, 1}) {
                        Tensor x = Tensor.randn(batch, 64, 32, 32);
                        Tensor expected = Functional.conv2d(x, w, null, 1, 0).relu();
                        Tensor magnitude = Functional.conv2d(x.abs(), w.abs(), null, 1, 0);
                        double allowance = 2 * (64 * 9 + 1) * 0x1p-24 * Closeness.maxAbs(magnitude);
                        Closeness.assertWithin("batch " + batch, net.apply(x), expected, allowance, 0);
                        System.out.println("batch " + batch + " ok");
                    }
                }
            }
        }
    }
}
