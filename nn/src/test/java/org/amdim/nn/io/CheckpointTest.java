package org.amdim.nn.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.amdim.nn.Module;
import org.amdim.tensor.NoLeaks;
import org.amdim.nn.layers.BatchNorm1d;
import org.amdim.nn.layers.Linear;
import org.amdim.nn.layers.ReLU;
import org.amdim.nn.layers.Sequential;
import org.amdim.nn.optim.Adam;
import org.amdim.tensor.DType;
import org.amdim.tensor.Device;
import org.amdim.tensor.Functional;
import org.amdim.tensor.Tensor;
import org.amdim.tensor.TensorScope;
import org.amdim.tensor.Torch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Checkpoints through {@link TensorFiles}: a model state dict, optimizer state and metadata survive a round trip
 * exactly (names, dtypes, shapes, values); truncated or corrupted files raise {@link SafetensorsFormatException}
 * without touching the model or the previous good file.
 */
@ExtendWith(NoLeaks.class)
class CheckpointTest {
    @TempDir
    Path dir;

    private static Sequential model() {
        return new Sequential(new Linear(5, 8), new BatchNorm1d(8), new ReLU(), new Linear(8, 3));
    }

    /** One Adam step so that buffers and optimizer state are non-trivial. */
    private static void train(Module m, Adam adam) {
        try (var scope = TensorScope.open()) {
            Tensor x = Tensor.randn(6, 5);
            Tensor y = Tensor.randint(0, 3, 6);
            Functional.crossEntropy(m.forward(x), y).backward();
            adam.step();
        }
    }

    /** The model's state dict under {@code model.} and the optimizer's under {@code optim.}. */
    private static void save(Path file, Module m, Adam adam, Map<String, String> metadata) throws IOException {
        Map<String, Tensor> all = new LinkedHashMap<>();
        m.stateDict().forEach((k, v) -> all.put("model." + k, v));
        Map<String, Tensor> opt = adam.stateDict();
        try {
            opt.forEach((k, v) -> all.put("optim." + k, v));
            TensorFiles.save(file, all, metadata);
        } finally {
            opt.values().forEach(Tensor::close);
        }
    }

    private static void assertSameTensor(String name, Tensor expected, Tensor actual) {
        assertEquals(expected.dtype(), actual.dtype(), name);
        assertArrayEquals(expected.shape(), actual.shape(), name);
        if (expected.dtype() == DType.INT64) {
            assertArrayEquals(expected.toLongArray(), actual.toLongArray(), name);
        } else {
            assertArrayEquals(expected.toDoubleArray(), actual.toDoubleArray(), name);
        }
    }

    @Test
    void modelOptimizerAndMetadataRoundTripExactly() throws IOException {
        Path file = dir.resolve("ckpt.safetensors");
        Torch.manualSeed(4);
        try (Module m = model(); Adam adam = new Adam(m.parameters(), 1e-3, 1e-5, Adam.Options.adam());
                var scope = TensorScope.open()) {
            train(m, adam);
            train(m, adam);
            save(file, m, adam, Map.of("epoch", "3", "preset", "cifar", "note", "ünïcödé"));

            try (NamedTensors loaded = TensorFiles.load(file)) {
                assertEquals(Map.of("epoch", "3", "preset", "cifar", "note", "ünïcödé"), loaded.metadata());
                Map<String, Tensor> model = loaded.withPrefix("model.");
                assertEquals(m.stateDict().keySet(), model.keySet());
                m.stateDict().forEach((k, v) -> assertSameTensor(k, v, model.get(k)));
                assertEquals(DType.INT64, model.get("1.num_batches_tracked").dtype());
                assertEquals(0, model.get("1.num_batches_tracked").dim(), "scalars stay scalars");
                assertEquals(2, model.get("1.num_batches_tracked").itemLong());

                Map<String, Tensor> opt = loaded.withPrefix("optim.");
                Map<String, Tensor> own = adam.stateDict();
                assertEquals(own.keySet(), opt.keySet());
                own.forEach((k, v) -> assertSameTensor(k, v, opt.get(k)));
                assertEquals(DType.INT64, opt.get("state.0.step").dtype());
                assertEquals(2, opt.get("state.0.step").itemLong());
                assertEquals(DType.FLOAT64, opt.get("param_groups.0.lr").dtype());
                assertEquals(1e-3, opt.get("param_groups.0.lr").item());

                // a fresh model and optimizer take everything
                try (Module fresh = model(); Adam freshAdam = new Adam(fresh.parameters(), 1e-3, 1e-5,
                        Adam.Options.adam())) {
                    assertEquals(List.of(), fresh.loadStateDict(model, true));
                    freshAdam.loadStateDict(opt);
                    m.stateDict().forEach((k, v) -> assertSameTensor(k, v, fresh.stateDict().get(k)));
                    assertEquals(2, freshAdam.step(0));
                    assertSameTensor("exp_avg_sq", adam.expAvgSq(3), freshAdam.expAvgSq(3));
                }
            }
        }
    }

