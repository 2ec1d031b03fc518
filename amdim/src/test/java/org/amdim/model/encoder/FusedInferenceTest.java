package org.amdim.model.encoder;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import org.amdim.bindings.TorchException;
import org.amdim.tensor.Autograd;
import org.amdim.tensor.DType;
import org.amdim.tensor.Device;
import org.amdim.tensor.FusedNet;
import org.amdim.tensor.MemoryFormat;
import org.amdim.tensor.NoLeaks;
import org.amdim.tensor.Tensor;
import org.amdim.tensor.TensorScope;
import org.amdim.tensor.Torch;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The fused oneDNN network ({@link FusedR1}, the r1 route of {@link InferenceEncoder}) computes the encoder
 * module's r1 in evaluation mode for every input size and use_bn, from random weights and statistics; it is
 * deterministic across batch sizes, refuses wrong input with exceptions, and keeps its memory flat.
 */
@ExtendWith(NoLeaks.class)
class FusedInferenceTest {

    @BeforeAll
    static void needsFusedNetworks() {
        Assumptions.assumeTrue(Torch.mkldnnAvailable() && FusedNet.available(),
                "the shim was built without oneDNN's headers");
    }

    @ParameterizedTest
    @MethodSource("org.amdim.model.encoder.InferenceEncoderTest#configs")
    void equalsTheModulesR1(EncoderConfig config) {
        Torch.manualSeed(21);
        try (Encoder encoder = Encoder.create(config); var scope = TensorScope.open()) {
            InferenceEncoderTest.randomise(encoder);
            encoder.eval();
            Tensor x = Tensor.randn(3, 3, config.inputSize(), config.inputSize());
            Tensor expected;
            try (var noGrad = Autograd.noGrad()) {
                expected = encoder.encodeGlobal(x);
            }
            try (InferenceEncoder fast = InferenceEncoder.of(encoder)) {
                String tag = config.inputSize() + (config.useBn() ? " use_bn " : " ");
                Tensor r1 = fast.encodeGlobal(x, InferenceEncoder.Route.FUSED);
                assertArrayEquals(expected.shape(), r1.shape());
                assertTrue(r1.isContiguous());
                InferenceEncoderTest.assertSameAsModule(tag + "fused r1", r1, expected);
                InferenceEncoderTest.assertSameAsModule(tag + "fused r1, channels-last input",
                        fast.encodeGlobal(x.contiguous(MemoryFormat.CHANNELS_LAST), InferenceEncoder.Route.FUSED),
                        expected);
                // three images through the default route take the fused network
                assertArrayEquals(r1.toFloatArray(), fast.encodeGlobal(x).toFloatArray());
            }
        }
    }

    @Test
    void isDeterministicAcrossBatchSizesAndKeepsTwoPlans() {
        Torch.manualSeed(22);
        EncoderConfig config = new EncoderConfig(32, 8, 32, 2, true);
        try (Encoder encoder = Encoder.create(config); var scope = TensorScope.open()) {
            InferenceEncoderTest.randomise(encoder);
            try (FusedR1 fused = FusedR1.of(encoder)) {
                int[] batches = {4, 1, 7, 4, 1, 7, 2, 4};
                float[][] first = new float[8][];
                for (int b : batches) {
                    Torch.manualSeed(100 + b);
                    Tensor x = Tensor.randn(b, 3, 32, 32);
                    float[] y = fused.apply(x).toFloatArray();
                    if (first[b] == null) {
                        first[b] = y;
                    } else {
                        assertArrayEquals(first[b], y, "batch " + b + " after other batch sizes");
                    }
                    assertTrue(fused.net().planCount() <= 2, "at most two cached plans");
                    x.close();
                }
            }
        }
    }

