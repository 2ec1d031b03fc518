package org.amdim.train;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Path;
import java.util.List;

import org.amdim.model.AmdimModel;
import org.amdim.model.StepOutput;
import org.amdim.nn.io.TensorFiles;
import org.amdim.nn.optim.Adam;
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
                Adam adam = new Adam(model.paramGroups(c.lr(), c.weightDecay()),
                        new Adam.Options(c.beta1(), c.beta2(), c.eps(), false, false));
                var scope = TensorScope.open()) {
            // the replicas are identical: rank 1 started elsewhere, was broadcast rank 0's state, then applied the
            // same averaged gradients
            for (var e : rank0.tensors().entrySet()) {
                assertArrayEquals(e.getValue().toFloatArray(), rank1.get(e.getKey()).toFloatArray(), 0f,
                        "ranks differ in " + e.getKey());
            }
            model.train();
            Tensor[] in = DataParallelWorker.inputs();
            List<Tensor> x1 = List.of(in[0].narrow(0, 0, n), in[0].narrow(0, n, n));
            List<Tensor> x2 = List.of(in[1].narrow(0, 0, n), in[1].narrow(0, n, n));
            int checked = 0;
            for (int k = 0; k < DataParallelWorker.STEPS; k++) {
                Torch.manualSeed(DataParallelWorker.stepSeed(k));
                long[][] src = Trainer.sourceLocations(c.seed(), k, 2 * n);
                try (StepOutput out = ShardedReference.forward(model, x1, x2, in[2], src[0], src[1])) {
                    adam.zeroGrad();
                    out.lossOpt().backward();
                    double loss = out.lossOpt().item();
                    assertEquals(loss, rank0.get("loss" + k).item(), 1e-5 * Math.abs(loss), "loss of step " + k);
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
                            assertArrayEquals(want, got, (float) (1e-4 * scale + 1e-7), key);
                            checked++;
                        }
                    }
                    adam.step();
                }
            }
            assertTrue(checked > 30, "gradients compared: " + checked);
        }
        assertEquals(live, Tensor.liveHandles(), "the reference leaves no native tensors behind");
    }
}
