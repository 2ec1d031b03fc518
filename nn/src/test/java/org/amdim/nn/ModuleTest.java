package org.amdim.nn;

import org.amdim.tensor.NoLeaks;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.amdim.nn.layers.BatchNorm2d;
import org.amdim.nn.layers.Conv2d;
import org.amdim.nn.layers.Dropout;
import org.amdim.nn.layers.Flatten;
import org.amdim.nn.layers.Identity;
import org.amdim.nn.layers.Linear;
import org.amdim.nn.layers.MaxPool2d;
import org.amdim.nn.layers.ModuleList;
import org.amdim.nn.layers.ReLU;
import org.amdim.nn.layers.Sequential;
import org.amdim.nn.io.NamedTensors;
import org.amdim.nn.io.TensorFiles;
import org.amdim.tensor.DType;
import org.amdim.tensor.MemoryFormat;
import org.amdim.tensor.Functional.PadMode;
import org.amdim.tensor.Tensor;
import org.amdim.tensor.TensorScope;
import org.amdim.tensor.Torch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * {@link Module}'s PyTorch-compatible bookkeeping: dotted names, state-dict order, strict and non-strict
 * loading, train/eval propagation, parameter counts, gradients, dtype conversion, closing, and printing.
 */
@ExtendWith(NoLeaks.class)
class ModuleTest {

    /** A conv unit as in the AMDIM encoder: {@code conv} then {@code bn}. */
    static final class Unit extends Module {
        final Conv2d conv;
        final BatchNorm2d bn;

        Unit(long in, long out) {
            conv = registerModule("conv", new Conv2d(in, out, 3));
            bn = registerModule("bn", new BatchNorm2d(out));
        }

        @Override
        public Tensor forward(Tensor x) {
            try (Tensor c = conv.forward(x)) {
                return bn.forward(c);
            }
        }
    }

    /** Own parameter and buffer, a ModuleList of units, and a head. */
    static final class Net extends Module {
        final ModuleList layers;
        final Linear head;

        Net() {
            registerParameter("temperature", Tensor.ones(1));
            registerBuffer("scale", Tensor.full(2, 3));
            layers = registerModule("layer_list", new ModuleList(new Unit(3, 4), new Unit(4, 2)));
            head = registerModule("head", new Linear(2, 5));
        }

        @Override
        public Tensor forward(Tensor x) {
            try (var scope = TensorScope.open()) {
                Tensor h = x;
                for (Module m : layers) {
                    h = m.forward(h);
                }
                return scope.keep(head.forward(h.mean(new long[] {2, 3}, false)).mul(parameter("temperature")));
            }
        }
    }

    private static final List<String> NET_KEYS = List.of(
            "temperature", "scale",
            "layer_list.0.conv.weight", "layer_list.0.conv.bias",
            "layer_list.0.bn.weight", "layer_list.0.bn.bias", "layer_list.0.bn.running_mean",
            "layer_list.0.bn.running_var", "layer_list.0.bn.num_batches_tracked",
            "layer_list.1.conv.weight", "layer_list.1.conv.bias",
            "layer_list.1.bn.weight", "layer_list.1.bn.bias", "layer_list.1.bn.running_mean",
            "layer_list.1.bn.running_var", "layer_list.1.bn.num_batches_tracked",
            "head.weight", "head.bias");

    @Test
    void namesAreDottedPathsInPyTorchsOrder() {
        try (Net net = new Net()) {
            // state dict: per module its parameters, then its buffers, then its children
            assertEquals(NET_KEYS, List.copyOf(net.stateDict().keySet()));
            assertEquals(List.of("temperature", "layer_list.0.conv.weight", "layer_list.0.conv.bias",
                    "layer_list.0.bn.weight", "layer_list.0.bn.bias", "layer_list.1.conv.weight",
                    "layer_list.1.conv.bias", "layer_list.1.bn.weight", "layer_list.1.bn.bias", "head.weight",
                    "head.bias"), List.copyOf(net.namedParameters().keySet()));
            assertEquals(List.of("scale", "layer_list.0.bn.running_mean", "layer_list.0.bn.running_var",
                    "layer_list.0.bn.num_batches_tracked", "layer_list.1.bn.running_mean",
                    "layer_list.1.bn.running_var", "layer_list.1.bn.num_batches_tracked"),
                    List.copyOf(net.namedBuffers().keySet()));
            assertEquals(List.of("layer_list", "head"), List.copyOf(net.namedChildren().keySet()));
            assertSame(net.layers.get(1), net.layers.namedChildren().get("1"));
            assertArrayEquals(new long[] {2, 4, 3, 3}, net.stateDict().get("layer_list.1.conv.weight").shape());
            assertEquals(net.parameters(), List.copyOf(net.namedParameters().values()));
            for (Tensor p : net.parameters()) {
                assertTrue(p.requiresGrad() && p.isLeaf());
            }
        }
    }

