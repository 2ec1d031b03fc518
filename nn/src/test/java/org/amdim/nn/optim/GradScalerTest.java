package org.amdim.nn.optim;

import static org.junit.jupiter.api.Assertions.*;

import java.util.List;
import java.util.Map;

import org.amdim.tensor.NoLeaks;
import org.amdim.tensor.Tensor;
import org.amdim.tensor.TensorScope;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Dynamic loss scaling against sequences computed by hand: which steps are taken, how the scale and the count of
 * good steps move, and that a resumed scaler continues exactly.
 */
@ExtendWith(NoLeaks.class)
class GradScalerTest {
    private static final float INF = Float.POSITIVE_INFINITY;
    private static final float NAN = Float.NaN;

    /** One parameter p (2 values), trained by SGD with lr 1 on loss = Σ c·p, so a taken step does p −= c. */
    private static final class Toy implements AutoCloseable {
        final Tensor p = Tensor.zeros(2).requiresGrad(true);
        final Sgd sgd = new Sgd(List.of(p), 1.0, 0, 0, 0, false);

        /** backward of the scaled loss; returns the gradient seen before unscaling. */
        float[] backward(GradScaler scaler, float c0, float c1) {
            sgd.zeroGrad();
            try (var scope = TensorScope.open()) {
                Tensor loss = p.mul(Tensor.of(new float[] {c0, c1})).sum();
                scaler.scale(loss).backward();
                return p.grad().toFloatArray();
            }
        }

        boolean iteration(GradScaler scaler, float c0, float c1) {
            backward(scaler, c0, c1);
            boolean stepped = scaler.step(sgd);
            scaler.update();
            return stepped;
        }

        float[] values() {
            return p.toFloatArray();
        }

        @Override
        public void close() {
            sgd.close();
            p.close();
        }
    }

    @Test
    void defaultsArePyTorchs() {
        GradScaler.Options o = GradScaler.Options.defaults();
        assertEquals(65536.0, o.initScale());
        assertEquals(2.0, o.growthFactor());
        assertEquals(0.5, o.backoffFactor());
        assertEquals(2000, o.growthInterval());
        assertTrue(o.enabled());
        assertEquals(65536.0, new GradScaler().getScale());
    }

    @Test
    void followsTheHandComputedSequence() {
        GradScaler scaler = new GradScaler(GradScaler.Options.defaults().withInitScale(8).withGrowthInterval(3));
        try (Toy toy = new Toy()) {
            // the gradient reaching the parameters is scaled by S; the step uses it unscaled
            assertArrayEquals(new float[] {8, -16}, toy.backward(scaler, 1, -2));
            assertTrue(scaler.step(toy.sgd));
            try (Tensor g = toy.p.grad()) {
                assertArrayEquals(new float[] {1, -2}, g.toFloatArray());
            }
            scaler.update();
            assertArrayEquals(new float[] {-1, 2}, toy.values());
            assertEquals(8, scaler.getScale());
            assertEquals(1, scaler.growthTracker());

            // step | gradient c   | taken | scale after | good steps after
            //  2   | (1, 1)       | yes   |  8          | 2
            //  3   | (1, 1)       | yes   | 16 (grows)  | 0
            //  4   | (inf, 1)     | no    |  8 (backoff)| 0
            //  5   | (0.5, 0.5)   | yes   |  8          | 1
            //  6   | (1, NaN)     | no    |  4          | 0
            //  7   | (1, 1)       | yes   |  4          | 1
            Object[][] table = {
                {1f, 1f, true, 8.0, 2, new float[] {-2, 1}},
                {1f, 1f, true, 16.0, 0, new float[] {-3, 0}},
                {INF, 1f, false, 8.0, 0, new float[] {-3, 0}},
                {0.5f, 0.5f, true, 8.0, 1, new float[] {-3.5f, -0.5f}},
                {1f, NAN, false, 4.0, 0, new float[] {-3.5f, -0.5f}},
                {1f, 1f, true, 4.0, 1, new float[] {-4.5f, -1.5f}},
            };
            int step = 2;
            for (Object[] row : table) {
                boolean stepped = toy.iteration(scaler, (float) row[0], (float) row[1]);
                assertEquals(row[2], stepped, "step " + step);
                assertEquals((double) row[3], scaler.getScale(), "scale after step " + step);
                assertEquals((int) row[4], scaler.growthTracker(), "good steps after step " + step);
                assertArrayEquals((float[]) row[5], toy.values(), "parameters after step " + step);
                step++;
            }
        }
    }

    @Test
    void aSkippedStepLeavesTheOptimizerStateUntouched() {
        GradScaler scaler = new GradScaler();
        try (var scope = TensorScope.open()) {
            Tensor p = Tensor.ones(3).requiresGrad(true);
            try (Adam adam = new Adam(List.of(p), 0.1, 0, Adam.Options.adam())) {
                scaler.scale(p.mul(Tensor.of(new float[] {1, NAN, 1})).sum()).backward();
                assertFalse(scaler.step(adam));
                scaler.update();
                assertArrayEquals(new float[] {1, 1, 1}, p.toFloatArray());
                Map<String, Tensor> state = adam.stateDict();
                assertTrue(state.keySet().stream().noneMatch(k -> k.startsWith("state.")),
                        "no Adam state after a skipped first step: " + state.keySet());
                state.values().forEach(Tensor::close);
                assertEquals(32768.0, scaler.getScale());
            }
        }
    }

