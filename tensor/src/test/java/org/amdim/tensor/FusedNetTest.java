package org.amdim.tensor;

import static org.junit.jupiter.api.Assertions.*;

import org.amdim.bindings.TorchException;
import org.amdim.tensor.Functional.PadMode;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * {@link FusedNet} computes each of its layers as libtorch's ops do (convolution with ReLU, residual unit with a
 * pooled, channel-extended or identity shortcut, batch norm), owns copies of its tensors, and refuses wrong use
 * with exceptions.
 */
@ExtendWith(NoLeaks.class)
class FusedNetTest {
    /** The unit roundoff of float32. */
    private static final double U = 0x1p-24;

    @BeforeAll
    static void needsOneDnnHeaders() {
        Assumptions.assumeTrue(FusedNet.available(), "the shim was built without oneDNN's headers");
    }

    /**
     * Within float32 rounding of a reference computed on absolute values: each output is a chain of at most n
     * roundings relative to the magnitude of what it sums (|w|·|x| terms), so the two results differ by at most
     * 2·n·u times the largest such magnitude.
     */
    private static void assertClose(String what, Tensor actual, Tensor expected, Tensor magnitude, long n) {
        Closeness.assertWithin(what, actual, expected, 2 * n * U * Closeness.maxAbs(magnitude), 0);
    }

    @Test
    void convolutionWithReluAndWithout() {
        Torch.manualSeed(1);
        try (var scope = TensorScope.open()) {
            Tensor x = Tensor.randn(3, 5, 11, 11);
            Tensor w = Tensor.randn(16, 5, 3, 3);
            Tensor b = Tensor.randn(16);
            for (boolean relu : new boolean[] {false, true}) {
                try (FusedNet net = FusedNet.builder(5, 11, 11).conv(w, b, 2, 1, relu).build()) {
                    Tensor y = Functional.conv2d(x, w, b, 2, 1);
                    Tensor mag = Functional.conv2d(x.abs(), w.abs(), b.abs(), 2, 1);
                    assertArrayEquals(new long[] {16, 6, 6}, net.outputShape());
                    assertClose("conv relu=" + relu, net.apply(x), relu ? y.relu() : y, mag, 5 * 9 + 1);
                }
            }
        }
    }

    @Test
    void residualUnitsWithEachShortcut() {
        Torch.manualSeed(2);
        try (var scope = TensorScope.open()) {
            Tensor x = Tensor.randn(2, 16, 9, 9);
            // (in, out, kernel, stride): pooled with new channels, pooled, identity
            long[][] units = {{16, 32, 3, 2}, {16, 16, 3, 1}, {16, 16, 1, 1}};
            for (long[] u : units) {
                long in = u[0], out = u[1], k = u[2], s = u[3];
                Tensor w1 = Tensor.randn(out, in, k, k).div(Math.sqrt(in * k * k));
                Tensor b1 = Tensor.randn(out);
                Tensor w2 = Tensor.randn(out, out, 1, 1).div(Math.sqrt(out));
                // a conv in front, so that the identity shortcut runs on the network's own activation (in place)
                Tensor w0 = Tensor.randn(in, in, 1, 1).div(Math.sqrt(in));
                try (FusedNet net = FusedNet.builder(in, 9, 9).conv(w0, null, 1, 0, false)
                        .residual(w1, b1, k, s, w2, null).build()) {
                    Tensor h = Functional.conv2d(x, w0, null, 1, 0);
                    Tensor hm = Functional.conv2d(x.abs(), w0.abs(), null, 1, 0);
                    Tensor expected = residual(h, w1, b1, w2, k, s, out - in);
                    Tensor mag = residual(hm, w1.abs(), b1.abs(), w2.abs(), k, s, out - in);
                    assertClose("residual " + java.util.Arrays.toString(u), net.apply(x), expected, mag,
                            in + in * k * k + 1 + out + k * k + 1);
                }
            }
        }
    }

    private static Tensor residual(Tensor x, Tensor w1, Tensor b1, Tensor w2, long k, long s, long extra) {
        Tensor y = Functional.conv2d(Functional.conv2d(x, w1, b1, s, 0).relu(), w2, null, 1, 0);
        Tensor pooled = Functional.avgPool2d(x, k, s);
        return y.add(extra == 0 ? pooled : Functional.pad(pooled, new long[] {0, 0, 0, 0, 0, extra},
                PadMode.CONSTANT, 0));
    }

