package org.amdim.nn.optim;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.amdim.tensor.DType;
import org.amdim.tensor.FusedOptim;
import org.amdim.tensor.Tensor;

/**
 * Dynamic loss scaling for float16 training (Micikevicius et al., "Mixed Precision Training", 2018), with the
 * semantics of PyTorch's {@code torch.cuda.amp.GradScaler}: the loss is multiplied by a scale {@code S} before
 * backward so that small float16 gradients do not flush to zero; before the optimizer step the gradients are
 * multiplied by {@code 1/S} and checked. A step whose gradients hold an inf or NaN is skipped and the scale is
 * multiplied by the backoff factor (0.5); after {@code growthInterval} (2000) consecutive good steps the scale is
 * multiplied by the growth factor (2.0). The scale starts at 65536 and is kept in float32, as PyTorch keeps it.
 *
 * <pre>{@code
 * GradScaler scaler = new GradScaler(GradScaler.Options.defaults());
 * optimizer.zeroGrad();
 * try (Tensor scaled = scaler.scale(loss)) {
 *     scaled.backward();
 * }
 * scaler.step(optimizer);   // unscales, checks, and steps unless a gradient is inf/NaN
 * scaler.update();          // adjusts the scale for the next iteration
 * }</pre>
 *
 * <p>Call {@link #unscale} first when the gradients are needed at their true size before the step (e.g. for
 * clipping). bfloat16 has float32's exponent range and needs no scaler. A disabled scaler (
 * {@link Options#enabled()} false) passes everything through, so a training loop can use one code path.
 *
 * <p>Checkpoints: {@link #stateDict()} and {@link #loadStateDict} carry the scale and the count of good steps, so
 * a resumed run continues with the same scale. Not thread-safe.
 */
public final class GradScaler {
    private static final String SCALE = "scale";
    private static final String GROWTH_FACTOR = "growth_factor";
    private static final String BACKOFF_FACTOR = "backoff_factor";
    private static final String GROWTH_INTERVAL = "growth_interval";
    private static final String GROWTH_TRACKER = "_growth_tracker";

    /**
     * Hyper-parameters, with PyTorch's names and defaults.
     *
     * @param initScale      the first scale (65536 = 2¹⁶)
     * @param growthFactor   multiplies the scale after {@code growthInterval} good steps in a row (2.0)
     * @param backoffFactor  multiplies the scale after a step with non-finite gradients (0.5)
     * @param growthInterval good steps in a row before the scale grows (2000)
     * @param enabled        false makes every method a pass-through (scale 1, steps always taken)
     */
    public record Options(double initScale, double growthFactor, double backoffFactor, int growthInterval,
            boolean enabled) {
        /** Checks the ranges PyTorch checks. */
        public Options {
            if (!(initScale > 0) || Double.isInfinite(initScale)) {
                throw new IllegalArgumentException("initial scale must be positive and finite, got " + initScale);
            }
            if (!(growthFactor > 1.0)) {
                throw new IllegalArgumentException("growth factor must be > 1, got " + growthFactor);
            }
            if (!(backoffFactor > 0 && backoffFactor < 1.0)) {
                throw new IllegalArgumentException("backoff factor must be in (0, 1), got " + backoffFactor);
            }
            if (growthInterval < 1) {
                throw new IllegalArgumentException("growth interval must be >= 1, got " + growthInterval);
            }
        }

        /** PyTorch's defaults: 65536, 2.0, 0.5, 2000, enabled. */
        public static Options defaults() {
            return new Options(65536.0, 2.0, 0.5, 2000, true);
        }

        /** With the scaler on or off. */
        public Options withEnabled(boolean e) {
            return new Options(initScale, growthFactor, backoffFactor, growthInterval, e);
        }

        /** With another initial scale. */
        public Options withInitScale(double s) {
            return new Options(s, growthFactor, backoffFactor, growthInterval, enabled);
        }

        /** With another growth interval. */
        public Options withGrowthInterval(int n) {
            return new Options(initScale, growthFactor, backoffFactor, n, enabled);
        }
    }

