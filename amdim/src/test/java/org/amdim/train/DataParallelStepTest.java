package org.amdim.train;

import org.amdim.tensor.distributed.RankProcesses;
import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Path;
import java.util.List;

import org.amdim.model.AmdimModel;
import org.amdim.model.StepOutput;
import org.amdim.nn.io.TensorFiles;
import org.amdim.nn.optim.Sgd;
import org.amdim.tensor.Tensor;
import org.amdim.tensor.TensorScope;
import org.amdim.tensor.Torch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two processes' data-parallel steps against one process on the concatenated batch (batch norm per shard): the same
 * loss, the same averaged gradients at every step (the NCE over the global batch included), identical replicas.
 */
class DataParallelStepTest {
    @Test
    void averagedGradientsEqualTheSingleProcessGradients(@TempDir Path dir) throws Exception {
        List<RankProcesses.Result> rs = RankProcesses.run(DataParallelWorker.class, 2, 90, dir, dir.toString());
        for (RankProcesses.Result r : rs) {
            assertEquals(0, r.exitCode(), r::toString);
        }
        long live = Tensor.liveHandles();
        TrainConfig c = DataParallelWorker.config();
        int n = DataParallelWorker.PER_RANK;
        try (var rank0 = TensorFiles.load(dir.resolve("rank0.safetensors"));
                var rank1 = TensorFiles.load(dir.resolve("rank1.safetensors"));
                AmdimModel model = Trainer.buildModel(c);
                Sgd sgd = DataParallelWorker.optimizer(model);
                var scope = TensorScope.open()) {
            // the replicas are identical: rank 1 started elsewhere, was broadcast rank 0's state, then applied the
            // same averaged gradients
            for (var e : rank0.tensors().entrySet()) {
                assertArrayEquals(e.getValue().toFloatArray(), rank1.get(e.getKey()).toFloatArray(), 0f,
                        "ranks differ in " + e.getKey());
            }
            model.train();
            Tensor[] in = DataParallelWorker.inputs();
            controlLocalNegatives(c, in, rank0.get("g2l0").item());
            List<Tensor> x1 = List.of(in[0].narrow(0, 0, n), in[0].narrow(0, n, n));
            List<Tensor> x2 = List.of(in[1].narrow(0, 0, n), in[1].narrow(0, n, n));
            int checked = 0;
            double diff2 = 0;
            double norm2 = 0;
            for (int k = 0; k < DataParallelWorker.STEPS; k++) {
                Torch.manualSeed(DataParallelWorker.stepSeed(k));
                long[][] src = Trainer.sourceLocations(c.seed(), k, 2 * n);
                try (StepOutput out = ShardedReference.forward(model, x1, x2, in[2], src[0], src[1])) {
                    sgd.zeroGrad();
                    out.lossOpt().backward();
                    double loss = out.lossOpt().item();
                    assertEquals(loss, rank0.get("loss" + k).item(), 1e-5 * Math.abs(loss), "loss of step " + k);
                    double g2l = out.lossG2l().item();
                    assertEquals(g2l, rank0.get("g2l" + k).item(), 1e-5 * Math.abs(g2l), "NCE loss of step " + k);
                    double global = 0;
                    for (Tensor p : model.parameters()) {
                        Tensor g = p.grad();
                        if (g != null) {
                            global = Math.max(global, g.abs().max().item());
                        }
                    }
                    for (var e : model.namedParameters().entrySet()) {
                        Tensor g = e.getValue().grad();
                        String key = "grad" + k + "." + e.getKey();
                        assertEquals(g != null, rank0.contains(key), key);
                        if (g != null) {
                            float[] want = g.toFloatArray();
                            float[] got = rank0.get(key).toFloatArray();
                            double scale = 0;
                            for (float v : want) {
                                scale = Math.max(scale, Math.abs(v));
                            }
                            // Relative to the tensor; gradients that are rounding noise around 0 (the biases
                            // just before a batch norm: about 1e-5 of the largest gradient) only to that level.
                            double tol = scale > 1e-3 * global ? 2e-4 * scale : 2e-5 * global;
                            assertArrayEquals(want, got, (float) tol, key);
                            diff2 += squaredDiff(want, got);
                            norm2 += squaredDiff(want, new float[want.length]);
                            checked++;
                        }
                    }
                    sgd.step();
                }
            }
            assertTrue(checked > 30, "gradients compared: " + checked);
            assertTrue(Math.sqrt(diff2 / norm2) < 1e-5, "relative distance of all gradients "
                    + Math.sqrt(diff2 / norm2));
        }
        assertEquals(live, Tensor.liveHandles(), "the reference leaves no native tensors behind");
    }

    /**
     * Control: had each process used only its own images as negatives (the mean of the shards' own NCE losses),
     * the NCE loss would be clearly different, so the comparison above does see whether the negatives are global.
     */
    private static void controlLocalNegatives(TrainConfig c, Tensor[] in, double distributedLoss) {
        int n = DataParallelWorker.PER_RANK;
        double mean = 0;
        try (AmdimModel fresh = Trainer.buildModel(c); var scope = TensorScope.open()) {
            fresh.train();
            long[][] src = Trainer.sourceLocations(c.seed(), 0, 2 * n);
            for (int r = 0; r < 2; r++) {
                Torch.manualSeed(DataParallelWorker.stepSeed(0));
                long[] s1 = java.util.Arrays.copyOfRange(src[0], r * n, (r + 1) * n);
                long[] s2 = java.util.Arrays.copyOfRange(src[1], r * n, (r + 1) * n);
                try (StepOutput out = fresh.forwardStep(in[0].narrow(0, r * n, n), in[1].narrow(0, r * n, n),
                        in[2].narrow(0, r * n, n), s1, s2)) {
                    mean += out.lossG2l().item() / 2;
                }
            }
        }
        assertTrue(Math.abs(mean - distributedLoss) > 1e-2 * Math.abs(distributedLoss),
                "local negatives give " + mean + ", the global batch " + distributedLoss);
    }

    private static double squaredDiff(float[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            double d = a[i] - b[i];
            s += d * d;
        }
        return s;
    }
}