    @Test
    void parameterCountAddsEveryElement() {
        try (Net net = new Net()) {
            long conv0 = 4 * 3 * 9 + 4;
            long conv1 = 2 * 4 * 9 + 2;
            long bns = 2 * 4 + 2 * 2;
            long head = 5 * 2 + 5;
            assertEquals(1 + conv0 + conv1 + bns + head, net.parameterCount());
        }
    }

    @Test
    void badNamesAndDuplicatesAreRejected() {
        class Bad extends Module {
            void register(String name) {
                registerParameter(name, Tensor.zeros(1));
            }
        }
        try (Bad bad = new Bad(); var scope = TensorScope.open()) {
            bad.register("w");
            assertThrows(IllegalArgumentException.class, () -> bad.register("w"));
            assertThrows(IllegalArgumentException.class, () -> bad.register("a.b"));
            assertThrows(IllegalArgumentException.class, () -> bad.register(""));
        }
    }

    @Test
    void sharedParametersAreListedOnce() {
        class Tied extends Module {
            Tied() {
                Linear shared = new Linear(3, 3);
                registerModule("encoder", shared);
                registerModule("decoder", shared);
            }
        }
        try (Tied tied = new Tied()) {
            assertEquals(List.of("encoder.weight", "encoder.bias"), List.copyOf(tied.namedParameters().keySet()));
            assertEquals(12, tied.parameterCount());
            // the state dict keeps every name, as PyTorch's does
            assertEquals(List.of("encoder.weight", "encoder.bias", "decoder.weight", "decoder.bias"),
                    List.copyOf(tied.stateDict().keySet()));
        }
    }

    @Test
    void strictLoadingListsMissingAndUnexpectedKeysAndChangesNothing() {
        try (Net source = new Net(); Net target = new Net(); var scope = TensorScope.open()) {
            Map<String, Tensor> state = new HashMap<>(source.stateDict());
            state.remove("layer_list.1.bn.running_var");
            state.remove("head.bias");
            state.put("head.extra", Tensor.zeros(1));
            float[] before = target.stateDict().get("head.weight").toFloatArray();
            var e = assertThrows(IllegalArgumentException.class, () -> target.loadStateDict(state, true));
            assertTrue(e.getMessage().contains("missing keys [layer_list.1.bn.running_var, head.bias]"),
                    e.getMessage());
            assertTrue(e.getMessage().contains("unexpected keys [head.extra]"), e.getMessage());
            assertArrayEquals(before, target.stateDict().get("head.weight").toFloatArray());
        }
    }

    @Test
    void shapeMismatchNamesTheKeyEvenWhenNotStrict() {
        try (Net source = new Net(); Net target = new Net(); var scope = TensorScope.open()) {
            Map<String, Tensor> state = new HashMap<>(source.stateDict());
            state.put("layer_list.0.conv.bias", Tensor.zeros(5));
            float[] before = target.stateDict().get("head.weight").toFloatArray();
            for (boolean strict : new boolean[] {true, false}) {
                var e = assertThrows(IllegalArgumentException.class, () -> target.loadStateDict(state, strict));
                assertTrue(e.getMessage().contains("'layer_list.0.conv.bias'"), e.getMessage());
                assertTrue(e.getMessage().contains("[4]") && e.getMessage().contains("[5]"), e.getMessage());
            }
            assertArrayEquals(before, target.stateDict().get("head.weight").toFloatArray(),
                    "checks run before anything is copied");
        }
    }

    @Test
    void nonStrictLoadingCopiesWhatIsThereAndReturnsTheMissingKeys() {
        try (Net source = new Net(); Net target = new Net(); var scope = TensorScope.open()) {
            Map<String, Tensor> state = new HashMap<>(source.stateDict());
            state.remove("head.weight");
            state.remove("layer_list.0.bn.num_batches_tracked");
            state.put("something.else", Tensor.zeros(2));
            float[] headBefore = target.stateDict().get("head.weight").toFloatArray();
            assertEquals(List.of("layer_list.0.bn.num_batches_tracked", "head.weight"),
                    target.loadStateDict(state, false));
            assertArrayEquals(headBefore, target.stateDict().get("head.weight").toFloatArray());
            for (String key : state.keySet()) {
                if (!key.equals("something.else")) {
                    assertArrayEquals(source.stateDict().get(key).toDoubleArray(),
                            target.stateDict().get(key).toDoubleArray(), key);
                }
            }
        }
    }

