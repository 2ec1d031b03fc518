package org.amdim.nn.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Reads the reference files written by Python (original AMDIM code, see
 * amdim/src/test/resources/reference/README.md) and checks them against the documented contents.
 */
class ReferenceFilesTest {

    @TempDir
    Path dir;

    static Path resource(String name) {
        URL url = ReferenceFilesTest.class.getResource("/reference/" + name);
        assertNotNull(url, "missing test resource reference/" + name);
        try {
            return Path.of(url.toURI());
        } catch (URISyntaxException e) {
            throw new AssertionError(e);
        }
    }

    private static void assertTensor(SafetensorsFile f, String name, SafetensorsDType dtype,
                                     long... shape) {
        SafetensorsEntry e = f.entry(name);
        assertEquals(dtype, e.dtype(), name);
        assertArrayEquals(shape, e.shape(), name);
    }

    @Test
    void adam() throws IOException {
        try (SafetensorsFile f = SafetensorsFile.open(resource("adam.safetensors"))) {
            assertEquals(21, f.names().size());
            List<String> expected = new ArrayList<>();
            for (String prefix : new String[] {"g", "m", "p", "v"}) {
                for (int t = prefix.equals("p") ? 0 : 1; t <= 5; t++) {
                    expected.add(prefix + t);
                }
            }
            assertEquals(expected, f.names(), "data order is name order in the reference files");
            for (String name : f.names()) {
                assertTensor(f, name, SafetensorsDType.F32, 5, 7);
            }
            float[] p0 = f.readFloats("p0");
            assertEquals(0f, p0[0]);           // p0[0, 0]
            assertEquals(1e-4f, p0[7 + 3]);    // p0[1, 3]
            // g: element (0,0) always 0; (1,3) 0 for t <= 3 and 1e-3 afterwards.
            for (int t = 1; t <= 5; t++) {
                float[] g = f.readFloats("g" + t);
                assertEquals(0f, g[0]);
                assertEquals(t <= 3 ? 0f : 1e-3f, g[10], "g" + t);
            }
            assertEquals("adam", f.metadata().get("vector_set"));
            assertEquals("0.0002", f.metadata().get("lr"));
            checkMaxAbs(f);
        }
    }

    @Test
    void evaluator() throws IOException {
        try (SafetensorsFile f = SafetensorsFile.open(resource("evaluator.safetensors"))) {
            assertEquals(30, f.names().size());
            List<String> sorted = new ArrayList<>(f.names());
            sorted.sort(null);
            assertEquals(sorted, f.names());

            String mlp = "param.block_glb_mlp.block_forward.";
            String lin = "param.block_glb_lin.block_forward.";
            assertTensor(f, mlp + "2.weight", SafetensorsDType.F32, 1024, 32);
            for (String s : new String[] {"weight", "bias", "running_mean", "running_var"}) {
                assertTensor(f, mlp + "3." + s, SafetensorsDType.F32, 1024);
            }
            assertTensor(f, mlp + "3.num_batches_tracked", SafetensorsDType.I64);
            assertTensor(f, mlp + "6.weight", SafetensorsDType.F32, 10, 1024);
            assertTensor(f, mlp + "6.bias", SafetensorsDType.F32, 10);
            assertTensor(f, lin + "2.weight", SafetensorsDType.F32, 10, 32);
            assertTensor(f, lin + "2.bias", SafetensorsDType.F32, 10);
            assertTensor(f, "ftr", SafetensorsDType.F32, 8, 32, 1, 1);
            assertTensor(f, "labels", SafetensorsDType.I64, 8);
            assertTensor(f, "lgt_mlp", SafetensorsDType.F32, 8, 10);
            assertTensor(f, "lgt_lin", SafetensorsDType.F32, 8, 10);
            for (String s : new String[] {"loss_mlp", "loss_lin", "train.loss_mlp",
                "train.loss_lin"}) {
                assertTensor(f, s, SafetensorsDType.F32);
                assertEquals(1, f.entry(s).numel());
            }
            assertTensor(f, "after.block_glb_mlp.block_forward.3.num_batches_tracked",
                    SafetensorsDType.I64);
            assertTensor(f, "grad.block_glb_mlp.block_forward.2.weight", SafetensorsDType.F32,
                    1024, 32);

            long[] labels = f.readLongs("labels");
            assertEquals(8, labels.length);
            for (int i = 0; i < labels.length; i++) {
                if (i == 2 || i == 5) {
                    assertEquals(-1, labels[i], "labels[" + i + "]");
                } else {
                    assertTrue(labels[i] >= 0 && labels[i] < 10, "labels[" + i + "]");
                }
            }
            // Documented maxima (README): loss values and the linear head's logits.
            assertEquals(2.6273172f, f.readFloats("loss_mlp")[0], 1e-6f);
            assertEquals(4.924499f, f.readFloats("loss_lin")[0], 1e-6f);
            float maxLin = 0;
            for (float v : f.readFloats("lgt_lin")) {
                maxLin = Math.max(maxLin, Math.abs(v));
            }
            assertEquals(11.4f, maxLin, 0.05f);
            checkMaxAbs(f);
        }
    }

    /**
     * Metadata: the documented keys exist, and {@code max_abs} (a JSON object inside a string) has,
     * for every float tensor, exactly the max |value| computed from the data.
     */
    private static void checkMaxAbs(SafetensorsFile f) {
        Map<String, String> md = f.metadata();
        for (String key : new String[] {"vector_set", "producer", "torch_version", "seed",
            "num_threads", "reference_source_sha256", "max_abs"}) {
            assertTrue(md.containsKey(key), "metadata key " + key);
        }
        assertInstanceOf(Map.class, Json.parse(md.get("reference_source_sha256")));
        Map<?, ?> maxAbs = assertInstanceOf(Map.class, Json.parse(md.get("max_abs")));
        int floatTensors = 0;
        for (SafetensorsEntry e : f.entries()) {
            if (e.dtype() != SafetensorsDType.F32) {
                continue;
            }
            floatTensors++;
            Object stored = maxAbs.get(e.name());
            assertNotNull(stored, "max_abs entry for " + e.name());
            float max = 0;
            for (float v : f.readFloats(e.name())) {
                max = Math.max(max, Math.abs(v));
            }
            // Stored as the float32 value printed as a double: must match exactly.
            assertEquals(max, ((Number) stored).floatValue(), e.name());
            assertEquals((double) max, ((Number) stored).doubleValue(), e.name());
        }
        assertTrue(floatTensors > 0);
    }

    /** Our writer, given the same content, reproduces the Python-written files byte for byte. */
    @Test
    void rewritingReproducesTheFilesExactly() throws IOException {
        for (String name : new String[] {"adam.safetensors", "evaluator.safetensors"}) {
            Path original = resource(name);
            Path copy = dir.resolve(name);
            try (SafetensorsFile f = SafetensorsFile.open(original)) {
                SafetensorsWriter w = new SafetensorsWriter();
                f.metadata().forEach(w::metadata);
                for (SafetensorsEntry e : f.entries()) {
                    w.add(e.name(), e.dtype(), e.shape(), f.data(e.name()));
                }
                w.write(copy);
            }
            assertArrayEquals(Files.readAllBytes(original), Files.readAllBytes(copy), name);
        }
    }
}