    /** Where an optimizer is in the current iteration (between two {@link #update()} calls). */
    private enum Stage {
        UNSCALED, STEPPED
    }

    /** Per optimizer: its stage and whether its gradients held an inf or NaN. */
    private record Record(Stage stage, boolean foundInf) {
    }

    private final boolean enabled;
    private float scale;
    private double growthFactor;
    private double backoffFactor;
    private int growthInterval;
    private int growthTracker;
    private final Map<Optimizer, Record> iteration = new IdentityHashMap<>();

    /** A scaler with PyTorch's defaults. */
    public GradScaler() {
        this(Options.defaults());
    }

    /** A scaler with the given hyper-parameters. */
    public GradScaler(Options options) {
        this.enabled = options.enabled();
        this.scale = (float) options.initScale();
        this.growthFactor = options.growthFactor();
        this.backoffFactor = options.backoffFactor();
        this.growthInterval = options.growthInterval();
    }

    /** Whether the scaler scales (a disabled one passes everything through). */
    public boolean isEnabled() {
        return enabled;
    }

    /** The current scale (1 when disabled). */
    public double getScale() {
        return enabled ? scale : 1.0;
    }

    /** Good steps in a row since the scale last changed (or since a skipped step). */
    public int growthTracker() {
        return growthTracker;
    }

    /** The loss multiplied by the current scale: a new tensor the caller owns (an alias when disabled). */
    public Tensor scale(Tensor loss) {
        return enabled ? loss.mul(scale) : loss.alias();
    }

    /**
     * Divides the gradients of the optimizer's parameters by the scale, in place, and records whether any is inf
     * or NaN. At most once per optimizer per iteration, before {@link #step}.
     *
     * @throws IllegalStateException when called twice in one iteration or after {@link #step}
     */
    public void unscale(Optimizer optimizer) {
        if (!enabled) {
            return;
        }
        Record r = iteration.get(optimizer);
        if (r != null) {
            throw new IllegalStateException(r.stage() == Stage.UNSCALED
                    ? "unscale() has already been called on this optimizer since the last update()"
                    : "unscale() is being called after step()");
        }
        iteration.put(optimizer, new Record(Stage.UNSCALED, FusedOptim.unscaleGrads(params(optimizer), invScale())));
    }

    /**
     * Unscales the gradients (unless {@link #unscale} already did) and steps the optimizer when they are all
     * finite; otherwise skips the step, leaving the parameters and the optimizer state untouched.
     *
     * @return whether the optimizer stepped
     * @throws IllegalStateException when called twice for one optimizer in one iteration
     */
    public boolean step(Optimizer optimizer) {
        if (!enabled) {
            optimizer.step();
            return true;
        }
        Record r = iteration.get(optimizer);
        if (r != null && r.stage() == Stage.STEPPED) {
            throw new IllegalStateException("step() has already been called since the last update()");
        }
        if (r == null) {
            unscale(optimizer);
            r = iteration.get(optimizer);
        }
        boolean take = !r.foundInf();
        if (take) {
            optimizer.step();
        }
        iteration.put(optimizer, new Record(Stage.STEPPED, r.foundInf()));
        return take;
    }

    /**
     * Ends the iteration: after non-finite gradients (in any optimizer) the scale is multiplied by the backoff
     * factor and the count of good steps restarts; otherwise the count grows, and when it reaches the growth
     * interval the scale is multiplied by the growth factor (kept unchanged if that would overflow float32) and
     * the count restarts.
     *
     * @throws IllegalStateException when no optimizer was unscaled or stepped since the last update
     */
    public void update() {
        if (!enabled) {
            return;
        }
        if (iteration.isEmpty()) {
            throw new IllegalStateException("no inf checks were recorded before update(): call step() or unscale()");
        }
        boolean foundInf = iteration.values().stream().anyMatch(Record::foundInf);
        iteration.clear();
        if (foundInf) {
            scale = (float) (scale * backoffFactor);
            growthTracker = 0;
        } else if (growthTracker + 1 == growthInterval) {
            float grown = (float) (scale * growthFactor);
            if (Float.isFinite(grown)) {
                scale = grown;
            }
            growthTracker = 0;
        } else {
            growthTracker++;
        }
    }