    @Test
    void batchNormAfterAConvolution() {
        Torch.manualSeed(3);
        try (var scope = TensorScope.open()) {
            Tensor x = Tensor.randn(4, 8, 5, 5);
            Tensor w = Tensor.randn(16, 8, 5, 5);
            Tensor mean = Tensor.randn(16);
            Tensor var = Tensor.rand(16).add(0.5);
            Tensor gamma = Tensor.randn(16);
            Tensor beta = Tensor.randn(16);
            try (FusedNet net = FusedNet.builder(8, 5, 5).conv(w, null, 1, 0, true)
                    .batchNorm(mean, var, gamma, beta, 1e-5).build()) {
                Tensor c = Functional.conv2d(x, w, null, 1, 0).relu();
                Tensor expected = Functional.batchNorm(c, mean, var, gamma, beta, false, 0, 1e-5);
                // the batch norm's few roundings scale the convolution's error by |gamma|/sqrt(var) <= |gamma|·1.5
                Tensor mag = Functional.conv2d(x.abs(), w.abs(), null, 1, 0).mul(gamma.abs().max().item() * 1.5)
                        .add(beta.abs().max().item() + mean.abs().max().item());
                assertClose("conv, batch norm", net.apply(x), expected, mag, 8 * 25 + 6);
            }
        }
    }

    @Test
    void ownsItsCopiesAndRefusesWrongUse() {
        Torch.manualSeed(4);
        try (var scope = TensorScope.open()) {
            Tensor w = Tensor.randn(4, 3, 3, 3);
            Tensor x = Tensor.randn(2, 3, 8, 8);
            long live = FusedNet.liveNets();
            FusedNet net = FusedNet.builder(3, 8, 8).conv(w, null, 1, 1, true).build();
            assertEquals(live + 1, FusedNet.liveNets());
            float[] before = net.apply(x).toFloatArray();
            w.mul_(2);
            w.close();
            assertArrayEquals(before, net.apply(x).toFloatArray(), "the network keeps its own weights");
            assertTrue(net.planCount() == 1);

            TorchException shape = assertThrows(TorchException.class, () -> net.apply(Tensor.randn(2, 3, 9, 8)));
            assertTrue(shape.getMessage().contains("(B, 3, 8, 8)"), shape.getMessage());
            TorchException dtype = assertThrows(TorchException.class,
                    () -> net.apply(Tensor.zeros(DType.FLOAT64, Device.CPU, 2, 3, 8, 8)));
            assertTrue(dtype.getMessage().contains("float32"), dtype.getMessage());
            assertThrows(TorchException.class, () -> net.apply(Tensor.randn(3, 8, 8)));
            Tensor closed = Tensor.randn(2, 3, 8, 8);
            closed.close();
            assertThrows(IllegalStateException.class, () -> net.apply(closed));
            // a strided view of other strides is copied, not refused
            Tensor wide = Tensor.randn(2, 3, 8, 16);
            assertEquals(2, net.apply(wide.narrow(3, 0, 8)).size(0));

            net.close();
            net.close();
            assertEquals(live, FusedNet.liveNets());
            assertThrows(IllegalStateException.class, () -> net.apply(x));

            Tensor w5 = Tensor.randn(4, 5, 3, 3);
            TorchException channels = assertThrows(TorchException.class,
                    () -> FusedNet.builder(3, 8, 8).conv(w5, null, 1, 0, false).build());
            assertTrue(channels.getMessage().contains("input channels"), channels.getMessage());
            assertThrows(TorchException.class, () -> FusedNet.builder(3, 2, 2).conv(Tensor.randn(4, 3, 3, 3), null,
                    1, 0, false).build(), "an empty output");
            assertThrows(TorchException.class, () -> FusedNet.builder(4, 8, 8).residual(Tensor.randn(2, 4, 1, 1),
                    null, 1, 1, Tensor.randn(2, 2, 1, 1), null).build(), "a residual unit cannot shrink channels");
            assertThrows(TorchException.class, () -> FusedNet.builder(4, 8, 8).batchNorm(Tensor.zeros(3),
                    Tensor.ones(4), Tensor.ones(4), Tensor.zeros(4), 1e-5).build());
            assertThrows(IllegalStateException.class, () -> FusedNet.builder(3, 8, 8).build(), "no layers");
            assertEquals(live, FusedNet.liveNets(), "failed builds free their networks");
        }
    }
}
