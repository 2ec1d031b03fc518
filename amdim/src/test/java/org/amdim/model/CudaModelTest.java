package org.amdim.model;

import org.amdim.model.encoder.EncoderConfig;
import org.amdim.tensor.NoLeaks;

import static org.junit.jupiter.api.Assertions.*;

import java.util.Map;

import org.amdim.nn.io.NamedTensors;
import org.amdim.tensor.Autocast;
import org.amdim.tensor.CudaAssumptions;
import org.amdim.tensor.DType;
import org.amdim.tensor.Device;
import org.amdim.tensor.Tensor;
import org.amdim.tensor.TensorScope;
import org.amdim.tensor.Torch;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * What only a GPU run has, checked against the original's reference vectors; skipped, with the reason, without a
 * CUDA device. The reference tests proper (encoder, NCE loss, training step) also run on {@code cuda:0} with the
 * CPU's tolerances, in full float32 ({@link ReferenceDevices}); here the model moves between devices, a step runs
 * with libtorch's default settings, which let cuDNN compute float32 convolutions in TF32 (10-bit mantissa) on
 * Ampere and later GPUs, hence the wider tolerances, and a float16 autocast step stays close.
 */
@ExtendWith(NoLeaks.class)
class CudaModelTest {
    private static final Device GPU = Device.cuda(0);

    @BeforeEach
    void needsCuda() {
        CudaAssumptions.assumeCuda();
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
    void aTrainingStepWithTf32ConvolutionsStaysCloseToTheOriginalAndSoDoesFloat16() {
        Torch.manualSeed(41);
        Torch.Tf32 previous = Torch.setTf32(Torch.Tf32.DEFAULT);
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
        } finally {
            Torch.setTf32(previous);
        }
    }
}