    /**
     * The scaler's state with PyTorch's keys: {@code scale}, {@code growth_factor}, {@code backoff_factor}
     * (float64 scalars), {@code growth_interval}, {@code _growth_tracker} (int64 scalars); new tensors the caller
     * owns. Empty when disabled.
     */
    public Map<String, Tensor> stateDict() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        if (!enabled) {
            return out;
        }
        out.put(SCALE, f64(scale));
        out.put(GROWTH_FACTOR, f64(growthFactor));
        out.put(BACKOFF_FACTOR, f64(backoffFactor));
        out.put(GROWTH_INTERVAL, i64(growthInterval));
        out.put(GROWTH_TRACKER, i64(growthTracker));
        return out;
    }

    /**
     * Restores state saved by {@link #stateDict()} (all five values, as PyTorch does). Checked before anything
     * changes.
     *
     * @throws IllegalStateException on a disabled scaler
     * @throws IllegalArgumentException when the state is empty (saved by a disabled scaler), lacks a value, or
     *     holds an invalid one
     */
    public void loadStateDict(Map<String, Tensor> state) {
        if (!enabled) {
            throw new IllegalStateException("cannot load state into a disabled GradScaler");
        }
        if (state.isEmpty()) {
            throw new IllegalArgumentException("the GradScaler state is empty: it was probably saved by a disabled"
                    + " scaler");
        }
        for (String key : state.keySet()) {
            if (!List.of(SCALE, GROWTH_FACTOR, BACKOFF_FACTOR, GROWTH_INTERVAL, GROWTH_TRACKER).contains(key)) {
                throw new IllegalArgumentException("unexpected key '" + key + "' in GradScaler state");
            }
        }
        Options checked = new Options(value(state, SCALE), value(state, GROWTH_FACTOR),
                value(state, BACKOFF_FACTOR), Math.toIntExact((long) value(state, GROWTH_INTERVAL)), true);
        long tracker = (long) value(state, GROWTH_TRACKER);
        if (tracker < 0 || tracker >= checked.growthInterval()) {
            throw new IllegalArgumentException("GradScaler growth tracker " + tracker + " is outside [0, "
                    + checked.growthInterval() + ")");
        }
        scale = (float) checked.initScale();
        growthFactor = checked.growthFactor();
        backoffFactor = checked.backoffFactor();
        growthInterval = checked.growthInterval();
        growthTracker = (int) tracker;
        iteration.clear();
    }

    /** {@code 1/S} rounded to float32, as PyTorch computes it ({@code scale.double().reciprocal().float()}). */
    private double invScale() {
        return (float) (1.0 / scale);
    }

    private static List<Tensor> params(Optimizer optimizer) {
        List<Tensor> all = new ArrayList<>();
        for (ParamGroup g : optimizer.paramGroups()) {
            all.addAll(g.params());
        }
        return all;
    }

    private static double value(Map<String, Tensor> state, String key) {
        Tensor t = state.get(key);
        if (t == null) {
            throw new IllegalArgumentException("GradScaler state is missing '" + key + "'");
        }
        if (t.numel() != 1) {
            throw new IllegalArgumentException("GradScaler state '" + key + "' must hold one value");
        }
        return t.item();
    }

    private static Tensor f64(double v) {
        return Tensor.fromSegment(MemorySegment.ofArray(new double[] {v}), DType.FLOAT64);
    }

    private static Tensor i64(long v) {
        return Tensor.fromSegment(MemorySegment.ofArray(new long[] {v}), DType.INT64);
    }
}