    @Test
    void everyDtypeAndNonContiguousTensorsRoundTrip() throws IOException {
        Path file = dir.resolve("types.safetensors");
        try (var scope = TensorScope.open()) {
            Map<String, Tensor> tensors = new LinkedHashMap<>();
            Tensor base = Tensor.arange(0, 12, 1, DType.FLOAT64, Device.CPU).reshape(3, 4).div(7);
            for (DType t : DType.values()) {
                tensors.put(t.name(), base.to(t));
            }
            Tensor transposed = base.t();
            assertFalse(transposed.isContiguous());
            tensors.put("transposed", transposed);
            tensors.put("scalar", Tensor.scalar(2.5f));
            tensors.put("empty", Tensor.zeros(0, 3));
            TensorFiles.save(file, tensors, Map.of());
            try (NamedTensors loaded = TensorFiles.load(file)) {
                assertEquals(tensors.keySet(), new java.util.HashSet<>(loaded.tensors().keySet()));
                for (var e : tensors.entrySet()) {
                    Tensor got = loaded.get(e.getKey());
                    assertEquals(e.getValue().dtype(), got.dtype(), e.getKey());
                    assertArrayEquals(e.getValue().shape(), got.shape(), e.getKey());
                    assertArrayEquals(e.getValue().toDoubleArray(), got.toDoubleArray(), e.getKey());
                }
                assertTrue(loaded.contains("empty"));
                assertThrows(IllegalArgumentException.class, () -> loaded.get("absent"));
            }
        }
    }

    /** A good checkpoint plus a damaged copy made by {@code damage}. */
    private void assertDamagedCopyIsRefused(String what, java.util.function.UnaryOperator<byte[]> damage)
            throws IOException {
        Path good = dir.resolve("last.safetensors");
        Path bad = dir.resolve("next.safetensors");
        Torch.manualSeed(5);
        try (Module m = model(); Adam adam = new Adam(m.parameters(), 1e-3, 0, Adam.Options.adam())) {
            train(m, adam);
            save(good, m, adam, Map.of("epoch", "1"));
            byte[] bytes = Files.readAllBytes(good);
            Files.write(bad, damage.apply(bytes.clone()));

            Map<String, double[]> before = new LinkedHashMap<>();
            m.stateDict().forEach((k, v) -> before.put(k, v.toDoubleArray()));
            assertThrows(SafetensorsFormatException.class, () -> {
                try (NamedTensors broken = TensorFiles.load(bad)) {
                    m.loadStateDict(broken.withPrefix("model."), true);
                }
            }, what);
            m.stateDict().forEach((k, v) -> assertArrayEquals(before.get(k), v.toDoubleArray(), what + ": " + k));

            // the previous good file is untouched and loads
            assertArrayEquals(bytes, Files.readAllBytes(good));
            try (NamedTensors ok = TensorFiles.load(good)) {
                assertEquals(List.of(), m.loadStateDict(ok.withPrefix("model."), true));
            }
        }
    }

    @Test
    void truncatedCheckpointsAreRefused() throws IOException {
        for (int keep : new int[] {0, 5, 8, 20, 200}) {
            assertDamagedCopyIsRefused("first " + keep + " bytes", b -> Arrays.copyOf(b, keep));
        }
        assertDamagedCopyIsRefused("last byte missing", b -> Arrays.copyOf(b, b.length - 1));
        assertDamagedCopyIsRefused("half the data missing", b -> Arrays.copyOf(b, b.length / 2 + 40));
    }

    @Test
    void corruptedCheckpointsAreRefused() throws IOException {
        assertDamagedCopyIsRefused("header length too large", b -> {
            ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putLong(0, b.length);
            return b;
        });
        assertDamagedCopyIsRefused("broken JSON", b -> {
            b[8] = '[';
            return b;
        });
        assertDamagedCopyIsRefused("unknown dtype", b -> replaceFirst(b, "\"F32\"", "\"F31\""));
        assertDamagedCopyIsRefused("data offsets out of order", b -> replaceFirst(b, "[0,", "[4,"));
        assertDamagedCopyIsRefused("extra trailing bytes", b -> Arrays.copyOf(b, b.length + 4));
    }

    private static byte[] replaceFirst(byte[] bytes, String from, String to) {
        assertEquals(from.length(), to.length());
        String s = new String(bytes, StandardCharsets.ISO_8859_1);
        int i = s.indexOf(from);
        assertTrue(i > 0, "pattern " + from + " not found");
        byte[] out = bytes.clone();
        System.arraycopy(to.getBytes(StandardCharsets.ISO_8859_1), 0, out, i, to.length());
        return out;
    }

    @Test
    void aFailedSaveLeavesThePreviousFile() throws IOException {
        Path file = dir.resolve("ckpt.safetensors");
        try (var scope = TensorScope.open()) {
            TensorFiles.save(file, Map.of("w", Tensor.ones(3)), Map.of("epoch", "1"));
            byte[] before = Files.readAllBytes(file);
            Tensor closed = Tensor.ones(2);
            closed.close();
            Map<String, Tensor> broken = new LinkedHashMap<>();
            broken.put("w", Tensor.zeros(3));
            broken.put("gone", closed);
            assertThrows(IllegalStateException.class, () -> TensorFiles.save(file, broken, Map.of("epoch", "2")));
            assertArrayEquals(before, Files.readAllBytes(file));
            try (NamedTensors ok = TensorFiles.load(file)) {
                assertEquals("1", ok.metadata().get("epoch"));
            }
            try (var files = Files.list(dir)) {
                assertEquals(List.of(file), files.toList(), "no temporary files left");
            }
        }
    }
}