    /** r1 of a single image through a small encoder takes the fused network too (it beat the strided route). */
    @Test
    void aSingleImageThroughASmallEncoderTakesTheFusedNetwork() {
        Torch.manualSeed(24);
        try (Encoder encoder = Encoder.create(new EncoderConfig(32, 8, 32, 1, true)); var scope = TensorScope.open();
                InferenceEncoder fast = InferenceEncoder.of(encoder)) {
            InferenceEncoderTest.randomise(encoder);
            Tensor one = Tensor.randn(1, 3, 32, 32);
            float[] fused = fast.encodeGlobal(one, InferenceEncoder.Route.FUSED).toFloatArray();
            assertArrayEquals(fused, fast.encodeGlobal(one).toFloatArray());
        }
    }

    @Test
    void refusesWrongInput() {
        EncoderConfig config = new EncoderConfig(32, 8, 32, 1, false);
        try (Encoder encoder = Encoder.create(config); var scope = TensorScope.open()) {
            InferenceEncoder fast = InferenceEncoder.of(encoder);
            IllegalArgumentException shape = assertThrows(IllegalArgumentException.class,
                    () -> fast.encodeGlobal(Tensor.randn(2, 3, 64, 64), InferenceEncoder.Route.FUSED));
            assertTrue(shape.getMessage().contains("expects images (B, 3, 32, 32)"), shape.getMessage());
            TorchException dtype = assertThrows(TorchException.class, () -> fast.encodeGlobal(
                    Tensor.zeros(DType.FLOAT64, Device.CPU, 1, 3, 32, 32), InferenceEncoder.Route.FUSED));
            assertTrue(dtype.getMessage().contains("float32"), dtype.getMessage());
            Tensor closed = Tensor.randn(1, 3, 32, 32);
            closed.close();
            assertThrows(IllegalStateException.class, () -> fast.encodeGlobal(closed, InferenceEncoder.Route.FUSED));
            // the network itself checks the shape too (what the encoder's check would catch first)
            try (FusedR1 fused = FusedR1.of(encoder)) {
                TorchException netShape = assertThrows(TorchException.class,
                        () -> fused.apply(Tensor.randn(2, 3, 31, 32)));
                assertTrue(netShape.getMessage().contains("(B, 3, 32, 32)"), netShape.getMessage());
                assertThrows(TorchException.class, () -> fused.apply(Tensor.randn(0, 3, 32, 32)));
            }
            assertThrows(IllegalStateException.class, () -> fast.encode(Tensor.randn(1, 3, 32, 32),
                    InferenceEncoder.Route.FUSED), "the fused network has no heads");
            long live = FusedNet.liveNets();
            fast.close();
            assertEquals(live - 1, FusedNet.liveNets(), "close frees the network");
            assertThrows(IllegalStateException.class,
                    () -> fast.encodeGlobal(Tensor.randn(1, 3, 32, 32), InferenceEncoder.Route.FUSED));
        }
    }

    /**
     * Many passes over alternating batch sizes (each evicting a plan) leave the resident memory where a few passes
     * left it: each pass allocates only its output, and an evicted plan frees its activations. The bound, 64 MiB,
     * is far below what 300 leaked passes would hold (over 300 MiB of activations) and far above allocator noise.
     */
    @Test
    void memoryStaysFlat() throws IOException {
        Torch.manualSeed(23);
        EncoderConfig config = new EncoderConfig(32, 8, 32, 1, false);
        try (Encoder encoder = Encoder.create(config); var scope = TensorScope.open();
                FusedR1 fused = FusedR1.of(encoder)) {
            Tensor[] xs = {Tensor.randn(16, 3, 32, 32), Tensor.randn(9, 3, 32, 32), Tensor.randn(5, 3, 32, 32)};
            for (int i = 0; i < 6; i++) {
                fused.apply(xs[i % 3]).close();
            }
            long before = residentBytes();
            for (int i = 0; i < 300; i++) {
                fused.apply(xs[i % 3]).close();
            }
            long grown = residentBytes() - before;
            assertTrue(grown < 64L << 20, "resident memory grew by " + (grown >> 20) + " MiB over 300 passes");
        }
    }

    private static long residentBytes() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
            }
        }
        throw new IllegalStateException("no VmRSS in /proc/self/status");
    }
}
