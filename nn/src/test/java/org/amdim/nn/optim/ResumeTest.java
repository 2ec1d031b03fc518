package org.amdim.nn.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

import org.amdim.nn.Module;
import org.amdim.tensor.NoLeaks;
import org.amdim.nn.io.NamedTensors;
import org.amdim.nn.io.TensorFiles;
import org.amdim.nn.layers.BatchNorm2d;
import org.amdim.nn.layers.Conv2d;
import org.amdim.nn.layers.Dropout;
import org.amdim.nn.layers.Flatten;
import org.amdim.nn.layers.Linear;
import org.amdim.nn.layers.MaxPool2d;
import org.amdim.nn.layers.ReLU;
import org.amdim.nn.layers.Sequential;
import org.amdim.tensor.DType;
import org.amdim.tensor.Functional;
import org.amdim.tensor.Tensor;
import org.amdim.tensor.TensorScope;
import org.amdim.tensor.Torch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Exact resume: N steps, a checkpoint of the model's and the optimizer's state dicts written with
 * {@link TensorFiles#save}, fresh model and optimizer loaded from it, M more steps; every parameter, buffer and
 * optimizer state tensor must equal an uninterrupted N + M step run bit for bit.
 */
@ExtendWith(NoLeaks.class)
class ResumeTest {
    private static final int BEFORE = 3;
    private static final int AFTER = 4;
    private static final LrSchedule SCHEDULE = LrSchedule.linearWarmup(5);

    @TempDir
    Path dir;

    private static Sequential model() {
        return new Sequential(new Conv2d(2, 4, 3, Conv2d.Options.defaults().withPadding(1)), new BatchNorm2d(4),
                new ReLU(), new MaxPool2d(2), new Flatten(), new Dropout(0.3), new Linear(64, 3));
    }

    private static Optimizer optimizer(String kind, Module m) {
        List<Tensor> params = m.parameters();
        // two groups, so that per-group learning rates are part of the state
        ParamGroup head = new ParamGroup(params.subList(params.size() - 2, params.size()), 2e-3, 1e-4);
        ParamGroup body = new ParamGroup(params.subList(0, params.size() - 2), 1e-3, 1e-2);
        return switch (kind) {
            case "adam-amsgrad" -> new Adam(List.of(body, head), Adam.Options.adam().withAmsgrad(true));
            case "adamw" -> new Adam(List.of(body, head), Adam.Options.adamW().withBetas(0.8, 0.99));
            case "sgd-nesterov" -> new Sgd(List.of(body, head), 0.9, 0, true);
            default -> throw new IllegalArgumentException(kind);
        };
    }

    /** One training step; the batch and the dropout masks depend only on the step number. */
    private static void step(Module m, Optimizer opt, int step) {
        try (var scope = TensorScope.open()) {
            Torch.manualSeed(1000 + step);
            Tensor x = Tensor.randn(4, 2, 8, 8);
            Tensor y = Tensor.randint(0, 3, 4);
            SCHEDULE.apply(opt, step, 0);
            opt.zeroGrad();
            Functional.crossEntropy(m.forward(x), y).backward();
            opt.step();
        }
    }

    /** Copies of every tensor's values, exact. */
    private static Map<String, Object> snapshot(Map<String, Tensor> state) {
        Map<String, Object> out = new LinkedHashMap<>();
        state.forEach((k, v) -> out.put(k, v.dtype() == DType.INT64 ? v.toLongArray() : v.toDoubleArray()));
        return out;
    }

    private static void assertSameValues(Map<String, Object> expected, Map<String, Object> actual) {
        assertEquals(expected.keySet(), actual.keySet());
        for (var e : expected.entrySet()) {
            Object a = actual.get(e.getKey());
            if (e.getValue() instanceof long[] l) {
                assertArrayEquals(l, (long[]) a, e.getKey());
            } else {
                assertArrayEquals((double[]) e.getValue(), (double[]) a, e.getKey());
            }
        }
    }

    private static Map<String, Object> optimizerSnapshot(Optimizer opt) {
        Map<String, Tensor> state = opt.stateDict();
        try {
            return snapshot(state);
        } finally {
            state.values().forEach(Tensor::close);
        }
    }

    private void save(Path file, Module m, Optimizer opt, int step) throws IOException {
        Map<String, Tensor> all = new LinkedHashMap<>();
        m.stateDict().forEach((k, v) -> all.put("model." + k, v));
        Map<String, Tensor> optState = opt.stateDict();
        try {
            optState.forEach((k, v) -> all.put("optim." + k, v));
            TensorFiles.save(file, all, Map.of("step", Integer.toString(step)));
        } finally {
            optState.values().forEach(Tensor::close);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"adam-amsgrad", "adamw", "sgd-nesterov"})
    void resumedRunEqualsUninterruptedRunBitForBit(String kind) throws IOException {
        Path file = dir.resolve(kind + ".safetensors");
        Map<String, Object> uninterrupted;
        Map<String, Object> uninterruptedOpt;
        Torch.manualSeed(1);
        try (Module m = model(); Optimizer opt = optimizer(kind, m)) {
            for (int s = 0; s < BEFORE + AFTER; s++) {
                if (s == BEFORE) {
                    save(file, m, opt, s);
                }
                step(m, opt, s);
            }
            uninterrupted = snapshot(m.stateDict());
            uninterruptedOpt = optimizerSnapshot(opt);
        }

        // a different initialisation, overwritten by the checkpoint
        Torch.manualSeed(999);
        try (Module m = model(); Optimizer opt = optimizer(kind, m); NamedTensors ckpt = TensorFiles.load(file)) {
            assertEquals(Integer.toString(BEFORE), ckpt.metadata().get("step"));
            assertEquals(List.of(), m.loadStateDict(ckpt.withPrefix("model."), true));
            opt.loadStateDict(ckpt.withPrefix("optim."));
            for (int s = Integer.parseInt(ckpt.metadata().get("step")); s < BEFORE + AFTER; s++) {
                step(m, opt, s);
            }
            assertSameValues(uninterrupted, snapshot(m.stateDict()));
            assertSameValues(uninterruptedOpt, optimizerSnapshot(opt));
        }

        // the comparison can fail: without the optimizer state the run goes elsewhere
        Torch.manualSeed(999);
        try (Module m = model(); Optimizer opt = optimizer(kind, m); NamedTensors ckpt = TensorFiles.load(file)) {
            m.loadStateDict(ckpt.withPrefix("model."), true);
            for (int s = BEFORE; s < BEFORE + AFTER; s++) {
                step(m, opt, s);
            }
            double[] expected = (double[]) uninterrupted.get("6.weight");
            assertFalse(Arrays.equals(expected, m.stateDict().get("6.weight").toDoubleArray()));
        }
    }

    @Test
    void loadingIsCheckedBeforeAnythingChanges() {
        Torch.manualSeed(2);
        try (Module m = model(); Adam adam = (Adam) optimizer("adam-amsgrad", m); var scope = TensorScope.open()) {
            step(m, adam, 0);
            Map<String, Object> before = optimizerSnapshot(adam);
            Map<String, Tensor> good = adam.stateDict();
            Function<Map<String, Tensor>, IllegalArgumentException> load =
                    s -> assertThrows(IllegalArgumentException.class, () -> adam.loadStateDict(s));

            Map<String, Tensor> badShape = new HashMap<>(good);
            badShape.put("state.3.exp_avg", Tensor.zeros(7));
            assertEquals(true, load.apply(badShape).getMessage().contains("state.3.exp_avg"));
            Map<String, Tensor> outOfRange = new HashMap<>(good);
            outOfRange.put("state.8.exp_avg", Tensor.zeros(1));
            load.apply(outOfRange);
            Map<String, Tensor> unknown = new HashMap<>(good);
            unknown.put("state.0.momentum", Tensor.zeros(1));
            load.apply(unknown);
            Map<String, Tensor> missing = new HashMap<>(good);
            missing.remove("state.2.max_exp_avg_sq");
            load.apply(missing);
            Map<String, Tensor> notANumber = new HashMap<>(good);
            notANumber.put("state.x.step", Tensor.zeros(1));
            load.apply(notANumber);
            Map<String, Tensor> zeroStep = new HashMap<>(good);
            zeroStep.put("state.0.step", Tensor.zeros(DType.INT64, org.amdim.tensor.Device.CPU));
            load.apply(zeroStep);
            assertSameValues(before, optimizerSnapshot(adam));

            // a valid dict that covers fewer parameters drops the others' state
            Map<String, Tensor> partial = new HashMap<>();
            good.forEach((k, v) -> {
                if (k.startsWith("state.0.") || k.startsWith("param_groups.")) {
                    partial.put(k, v);
                }
            });
            adam.loadStateDict(partial);
            assertEquals(1, adam.step(0));
            assertEquals(0, adam.step(1));
            assertEquals(null, adam.expAvg(1));
            good.values().forEach(Tensor::close);
        }
    }
}
