package org.amdim.nn.layers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import java.util.List;
import java.util.Map;

import org.amdim.nn.Module;
import org.amdim.tensor.NoLeaks;
import org.amdim.nn.References;
import org.amdim.nn.io.NamedTensors;
import org.amdim.tensor.Functional;
import org.amdim.tensor.Tensor;
import org.amdim.tensor.TensorScope;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The original AMDIM online classifiers rebuilt from the nn layers alone and checked against
 * {@code evaluator.safetensors} (amdim/src/test/resources/reference/README.md, section 3): the MLP head
 * [Flatten, Dropout, Linear without bias, BatchNorm1d, ReLU, Dropout, Linear] and the linear head [Flatten, Dropout, Linear], loaded by their PyTorch
 * state-dict names; eval- and train-mode logits and losses, gradients, and the BatchNorm1d buffers after a
 * train-mode forward. Tolerances are the README's "Suggested tolerances".
 */
@ExtendWith(NoLeaks.class)
class EvaluatorReferenceTest {

    /** Holds a {@code block_forward} child, as the original's classifier wrappers do. */
    static final class Block extends Module {
        private final Sequential forward;

        Block(Sequential forward) {
            this.forward = registerModule("block_forward", forward);
        }

        @Override
        public Tensor forward(Tensor x) {
            return forward.forward(x);
        }
    }

    /** The two heads under the original names {@code block_glb_mlp} and {@code block_glb_lin}. */
    static final class Heads extends Module {
        final Block mlp;
        final Block lin;

        /** Sizes from the reference file's metadata: input {@code dim}, {@code n_hidden}, {@code n_classes}. */
        Heads(NamedTensors ref, double mlpDropout, double linDropout) {
            int dim = Integer.parseInt(ref.metadata().get("dim"));
            int hidden = Integer.parseInt(ref.metadata().get("n_hidden"));
            int classes = Integer.parseInt(ref.metadata().get("n_classes"));
            mlp = registerModule("block_glb_mlp", new Block(new Sequential(new Flatten(), new Dropout(mlpDropout),
                    new Linear(dim, hidden, false), new BatchNorm1d(hidden), new ReLU(), new Dropout(mlpDropout),
                    new Linear(hidden, classes))));
            lin = registerModule("block_glb_lin", new Block(new Sequential(new Flatten(), new Dropout(linDropout),
                    new Linear(dim, classes))));
        }
    }

    /** The training code's classifier loss: clipped cross entropy (ignore −1) + 1e-3·mean(lgt²). */
    static Tensor lossXent(Tensor lgt, Tensor labels) {
        try (var scope = TensorScope.open()) {
            Tensor clipped = lgt.div(10).tanh().mul(10);
            Tensor xent = Functional.crossEntropy(clipped, labels, Functional.Reduction.MEAN, -1);
            return scope.keep(xent.add(lgt.square().mean().mul(1e-3)));
        }
    }

    private static void assertLogits(NamedTensors ref, String name, Tensor actual) {
        Tensor expected = ref.get(name);
        References.assertClose(name, actual, expected, 1e-5 * References.maxAbs(expected), 0);
    }

