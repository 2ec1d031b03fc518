package org.amdim.model.encoder;

import org.amdim.tensor.NoLeaks;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.amdim.nn.Module;
import org.amdim.tensor.Autograd;
import org.amdim.tensor.Tensor;
import org.amdim.tensor.Torch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** AMDIM's initialisation of residual branches and embedding heads. */
@ExtendWith(NoLeaks.class)
class EncoderInitTest {
    /** A small 32×32 encoder whose heads widen 16 channels to 24 (a rectangular shortcut). */
    private static final EncoderConfig CONFIG = new EncoderConfig(32, 4, 24, 3, false);

    private static List<ResidualUnit> residualUnits(Encoder encoder) {
        List<ResidualUnit> units = new ArrayList<>();
        for (int i = 0; i < encoder.layout().layers().size(); i++) {
            Module layer = encoder.layer(i);
            if (layer instanceof ResidualUnit unit) {
                units.add(unit);
            } else if (layer instanceof ResidualBlock block) {
                units.addAll(block.units());
            }
        }
        return units;
    }

    private static double maxAbs(Tensor t) {
        return EncoderReference.maxAbs(t);
    }

    /** 1/√fan_in: the bound of kaiming-uniform with a = √5 (PyTorch's default conv init). */
    private static double defaultBound(Tensor weight) {
        long[] s = weight.shape();
        return 1 / Math.sqrt(s[1] * s[2] * s[3]);
    }

    @Test
    void residualBranchesStartAtZeroWithScaledFirstConvolutions() {
        double scale = 0.5;
        try (Encoder encoder = Encoder.create(CONFIG, scale)) {
            List<ResidualUnit> units = residualUnits(encoder);
            assertEquals(1 + 4 * 3 + 1, units.size());
            for (ResidualUnit unit : units) {
                assertEquals(0.0, maxAbs(unit.conv2().weight()), "conv2 starts at zero");
                double bound = scale * defaultBound(unit.conv1().weight());
                double max = maxAbs(unit.conv1().weight());
                assertTrue(max <= bound * (1 + 1e-6), "conv1 within the scaled bound: " + max + " > " + bound);
                if (unit.conv1().weight().numel() >= 64) {
                    assertTrue(max > 0.5 * bound, "conv1 uses the scaled bound, not a smaller one: " + max);
                }
            }
            for (EmbeddingHead head : new EmbeddingHead[] {encoder.head5(), encoder.head7()}) {
                assertEquals(0.0, maxAbs(head.conv2().weight()));
                double bound = scale * defaultBound(head.conv1().weight());
                assertTrue(maxAbs(head.conv1().weight()) <= bound * (1 + 1e-6));
                assertTrue(maxAbs(head.conv1().weight()) > 0.5 * bound);
            }
        }
    }

    @Test
    void headShortcutsStartNearTheIdentity() {
        try (Encoder encoder = Encoder.create(CONFIG)) {
            for (EmbeddingHead head : new EmbeddingHead[] {encoder.head5(), encoder.head7()}) {
                Tensor w = head.shortcut().weight();
                assertArrayEquals(new long[] {24, 16, 1, 1}, w.shape());
                float[] v = w.toFloatArray();
                double offDiagonal = 0;
                for (int o = 0; o < 24; o++) {
                    for (int i = 0; i < 16; i++) {
                        float x = v[o * 16 + i];
                        if (o == i) {
                            assertEquals(1f, x, "diagonal (" + o + ", " + i + ")");
                        } else {
                            offDiagonal = Math.max(offDiagonal, Math.abs(x));
                        }
                    }
                }
                assertTrue(offDiagonal <= 0.01 && offDiagonal > 0.005, "off-diagonal U(-0.01, 0.01): " + offDiagonal);
                // The bias keeps PyTorch's default, U(±1/√fan_in).
                assertTrue(maxAbs(head.shortcut().bias()) <= 1 / Math.sqrt(16));
            }
        }
    }

    @Test
    void initWeightsResetsTrainedBranchesAndLeavesTheRestAlone() {
        try (Encoder encoder = Encoder.create(CONFIG)) {
            Map<String, Tensor> state = encoder.stateDict();
            try (var ng = Autograd.noGrad()) {
                for (Tensor t : state.values()) {
                    if (t.dtype().isFloatingPoint()) {
                        t.fill_(0.25);
                    }
                }
            }
            encoder.initWeights(1.0);
            for (var e : state.entrySet()) {
                String name = e.getKey();
                double max = maxAbs(e.getValue());
                if (name.endsWith("conv2.weight")) {
                    assertEquals(0.0, max, name);
                } else if (name.endsWith("conv1.weight")) {
                    assertTrue(max <= defaultBound(e.getValue()) * (1 + 1e-6) && max != 0.25, name);
                } else if (e.getValue().dtype().isFloatingPoint()) {
                    assertEquals(0.25, max, name + " is not touched by initWeights");
                }
            }
        }
    }

    @Test
    void initialisationIsReproducibleFromTheGlobalSeed() {
        Torch.manualSeed(123);
        try (Encoder a = Encoder.create(CONFIG)) {
            Torch.manualSeed(123);
            try (Encoder b = Encoder.create(CONFIG)) {
                Map<String, Tensor> sb = b.stateDict();
                a.stateDict().forEach((name, t) ->
                        EncoderReference.assertExactlyEqual(name, t, sb.get(name)));
            }
        }
    }
}
