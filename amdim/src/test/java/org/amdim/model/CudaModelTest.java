package org.amdim.model;

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
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The model on a CUDA device against the original's reference vectors. Skipped, with the reason, without one.
 *
 * <p>Tolerances are wider than on the CPU: cuDNN runs float32 convolutions in TF32 on Ampere and later GPUs by
 * default (10-bit mantissa), and GPU reductions add in another order. Every check prints its margin.
 */
@ExtendWith(NoLeaks.class)
class CudaModelTest {
    private static final Device GPU = Device.cuda(0);
    private static final String[] INPUTS = {"r1_x1", "r5_x1", "r7_x1", "r1_x2", "r5_x2", "r7_x2"};

    @BeforeEach
    void needsCuda() {
        Assumptions.assumeTrue(Torch.cudaIsAvailable(), "no CUDA device: libtorch " + Torch.version()
                + (Torch.builtWithCuda() ? " has CUDA support but sees no device" : " was built without CUDA"));
    }

    private static AmdimModel referenceModel(NamedTensors ref) {
        AmdimModel model = AmdimModel.create(
                AmdimConfig.of(new EncoderConfig(32, 8, 32, 2, false), 10).withEvaluatorDropout(0.0));
        model.loadStateDict(ref.withPrefix("before."), true);
        return model;
    }

    @Test
    void theModelMovesToTheGpuWithEveryTensorAndBackUnchanged() {
        Torch.manualSeed(41);
        try (NamedTensors ref = Close.reference("train_step.safetensors"); AmdimModel model = referenceModel(ref);
                var scope = TensorScope.open()) {
            model.to(GPU);
            for (var e : model.stateDict().entrySet()) {
                assertEquals(GPU, e.getValue().device(), e.getKey());
                Tensor expected = ref.get("before." + e.getKey());
                assertArrayEquals(expected.toDoubleArray(), e.getValue().toDoubleArray(), 0.0, e.getKey());
            }
            model.to(Device.CPU);
            for (var e : model.stateDict().entrySet()) {
                assertEquals(Device.CPU, e.getValue().device(), e.getKey());
            }
        }
    }

    @Test
    void nceTermsAndInputGradientsMatchTheOriginalOnTheGpu() {
        try (NamedTensors ref = Close.reference("nce_loss.safetensors");
                MultiScaleNceLoss nce = new MultiScaleNceLoss(20.0, 1);
                var scope = TensorScope.open()) {
            nce.to(GPU);
            List<Tensor> in = new ArrayList<>();
            for (String name : INPUTS) {
                in.add(ref.get(name).to(GPU).requiresGrad(true));
            }
            long[] idx1 = ref.get("src5_idx_x1").toLongArray();
            long[] idx2 = ref.get("src5_idx_x2").toLongArray();
            try (NceLosses l = nce.forward(in.get(0), in.get(1), in.get(2), in.get(3), in.get(4), in.get(5), idx1,
                    idx2)) {
                assertEquals(GPU, l.loss1t5().device());
                Close.checkScalar("cuda nce loss_1t5", l.loss1t5().item(), ref.get("loss_1t5").item(), 1e-4);
                Close.checkScalar("cuda nce loss_1t7", l.loss1t7().item(), ref.get("loss_1t7").item(), 1e-4);
                Close.checkScalar("cuda nce loss_5t5", l.loss5t5().item(), ref.get("loss_5t5").item(), 1e-4);
                Close.checkScalar("cuda nce lgt_reg", l.lgtReg().item(), ref.get("lgt_reg").item(), 1e-4);
                l.total().backward();
            }
            for (int i = 0; i < INPUTS.length; i++) {
                Tensor expected = ref.get("grad_" + INPUTS[i]);
                Close.check("cuda nce grad_" + INPUTS[i], in.get(i).grad(), expected, 1e-4 * Close.maxAbs(expected),
                        0);
            }
        }
    }

    @Test
    void aTrainingStepMatchesTheOriginalOnTheGpuInFloat32AndStaysCloseUnderFloat16() {
        Torch.manualSeed(41);
        try (NamedTensors ref = Close.reference("train_step.safetensors"); AmdimModel model = referenceModel(ref);
                var scope = TensorScope.open()) {
            model.to(GPU);
            model.train();
            Tensor x1 = ref.get("x1").to(GPU);
            Tensor x2 = ref.get("x2").to(GPU);
            Tensor labels = ref.get("labels").to(GPU);
            long[] idx1 = ref.get("src5_idx_x1").toLongArray();
            long[] idx2 = ref.get("src5_idx_x2").toLongArray();
            try (StepOutput step = model.forwardStep(x1, x2, labels, idx1, idx2)) {
                Close.checkScalar("cuda step loss_g2l", step.lossG2l().item(), ref.get("loss_g2l").item(), 5e-3);
                Close.checkScalar("cuda step loss_opt", step.lossOpt().item(), ref.get("loss_opt").item(), 5e-3);
                step.lossOpt().backward();
            }
            Map<String, Tensor> grads = ref.withPrefix("grad.");
            double largest = grads.values().stream().mapToDouble(Close::maxAbs).max().orElseThrow();
            for (var e : model.namedParameters().entrySet()) {
                try (Tensor g = e.getValue().grad()) {
                    if (g != null) {
                        Close.check("cuda grad." + e.getKey(), g, grads.get(e.getKey()), 1e-2 * largest, 1e-2);
                    }
                }
            }
            model.zeroGrad();
            // The batch norms were updated by the step above; a second forward in float16 is compared loosely.
            model.loadStateDict(ref.withPrefix("before."), true);
            StepOutput half;
            try (var ac = Autocast.enable(Device.Type.CUDA, DType.FLOAT16)) {
                half = model.forwardStep(x1, x2, labels, idx1, idx2);
            }
            try (half) {
                assertEquals(DType.FLOAT16, half.view1().r7().dtype());
                assertEquals(DType.FLOAT32, half.nce().loss1t5().dtype());
                Close.checkScalar("cuda fp16 step loss_opt", half.lossOpt().item(), ref.get("loss_opt").item(), 2e-2);
            }
        }
    }
}