    private static void assertLoss(NamedTensors ref, String name, Tensor actual) {
        References.assertClose(name, actual, ref.get(name), 0, 1e-5);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("org.amdim.nn.References#sets")
    void stateDictNamesMatchTheOriginal(String set) {
        try (NamedTensors ref = References.load(set, "evaluator.safetensors"); Heads heads = new Heads(ref, 0.2, 0.0)) {
            String dim = ref.metadata().get("dim");
            // strict: every key of the original is used and every module key is provided
            assertEquals(List.of(), heads.loadStateDict(ref.withPrefix("param."), true));
            assertEquals("Sequential(\n"
                    + "  (0): Flatten(start_dim=1, end_dim=-1)\n"
                    + "  (1): Dropout(p=0.2, inplace=False)\n"
                    + "  (2): Linear(in_features=" + dim + ", out_features=1024, bias=False)\n"
                    + "  (3): BatchNorm1d(1024, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)\n"
                    + "  (4): ReLU()\n"
                    + "  (5): Dropout(p=0.2, inplace=False)\n"
                    + "  (6): Linear(in_features=1024, out_features=10, bias=True)\n"
                    + ")", heads.mlp.forward.toString());
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("org.amdim.nn.References#sets")
    void evalModeLogitsAndLosses(String set) {
        try (NamedTensors ref = References.load(set, "evaluator.safetensors"); Heads heads = new Heads(ref, 0.2, 0.0);
                var scope = TensorScope.open()) {
            heads.loadStateDict(ref.withPrefix("param."), true);
            heads.eval();
            Tensor ftr = ref.get("ftr");
            Tensor labels = ref.get("labels");
            Tensor mlp = heads.mlp.forward(ftr);
            Tensor lin = heads.lin.forward(ftr);
            assertLogits(ref, "lgt_mlp", mlp);
            assertLogits(ref, "lgt_lin", lin);
            assertLoss(ref, "loss_mlp", lossXent(mlp, labels));
            assertLoss(ref, "loss_lin", lossXent(lin, labels));
            // evaluation leaves the buffers as loaded
            Map<String, Tensor> state = heads.stateDict();
            String bn = "block_glb_mlp.block_forward.3.";
            for (String b : List.of("running_mean", "running_var", "num_batches_tracked")) {
                References.assertClose(b, state.get(bn + b), ref.get("param." + bn + b), 0, 0);
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("org.amdim.nn.References#sets")
    void trainModeLogitsLossesGradientsAndBuffers(String set) {
        // train.* were computed with every dropout probability set to 0
        try (NamedTensors ref = References.load(set, "evaluator.safetensors"); Heads heads = new Heads(ref, 0.0, 0.0);
                var scope = TensorScope.open()) {
            heads.loadStateDict(ref.withPrefix("param."), true);
            heads.train();
            Tensor ftr = ref.get("ftr");
            Tensor labels = ref.get("labels");
            Tensor mlp = heads.mlp.forward(ftr);
            Tensor lin = heads.lin.forward(ftr);
            assertLogits(ref, "train.lgt_mlp", mlp);
            assertLogits(ref, "train.lgt_lin", lin);
            Tensor lossMlp = lossXent(mlp, labels);
            Tensor lossLin = lossXent(lin, labels);
            assertLoss(ref, "train.loss_mlp", lossMlp);
            assertLoss(ref, "train.loss_lin", lossLin);
            lossMlp.add(lossLin).backward();

            Map<String, Tensor> grads = ref.withPrefix("grad.");
            Map<String, Tensor> params = heads.namedParameters();
            assertEquals(params.keySet(), grads.keySet(), "every parameter has a reference gradient");
            for (var e : params.entrySet()) {
                Tensor g = e.getValue().grad();
                assertNotNull(g, e.getKey());
                // Per tensor (the live-BN README's rule): each gradient's rounding scales with its own terms.
                Tensor want = grads.get(e.getKey());
                References.assertClose(set + " grad." + e.getKey(), g, want, 1e-4 * References.maxAbs(want) + 1e-7, 0);
            }

            // README: rel 1e-5. Some running means are a near-cancellation of 0.9·running_mean and 0.1·batch
            // mean (terms ≈ 0.07, result ≈ 0.001), where one float32 rounding of a term is already ~1e-5 of the
            // result (even a float64 recomputation differs from the stored value by 1.2e-5 relative at element
            // 807), so an absolute floor of 4 float32 ulps of the tensor's largest value is added.
            Map<String, Tensor> state = heads.stateDict();
            String bn = "block_glb_mlp.block_forward.3.";
            for (String b : List.of("running_mean", "running_var")) {
                Tensor expected = ref.get("after." + bn + b);
                References.assertClose("after." + b, state.get(bn + b), expected,
                        4 * Math.ulp((float) References.maxAbs(expected)), 1e-5);
            }
            assertEquals(ref.get("after." + bn + "num_batches_tracked").itemLong(),
                    state.get(bn + "num_batches_tracked").itemLong());
            assertEquals(ref.get("param." + bn + "num_batches_tracked").itemLong() + 1,
                    state.get(bn + "num_batches_tracked").itemLong());
        }
    }
}
