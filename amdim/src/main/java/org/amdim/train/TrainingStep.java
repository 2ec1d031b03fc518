package org.amdim.train;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

import org.amdim.model.AmdimModel;
import org.amdim.model.StepOutput;
import org.amdim.nn.optim.Adam;
import org.amdim.nn.optim.GradScaler;
import org.amdim.tensor.Autocast;
import org.amdim.tensor.Tensor;
import org.amdim.tensor.Torch;

/**
 * One update of the model, as the original's training loop makes it for a batch: the forward pass of both views
 * (under autocast where the run asks for it), backward of the optimised loss (scaled for float16), the gradients
 * averaged over the processes of a data-parallel run, and the optimizer step, unless the loss is not finite (then
 * the weights stay as they were and the caller decides whether to skip or stop). What the step measured comes
 * back as a {@link Result}; the loop around it ({@link Trainer}) owns the schedule, the metrics file, progress
 * and checkpoints.
 *
 * <p>Dropout and the NCE source locations depend only on the run seed and the step ({@link #sourceLocations}),
 * so a resumed run repeats a step exactly.
 */
final class TrainingStep {
    private final TrainConfig config;
    private final AmdimModel model;
    private final Adam optimizer;
    private final GradScaler scaler;
    private final DataParallel dp;
    private final int world;

    /**
     * @param dp the data-parallel group, or null for a single process
     */
    TrainingStep(TrainConfig config, AmdimModel model, Adam optimizer, GradScaler scaler, DataParallel dp) {
        this.config = config;
        this.model = model;
        this.optimizer = optimizer;
        this.scaler = scaler;
        this.dp = dp;
        this.world = dp == null ? 1 : dp.worldSize();
    }

    /**
     * What one step measured.
     *
     * @param loss     the optimised loss (this process's; equal on every process of a data-parallel run)
     * @param diverged the loss was not finite on some process: no update was made
     * @param updated  the optimizer stepped (false when diverged, or when the float16 scaler found non-finite
     *                 gradients and skipped the update)
     * @param row      the step's metrics for {@code metrics.csv} (loss terms and training accuracies), or null when
     *                 not asked for
     */
    record Result(double loss, boolean diverged, boolean updated, Map<String, Double> row) {
    }

    /**
     * Runs the step on a batch already on the run's device.
     *
     * @param batch   the two views and labels
     * @param step    the number of updates before this one (seeds dropout and the NCE source locations)
     * @param wantRow whether to read the step's metrics into {@link Result#row()}
     */
    Result run(DeviceBatch batch, long step, boolean wantRow) {
        // Dropout and the NCE source locations depend only on (seed, step): exact resume.
        Torch.manualSeed(StepSeeds.of(config.seed(), step));
        long[][] src = sourceLocations(config.seed(), step, (int) batch.size() * world);
        StepOutput forward;
        try (Autocast ac = autocast(config)) {
            forward = dp == null
                    ? model.forwardStep(batch.x1(), batch.x2(), batch.labels(), src[0], src[1])
                    : model.forwardStep(batch.x1(), batch.x2(), batch.labels(), src[0], src[1], dp);
        }
        try (StepOutput out = forward) {
            optimizer.zeroGrad();
            // Without float16 the scaler is a pass-through: backward of the loss itself.
            try (Tensor scaled = scaler.scale(out.lossOpt())) {
                scaled.backward();
            }
            if (dp != null) {
                // Averaged before unscaling, so every rank sees the same inf/NaN verdict and all of them step or
                // skip together.
                dp.averageGradients(model.parameters());
            }
            // Read before the update: a non-finite loss must not reach the weights.
            double loss = out.lossOpt().item();
            boolean diverged = !Double.isFinite(loss);
            if (dp != null) {
                diverged = dp.anyTrue(diverged); // every rank skips or stops together
            }
            boolean updated = false;
            if (!diverged) {
                updated = scaler.step(optimizer);
                scaler.update();
            }
            return new Result(loss, diverged, updated, wantRow ? metricsRow(out) : null);
        }
    }

    /** The step's metrics under the column names of {@code metrics.csv}. */
    private static Map<String, Double> metricsRow(StepOutput out) {
        Map<String, Double> m = out.metrics();
        Map<String, Double> row = new LinkedHashMap<>();
        row.put("loss_opt", m.get("loss_opt"));
        row.put("loss_inf", m.get("loss_inf"));
        row.put("loss_g2l", m.get("loss_g2l"));
        row.put("loss_1t5", m.get("loss_g2l_1t5"));
        row.put("loss_1t7", m.get("loss_g2l_1t7"));
        row.put("loss_5t5", m.get("loss_g2l_5t5"));
        row.put("lgt_reg", m.get("lgt_reg"));
        row.put("loss_cls", m.get("loss_cls"));
        if (m.containsKey("loss_mixture_objective")) {
            row.put("loss_mix", m.get("loss_mixture_objective"));
        }
        row.put("acc_mlp", m.get("train_acc_glb_mlp"));
        row.put("acc_lin", m.get("train_acc_glb_lin"));
        return row;
    }

    /** The forward pass's autocast region for the configured precision, or null (no region) for float32. */
    static Autocast autocast(TrainConfig config) {
        AmpMode amp = config.amp();
        return amp == AmpMode.NONE ? null : Autocast.enable(config.device().type(), amp.dtype());
    }

    /** One 5×5 source location per image and view, drawn from (seed, step). */
    static long[][] sourceLocations(long seed, long step, int batch) {
        SplittableRandom rng = new SplittableRandom(StepSeeds.of(seed, step) ^ 0x5DEECE66DL);
        long[][] out = new long[2][batch];
        for (int v = 0; v < 2; v++) {
            for (int i = 0; i < batch; i++) {
                out[v][i] = rng.nextInt(25);
            }
        }
        return out;
    }

    /** Seeds derived from the run seed and the position. */
    static final class StepSeeds {
        private StepSeeds() {
        }

        static long of(long seed, long step) {
            long z = seed * 0x9E3779B97F4A7C15L + step + 0x632BE59BD9B4E019L;
            z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
            z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
            return z ^ (z >>> 31);
        }
    }
}
