package org.amdim.model.encoder;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.amdim.model.Close;
import org.amdim.nn.Init;
import org.amdim.tensor.Autograd;
import org.amdim.tensor.Device;
import org.amdim.tensor.Layout;
import org.amdim.tensor.NoLeaks;
import org.amdim.tensor.Tensor;
import org.amdim.tensor.TensorScope;
import org.amdim.tensor.Torch;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The packed inference path computes what the encoder module computes in evaluation mode: r1, r5 and r7 for all
 * three input sizes, with the optional batch norms off and on (then folded into the convolutions before them),
 * from weights and batch-norm statistics that are all random, so that no branch, bias or statistic can be dropped
 * unnoticed.
 */
@ExtendWith(NoLeaks.class)
class InferenceEncoderTest {

    @BeforeAll
    static void needsOneDnn() {
        Assumptions.assumeTrue(Torch.mkldnnAvailable(), "libtorch was built without oneDNN");
    }

    static Stream<Arguments> configs() {
        // ndf 8: stages of 8 to 64 channels; n_rkhs 64 (at least the widest stage); two units per block, so every
        // block has a down-sampling unit and an identity one.
        return Stream.of(32, 64, 128).flatMap(size -> Stream.of(false, true)
                .map(bn -> Arguments.of(new EncoderConfig(size, 8, 64, 2, bn))));
    }

    /**
     * Every parameter and batch-norm buffer random. Convolutions: N(0, 1/fan_in) weights (activations keep their
     * scale), biases N(0, 0.1²). Batch norms: running variances in [0.005, 0.02], so that eps (1e-5) moves every
     * output by 0.05 % to 0.2 % and a folding that forgot it fails; weights in [0.05, 0.15], so that w/√var stays
     * near 1; means and biases N(0, 0.1²).
     */
    static void randomise(Encoder encoder) {
        try (var noGrad = Autograd.noGrad(); var scope = TensorScope.open()) {
            for (Map.Entry<String, Tensor> e : encoder.namedParameters().entrySet()) {
                Tensor p = e.getValue();
                if (p.dim() == 4) {
                    Init.normal(p, 0, 1 / Math.sqrt(Init.fans(p)[0]));
                } else if (e.getKey().endsWith("bn.weight")) {
                    Init.uniform(p, 0.05, 0.15);
                } else {
                    Init.normal(p, 0, 0.1);
                }
            }
            for (Map.Entry<String, Tensor> e : encoder.namedBuffers().entrySet()) {
                if (e.getKey().endsWith("running_mean")) {
                    Init.normal(e.getValue(), 0, 0.1);
                } else if (e.getKey().endsWith("running_var")) {
                    Init.uniform(e.getValue(), 0.005, 0.02);
                }
            }
        }
    }

    /**
     * The eval-mode allowance of the reference checks, 1e-5·maxabs of the module's output (reference README). Both
     * paths run the same float32 function with different summation orders (and, with use_bn, folded weights that
     * carry one rounding more): each convolution's sum of at most n = 64·3·3 = 576 terms differs by about
     * √n·u ≈ 1.4e-6 of its scale, and about 20 of them lie on the way to r1, which gives errors of √20·1.4e-6 ≈
     * 6e-6 of the output's scale when the roundings are independent.
     */
    static void assertSameAsModule(String what, Tensor actual, Tensor expected) {
        Close.check(what, actual, expected, 1e-5 * Close.maxAbs(expected), 0);
    }

    @ParameterizedTest
    @MethodSource("configs")
    void equalsTheModuleInEvaluationModeOnBothRoutes(EncoderConfig config) {
        Torch.manualSeed(17);
        try (Encoder encoder = Encoder.create(config); var scope = TensorScope.open()) {
            randomise(encoder);
            Tensor x = Tensor.randn(3, 3, config.inputSize(), config.inputSize());
            // Built while the encoder trains: the packed path uses the running statistics whatever the mode.
            encoder.train();
            try (InferenceEncoder fast = InferenceEncoder.of(encoder, InferenceEncoder.Path.PACKED, true)) {
                encoder.eval();
                Features expected;
                try (var noGrad = Autograd.noGrad()) {
                    expected = encoder.encode(x);
                }
                for (InferenceEncoder.Route route : List.of(InferenceEncoder.Route.ONEDNN,
                        InferenceEncoder.Route.STRIDED)) {
                    Features actual = fast.encode(x, route);
                    String tag = config.inputSize() + (config.useBn() ? " use_bn " : " ") + route + " ";
                    assertSameAsModule(tag + "r1", actual.r1(), expected.r1());
                    assertSameAsModule(tag + "r5", actual.r5(), expected.r5());
                    assertSameAsModule(tag + "r7", actual.r7(), expected.r7());
                    for (Tensor t : new Tensor[] {actual.r1(), actual.r5(), actual.r7()}) {
                        assertEquals(Layout.STRIDED, t.layout());
                        assertTrue(t.isContiguous());
                    }
                }
                // r1 alone skips the heads and gives the same r1 (the default route is the fused network's:
                // FusedInferenceTest).
                assertArrayEquals(fast.encode(x, InferenceEncoder.Route.ONEDNN).r1().toFloatArray(),
                        fast.encodeGlobal(x, InferenceEncoder.Route.ONEDNN).toFloatArray());
            }
        }
    }

