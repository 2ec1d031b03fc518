package org.amdim.model.heads;

import org.amdim.model.Close;
import org.amdim.model.ReferenceSets;
import org.amdim.tensor.NoLeaks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.TreeSet;

import org.amdim.nn.io.NamedTensors;
import org.amdim.tensor.Tensor;
import org.amdim.tensor.TensorScope;
import org.amdim.tensor.Torch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(NoLeaks.class)
class EvaluatorTest {
    private static final String BN = "block_glb_mlp.block_forward.3.";

    /** The heads a file was made with: input width and classes from its metadata. */
    private static Evaluator loaded(NamedTensors ref, double dropout) {
        Evaluator e = new Evaluator(ReferenceSets.intSetting(ref, "dim"), ReferenceSets.intSetting(ref, "n_classes"),
                dropout);
        Map<String, Tensor> params = ref.withPrefix("param.");
        assertEquals(new TreeSet<>(params.keySet()), new TreeSet<>(e.stateDict().keySet()), "state-dict names");
        e.loadStateDict(params, true);
        return e;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("org.amdim.model.ReferenceSets#names")
    void evalModeLogitsAndLossesMatchTheOriginal(String set) {
        try (NamedTensors ref = ReferenceSets.load(set, "evaluator.safetensors"); Evaluator e = loaded(ref, 0.2);
                var scope = TensorScope.open()) {
            e.eval();
            Tensor labels = ref.get("labels");
            try (EvaluatorLogits lg = e.logits(ref.get("ftr"))) {
                Close.check("evaluator eval lgt_mlp", lg.mlp(), ref.get("lgt_mlp"), 1e-5 * Close.maxAbs(ref.get("lgt_mlp")), 0);
                Close.check("evaluator eval lgt_lin", lg.lin(), ref.get("lgt_lin"), 1e-5 * Close.maxAbs(ref.get("lgt_lin")), 0);
                Close.checkScalar("evaluator eval loss_mlp", ClassifierLoss.lossXent(lg.mlp(), labels).item(),
                        ref.get("loss_mlp").item(), 1e-5);
                Close.checkScalar("evaluator eval loss_lin", ClassifierLoss.lossXent(lg.lin(), labels).item(),
                        ref.get("loss_lin").item(), 1e-5);
            }
            // Evaluation leaves the batch-norm buffers alone.
            Close.check("evaluator eval running_mean unchanged", e.stateDict().get(BN + "running_mean"),
                    ref.get("param." + BN + "running_mean"), 0, 0);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("org.amdim.model.ReferenceSets#names")
    void trainModeLogitsLossesGradientsAndBuffersMatchTheOriginal(String set) {
        try (NamedTensors ref = ReferenceSets.load(set, "evaluator.safetensors"); Evaluator e = loaded(ref, 0.0);
                var scope = TensorScope.open()) {
            e.train();
            Tensor labels = ref.get("labels");
            Tensor ftr = ref.get("ftr").clone().requiresGrad(true);
            try (EvaluatorLogits lg = e.logits(ftr)) {
                Close.check("evaluator train lgt_mlp", lg.mlp(), ref.get("train.lgt_mlp"),
                        1e-5 * Close.maxAbs(ref.get("train.lgt_mlp")), 0);
                Close.check("evaluator train lgt_lin", lg.lin(), ref.get("train.lgt_lin"),
                        1e-5 * Close.maxAbs(ref.get("train.lgt_lin")), 0);
                Tensor lossMlp = ClassifierLoss.lossXent(lg.mlp(), labels);
                Tensor lossLin = ClassifierLoss.lossXent(lg.lin(), labels);
                Close.checkScalar("evaluator train loss_mlp", lossMlp.item(), ref.get("train.loss_mlp").item(), 1e-5);
                Close.checkScalar("evaluator train loss_lin", lossLin.item(), ref.get("train.loss_lin").item(), 1e-5);
                lossMlp.add(lossLin).backward();
            }
            Map<String, Tensor> grads = ref.withPrefix("grad.");
            assertEquals(new TreeSet<>(grads.keySet()), new TreeSet<>(e.namedParameters().keySet()));
            for (var g : grads.entrySet()) {
                // Per tensor (the live-BN README's rule): each gradient's rounding scales with its own terms.
                Close.check(set + " evaluator grad." + g.getKey(), e.namedParameters().get(g.getKey()).grad(),
                        g.getValue(), 1e-4 * Close.maxAbs(g.getValue()) + 1e-7, 0);
            }
            assertNull(ftr.grad(), "the evaluator detaches its input");
            Map<String, Tensor> state = e.stateDict();
            // Relative 1e-5, with a floor of 1e-6 of the tensor's scale for means that cancel to almost 0.
            for (String buf : new String[] {"running_mean", "running_var"}) {
                Tensor expected = ref.get("after." + BN + buf);
                Close.check("evaluator after." + buf, state.get(BN + buf), expected, 1e-6 * Close.maxAbs(expected),
                        1e-5);
            }
            assertEquals(ref.get("after." + BN + "num_batches_tracked").itemLong(),
                    state.get(BN + "num_batches_tracked").itemLong());
        }
    }

    @Test
    void aBatchWithOnlyIgnoredLabelsCostsTheRegulariserAlone() {
        Torch.manualSeed(2);
        try (var scope = TensorScope.open()) {
            Tensor logits = Tensor.randn(4, 3).mul(5).requiresGrad(true);
            Tensor labels = Tensor.of(new long[] {-1, -1, -1, -1});
            Tensor loss = ClassifierLoss.lossXent(logits, labels);
            double reg = 1e-3 * logits.square().mean().item();
            Close.checkScalar("all-ignored loss = regulariser", loss.item(), reg, 1e-6);
            loss.backward();
            for (double g : logits.grad().toDoubleArray()) {
                assertTrue(Double.isFinite(g));
            }
            ClassifierLoss.Accuracy acc = ClassifierLoss.accuracy(logits, labels);
            assertEquals(0, acc.labelled());
            assertTrue(Double.isNaN(acc.value()));
        }
    }

    @Test
    void lossAndAccuracyByHand() {
        try (var scope = TensorScope.open()) {
            // Row 0: clipped logits (10·tanh(0.5), 0), label 0; row 1 ignored; row 2: (0, 20 → 10·tanh 2), label 0.
            Tensor logits = Tensor.of(new float[] {5, 0, 1, 2, 0, 20}, 3, 2);
            Tensor labels = Tensor.of(new long[] {0, -1, 0});
            double a = 10 * Math.tanh(0.5);
            double c = 10 * Math.tanh(2.0);
            double ce0 = -(a - Math.log(Math.exp(a) + 1));
            double ce2 = -(0 - Math.log(1 + Math.exp(c)));
            double reg = 1e-3 * (25 + 0 + 1 + 4 + 0 + 400) / 6.0;
            Close.checkScalar("xent by hand", ClassifierLoss.lossXent(logits, labels).item(), (ce0 + ce2) / 2 + reg,
                    1e-6);
            ClassifierLoss.Accuracy acc = ClassifierLoss.accuracy(logits, labels);
            assertEquals(new ClassifierLoss.Accuracy(1, 2), acc);
            assertEquals(0.5, acc.value());
        }
    }

    @Test
    void dropoutIsConfigurableAndOnlyInTraining() {
        Torch.manualSeed(4);
        try (Evaluator e = new Evaluator(16, 5, 0.5); var scope = TensorScope.open()) {
            Tensor x = Tensor.randn(8, 16, 1, 1);
            e.train();
            try (EvaluatorLogits a = e.logits(x); EvaluatorLogits b = e.logits(x)) {
                assertFalse(a.mlp().allclose(b.mlp(), 0, 1e-6), "dropout 0.5 makes two training passes differ");
                Close.check("linear head has no dropout", a.lin(), b.lin(), 0, 0);
            }
            e.eval();
            try (EvaluatorLogits a = e.logits(x); EvaluatorLogits b = e.logits(x)) {
                Close.check("no dropout in evaluation", a.mlp(), b.mlp(), 0, 0);
            }
        }
    }
}