    @Test
    void theDefaultIntervalGrowsAfter2000GoodStepsAndNeverOverflows() {
        GradScaler scaler = new GradScaler();
        try (Toy toy = new Toy(); var scope = TensorScope.open()) {
            // fast-forward to 1999 good steps through the state dict rather than running them
            Map<String, Tensor> state = scaler.stateDict();
            state.get("_growth_tracker").close();
            state.put("_growth_tracker", scope.keep(Tensor.of(new long[] {1999})));
            scaler.loadStateDict(state);
            state.values().forEach(Tensor::close);
            assertTrue(toy.iteration(scaler, 1, 1));
            assertEquals(131072.0, scaler.getScale());
            assertEquals(0, scaler.growthTracker());
        }
        GradScaler huge = new GradScaler(GradScaler.Options.defaults().withInitScale(0x1p127).withGrowthInterval(1));
        try (Toy toy = new Toy()) {
            // 2^128 is not a float32: the scale stays, the step is still taken (the loss itself stays finite
            // because p is 0)
            assertTrue(toy.iteration(huge, 1e-30f, 1e-30f));
            assertEquals(0x1p127, huge.getScale());
            assertEquals(0, huge.growthTracker());
        }
    }

    @Test
    void resumedScalerContinuesExactly() {
        GradScaler.Options options = GradScaler.Options.defaults().withInitScale(1024).withGrowthInterval(2);
        float[][] grads = {{1, 1}, {INF, 0}, {1, 2}, {1, 1}, {NAN, 1}, {2, 2}, {1, 1}, {1, 1}};
        GradScaler full = new GradScaler(options);
        GradScaler first = new GradScaler(options);
        try (Toy a = new Toy(); Toy b = new Toy()) {
            for (int i = 0; i < 3; i++) {
                a.iteration(full, grads[i][0], grads[i][1]);
                b.iteration(first, grads[i][0], grads[i][1]);
            }
            Map<String, Tensor> saved = first.stateDict();
            assertEquals(List.of("scale", "growth_factor", "backoff_factor", "growth_interval", "_growth_tracker"),
                    List.copyOf(saved.keySet()));
            // a scaler built with other options takes the saved ones, as PyTorch's load_state_dict does
            GradScaler resumed = new GradScaler();
            resumed.loadStateDict(saved);
            saved.values().forEach(Tensor::close);
            assertEquals(first.getScale(), resumed.getScale());
            assertEquals(first.growthTracker(), resumed.growthTracker());
            for (int i = 3; i < grads.length; i++) {
                boolean x = a.iteration(full, grads[i][0], grads[i][1]);
                boolean y = b.iteration(resumed, grads[i][0], grads[i][1]);
                assertEquals(x, y, "step " + i);
                assertEquals(full.getScale(), resumed.getScale(), "scale after step " + i);
                assertEquals(full.growthTracker(), resumed.growthTracker(), "tracker after step " + i);
            }
            assertArrayEquals(a.values(), b.values());
            // by hand: 1024 →(ok,1) →(inf) 512,0 →(ok,1) →(ok) 1024,0 →(nan) 512,0 →(ok,1) →(ok) 1024,0 →(ok,1)
            assertEquals(1024.0, full.getScale());
            assertEquals(1, full.growthTracker());
        }
    }

    @Test
    void misuseIsRefused() {
        GradScaler scaler = new GradScaler();
        try (Toy toy = new Toy()) {
            assertThrows(IllegalStateException.class, scaler::update, "update before any check");
            toy.backward(scaler, 1, 1);
            scaler.unscale(toy.sgd);
            assertThrows(IllegalStateException.class, () -> scaler.unscale(toy.sgd));
            assertTrue(scaler.step(toy.sgd));
            assertThrows(IllegalStateException.class, () -> scaler.step(toy.sgd));
            assertThrows(IllegalStateException.class, () -> scaler.unscale(toy.sgd));
            scaler.update();
            assertThrows(IllegalArgumentException.class, () -> scaler.loadStateDict(Map.of()));
            assertThrows(IllegalArgumentException.class,
                    () -> new GradScaler(GradScaler.Options.defaults().withGrowthInterval(0)));
        }
    }

    @Test
    void aDisabledScalerPassesThrough() {
        GradScaler off = new GradScaler(GradScaler.Options.defaults().withEnabled(false));
        assertEquals(1.0, off.getScale());
        try (Toy toy = new Toy()) {
            assertArrayEquals(new float[] {INF, 3}, toy.backward(off, INF, 3));
            assertTrue(off.step(toy.sgd), "a disabled scaler always steps");
            off.update();
            assertTrue(off.stateDict().isEmpty());
            assertThrows(IllegalStateException.class, () -> off.loadStateDict(Map.of()));
        }
    }
}
