package org.amdim.model.mixture;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;

import org.amdim.model.AmdimConfig;
import org.amdim.model.AmdimModel;
import org.amdim.model.Close;
import org.amdim.model.StepOutput;
import org.amdim.model.encoder.EncoderConfig;
import org.amdim.model.encoder.Features;
import org.amdim.model.nce.NceLosses;
import org.amdim.model.nce.NceScores;
import org.amdim.model.nce.NceTerm;
import org.amdim.tensor.DType;
import org.amdim.tensor.NoLeaks;
import org.amdim.tensor.Tensor;
import org.amdim.tensor.TensorScope;
import org.amdim.tensor.Torch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The mixture objective in the model: it takes the place of the 1→7 term (not added on top of it), with k = 1 it
 * is the 1→7 term of the one mixture feature, and the segmentation read-out of an image does not depend on the
 * other images drawn with it.
 */
@ExtendWith(NoLeaks.class)
class MixtureObjectiveTest {
    private static final long B = 4;

    private static AmdimConfig config(int k, double tau) {
        return AmdimConfig.of(new EncoderConfig(32, 8, 32, 2, false), 10).withEvaluatorDropout(0)
                .withMixture(MixtureConfig.of(k, tau));
    }

    private static double lgtRegOf(NceLosses l, NceTerm... terms) {
        double sum = 0;
        for (NceTerm t : terms) {
            sum += l.direction(t, 1).lgtReg().item() + l.direction(t, 2).lgtReg().item();
        }
        return 0.5 * sum;
    }

    @Test
    void withMixturesTheOptimisedLossIsOneToFivePlusMixturePlusFiveToFivePlusRegulariserPlusClassifiers() {
        Torch.manualSeed(5);
        try (AmdimModel model = AmdimModel.create(config(3, 2.0)); var scope = TensorScope.open()) {
            model.train();
            Tensor x1 = Tensor.randn(B, 3, 32, 32);
            Tensor x2 = Tensor.randn(B, 3, 32, 32);
            Tensor labels = Tensor.of(new long[] {0, 1, 2, 3});
            try (StepOutput s = model.forwardStep(x1, x2, labels, new long[] {0, 6, 12, 24},
                    new long[] {3, 9, 15, 20})) {
                NceLosses n = s.nce();
                double regulariser = lgtRegOf(n, NceTerm.T1T5, NceTerm.T5T5) + s.mixture().lgtReg().item();
                double expected = n.loss1t5().item() - s.mixture().objective().item() + n.loss5t5().item()
                        + regulariser + s.lossCls().item();
                // Eight float32 scalars of the same sign (NCE losses, −objective, regularisers and cross-entropies
                // are all ≥ 0) summed in two orders: each order rounds at most 7 times by 2^-24 of the running
                // sum, so the two differ by at most 14·6e-8 ≈ 8.3e-7 of the total. The 1→7 term the old objective
                // added on top is of the order of the total itself.
                Close.checkScalar("loss_opt = 1t5 + mixture + 5t5 + reg + cls", s.lossOpt().item(), expected, 1e-6);
                Close.checkScalar("lgt_reg optimised", s.lgtReg().item(), regulariser, 1e-6);
                assertEquals(s.lgtReg().item(), s.metrics().get("lgt_reg"), 0.0, "the metrics log what is optimised");
            }
        }
    }

    @Test
    void withOneComponentTheMixtureTermIsTheOneToSevenTermOfTheMixtureFeature() {
        Torch.manualSeed(6);
        try (AmdimModel model = AmdimModel.create(config(1, 2.0)); var scope = TensorScope.open()) {
            model.train();
            Tensor x1 = Tensor.randn(B, 3, 32, 32);
            Tensor x2 = Tensor.randn(B, 3, 32, 32);
            long[] idx1 = {1, 2, 3, 4};
            long[] idx2 = {5, 6, 7, 8};
            try (StepOutput s = model.forwardStep(x1, x2, Tensor.of(new long[] {0, 1, 2, 3}), idx1, idx2)) {
                Features f1 = s.view1();
                Features f2 = s.view2();
                MixtureHeads heads = model.mixture();
                Tensor c1 = heads.components(f1.r1()).reshape(B, 32, 1, 1);
                Tensor c2 = heads.components(f2.r1()).reshape(B, 32, 1, 1);
                try (NceLosses onMixtureFeature = model.nce().forward(c1, f1.r5(), f1.r7(), c2, f2.r5(), f2.r7(),
                        idx1, idx2)) {
                    // The same per-location float32 terms (the same NceScores code on the same inputs), averaged
                    // over B·49 = 196 same-sign values in possibly different orders: each mean is within 196
                    // roundings of 2^-24 of the sum, 1.2e-5 relative, so two of them within 2.4e-5 (3e-5 allowed).
                    Close.checkScalar("k=1: −mixture objective = 1→7 loss of the mixture feature",
                            -s.mixture().objective().item(), onMixtureFeature.loss1t7().item(), 3e-5);
                    Close.checkScalar("k=1: mixture regulariser = 1→7 share of lgt_reg",
                            s.mixture().lgtReg().item(), lgtRegOf(onMixtureFeature, NceTerm.T1T7), 3e-5);
                }
            }
        }
    }

    @Test
    void anImagesSegmentationIsTheSameAloneAndAmongFifteenOthers() {
        Torch.manualSeed(7);
        try (AmdimModel model = AmdimModel.create(config(4, 1.0)); var scope = TensorScope.open()) {
            // Float64, so that whatever the batch size changes in the kernels' summation order stays near 1e-16
            // relative; the soft assignments of a batch-dependent read-out differ by O(1).
            model.to(DType.FLOAT64);
            model.train(); // segment must use the running statistics whatever the mode
            Tensor x = Tensor.randn(DType.FLOAT64, org.amdim.tensor.Device.CPU, 16, 3, 32, 32);
            try (MixtureAssignment together = model.segment(x)) {
                for (int i : List.of(0, 7, 15)) {
                    try (MixtureAssignment alone = model.segment(x.narrow(0, i, 1))) {
                        // Features of order 1 through a few hundred float64 products and sums: errors of
                        // 1e-13 at most, far below 1e-9; q is a softmax of them (Lipschitz τ/2 = 0.5).
                        Close.check("q of image " + i + " alone vs in a batch of 16", alone.q(),
                                together.q().narrow(0, i, 1), 1e-9, 0);
                        Close.check("map of image " + i, alone.map(), together.map().narrow(0, i, 1), 0, 0);
                    }
                }
            }
            assertEquals(true, model.isTraining(), "segment puts the mode back");
        }
    }
}
