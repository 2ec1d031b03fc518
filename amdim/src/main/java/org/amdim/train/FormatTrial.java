package org.amdim.train;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

import org.amdim.model.AmdimModel;
import org.amdim.model.StepOutput;
import org.amdim.tensor.Autocast;
import org.amdim.tensor.Autograd;
import org.amdim.tensor.Device;
import org.amdim.tensor.MemoryFormat;
import org.amdim.tensor.Tensor;
import org.amdim.tensor.TensorScope;

/**
 * Decides the memory format a run's encoder computes in ({@link TrainConfig#memoryFormat()}), measuring when it is
 * {@link EncoderFormat#AUTO}, as cuDNN's benchmark mode does for convolution algorithms.
 *
 * <p>The rule, in order: a format given explicitly is used; an {@code auto} run resumed from a checkpoint keeps the
 * format the checkpoint records (channels-last for checkpoints older than the setting, which all computed in it),
 * so a resumed run is not re-timed and continues bit for bit; on CUDA {@code auto} is channels-last, untimed (the
 * layout cuDNN's tensor-core kernels use natively, and what the encoder has always used there; nothing measured
 * here says otherwise); on the CPU the training step is timed in both formats, and contiguous is kept only when
 * it is clearly faster ({@link #CONTIGUOUS_MARGIN}).
 *
 * <p>The timing: before the optimizer exists, {@value #WARMUP_ROUNDS} untimed and {@value #TIMED_ROUNDS} timed
 * rounds, each a forward and backward pass of the whole step (both views, NCE, classifiers, under the run's
 * autocast) in each format, in alternating order so that drift on a shared machine favours neither; the fastest
 * timed pass of each format counts (the least disturbed one). The inputs are fixed pseudo-random images of the
 * run's batch shape, made with a private generator: the data loader is not touched. The trial leaves the run
 * where it was: no optimizer step; every buffer (the batch norms' running statistics and counters) is put back
 * bit for bit; the gradients are dropped; and it draws nothing that a training step reads: dropout draws from
 * libtorch's global generator, which {@link TrainingStep} reseeds from (seed, step) before every step. A run with
 * {@code auto} is therefore bit-identical to the same run given the format {@code auto} chose
 * ({@code TrainerMemoryFormatTest}); two {@code auto} runs can still differ in rounding if the machine's timing
 * chooses differently, so give the format explicitly where runs must be compared bit for bit.
 *
 * <p>In a data-parallel run every process times its own shard; the run computes row-major only if every process
 * found row-major clearly faster (one collective), so all processes use the same format.
 */
final class FormatTrial {
    /** Untimed rounds (oneDNN builds its kernels for the shapes, the allocator fills its cache). */
    static final int WARMUP_ROUNDS = 1;
    /**
     * Timed rounds; the fastest pass of each format counts. Two were too few on a shared machine: a full
     * small-preset epoch (2-core EPYC, 2026-12-08) timed 0.503 s channels-last against 0.434 s contiguous, took
     * contiguous, and trained at 191 images/s where channels-last runs of the same epoch train at 240–260 (their
     * trials: channels-last 12–40 % faster). With four passes each, a burst of load that slows one format's first
     * passes no longer decides; it costs about 2 s more on small and 10 s on the CIFAR default.
     */
    static final int TIMED_ROUNDS = 4;
    /**
     * How much faster contiguous must be for the trial to leave channels-last: channels-last is the run's format
     * unless contiguous's fastest pass is at least this fraction below channels-last's. The trial's passes run
     * alone, a run's steps beside the data loader's threads, and the two did not agree within this: on the 2-core
     * EPYC one full tiny-preset epoch chose contiguous on a trial of 0.173 s against 0.181 (4 % faster) and then
     * trained 20 % slower than the same epoch in channels-last (about 500 against 620 images/s); the same
     * format's fastest pass also moved by up to a quarter between runs (0.139–0.188 s). Every comparison so far
     * found channels-last at least as fast in whole runs; the margin still lets a machine where contiguous is
     * clearly faster use it.
     */
    static final double CONTIGUOUS_MARGIN = 0.10;
    private static final long INPUT_SEED = 0x5EEDF00DL;

    private FormatTrial() {
    }

    /**
     * The decision and how it was reached.
     *
     * @param format  the format to compute in
     * @param how     why, for the training log
     * @param seconds the fastest timed pass per format when timed, else empty
     */
    record Decision(MemoryFormat format, String how, Map<MemoryFormat, Double> seconds) {
        /** The training log's line. */
        String logLine() {
            return "encoder memory format: " + format.cliName() + " (" + how + ")";
        }
    }

