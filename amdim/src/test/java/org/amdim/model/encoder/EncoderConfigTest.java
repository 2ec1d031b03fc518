package org.amdim.model.encoder;

import org.amdim.tensor.NoLeaks;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.List;
import java.util.Map;

import org.amdim.nn.io.Json;
import org.amdim.nn.io.NamedTensors;
import org.amdim.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Configurations, presets and the layer plan: spatial sizes, output layers, n_depth semantics and parameter counts
 * against an independent count, without building the large presets.
 */
@ExtendWith(NoLeaks.class)
class EncoderConfigTest {

    // ---------------------------------------------------------------- an independent parameter count

    private static long unit(long in, long out, long k) {
        return out * in * k * k + out * out + 2 * out; // conv1, conv2, bn1 (dead or not, it exists)
    }

    private static long block(long in, long out, long k, long depth) {
        return unit(in, out, k) + (depth - 1) * unit(out, out, 1);
    }

    private static long head(long in, long r) {
        return r * in + r * r + (r * in + r) + 2 * r + 2 * r; // conv1, conv2, shortcut, bn_hid, bn_out
    }

    /** Parameter elements of the original's encoder, written out per layout. */
    static long expectedParameters(EncoderConfig c) {
        long n = c.ndf();
        long r = c.nRkhs();
        long d = c.nDepth();
        long top = c.inputSize() == 32 ? 4 * n : 8 * n;
        long count = switch (c.inputSize()) {
            case 32 -> (n * 3 * 9 + n) + unit(n, n, 1) + block(n, 2 * n, 4, d) + block(2 * n, 4 * n, 2, d);
            case 64 -> (n * 3 * 9 + n) + block(n, 2 * n, 4, d) + block(2 * n, 4 * n, 4, d)
                    + block(4 * n, 8 * n, 2, d);
            case 128 -> (n * 3 * 25 + n) + (n * n * 9 + n) + block(n, 2 * n, 4, d) + block(2 * n, 4 * n, 4, d)
                    + block(4 * n, 8 * n, 2, d);
            default -> throw new IllegalArgumentException();
        };
        return count + 2 * top + 2 * block(top, top, 3, d) + unit(top, r, 3) + 2 * r + 2 * head(top, r);
    }

    static List<EncoderConfig> presets() {
        return List.of(EncoderConfig.cifar10Default(), EncoderConfig.stl10Default(), EncoderConfig.imagenetDefault(),
                EncoderConfig.cifarLarge(), EncoderConfig.stl10Large(), EncoderConfig.imagenetStandard(),
                EncoderConfig.imagenetMedium(), EncoderConfig.imagenetLarge());
    }

    // ---------------------------------------------------------------- presets and validation

    @Test
    void presetsCarryTheOriginalsNumbers() {
        assertEquals(new EncoderConfig(32, 128, 1024, 3, false), EncoderConfig.cifar10Default());
        assertEquals(new EncoderConfig(64, 128, 1024, 3, false), EncoderConfig.stl10Default());
        assertEquals(new EncoderConfig(128, 128, 1024, 3, false), EncoderConfig.imagenetDefault());
        assertEquals(new EncoderConfig(32, 256, 2048, 10, false), EncoderConfig.cifarLarge());
        assertEquals(new EncoderConfig(64, 256, 2048, 10, false), EncoderConfig.stl10Large());
        assertEquals(new EncoderConfig(128, 192, 1536, 8, false), EncoderConfig.imagenetStandard());
        assertEquals(new EncoderConfig(128, 256, 2048, 10, false), EncoderConfig.imagenetMedium());
        assertEquals(new EncoderConfig(128, 320, 2560, 10, false), EncoderConfig.imagenetLarge());
        assertTrue(EncoderConfig.stl10Default().withUseBn(true).useBn());
    }

    @Test
    void invalidConfigurationsAreRejectedWithAReason() {
        var size = assertThrows(IllegalArgumentException.class, () -> new EncoderConfig(96, 8, 64, 2, false));
        assertTrue(size.getMessage().contains("32, 64 or 128"), size.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new EncoderConfig(32, 0, 64, 2, false));
        var depth = assertThrows(IllegalArgumentException.class, () -> new EncoderConfig(32, 8, 64, 0, false));
        assertTrue(depth.getMessage().contains("n_depth"), depth.getMessage());

        // The last residual unit may only keep or grow channels: n_rkhs >= 8*ndf (64, 128) or 4*ndf (32).
        var rkhs = assertThrows(IllegalArgumentException.class, () -> new EncoderConfig(64, 8, 63, 2, false));
        assertTrue(rkhs.getMessage().contains("n_rkhs (63) must be at least 8*ndf = 64"), rkhs.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new EncoderConfig(128, 8, 63, 2, false));
        assertThrows(IllegalArgumentException.class, () -> new EncoderConfig(32, 8, 31, 2, false));
        assertEquals(64, new EncoderConfig(64, 8, 64, 2, false).nRkhs());
        assertEquals(32, new EncoderConfig(32, 8, 32, 2, false).nRkhs());
    }