    @Test
    void aSingleImageThroughASmallEncoderTakesTheStridedRoute() {
        Torch.manualSeed(20);
        EncoderConfig small = new EncoderConfig(32, 8, 32, 1, true);
        try (Encoder encoder = Encoder.create(small); var scope = TensorScope.open()) {
            randomise(encoder);
            assertTrue(encoder.parameterCount() <= InferenceEncoder.STRIDED_ROUTE_MAX_PARAMETERS);
            Tensor one = Tensor.randn(1, 3, 32, 32);
            try (InferenceEncoder fast = InferenceEncoder.of(encoder)) {
                // Each route is deterministic, and the two differ in their last bits: the equal one was taken (by
                // encode; r1 alone takes the fused network where the shim has it: FusedInferenceTest).
                float[] strided = fast.encode(one, InferenceEncoder.Route.STRIDED).r1().toFloatArray();
                float[] onednn = fast.encode(one, InferenceEncoder.Route.ONEDNN).r1().toFloatArray();
                assertFalse(java.util.Arrays.equals(strided, onednn), "the routes round differently");
                assertArrayEquals(strided, fast.encode(one).r1().toFloatArray());
            }
            try (InferenceEncoder onlyOneDnn = InferenceEncoder.of(encoder, InferenceEncoder.Path.PACKED, false)) {
                assertThrows(IllegalStateException.class,
                        () -> onlyOneDnn.encode(one, InferenceEncoder.Route.STRIDED));
                assertArrayEquals(onlyOneDnn.encode(one, InferenceEncoder.Route.ONEDNN).r1().toFloatArray(),
                        onlyOneDnn.encodeGlobal(one, InferenceEncoder.Route.ONEDNN).toFloatArray());
            }
        }
    }

    @Test
    void isASnapshot() {
        Torch.manualSeed(18);
        EncoderConfig config = new EncoderConfig(32, 8, 32, 1, true);
        try (Encoder encoder = Encoder.create(config); var scope = TensorScope.open()) {
            randomise(encoder);
            encoder.eval();
            Tensor x = Tensor.randn(2, 3, 32, 32);
            try (InferenceEncoder fast = InferenceEncoder.of(encoder)) {
                float[] before = fast.encodeGlobal(x).toFloatArray();
                randomise(encoder); // new weights and statistics everywhere
                assertArrayEquals(before, fast.encodeGlobal(x).toFloatArray());
                encoder.close();
                assertArrayEquals(before, fast.encodeGlobal(x).toFloatArray(), "it owns its copies");
            }
        }
    }

    @Test
    void theGlobalInstanceComputesR1AloneAsTheFullOneDoes() {
        Torch.manualSeed(21);
        EncoderConfig config = new EncoderConfig(32, 8, 32, 2, true);
        try (Encoder encoder = Encoder.create(config); var scope = TensorScope.open()) {
            randomise(encoder);
            encoder.eval();
            Tensor x = Tensor.randn(3, 3, 32, 32);
            try (InferenceEncoder full = InferenceEncoder.of(encoder);
                    InferenceEncoder global = InferenceEncoder.global(encoder)) {
                assertEquals(full.path(), global.path());
                // The same copies of the same weights through the same route (the fused network where the shim
                // has one): the same bits.
                assertArrayEquals(full.encodeGlobal(x).toFloatArray(), global.encodeGlobal(x).toFloatArray());
                assertSameAsModule("r1", global.encodeGlobal(x), encoder.encodeGlobal(x));
                IllegalStateException heads = assertThrows(IllegalStateException.class, () -> global.encode(x));
                assertTrue(heads.getMessage().contains("r1 only"), heads.getMessage());
            }
        }
    }

    @Test
    void theModulePathRunsTheEncoderInEvaluationMode() {
        Torch.manualSeed(19);
        EncoderConfig config = new EncoderConfig(32, 8, 32, 1, true);
        try (Encoder encoder = Encoder.create(config); var scope = TensorScope.open();
                InferenceEncoder module = InferenceEncoder.of(encoder, InferenceEncoder.Path.MODULE)) {
            randomise(encoder);
            Tensor x = Tensor.randn(2, 3, 32, 32);
            IllegalStateException training = assertThrows(IllegalStateException.class, () -> module.encodeGlobal(x));
            assertTrue(training.getMessage().contains("training mode"), training.getMessage());
            encoder.eval();
            Tensor r1 = module.encodeGlobal(x);
            assertTrue(!r1.requiresGrad(), "no graph is recorded");
            assertArrayEquals(encoder.encodeGlobal(x).toFloatArray(), r1.toFloatArray());
            Features f = module.encode(x);
            assertArrayEquals(new long[] {2, 32, 5, 5}, f.r5().shape());
        }
    }

    @Test
    void refusesWrongUse() {
        EncoderConfig config = new EncoderConfig(32, 8, 32, 1, false);
        try (Encoder encoder = Encoder.create(config); var scope = TensorScope.open()) {
            InferenceEncoder fast = InferenceEncoder.of(encoder);
            IllegalArgumentException shape = assertThrows(IllegalArgumentException.class,
                    () -> fast.encodeGlobal(Tensor.randn(2, 3, 64, 64)));
            assertTrue(shape.getMessage().contains("expects images (B, 3, 32, 32)"), shape.getMessage());
            assertThrows(org.amdim.bindings.TorchException.class,
                    () -> fast.encodeGlobal(Tensor.zeros(org.amdim.tensor.DType.FLOAT64, Device.CPU, 1, 3, 32, 32)));
            fast.close();
            fast.close();
            assertTrue(fast.toString().contains("closed"), fast.toString());
            IllegalStateException closed = assertThrows(IllegalStateException.class,
                    () -> fast.encode(Tensor.randn(1, 3, 32, 32)));
            assertTrue(closed.getMessage().contains("closed"), closed.getMessage());
            assertEquals(InferenceEncoder.Path.PACKED, InferenceEncoder.Path.parse("Packed"));
            assertThrows(IllegalArgumentException.class, () -> InferenceEncoder.Path.parse("fast"));
        }
    }
}
