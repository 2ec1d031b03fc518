package org.amdim.tensor;

import static org.junit.jupiter.api.Assertions.*;

import org.amdim.bindings.TorchException;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * {@link PackedConv2d} computes what {@link Functional#conv2d} computes, keeps no link to the tensors it was made
 * from, and refuses wrong use with exceptions that say what is wrong.
 */
@ExtendWith(NoLeaks.class)
class PackedConv2dTest {
    /** The unit roundoff of float32. */
    private static final double U = 0x1p-24;

    @BeforeAll
    static void needsOneDnn() {
        org.junit.jupiter.api.Assumptions.assumeTrue(Torch.mkldnnAvailable(), "libtorch was built without oneDNN");
    }

    /**
     * Asserts that {@code actual} is {@code conv2d(x, w, b)} up to float32 rounding: both are sums of n = in/groups
     * ·kh·kw products (plus the bias) in some order, so each is within γ(n+1)·Σ|w·x| + |b| ≈ (n+1)·u·(Σ|w||x| + |b|)
     * of the exact value, and they are within twice that of each other. The bound is taken at its largest element.
     */
    private static void assertConvClose(String what, Tensor actual, Tensor x, Tensor w, Tensor b, long[] stride,
            long[] padding, long groups) {
        long[] ws = w.shape();
        long n = ws[1] * ws[2] * ws[3] + 1;
        Tensor expected = Functional.conv2d(x, w, b, stride, padding, new long[] {1, 1}, groups);
        Tensor magnitude = Functional.conv2d(x.abs(), w.abs(), b == null ? null : b.abs(), stride, padding,
                new long[] {1, 1}, groups);
        double bound = 2 * n * U * Closeness.maxAbs(magnitude);
        Closeness.assertWithin(what, actual, expected, bound, 0);
    }

    @Test
    void equalsConv2dForTheEncodersShapesAndMore() {
        record Case(long in, long out, long k, long stride, long pad, long groups, boolean bias) {
        }
        Case[] cases = {
            new Case(3, 8, 3, 1, 0, 1, true),    // the stem
            new Case(8, 16, 4, 2, 0, 1, false),  // a down-sampling unit's conv1
            new Case(16, 16, 1, 1, 0, 1, false), // 1x1 conv2
            new Case(16, 32, 1, 1, 0, 1, true),  // a head's shortcut
            new Case(6, 10, 3, 2, 1, 2, true),   // zero padding and groups
        };
        Torch.manualSeed(3);
        for (Case c : cases) {
            try (var scope = TensorScope.open()) {
                Tensor x = Tensor.randn(3, c.in, 11, 11);
                Tensor w = Tensor.randn(c.out, c.in / c.groups, c.k, c.k);
                Tensor b = c.bias ? Tensor.randn(c.out) : null;
                long[] stride = {c.stride, c.stride};
                long[] pad = {c.pad, c.pad};
                try (PackedConv2d conv = PackedConv2d.of(w, b, stride, pad, new long[] {1, 1}, c.groups)) {
                    assertEquals(c.out, conv.outChannels());
                    assertEquals(c.in, conv.inChannels());
                    Tensor y = conv.apply(x.toMkldnn());
                    assertEquals(Layout.MKLDNN, y.layout(), "the output stays in mkldnn layout");
                    assertConvClose(c.toString(), y.toDense(), x, w, b, stride, pad, c.groups);
                }
            }
        }
    }

    @Test
    void acceptsChannelsLastWeightsAndInputs() {
        // The encoder's modules hold channels-last weights; packing must read them by index, not by memory order.
        Torch.manualSeed(4);
        try (var scope = TensorScope.open()) {
            Tensor x = Tensor.randn(2, 5, 9, 9);
            Tensor w = Tensor.randn(7, 5, 3, 3);
            Tensor b = Tensor.randn(7);
            try (PackedConv2d conv = PackedConv2d.of(w.contiguous(MemoryFormat.CHANNELS_LAST), b, 1, 0)) {
                Tensor y = conv.apply(x.contiguous(MemoryFormat.CHANNELS_LAST).toMkldnn()).toDense();
                assertConvClose("channels-last", y, x, w, b, new long[] {1, 1}, new long[] {0, 0}, 1);
            }
        }
    }

    @Test
    void isASnapshotOfTheWeightAndBias() {
        try (var scope = TensorScope.open()) {
            Tensor x = Tensor.ones(1, 1, 1, 1).toMkldnn();
            Tensor w = Tensor.full(2, 1, 1, 1, 1);
            Tensor b = Tensor.full(3, 1);
            try (PackedConv2d conv = PackedConv2d.of(w, b, 1, 0)) {
                w.fill_(100);
                b.fill_(100);
                assertArrayEquals(new float[] {5}, conv.apply(x).toFloatArray());
            }
        }
    }

    @Test
    void survivesTheScopeItWasMadeIn() {
        PackedConv2d conv;
        try (var scope = TensorScope.open()) {
            conv = PackedConv2d.of(Tensor.ones(2, 1, 1, 1), Tensor.zeros(2), 1, 0);
        }
        try (conv; var scope = TensorScope.open()) {
            assertArrayEquals(new float[] {3, 3}, conv.apply(Tensor.full(3, 1, 1, 1, 1).toMkldnn()).toFloatArray());
        }
        assertTrue(conv.isClosed());
    }

    @Test
    void wrongUseThrowsClearExceptions() {
        try (var scope = TensorScope.open(); PackedConv2d conv = PackedConv2d.of(Tensor.randn(4, 3, 3, 3), null, 1, 0)) {
            Tensor dense = Tensor.randn(2, 3, 5, 5);
            TorchException strided = assertThrows(TorchException.class, () -> conv.apply(dense));
            assertTrue(strided.getMessage().contains("x must be in mkldnn layout"), strided.getMessage());

            TorchException channels = assertThrows(TorchException.class,
                    () -> conv.apply(Tensor.randn(2, 5, 5, 5).toMkldnn()));
            assertTrue(channels.getMessage().contains("to have 3 channels, but got 5 channels"), channels.getMessage());

            assertThrows(TorchException.class, () -> conv.apply(Tensor.randn(2, 3, 2, 2).toMkldnn()),
                    "a kernel larger than the input");

            Tensor closed = Tensor.randn(2, 3, 5, 5).toMkldnn();
            closed.close();
            assertThrows(IllegalStateException.class, () -> conv.apply(closed));
        }
    }

    @Test
    void theLowLevelConvolutionRefusesADenseWeight() {
        try (var scope = TensorScope.open()) {
            Tensor x = Tensor.randn(1, 3, 5, 5).toMkldnn();
            long[] one = {1, 1};
            long[] zero = {0, 0};
            TorchException e = assertThrows(TorchException.class,
                    () -> Functional.mkldnnConv2d(x, Tensor.randn(4, 3, 3, 3), null, one, zero, one, 1));
            assertTrue(e.getMessage().contains("packed_weight must be a packed weight"), e.getMessage());
            Tensor packed = Functional.packConv2dWeight(Tensor.randn(4, 3, 3, 3), one, zero, one, 1);
            assertEquals(Layout.MKLDNN, packed.layout());
            assertArrayEquals(new long[] {1, 4, 3, 3},
                    Functional.mkldnnConv2d(x, packed, null, one, zero, one, 1).shape());
            assertThrows(IllegalArgumentException.class,
                    () -> Functional.mkldnnConv2d(x, packed, null, new long[] {1}, zero, one, 1));
        }
    }

    @Test
    void packingRefusesWhatCannotBeAConvolution() {
        try (var scope = TensorScope.open()) {
            TorchException rank = assertThrows(TorchException.class, () -> PackedConv2d.of(Tensor.randn(4, 3, 3), null, 1, 0));
            assertTrue(rank.getMessage().contains("4-D"), rank.getMessage());
            assertThrows(TorchException.class,
                    () -> PackedConv2d.of(Tensor.zeros(DType.FLOAT64, Device.CPU, 4, 3, 3, 3), null, 1, 0));
            assertThrows(TorchException.class, () -> PackedConv2d.of(Tensor.randn(4, 3, 3, 3), null,
                    new long[] {1, 1}, new long[] {0, 0}, new long[] {1, 1}, 0));
            IllegalArgumentException bias = assertThrows(IllegalArgumentException.class,
                    () -> PackedConv2d.of(Tensor.randn(4, 3, 3, 3), Tensor.zeros(5), 1, 0));
            assertTrue(bias.getMessage().contains("one value per output channel"), bias.getMessage());
            Tensor closed = Tensor.randn(4, 3, 3, 3);
            closed.close();
            assertThrows(IllegalStateException.class, () -> PackedConv2d.of(closed, null, 1, 0));
        }
    }

    @Test
    void closedConvolutionThrowsAndClosesOnce() {
        PackedConv2d conv;
        try (var scope = TensorScope.open()) {
            conv = PackedConv2d.of(Tensor.randn(2, 1, 1, 1), Tensor.zeros(2), 1, 0);
        }
        conv.close();
        conv.close();
        assertTrue(conv.toString().contains("closed"), conv.toString());
        try (var scope = TensorScope.open()) {
            Tensor x = Tensor.ones(1, 1, 1, 1).toMkldnn();
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> conv.apply(x));
            assertTrue(e.getMessage().contains("closed"), e.getMessage());
        }
    }
}
