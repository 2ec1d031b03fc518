package org.amdim.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;

import org.amdim.model.AmdimModel;
import org.amdim.model.encoder.EncoderConfig;
import org.amdim.nn.optim.Adam;
import org.amdim.nn.optim.GradScaler;
import org.amdim.tensor.Autograd;
import org.amdim.tensor.NoLeaks;
import org.amdim.tensor.Tensor;
import org.amdim.tensor.TensorScope;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** One training step driven alone, without a loader, a run directory or the loop around it. */
@ExtendWith(NoLeaks.class)
class TrainingStepTest {
    private static final TrainConfig CONFIG = TrainConfig.builder()
            .encoder(new EncoderConfig(32, 8, 32, 2, false)).batchSize(4).build();

    @Test
    void aFiniteLossUpdatesTheWeightsAndReportsTheMetricsWhenAsked() {
        try (AmdimModel model = Trainer.buildModel(CONFIG); Adam adam = adam(model); var scope = TensorScope.open();
                DeviceBatch batch = batch()) {
            model.train();
            Tensor first = model.parameters().getFirst();
            float[] before = first.toFloatArray();
            TrainingStep step = new TrainingStep(CONFIG, model, adam, scaler(), null);
            TrainingStep.Result r = step.run(batch, 0, true);
            assertTrue(Double.isFinite(r.loss()) && !r.diverged() && r.updated(), r.toString());
            assertFalse(Arrays.equals(before, first.toFloatArray()), "the optimizer stepped");
            assertNotNull(r.row());
            assertTrue(r.row().keySet().containsAll(java.util.List.of("loss_opt", "loss_1t5", "acc_mlp")), r.row()
                    .toString());
            assertNull(step.run(batch, 1, false).row(), "no metrics when not asked");
        }
    }

    @Test
    void aNonFiniteLossLeavesTheWeightsAsTheyWere() {
        try (AmdimModel model = Trainer.buildModel(CONFIG); Adam adam = adam(model); var scope = TensorScope.open();
                DeviceBatch batch = batch()) {
            model.train();
            Tensor first = model.parameters().getFirst();
            try (var noGrad = Autograd.noGrad()) {
                first.fill_(Double.NaN);
            }
            Tensor other = model.parameters().getLast();
            float[] before = other.toFloatArray();
            TrainingStep.Result r = new TrainingStep(CONFIG, model, adam, scaler(), null).run(batch, 0, false);
            assertTrue(r.diverged() && !r.updated(), r.toString());
            assertArrayEquals(before, other.toFloatArray(), "no update reached the weights");
        }
    }

    private static Adam adam(AmdimModel model) {
        return new Adam(model.paramGroups(CONFIG.lr(), CONFIG.weightDecay()),
                new Adam.Options(CONFIG.beta1(), CONFIG.beta2(), CONFIG.eps(), false, false));
    }

    private static GradScaler scaler() {
        return new GradScaler(GradScaler.Options.defaults().withEnabled(false));
    }

    private static DeviceBatch batch() {
        return new DeviceBatch(Tensor.randn(4, 3, 32, 32), Tensor.randn(4, 3, 32, 32),
                Tensor.of(new long[] {0, 1, 2, 3}, 4));
    }
}