    // ---------------------------------------------------------------- layout

    @ParameterizedTest
    @ValueSource(ints = {32, 64, 128})
    void layoutMatchesTheReferenceEncoders(int size) throws IOException {
        EncoderLayout layout = EncoderLayout.of(EncoderReference.config(size));
        List<Integer> sides = switch (size) {
            case 32 -> List.of(30, 30, 14, 7, 7, 5, 3, 1, 1);
            case 64 -> List.of(62, 30, 14, 7, 7, 5, 3, 1, 1);
            default -> List.of(64, 62, 30, 14, 7, 7, 5, 3, 1, 1);
        };
        assertEquals(sides, layout.sides());
        try (NamedTensors ref = EncoderReference.load(size)) {
            // The original's dim2layer: the last layer_list entry with each side.
            @SuppressWarnings("unchecked")
            Map<String, Object> dim2layer = (Map<String, Object>) Json.parse(ref.metadata().get("dim2layer"));
            for (int side : new int[] {1, 5, 7}) {
                assertEquals(((Number) dim2layer.get(Integer.toString(side))).intValue(), layout.layerFor(side),
                        "dim2layer[" + side + "]");
            }
            // Parameter count: the original's parameters are the state dict minus batch-norm buffers.
            long original = 0;
            for (var e : ref.withPrefix("param.").entrySet()) {
                String name = e.getKey();
                if (!name.endsWith("running_mean") && !name.endsWith("running_var")
                        && !name.endsWith("num_batches_tracked")) {
                    original += e.getValue().numel();
                }
            }
            assertEquals(original, layout.parameterCount());
            assertEquals(original, expectedParameters(layout.config()));
        }
        assertThrows(IllegalArgumentException.class, () -> layout.layerFor(2));
    }

    @Test
    void nDepthCountsResidualUnitsPerBlock() {
        // Every block: one k×k unit, then n_depth − 1 identity-shortcut 1×1 units; the number of blocks is fixed.
        EncoderConfig config = new EncoderConfig(32, 4, 16, 3, false);
        EncoderLayout layout = EncoderLayout.of(config);
        assertEquals(9, layout.layers().size());
        assertEquals(new LayerSpec.Block(4, 8, 4, 2, 3, false), layout.layers().get(2));
        assertEquals(new LayerSpec.Unit(16, 16, 3, 1, false), layout.layers().get(7));
        try (Encoder encoder = Encoder.create(config)) {
            Map<String, Tensor> state = encoder.stateDict();
            assertArrayEquals(new long[] {8, 4, 4, 4}, state.get("layer_list.2.layer_list.0.conv1.weight").shape());
            assertArrayEquals(new long[] {8, 8, 1, 1}, state.get("layer_list.2.layer_list.2.conv1.weight").shape());
            assertFalse(state.containsKey("layer_list.2.layer_list.3.conv1.weight"));
            assertArrayEquals(new long[] {16, 16, 3, 3}, state.get("layer_list.6.layer_list.0.conv1.weight").shape());
            assertArrayEquals(new long[] {16, 16, 1, 1}, state.get("layer_list.6.layer_list.2.conv1.weight").shape());
            ResidualBlock block = (ResidualBlock) encoder.layer(5);
            assertEquals(3, block.units().size());
            assertFalse(block.units().get(0).hasIdentityShortcut());
            assertTrue(block.units().get(1).hasIdentityShortcut());
            assertEquals(expectedParameters(config), encoder.parameterCount());
        }
        assertEquals(9, EncoderLayout.of(new EncoderConfig(64, 4, 32, 10, false)).layers().size());
        assertEquals(10, EncoderLayout.of(new EncoderConfig(128, 4, 32, 1, false)).layers().size());
    }

    @Test
    void everyPresetHasTheIndependentlyCountedParameters() {
        for (EncoderConfig preset : presets()) {
            EncoderLayout layout = EncoderLayout.of(preset);
            assertEquals(expectedParameters(preset), layout.parameterCount(), preset.toString());
            int top = preset.stageChannels();
            assertEquals(top, layout.channels(layout.layerFor(7)));
            assertEquals(top, layout.channels(layout.layerFor(5)));
            assertEquals(preset.nRkhs(), layout.channels(layout.layerFor(1)));
        }
        // Orders of magnitude worth knowing when sizing a run.
        assertEquals(expectedParameters(EncoderConfig.imagenetLarge()),
                EncoderLayout.of(EncoderConfig.imagenetLarge()).parameterCount());
        assertTrue(EncoderLayout.of(EncoderConfig.imagenetLarge()).parameterCount() > 300_000_000L);
    }
}