    /**
     * Decides the format; when it times, the model is left in the format it had, with its buffers as they were
     * and no gradients.
     *
     * @param checkpoint the metadata of the checkpoint the run resumes from, or null
     * @param dp         the data-parallel group, or null
     */
    static Decision decide(TrainConfig config, AmdimModel model, Map<String, String> checkpoint, DataParallel dp) {
        MemoryFormat fixed = config.memoryFormat().fixed();
        String recorded = checkpoint == null ? null : checkpoint.get(TrainConfig.MEMORY_FORMAT_KEY);
        if (fixed != null) {
            String note = recorded != null && !recorded.equals(fixed.cliName())
                    ? "; the checkpoint computed in " + recorded + ", so the run differs from an uninterrupted one"
                            + " in float rounding"
                    : "";
            return new Decision(fixed, "as configured" + note, Map.of());
        }
        if (checkpoint != null) {
            if (recorded == null) {
                return new Decision(MemoryFormat.CHANNELS_LAST, "auto: the checkpoint predates the setting, and"
                        + " such runs computed channels-last", Map.of());
            }
            // The checkpoint records the layout the run computed in, never auto.
            return new Decision(MemoryFormat.parse(recorded), "auto: as the checkpoint recorded", Map.of());
        }
        if (config.device().isCuda()) {
            return new Decision(MemoryFormat.CHANNELS_LAST, "auto: on CUDA " + EncoderFormat.howAutoDecides(
                    config.device()), Map.of());
        }
        Map<MemoryFormat, Double> best = time(config, model);
        double cl = best.get(MemoryFormat.CHANNELS_LAST);
        double rm = best.get(MemoryFormat.CONTIGUOUS);
        boolean contiguous = prefersContiguous(cl, rm);
        if (dp != null) {
            contiguous = !dp.anyTrue(!contiguous);
        }
        String how = String.format(Locale.ROOT, "auto: a forward+backward pass took %.3f s channels-last, %.3f s"
                + " contiguous, fastest of %d; contiguous is taken when at least %.0f %% faster", cl, rm,
                TIMED_ROUNDS, CONTIGUOUS_MARGIN * 100)
                + (dp != null ? "; every process must find contiguous clearly faster to use it" : "");
        return new Decision(contiguous ? MemoryFormat.CONTIGUOUS : MemoryFormat.CHANNELS_LAST, how, best);
    }

    /**
     * Whether the timings choose contiguous: its fastest pass at least {@link #CONTIGUOUS_MARGIN} below
     * channels-last's.
     */
    static boolean prefersContiguous(double channelsLastSeconds, double contiguousSeconds) {
        return contiguousSeconds <= (1 - CONTIGUOUS_MARGIN) * channelsLastSeconds;
    }

    /** The fastest timed pass per format; leaves the model as it found it (format, buffers, mode; no gradients). */
    static Map<MemoryFormat, Double> time(TrainConfig config, AmdimModel model) {
        MemoryFormat original = model.encoder().memoryFormat();
        boolean wasTraining = model.isTraining();
        Map<MemoryFormat, Double> best = new LinkedHashMap<>();
        try (var scope = TensorScope.open()) {
            Map<String, Tensor> saved = snapshotBuffers(model);
            Inputs in = Inputs.make(config);
            model.train();
            try {
                for (int round = 0; round < WARMUP_ROUNDS + TIMED_ROUNDS; round++) {
                    List<MemoryFormat> order = round % 2 == 0
                            ? List.of(MemoryFormat.CHANNELS_LAST, MemoryFormat.CONTIGUOUS)
                            : List.of(MemoryFormat.CONTIGUOUS, MemoryFormat.CHANNELS_LAST);
                    for (MemoryFormat f : order) {
                        model.encoder().to(f);
                        double s = pass(config, model, in);
                        if (round >= WARMUP_ROUNDS) {
                            best.merge(f, s, Math::min);
                        }
                    }
                }
            } finally {
                model.zeroGrad();
                model.encoder().to(original);
                restoreBuffers(model, saved);
                model.train(wasTraining);
            }
        }
        return best;
    }

    /** One forward and backward pass of the training step, as {@link TrainingStep} makes it; its seconds. */
    private static double pass(TrainConfig config, AmdimModel model, Inputs in) {
        model.zeroGrad();
        long t0 = System.nanoTime();
        StepOutput forward;
        try (Autocast ac = TrainingStep.autocast(config)) {
            forward = model.forwardStep(in.x1, in.x2, in.labels, in.src1, in.src2);
        }
        try (StepOutput out = forward) {
            out.lossOpt().backward();
            out.lossOpt().item(); // the step reads its loss too
        }
        return (System.nanoTime() - t0) / 1e9;
    }

    private static Map<String, Tensor> snapshotBuffers(AmdimModel model) {
        Map<String, Tensor> saved = new LinkedHashMap<>();
        try (var ng = Autograd.noGrad()) {
            model.namedBuffers().forEach((name, b) -> saved.put(name, b.clone()));
        }
        return saved;
    }

    private static void restoreBuffers(AmdimModel model, Map<String, Tensor> saved) {
        try (var ng = Autograd.noGrad()) {
            model.namedBuffers().forEach((name, b) -> b.copy_(saved.get(name)));
        }
    }

    /** The trial's batch: fixed pseudo-random images, labels and NCE locations of the run's shape. */
    private record Inputs(Tensor x1, Tensor x2, Tensor labels, long[] src1, long[] src2) {
        static Inputs make(TrainConfig config) {
            SplittableRandom rng = new SplittableRandom(INPUT_SEED);
            int b = config.batchSize();
            int side = config.encoder().inputSize();
            List<Tensor> views = new ArrayList<>(2);
            for (int v = 0; v < 2; v++) {
                float[] pixels = new float[b * 3 * side * side];
                for (int i = 0; i < pixels.length; i++) {
                    pixels[i] = (float) rng.nextGaussian();
                }
                views.add(Tensor.of(pixels, b, 3, side, side).to(config.device()));
            }
            long[] labels = new long[b];
            long[][] src = new long[2][b];
            for (int i = 0; i < b; i++) {
                labels[i] = rng.nextInt(config.classes());
                src[0][i] = rng.nextInt(25);
                src[1][i] = rng.nextInt(25);
            }
            return new Inputs(views.get(0), views.get(1), Tensor.of(labels, b).to(config.device()), src[0], src[1]);
        }
    }
}