    @Test
    void loadingConvertsDtypeAndKeepsTheModulesOwn() {
        try (Linear lin = new Linear(2, 2); var scope = TensorScope.open()) {
            Tensor w = lin.weight();
            lin.loadStateDict(Map.of("weight", Tensor.of(new double[] {1, 2, 3, 4}, 2, 2),
                    "bias", Tensor.of(new double[] {0.5, 0.25})), true);
            assertSame(w, lin.weight(), "parameters are updated in place, so optimizers keep working");
            assertEquals(DType.FLOAT32, lin.weight().dtype());
            assertArrayEquals(new float[] {1, 2, 3, 4}, lin.weight().toFloatArray());
            assertTrue(lin.weight().requiresGrad());
        }
    }

    @Test
    void trainAndEvalReachEveryDescendant() {
        try (Net net = new Net()) {
            assertTrue(net.isTraining());
            net.eval();
            assertFalse(net.isTraining());
            assertFalse(net.layers.get(1).isTraining());
            assertFalse(((Unit) net.layers.get(0)).bn.isTraining());
            net.layers.train();
            assertTrue(((Unit) net.layers.get(1)).conv.isTraining());
            assertFalse(net.head.isTraining());
            net.train(true);
            assertTrue(net.head.isTraining());
        }
    }

    @Test
    void zeroGradDropsEveryGradient() {
        try (Net net = new Net(); var scope = TensorScope.open()) {
            net.forward(Tensor.randn(2, 3, 7, 7)).sum().backward();
            for (var e : net.namedParameters().entrySet()) {
                assertNotNull(e.getValue().grad(), e.getKey());
            }
            net.zeroGrad();
            for (var e : net.namedParameters().entrySet()) {
                assertNull(e.getValue().grad(), e.getKey());
            }
        }
    }

    @Test
    void closeFreesEveryTensor() {
        long before = Tensor.liveHandles();
        Net net = new Net();
        try (var scope = TensorScope.open()) {
            net.forward(Tensor.randn(2, 3, 7, 7)).sum().backward();
        }
        assertTrue(Tensor.liveHandles() > before);
        net.close();
        assertEquals(before, Tensor.liveHandles());
        net.close();
        assertEquals(before, Tensor.liveHandles(), "close is idempotent");
    }

    @Test
    void modelsBuiltInsideAScopeSurviveIt() {
        Net net;
        try (var scope = TensorScope.open()) {
            net = new Net();
        }
        try (net; var scope = TensorScope.open()) {
            assertEquals(5, net.forward(Tensor.randn(1, 3, 7, 7)).numel());
        }
    }

    @Test
    void toFloat64ConvertsFloatingTensorsOnly() {
        Torch.manualSeed(8);
        try (Net net = new Net(); var scope = TensorScope.open()) {
            Tensor frozen = net.namedParameters().get("temperature");
            frozen.requiresGrad(false);
            net.forward(Tensor.randn(2, 3, 7, 7)).sum().backward();
            Map<String, double[]> values = new HashMap<>();
            net.stateDict().forEach((k, v) -> values.put(k, v.toDoubleArray()));
            float[] headGrad = net.head.weight().grad().toFloatArray();
            long live = Tensor.liveHandles();

            assertSame(net, net.to(DType.FLOAT64));
            assertEquals(live, Tensor.liveHandles(), "old tensors are freed, nothing leaks");
            for (var e : net.stateDict().entrySet()) {
                DType want = e.getKey().endsWith("num_batches_tracked") ? DType.INT64 : DType.FLOAT64;
                assertEquals(want, e.getValue().dtype(), e.getKey());
                assertArrayEquals(values.get(e.getKey()), e.getValue().toDoubleArray(), e.getKey());
            }
            for (var e : net.namedParameters().entrySet()) {
                assertEquals(!e.getKey().equals("temperature"), e.getValue().requiresGrad(), e.getKey());
                assertTrue(e.getValue().isLeaf(), e.getKey());
            }
            Tensor grad = net.head.weight().grad();
            assertEquals(DType.FLOAT64, grad.dtype());
            assertArrayEquals(toDoubles(headGrad), grad.toDoubleArray());

            Tensor out = net.forward(Tensor.randn(2, 3, 7, 7).to(DType.FLOAT64));
            assertEquals(DType.FLOAT64, out.dtype());
            out.sum().backward();
            net.to(DType.FLOAT32);
            assertEquals(DType.FLOAT32, net.head.bias().dtype());
            assertThrows(IllegalArgumentException.class, () -> net.to(DType.INT64));
        }
    }

