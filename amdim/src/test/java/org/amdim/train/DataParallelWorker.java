package org.amdim.train;

import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.amdim.model.AmdimModel;
import org.amdim.model.StepOutput;
import org.amdim.nn.io.TensorFiles;
import org.amdim.nn.optim.Sgd;
import org.amdim.tensor.Autograd;
import org.amdim.tensor.DType;
import org.amdim.tensor.Device;
import org.amdim.tensor.Tensor;
import org.amdim.tensor.TensorScope;
import org.amdim.tensor.Torch;
import org.amdim.tensor.distributed.WorkerExit;

/**
 * One rank of {@link DataParallelStepTest}: a few data-parallel training steps on fixed random images, recording each
 * step's loss and averaged gradients (SGD steps) and the final parameters in {@code <dir>/rank<r>.safetensors}. Rank 1 starts
 * from different parameters, which {@link DataParallel#broadcastState} must replace by rank 0's.
 */
public final class DataParallelWorker {
    static final int STEPS = 3;
    static final int PER_RANK = 8;
    static final int WORLD = 2;

    private DataParallelWorker() {
    }

    static TrainConfig config() {
        return DistributedTrainerTest.tiny(Path.of("unused"), 64, STEPS);
    }

    /**
     * Plain SGD: its update is linear in the gradient, so float-rounding differences between the runs stay that
     * small over the steps (Adam's normalisation would turn them into lr-sized steps for gradients near zero).
     */
    static Sgd optimizer(AmdimModel model) {
        return new Sgd(model.paramGroups(0.05, 0), 0, 0, false);
    }

    /** The fixed inputs of the whole global batch: x1, x2 (WORLD·PER_RANK, 3, 32, 32) and labels. */
    static Tensor[] inputs() {
        Torch.manualSeed(11);
        int n = WORLD * PER_RANK;
        return new Tensor[] {Tensor.randn(n, 3, 32, 32), Tensor.randn(n, 3, 32, 32),
            Tensor.randint(0, 10, DType.INT64, Device.CPU, n)};
    }

    /** The seed set before step {@code k}'s forward pass (the classifiers' dropout). */
    static long stepSeed(int k) {
        return 100 + k;
    }

    /** Runs the steps; {@code args[0]} is the output directory. Exits 0 on success. */
    public static void main(String[] args) {
        WorkerExit.runThenHalt(() -> run(Path.of(args[0])));
    }

    private static void run(Path dir) throws Exception {
        Torch.setNumThreads(1);
        TrainConfig c = config();
        DistributedConfig dc = DistributedConfig.fromEnvironment(System.getenv()).withTimeout(Duration.ofSeconds(30));
        try (DataParallel dp = DataParallel.join(dc);
                AmdimModel model = Trainer.buildModel(dp.rank() == 0 ? c : c.toBuilder().seed(c.seed() + 1).build());
                Sgd sgd = DataParallelWorker.optimizer(model);
                var scope = TensorScope.open()) {
            int r = dp.rank();
            dp.broadcastState(model);
            model.train();
            Tensor[] in = inputs();
            Tensor x1 = in[0].narrow(0, (long) r * PER_RANK, PER_RANK);
            Tensor x2 = in[1].narrow(0, (long) r * PER_RANK, PER_RANK);
            Tensor labels = in[2].narrow(0, (long) r * PER_RANK, PER_RANK);
            Map<String, Tensor> record = new LinkedHashMap<>();
            List<String> names = List.copyOf(model.namedParameters().keySet());
            for (int k = 0; k < STEPS; k++) {
                Torch.manualSeed(stepSeed(k));
                long[][] src = TrainingStep.sourceLocations(c.seed(), k, WORLD * PER_RANK);
                try (StepOutput out = model.forwardStep(x1, x2, labels, src[0], src[1], dp)) {
                    sgd.zeroGrad();
                    out.lossOpt().backward();
                    dp.averageGradients(model.parameters());
                    record.put("loss" + k, out.lossOpt().detach().reshape(1));
                    record.put("g2l" + k, out.lossG2l().detach().reshape(1));
                    for (String name : names) {
                        Tensor g = model.namedParameters().get(name).grad();
                        if (g != null) {
                            record.put("grad" + k + "." + name, g.clone());
                        }
                    }
                    sgd.step();
                }
            }
            try (var ng = Autograd.noGrad()) {
                model.namedParameters().forEach((name, p) -> record.put("param." + name, p.clone()));
            }
            TensorFiles.save(dir.resolve("rank" + r + ".safetensors"), record, Map.of());
            System.out.println("rank " + r + " done, communication " + dp.communicationNanos() / 1_000_000 + " ms");
        }
    }
}
