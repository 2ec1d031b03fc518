package org.amdim.model.encoder;

import org.amdim.model.Close;
import org.amdim.tensor.NoLeaks;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;

import org.amdim.tensor.Autograd;
import org.amdim.tensor.DType;
import org.amdim.tensor.Device;
import org.amdim.tensor.MemoryFormat;
import org.amdim.tensor.Tensor;
import org.amdim.tensor.TensorScope;
import org.amdim.tensor.Torch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Building the default presets, the encode contract, and the use_bn switch. */
@ExtendWith(NoLeaks.class)
class EncoderTest {

    @Test
    void defaultPresetsBuildWithTheOriginalsShapes() {
        // Both stems; the 64x64 default differs from the 128x128 one only there (its plan is checked in
        // EncoderConfigTest), and building 58M parameters costs seconds.
        for (EncoderConfig preset : new EncoderConfig[] {EncoderConfig.cifar10Default(),
                EncoderConfig.imagenetDefault()}) {
            try (Encoder encoder = Encoder.create(preset)) {
                assertEquals(EncoderConfigTest.expectedParameters(preset), encoder.parameterCount(), preset.toString());
                assertEquals(encoder.layout().parameterCount(), encoder.parameterCount());
                Map<String, Tensor> state = encoder.stateDict();
                int top = preset.stageChannels();
                int last = encoder.layout().layers().size() - 1;
                assertArrayEquals(new long[] {1024, top, 3, 3}, state.get("layer_list." + (last - 1) + ".conv1.weight")
                        .shape());
                assertArrayEquals(new long[] {1024}, state.get("layer_list." + last + ".bn.running_var").shape());
                assertArrayEquals(new long[] {top, top, 3, 3},
                        state.get("layer_list." + (last - 2) + ".layer_list.0.conv1.weight").shape());
                assertArrayEquals(new long[] {top, top, 1, 1},
                        state.get("layer_list." + (last - 2) + ".layer_list.2.conv1.weight").shape());
                assertFalse(state.containsKey("layer_list." + (last - 2) + ".layer_list.3.conv1.weight"));
                assertArrayEquals(new long[] {1024, top, 1, 1}, state.get("rkhs_block_5.conv1.weight").shape());
                assertArrayEquals(new long[] {1024, top, 1, 1}, state.get("rkhs_block_7.shortcut.weight").shape());
                assertArrayEquals(new long[] {1024}, state.get("rkhs_block_7.bn_hid.bn.weight").shape());
                assertArrayEquals(new long[] {}, state.get("rkhs_block_5.bn_out.bn.num_batches_tracked").shape());
                long[] stem = state.get("layer_list.0.conv.weight").shape();
                assertArrayEquals(preset.inputSize() == 128 ? new long[] {128, 3, 5, 5} : new long[] {128, 3, 3, 3},
                        stem);
            }
        }
    }

    @Test
    void viewsEncodedTogetherEqualViewsEncodedOneByOne() {
        // use_bn on, so that every residual unit's batch norm is live too; float64 so that only real differences
        // show.
        EncoderConfig config = new EncoderConfig(32, 8, 32, 2, true);
        Torch.manualSeed(3);
        try (Encoder separate = Encoder.create(config); Encoder joint = Encoder.create(config);
                var scope = TensorScope.open()) {
            separate.to(DType.FLOAT64);
            joint.to(DType.FLOAT64);
            joint.loadStateDict(separate.stateDict(), true);
            Tensor x1 = Tensor.randn(DType.FLOAT64, Device.CPU, 4, 3, 32, 32);
            Tensor x2 = Tensor.randn(DType.FLOAT64, Device.CPU, 4, 3, 32, 32).mul(3).add(1);

            Features a1 = separate.encode(x1);
            Features a2 = separate.encode(x2);
            List<Features> b = joint.encodeViews(List.of(x1, x2));
            assertEquals(2, b.size());
            Tensor wa = Tensor.randn(DType.FLOAT64, Device.CPU, 4, 32, 7, 7);
            Tensor wb = Tensor.randn(DType.FLOAT64, Device.CPU, 4, 32, 5, 5);
            objective(a1, a2, wa, wb).backward();
            objective(b.get(0), b.get(1), wa, wb).backward();

            assertClose(a1.r1(), b.get(0).r1(), "r1 of view 1");
            assertClose(a2.r5(), b.get(1).r5(), "r5 of view 2");
            assertClose(a2.r7(), b.get(1).r7(), "r7 of view 2");
            // Running statistics updated view by view, in order, as two encode calls do.
            Map<String, Tensor> jb = joint.namedBuffers();
            separate.namedBuffers().forEach((k, v) -> assertClose(v, jb.get(k), k));
            Map<String, Tensor> jp = joint.namedParameters();
            for (var e : separate.namedParameters().entrySet()) {
                Tensor g = e.getValue().grad();
                Tensor h = jp.get(e.getKey()).grad();
                assertEquals(g == null, h == null, e.getKey());
                if (g != null) {
                    assertClose(g, h, "gradient of " + e.getKey());
                }
            }
        }
    }