    @Test
    void channelsLastRelaysConvWeightsButNotValuesOrSavedBytes(@org.junit.jupiter.api.io.TempDir Path dir)
            throws IOException {
        Torch.manualSeed(9);
        try (Net rowMajor = new Net(); Net nhwc = new Net(); var scope = TensorScope.open()) {
            nhwc.loadStateDict(rowMajor.stateDict(), true);
            assertSame(nhwc, nhwc.to(MemoryFormat.CHANNELS_LAST));
            Tensor w = nhwc.namedParameters().get("layer_list.0.conv.weight");
            assertTrue(w.isContiguous(MemoryFormat.CHANNELS_LAST));
            assertFalse(w.isContiguous(), "a 4x3x3x3 weight cannot be dense in both orders");
            assertTrue(w.requiresGrad() && w.isLeaf());
            assertTrue(nhwc.head.weight().isContiguous(), "2-D weights keep their layout");

            // Evaluation mode, so that the forward leaves the batch-norm buffers (saved below) as they are.
            rowMajor.eval();
            nhwc.eval();
            Tensor x = Tensor.randn(2, 3, 7, 7);
            assertArrayEquals(rowMajor.forward(x).toFloatArray(), nhwc.forward(x).toFloatArray(), 1e-5f);

            // Saved files hold row-major bytes whatever the layout: both modules write identical files.
            Path a = dir.resolve("row-major.safetensors");
            Path b = dir.resolve("channels-last.safetensors");
            TensorFiles.save(a, rowMajor.stateDict(), Map.of());
            TensorFiles.save(b, nhwc.stateDict(), Map.of());
            assertArrayEquals(Files.readAllBytes(a), Files.readAllBytes(b));

            // Loading into a channels-last module copies values into its layout, without changing the layout.
            try (NamedTensors loaded = TensorFiles.load(a); Net fresh = new Net()) {
                fresh.to(MemoryFormat.CHANNELS_LAST);
                fresh.loadStateDict(loaded.tensors(), true);
                Tensor fw = fresh.namedParameters().get("layer_list.0.conv.weight");
                assertTrue(fw.isContiguous(MemoryFormat.CHANNELS_LAST));
                assertArrayEquals(w.toFloatArray(), fw.toFloatArray());
            }
            nhwc.to(MemoryFormat.CONTIGUOUS);
            assertTrue(nhwc.namedParameters().get("layer_list.0.conv.weight").isContiguous());
        }
    }

    @Test
    void toTheDeviceItIsOnKeepsEveryTensor() {
        try (Net net = new Net()) {
            Map<String, Tensor> before = net.stateDict();
            assertSame(net, net.to(org.amdim.tensor.Device.CPU));
            net.stateDict().forEach((k, v) -> assertSame(before.get(k), v, k));
            net.to(DType.FLOAT32);
            net.stateDict().forEach((k, v) -> assertSame(before.get(k), v, k));
        }
    }

    private static double[] toDoubles(float[] f) {
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) {
            d[i] = f[i];
        }
        return d;
    }

    @Test
    void toStringPrintsTheTreeLikePyTorch() {
        try (Sequential seq = new Sequential(
                new Conv2d(3, 8, 3, Conv2d.Options.defaults().withStride(2).withPadding(1)),
                new BatchNorm2d(8),
                new ReLU(),
                new MaxPool2d(2),
                new ModuleList(new Conv2d(8, 8, 3, Conv2d.Options.defaults().withPadding(2)
                        .withPaddingMode(PadMode.REFLECT).withBias(false).withGroups(2).withDilation(2)),
                        new Identity()),
                new Flatten(),
                new Dropout(0.5),
                new Linear(8, 10, false))) {
            assertEquals("Sequential(\n"
                    + "  (0): Conv2d(3, 8, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1))\n"
                    + "  (1): BatchNorm2d(8, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)\n"
                    + "  (2): ReLU()\n"
                    + "  (3): MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)\n"
                    + "  (4): ModuleList(\n"
                    + "    (0): Conv2d(8, 8, kernel_size=(3, 3), stride=(1, 1), padding=(2, 2), dilation=(2, 2),"
                    + " groups=2, bias=False, padding_mode=reflect)\n"
                    + "    (1): Identity()\n"
                    + "  )\n"
                    + "  (5): Flatten(start_dim=1, end_dim=-1)\n"
                    + "  (6): Dropout(p=0.5, inplace=False)\n"
                    + "  (7): Linear(in_features=8, out_features=10, bias=False)\n"
                    + ")", seq.toString());
            assertEquals("Sequential()", new Sequential().toString());
        }
    }

    @Test
    void sequentialAppliesItsLayersInOrderAndOwnsNothingOfTheCaller() {
        try (Sequential seq = new Sequential(new Identity(), new ReLU(), new Identity());
                var scope = TensorScope.open()) {
            seq.eval();
            Tensor x = Tensor.of(new float[] {-1, 2, -3});
            Tensor y = seq.forward(x);
            assertArrayEquals(new float[] {0, 2, 0}, y.toFloatArray());
            assertArrayEquals(new float[] {-1, 2, -3}, x.toFloatArray());
            assertEquals(3, seq.size());
            try (Sequential empty = new Sequential()) {
                Tensor same = empty.forward(x);
                same.close();
                assertEquals(3, x.numel(), "an empty Sequential hands back a new handle");
            }
        }
    }
}
