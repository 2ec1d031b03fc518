package org.amdim.model;

import org.amdim.model.encoder.EncoderConfig;
import org.amdim.model.nce.MultiScaleNceLoss;
import org.amdim.model.nce.NceLosses;
import org.amdim.model.nce.NceScores;
import org.amdim.tensor.CpuKernelAssumptions;
import org.amdim.tensor.NoLeaks;

import static org.junit.jupiter.api.Assertions.*;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.amdim.nn.io.NamedTensors;
import org.amdim.tensor.Autocast;
import org.amdim.tensor.DType;
import org.amdim.tensor.Device;
import org.amdim.tensor.Tensor;
import org.amdim.tensor.TensorScope;
import org.amdim.tensor.Torch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The model under CPU bfloat16 autocast: the NCE scores stay float32 (bit for bit the float32 computation),
 * the encoder runs in bfloat16, and a whole training step stays close to the original's float32 step.
 */
@ExtendWith(NoLeaks.class)
class MixedPrecisionTest {
    private static final String[] INPUTS = {"r1_x1", "r5_x1", "r7_x1", "r1_x2", "r5_x2", "r7_x2"};

    private static Autocast bf16() {
        return Autocast.enable(Device.Type.CPU, DType.BFLOAT16);
    }

    private static double[] terms(NceLosses l) {
        return new double[] {l.loss1t5().item(), l.loss1t7().item(), l.loss5t5().item(), l.lgtReg().item()};
    }

    @Test
    void nceUnderAutocastIsTheFloat32ComputationBitForBit() {
        try (NamedTensors ref = Close.reference("nce_loss.safetensors");
                MultiScaleNceLoss nce = new MultiScaleNceLoss(20.0, 1);
                var scope = TensorScope.open()) {
            List<Tensor> in = new ArrayList<>();
            for (String name : INPUTS) {
                in.add(ref.get(name));
            }
            long[] idx1 = ref.get("src5_idx_x1").toLongArray();
            long[] idx2 = ref.get("src5_idx_x2").toLongArray();
            double[] plain;
            try (NceLosses l = nce.forward(in.get(0), in.get(1), in.get(2), in.get(3), in.get(4), in.get(5), idx1,
                    idx2)) {
                plain = terms(l);
            }
            NceLosses mixed;
            try (var ac = bf16()) {
                mixed = nce.forward(in.get(0), in.get(1), in.get(2), in.get(3), in.get(4), in.get(5), idx1, idx2);
                assertTrue(Autocast.isEnabled(Device.Type.CPU), "the NCE's float32 island is closed again");
            }
            try (mixed) {
                assertEquals(DType.FLOAT32, mixed.loss1t5().dtype());
                assertEquals(DType.FLOAT32, mixed.lgtReg().dtype());
                assertArrayEquals(plain, terms(mixed), 0.0);
                Close.checkScalar("nce under autocast loss_1t5", mixed.loss1t5().item(), ref.get("loss_1t5").item(),
                        1e-5);
            }
        }
    }

    @Test
    void lowPrecisionFeaturesAreWidenedBeforeTheScores() {
        Torch.manualSeed(3);
        try (var scope = TensorScope.open()) {
            Tensor src = Tensor.randn(4, 16).to(DType.BFLOAT16);
            Tensor trg = Tensor.randn(4, 16, 3, 3).to(DType.BFLOAT16);
            try (NceScores expected = NceScores.compute(src.to(DType.FLOAT32), trg.to(DType.FLOAT32), 20.0)) {
                NceScores got;
                try (var ac = bf16()) {
                    got = NceScores.compute(src, trg, 20.0);
                }
                try (got) {
                    assertEquals(DType.FLOAT32, got.nce().dtype());
                    assertArrayEquals(expected.nce().toFloatArray(), got.nce().toFloatArray(), 0f);
                    assertEquals(expected.lgtReg().item(), got.lgtReg().item(), 0.0);
                }
            }
            // float64 inputs (the finite-difference checks) are left in float64
            try (NceScores d = NceScores.compute(src.to(DType.FLOAT64), trg.to(DType.FLOAT64), 20.0)) {
                assertEquals(DType.FLOAT64, d.nce().dtype());
            }
        }
    }

    @Test
    void aTrainingStepUnderBfloat16StaysCloseToTheOriginalFloat32Step() {
        CpuKernelAssumptions.assumeBfloat16Convolutions();
        Torch.manualSeed(41);
        try (NamedTensors ref = Close.reference("train_step.safetensors");
                AmdimModel model = AmdimModel.create(
                        AmdimConfig.of(new EncoderConfig(32, 8, 32, 2, false), 10).withEvaluatorDropout(0.0));
                var scope = TensorScope.open()) {
            model.loadStateDict(ref.withPrefix("before."), true);
            model.train();
            long[] idx1 = ref.get("src5_idx_x1").toLongArray();
            long[] idx2 = ref.get("src5_idx_x2").toLongArray();
            StepOutput step;
            try (var ac = bf16()) {
                step = model.forwardStep(ref.get("x1"), ref.get("x2"), ref.get("labels"), idx1, idx2);
            }
            try (step) {
                assertEquals(DType.BFLOAT16, step.view1().r7().dtype(), "the encoder ran in bfloat16");
                assertEquals(DType.FLOAT32, step.nce().loss1t7().dtype(), "the NCE terms are float32");
                // bfloat16 keeps 8 significant bits; through the encoder the losses move by ~0.03% here (the
                // regulariser, a mean of squared scores, by ~0.6%): the bounds leave room for other CPUs' kernels
                Close.checkScalar("bf16 step loss_g2l", step.lossG2l().item(), ref.get("loss_g2l").item(), 5e-3);
                Close.checkScalar("bf16 step lgt_reg", step.nce().lgtReg().item(), ref.get("lgt_reg").item(), 3e-2);
                Close.checkScalar("bf16 step loss_opt", step.lossOpt().item(), ref.get("loss_opt").item(), 5e-3);
                assertNotEquals(ref.get("loss_g2l").item(), step.lossG2l().item(), "bfloat16 changes the result");
                step.lossOpt().backward();
            }
            int withGrad = 0;
            for (Map.Entry<String, Tensor> e : model.namedParameters().entrySet()) {
                try (Tensor g = e.getValue().grad()) {
                    if (g != null) {
                        withGrad++;
                        assertEquals(DType.FLOAT32, g.dtype(), e.getKey());
                        assertTrue(Double.isFinite(g.abs().max().item()), e.getKey());
                    }
                }
            }
            assertTrue(withGrad > 0);
        }
    }
}