    /** A weighted sum of every output of both views, mixing them (as the NCE does). */
    private static Tensor objective(Features v1, Features v2, Tensor w7, Tensor w5) {
        return v1.r7().mul(w7).sum().add(v2.r5().mul(w5).sum()).add(v1.r1().mul(v2.r1()).sum())
                .add(v2.r7().square().mean());
    }

    private static void assertClose(Tensor expected, Tensor actual, String what) {
        double[] e = expected.toDoubleArray();
        double[] a = actual.toDoubleArray();
        assertEquals(e.length, a.length, what);
        for (int i = 0; i < e.length; i++) {
            assertEquals(e[i], a[i], 1e-9 * (1 + Math.abs(e[i])), what + " [" + i + "]");
        }
    }

    @Test
    void encodeViewsRefusesUnequalBatches() {
        try (Encoder encoder = Encoder.create(new EncoderConfig(32, 8, 32, 2, false));
                var scope = TensorScope.open()) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> encoder.encodeViews(List.of(Tensor.randn(4, 3, 32, 32), Tensor.randn(3, 3, 32, 32))));
            assertTrue(e.getMessage().contains("equal batch sizes"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> encoder.encodeViews(List.of()));
        }
    }

    @Test
    void computesChannelsLastUnlessToldOtherwise() {
        EncoderConfig small = new EncoderConfig(32, 8, 32, 2, false);
        try (Encoder encoder = Encoder.create(small); var scope = TensorScope.open()) {
            assertEquals(MemoryFormat.CHANNELS_LAST, encoder.memoryFormat());
            Tensor stem = encoder.namedParameters().get("layer_list.0.conv.weight");
            assertTrue(stem.isContiguous(MemoryFormat.CHANNELS_LAST) && !stem.isContiguous());
            Tensor x = Tensor.randn(4, 3, 32, 32);
            Features nhwc = encoder.encode(x);
            // The embeddings leave in the encoder's format: bn_out keeps it.
            assertTrue(nhwc.r5().isContiguous(MemoryFormat.CHANNELS_LAST) && !nhwc.r5().isContiguous());
            assertTrue(nhwc.r7().isContiguous(MemoryFormat.CHANNELS_LAST) && !nhwc.r7().isContiguous());

            assertEquals(encoder, encoder.to(MemoryFormat.CONTIGUOUS));
            assertEquals(MemoryFormat.CONTIGUOUS, encoder.memoryFormat());
            assertTrue(encoder.namedParameters().get("layer_list.0.conv.weight").isContiguous());
            encoder.eval();
            Features a = encoder.encode(x);
            encoder.to(MemoryFormat.CHANNELS_LAST);
            Features b = encoder.encode(x);
            // Two float32 kernels for the same function: the eval-mode output allowance of the reference checks
            // (README: 1e-5·maxabs; conv sums of at most 32·3·3 = 288 terms, √288·u ≈ 1e-6 of their scale).
            Close.check("r7 channels-last vs row-major", b.r7(), a.r7(), 1e-5 * Close.maxAbs(a.r7()), 0);
        }
    }

    @Test
    void cifarDefaultEncodesASmallBatchQuickly() {
        try (Encoder encoder = Encoder.create(EncoderConfig.cifar10Default());
                var scope = TensorScope.open();
                var noGrad = Autograd.noGrad()) {
            Tensor x = Tensor.randn(2, 3, 32, 32);
            long start = System.nanoTime();
            Features f = encoder.encode(x);
            double seconds = (System.nanoTime() - start) / 1e9;
            System.out.printf("cifar10Default forward, batch 2, train mode: %.2f s%n", seconds);
            assertArrayEquals(new long[] {2, 1024, 1, 1}, f.r1().shape());
            assertArrayEquals(new long[] {2, 1024, 5, 5}, f.r5().shape());
            assertArrayEquals(new long[] {2, 1024, 7, 7}, f.r7().shape());
        }
    }

    @Test
    void encodeReturnsOnlyTheThreeEmbeddingsAndRejectsWrongShapes() {
        EncoderConfig config = new EncoderConfig(64, 4, 32, 2, false);
        try (Encoder encoder = Encoder.create(config); Tensor x = Tensor.randn(3, 3, 64, 64)) {
            long live = Tensor.liveHandles();
            try (Features f = encoder.encode(x)) {
                assertEquals(live + 3, Tensor.liveHandles(), "only r1, r5 and r7 outlive encode");
                assertArrayEquals(new long[] {3, 32, 1, 1}, f.r1().shape());
                assertArrayEquals(new long[] {3, 32, 5, 5}, f.r5().shape());
                assertArrayEquals(new long[] {3, 32, 7, 7}, f.r7().shape());
                assertTrue(f.r5().requiresGrad());
            }
            assertEquals(live, Tensor.liveHandles());
            assertFalse(x.isClosed(), "the input stays the caller's");
            try (Tensor wrongSize = Tensor.randn(1, 3, 32, 32); Tensor gray = Tensor.randn(1, 1, 64, 64)) {
                var e = assertThrows(IllegalArgumentException.class, () -> encoder.encode(wrongSize));
                assertTrue(e.getMessage().contains("(B, 3, 64, 64)"), e.getMessage());
                assertThrows(IllegalArgumentException.class, () -> encoder.encode(gray));
            }
            assertThrows(UnsupportedOperationException.class, () -> encoder.forward(x));
        }
    }

    @Test
    void useBnSwitchesTheOptionalBatchNormsOnWithoutChangingTheStateDict() {
        EncoderConfig off = new EncoderConfig(32, 4, 16, 2, false);
        Torch.manualSeed(7);
        try (Encoder plain = Encoder.create(off);
                Encoder withBn = Encoder.create(off.withUseBn(true));
                Tensor x = Tensor.randn(2, 3, 32, 32)) {
            assertEquals(plain.stateDict().keySet(), withBn.stateDict().keySet());
            try (var scope = TensorScope.open()) {
                plain.encode(x);
                withBn.encode(x);
            }
            Map<String, Tensor> a = plain.stateDict();
            Map<String, Tensor> b = withBn.stateDict();
            for (String name : new String[] {"layer_list.1.bn1.bn.num_batches_tracked",
                    "layer_list.4.bn.num_batches_tracked", "rkhs_block_5.bn_hid.bn.num_batches_tracked"}) {
                assertEquals(0, a.get(name).itemLong(), name + " is dead with use_bn 0");
                assertEquals(1, b.get(name).itemLong(), name + " runs with use_bn 1");
            }
            for (String name : new String[] {"layer_list.8.bn.num_batches_tracked",
                    "rkhs_block_7.bn_out.bn.num_batches_tracked"}) {
                assertEquals(1, a.get(name).itemLong(), name + " always runs");
                assertEquals(1, b.get(name).itemLong(), name + " always runs");
            }
        }
    }
}
