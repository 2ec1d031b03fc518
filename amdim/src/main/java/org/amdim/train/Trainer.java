package org.amdim.train;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import org.amdim.data.DataLoader;
import org.amdim.data.HostBatch;
import org.amdim.data.ImageDataset;
import org.amdim.data.LoaderConfig;
import org.amdim.data.LoaderPosition;
import org.amdim.data.augment.AmdimTransform;
import org.amdim.data.augment.AugmentationPreset;
import org.amdim.model.AmdimConfig;
import org.amdim.model.AmdimModel;
import org.amdim.model.nce.NceScores;
import org.amdim.nn.optim.Adam;
import org.amdim.nn.optim.GradScaler;
import org.amdim.nn.optim.LrSchedule;
import org.amdim.tensor.Autocast;
import org.amdim.tensor.CpuMemoryCache;
import org.amdim.tensor.Device;
import org.amdim.tensor.MemoryFormat;
import org.amdim.tensor.Tensor;
import org.amdim.tensor.Torch;

/**
 * The self-supervised training loop, as the original {@code train_self_supervised} runs it: both views through
 * the encoder, the NCE terms, regulariser and classifier losses on detached features, one Adam over encoder and
 * heads with L2 weight decay, linear warm-up over the first updates and multi-step decay per epoch; the online
 * classifiers are tested at every epoch end. The loop reads as the original's: resume, then for each batch one
 * {@link TrainingStep} (forward, backward, update), and at each epoch end the evaluation, the epoch's metrics and a
 * checkpoint.
 *
 * <p>Exact resume: every source of randomness depends only on the seed and the training position (the data
 * order on the epoch, augmentation on the epoch and image index, NCE source locations and dropout on the step),
 * and a checkpoint holds the model (with batch-norm buffers), the optimizer state and the position. A resumed
 * run therefore continues bit for bit as the uninterrupted one (on the CPU; on CUDA, cuDNN's benchmark mode and
 * atomic reductions make runs, resumed or not, differ in the last bits).
 *
 * <p>Devices and precision: the model and each batch live on {@link TrainConfig#device()}; batches are copied
 * there from pinned host memory without blocking, and on CUDA cuDNN's benchmark mode is switched on (the
 * encoder's shapes are fixed, so the fastest convolution algorithms are found once). With
 * {@link TrainConfig#amp()} other than {@link AmpMode#NONE} the forward pass runs in an {@link Autocast} region
 * (backward runs outside it, as in PyTorch); the NCE scores are still computed in float32 ({@link NceScores}).
 * {@link AmpMode#FP16} also scales the loss with a {@link GradScaler}: a step with non-finite gradients is
 * skipped (and reported), and the scaler's state is checkpointed with the optimizer's.
 *
 * <pre>{@code
 * TrainConfig cfg = TrainConfig.defaults().toBuilder().epochs(10).output(Path.of("runs/x")).build();
 * TrainResult r = new Trainer(cfg).run(null);
 * }</pre>
 *
 * <p>Memory format: the encoder computes in {@link TrainConfig#memoryFormat()}; with {@link EncoderFormat#AUTO} a
 * fresh CPU run times a few forward and backward passes in each layout before the optimizer exists and keeps
 * channels-last unless contiguous is clearly faster, without changing the run's state ({@link FormatTrial}). The log's first line says which, and the
 * checkpoints record it, so that a resumed auto run keeps it without timing again.
 *
 * <p>Data-parallel: with a {@link DistributedConfig}, each of the processes trains on its own shard with
 * {@link TrainConfig#batchSize()} images per step (the global batch is {@code worldSize} times that), through a
 * {@link DataParallel}; only rank 0 writes checkpoints, metrics and progress, and every rank resumes from the same
 * checkpoint.
 */
public final class Trainer {
    private final TrainConfig config;
    private final ProgressReporter progress;
    private final DistributedConfig distributed;
    private final AtomicBoolean stopRequested = new AtomicBoolean();
    private final List<EpochMonitor> monitors = new ArrayList<>();

    /** A trainer printing progress to standard output. */
    public Trainer(TrainConfig config) {
        this(config, ProgressReporter.forStdout(config.logEvery()));
    }

    /** A trainer with its own progress reporter. */
    public Trainer(TrainConfig config, ProgressReporter progress) {
        this(config, progress, null);
    }

    /**
     * A trainer that is one process of a data-parallel run (null: a single process). Only rank 0 reports to
     * {@code progress}.
     */
    public Trainer(TrainConfig config, ProgressReporter progress, DistributedConfig distributed) {
        this.config = config;
        this.progress = progress;
        this.distributed = distributed;
    }

    /** Asks the loop to checkpoint and return after the current step (thread-safe; used on Ctrl-C). */
    public void requestStop() {
        stopRequested.set(true);
    }

    /**
     * What a run did.
     *
     * @param steps       updates done in total (including those before a resume)
     * @param epochs      epochs completed
     * @param lastLoss    the last step's optimised loss
     * @param testMlp     the last online test accuracy of the MLP head (NaN if never tested)
     * @param testLinear  the same for the linear head
     * @param imgPerSec   mean training throughput of this process
     * @param checkpoint  the last checkpoint written (null if none)
     * @param interrupted whether the run stopped early on request
     */
    public record TrainResult(long steps, int epochs, double lastLoss, double testMlp, double testLinear,
            double imgPerSec, Path checkpoint, boolean interrupted) {
    }

    /**
     * Sets the backend switches training uses on {@code device}: on CUDA, cuDNN's benchmark mode (the input
     * shapes are fixed, so cuDNN times its convolution algorithms once and keeps the fastest). Nothing on the CPU.
     */
    public static void prepareDevice(Device device) {
        if (device.isCuda()) {
            Torch.setCudnnFlags(true, true, false);
        }
    }

    /** The model this configuration trains, initialised from the seed. */
    public static AmdimModel buildModel(TrainConfig config) {
        Torch.manualSeed(config.seed());
        AmdimConfig mc = new AmdimConfig(config.encoder(), config.classes(), config.tclip(), 0.2, config.mixture(),
                config.seed());
        return AmdimModel.create(mc);
    }

    /**
     * Trains, optionally resuming from a checkpoint file or run directory.
     *
     * @param resumeFrom null to start fresh
     */
    public TrainResult run(Path resumeFrom) throws IOException {
        // Only the process that writes the run directory locks it (the other ranks write nothing there).
        boolean writes = distributed == null || distributed.isMain();
        try (RunLock lock = writes ? RunLock.acquire(config.output()) : null) {
            if (writes) {
                // Holding the lock, no write is in progress: what is there is what a crash left.
                for (Path p : new CheckpointStore(config.output(), 2).removeLeftoverTemporaries()) {
                    progress.line("removed " + p + ", left by an interrupted checkpoint write");
                }
            }
            return train(resumeFrom);
        }
    }

    private TrainResult train(Path resumeFrom) throws IOException {
        Torch.setNumThreads(config.threads());
        Files.createDirectories(config.output());
        ImageDataset train = config.dataset().open(true);
        ImageDataset test = config.evalBatches() != 0 ? config.dataset().open(false) : null;
        var preset = config.dataset().preset();
        if (config.encoder().inputSize() != preset.outputSize()) {
            throw new IllegalArgumentException("the encoder expects " + config.encoder().inputSize() + "x"
                    + config.encoder().inputSize() + " inputs but " + config.dataset() + " gives " + preset.outputSize());
        }
        checkPrecision();
        prepareDevice(config.device());
        CheckpointStore store = new CheckpointStore(config.output(), 2);
        GradScaler scaler = new GradScaler(GradScaler.Options.defaults().withEnabled(config.amp().needsGradScaler()));
        DataParallel dp = distributed == null ? null : DataParallel.join(distributed);
        boolean main = dp == null || dp.isMain();
        int world = dp == null ? 1 : dp.worldSize();
        ProgressReporter progress = main ? this.progress
                : new ProgressReporter(new PrintStream(OutputStream.nullOutputStream()), false, Integer.MAX_VALUE);
        Prepared prepared;
        try {
            prepared = prepare(resumeFrom, dp, progress);
        } catch (IOException | RuntimeException e) {
            closeQuietly(dp, e);
            throw e;
        }
        AmdimModel model = prepared.model();
        MemoryFormat format = prepared.format();
        try (dp; model; CheckpointStore.Checkpoint resumeState = prepared.checkpoint();
                Adam optimizer = new Adam(model.paramGroups(config.lr(), config.weightDecay()),
                        config.adamOptions());
                MetricsLog metrics = main ? new MetricsLog(config.output()) : null) {
            ResumePoint resumed = resumeState == null ? null
                    : resume(resumeState, model, optimizer, scaler, store, main ? metrics : null, world, progress);
            long step = resumed == null ? 0 : resumed.step();
            LoaderPosition start = resumed == null ? LoaderPosition.START : resumed.loader();
            if (dp != null) {
                dp.broadcastState(model);
            }
            LoaderConfig lc = LoaderConfig.of(config.batchSize()).withSeed(config.seed()).withDropLast(true)
                    .withWorkers(config.workers()).withStart(start);
            if (dp != null) {
                lc = dp.shard(lc);
            }
            model.train();
            TrainingStep trainingStep = new TrainingStep(config, model, optimizer, scaler, dp);
            Path lastCheckpoint = null;
            double lastLoss = Double.NaN;
            int nonFiniteInARow = 0;
            OnlineEvaluation.Accuracy lastTest = null;
            long imagesSeen = 0;
            long trainNanos = 0;
            boolean interrupted = false;
            try (DataLoader loader = new DataLoader(train, AmdimTransform.train(preset), lc);
                    var ctrlC = new CtrlCHandler(this)) {
                int batches = loader.batchesPerEpoch();
                if (batches == 0) {
                    throw new IllegalArgumentException("the dataset has " + train.size() + " images, fewer than one"
                            + " batch of " + config.batchSize());
                }
                long totalSteps = (long) batches * config.epochs();
                if (config.maxSteps() > 0) {
                    totalSteps = Math.min(totalSteps, config.maxSteps());
                }
                LrSchedule schedule = config.lrSchedule(batches);
                double emaImgPerSec = 0;
                outer:
                while (loader.position().epoch() < config.epochs() && step < totalSteps) {
                    int epoch = loader.position().epoch();
                    for (HostBatch hb : loader) {
                        long t0 = System.nanoTime();
                        int batchIndex = hb.batchIndex();
                        schedule.apply(optimizer, step, epoch);
                        TrainingStep.Result r;
                        try (hb; DeviceBatch b = DeviceBatch.of(hb, config.device())) {
                            r = trainingStep.run(b, step, (step + 1) % config.logEvery() == 0);
                        }
                        double lossValue = r.loss();
                        if (r.diverged()) {
                            if (++nonFiniteInARow > config.nonFiniteSkips()) {
                                throw new TrainingDivergedException(step + 1, lossValue,
                                        lastCheckpoint != null ? lastCheckpoint : newestCheckpoint());
                            }
                            progress.line("step " + (step + 1) + " skipped: the loss is " + lossValue);
                        } else {
                            nonFiniteInARow = 0;
                            if (!r.updated()) {
                                progress.line(String.format(java.util.Locale.ROOT, "step %d skipped:"
                                        + " non-finite float16 gradients; loss scale now %.0f", step + 1,
                                        scaler.getScale()));
                            }
                        }
                        Map<String, Double> row = r.row();
                        step++;
                        long dt = System.nanoTime() - t0;
                        trainNanos += dt;
                        imagesSeen += (long) config.batchSize() * world;
                        double imgPerSec = (double) config.batchSize() * world / (dt / 1e9);
                        emaImgPerSec = emaImgPerSec == 0 ? imgPerSec : 0.9 * emaImgPerSec + 0.1 * imgPerSec;
                        lastLoss = lossValue;
                        if (row != null && main) {
                            row.put("step", (double) step);
                            row.put("epoch", (double) epoch);
                            row.put("lr", optimizer.paramGroups().get(0).lr());
                            row.put("img_per_s", emaImgPerSec);
                            row.put("elapsed_s", trainNanos / 1e9);
                            metrics.write("step", row);
                        }
                        double eta = (totalSteps - step) * config.batchSize() * world / Math.max(emaImgPerSec, 1e-9);
                        progress.step(epoch, batchIndex, batches, step, lossValue, emaImgPerSec, eta);
                        boolean periodic = config.checkpointEvery() > 0 && step % config.checkpointEvery() == 0;
                        // A stop asked of any process stops them all at the same step.
                        boolean stop = dp == null ? stopRequested.get() : dp.anyTrue(stopRequested.get());
                        if ((periodic || stop) && main) {
                            lastCheckpoint = save(store, model, optimizer, scaler, step, loader.position(), world,
                                    format);
                        }
                        if (stop) {
                            progress.line("stopped on request at step " + step + "; checkpoint " + lastCheckpoint);
                            interrupted = true;
                            break outer;
                        }
                        if (step >= totalSteps) {
                            // Stop before taking another batch, so the saved position is the next unseen one.
                            break;
                        }
                    }
                    if (loader.position().epoch() > epoch) {
                        // The epoch's end: the test pass, the epoch's metrics row, a checkpoint.
                        if (test != null) {
                            lastTest = evaluate(model, test, preset, epoch, progress);
                        }
                        if (main) {
                            metrics.write("epoch", epochRow(model, epoch, step, lastLoss, lastTest, trainNanos, progress));
                            lastCheckpoint = save(store, model, optimizer, scaler, step, loader.position(), world,
                                    format);
                        }
                    }
                }
                if (main && !interrupted && (lastCheckpoint == null || !lastCheckpoint.getFileName().toString()
                        .equals(String.format("checkpoint-%09d.safetensors", step)))) {
                    lastCheckpoint = save(store, model, optimizer, scaler, step, loader.position(), world,
                            format);
                }
                ctrlC.finished();
                return new TrainResult(step, loader.position().epoch(), lastLoss,
                        lastTest == null ? Double.NaN : lastTest.mlp(),
                        lastTest == null ? Double.NaN : lastTest.linear(),
                        trainNanos == 0 ? 0 : imagesSeen / (trainNanos / 1e9), lastCheckpoint, interrupted);
            }
        }
    }

    /**
     * The test pass at an epoch's end ({@link OnlineEvaluation}: the online classifiers' accuracy), reported on
     * the progress line. Every process runs it.
     */
    private OnlineEvaluation.Accuracy evaluate(AmdimModel model, ImageDataset test, AugmentationPreset preset,
            int epoch, ProgressReporter progress) throws IOException {
        // The test pass allocates other sizes than a training step. The CPU cache would keep the step's idle
        // blocks through the pass and the pass's through the next epoch, so that the process peaked at both
        // together; freeing the idle blocks on either side costs the next step one round of page faults.
        CpuMemoryCache.empty();
        OnlineEvaluation.Accuracy accuracy;
        try {
            accuracy = OnlineEvaluation.run(model, test, preset, config.batchSize(), config.bnWarmupBatches(),
                    config.evalBatches(), config.device());
        } finally {
            CpuMemoryCache.empty();
        }
        progress.line(String.format(java.util.Locale.ROOT, "epoch %d: test accuracy mlp %.4f, linear %.4f %s",
                epoch + 1, accuracy.mlp(), accuracy.linear(), accuracy.describeImages()));
        return accuracy;
    }

    /**
     * The epoch's row of {@code metrics.csv}: where training stands, the last loss, the latest test accuracy
     * (none before the first evaluation), what the epoch-end monitors measured, and the training time so far.
     * Runs the monitors, so only the main process calls it.
     */
    private Map<String, Double> epochRow(AmdimModel model, int epoch, long step, double lastLoss,
            OnlineEvaluation.Accuracy lastTest, long trainNanos, ProgressReporter progress) throws IOException {
        Map<String, Double> row = new LinkedHashMap<>();
        row.put("step", (double) step);
        row.put("epoch", (double) epoch);
        row.put("loss_opt", lastLoss);
        if (lastTest != null) {
            row.put("test_acc_mlp", lastTest.mlp());
            row.put("test_acc_lin", lastTest.linear());
        }
        runMonitors(model, epoch, row, progress);
        row.put("elapsed_s", trainNanos / 1e9);
        return row;
    }

    /** Where a resumed run continues: the updates made, and the loader's next batch. */
    private record ResumePoint(long step, LoaderPosition loader) {
    }

    /**
     * Loads the model, optimizer and scaler state of a loaded checkpoint (then closes it) and, on the process that
     * writes the run directory ({@code metrics} not null), makes the checkpoint the head of the run's lineage.
     *
     * @return where the checkpoint stopped
     */
    private ResumePoint resume(CheckpointStore.Checkpoint ckpt, AmdimModel model, Adam optimizer, GradScaler scaler,
            CheckpointStore store, MetricsLog metrics, int world, ProgressReporter progress) throws IOException {
        long step;
        LoaderPosition start;
        try (ckpt) { // its tensors are now in the model and optimizer: free them before training
            checkCompatible(ckpt.metadata(), world);
            model.loadStateDict(ckpt.model(), true);
            optimizer.loadStateDict(ckpt.optimizer());
            // A run that switches to float16 starts with a fresh scale; one that leaves it drops the state.
            if (scaler.isEnabled() && !ckpt.scaler().isEmpty()) {
                scaler.loadStateDict(ckpt.scaler());
            }
            step = ckpt.step();
            start = new LoaderPosition(Integer.parseInt(ckpt.metadata().get("epoch")),
                    Integer.parseInt(ckpt.metadata().get("batch")));
            progress.line("resumed from " + ckpt.path() + " at step " + step + ", epoch " + (start.epoch() + 1));
        }
        if (metrics != null) {
            // The resumed checkpoint is the head of the lineage: what came after it is abandoned.
            for (Path p : store.abandonAfter(step)) {
                progress.line("moved " + p.getFileName() + " of the abandoned continuation to " + p.getParent());
            }
            metrics.dropRowsAfter(step);
        }
        return new ResumePoint(step, start);
    }

    /**
     * The model to train and the checkpoint to resume from (null for a fresh run), with the model's encoder in
     * the memory format {@link FormatTrial} decided; the checkpoint is loaded before the optimizer exists because
     * an auto run keeps the format it records, and the format must be set before the optimizer takes the
     * parameters ({@code Module.to} replaces them).
     */
    private record Prepared(CheckpointStore.Checkpoint checkpoint, AmdimModel model, MemoryFormat format) {
    }

    private Prepared prepare(Path resumeFrom, DataParallel dp, ProgressReporter progress) throws IOException {
        CheckpointStore.Checkpoint checkpoint = null;
        AmdimModel model = null;
        try {
            checkpoint = resumeFrom == null ? null : CheckpointStore.load(resumeFrom);
            model = buildModel(config);
            model.to(config.device());
            FormatTrial.Decision decision = FormatTrial.decide(config, model,
                    checkpoint == null ? null : checkpoint.metadata(), dp);
            model.encoder().to(decision.format());
            progress.line(decision.logLine());
            return new Prepared(checkpoint, model, decision.format());
        } catch (IOException | RuntimeException e) {
            closeQuietly(model, e);
            closeQuietly(checkpoint, e);
            throw e;
        }
    }

    /** Closes {@code c} (may be null) on the way out of a failure, recording its own failure on {@code cause}. */
    private static void closeQuietly(AutoCloseable c, Exception cause) {
        if (c == null) {
            return;
        }
        try {
            c.close();
        } catch (Exception e) {
            cause.addSuppressed(e);
        }
    }

    /** The newest checkpoint in the run directory (one a resumed run started from), or null. */
    private Path newestCheckpoint() throws IOException {
        var files = CheckpointStore.list(config.output());
        return files.isEmpty() ? null : files.get(files.size() - 1);
    }

    /**
     * Adds a monitor that runs at epoch ends, on the main process only (see {@link EpochMonitor}). In a
     * data-parallel run the other processes wait for it at their next collective, so a monitor must finish within
     * the collectives' timeout.
     *
     * @return this trainer
     */
    public Trainer addMonitor(EpochMonitor monitor) {
        monitors.add(java.util.Objects.requireNonNull(monitor, "monitor"));
        return this;
    }

    /** Runs the epoch-end monitors into the epoch's metrics row, then puts the model back in training mode. */
    private void runMonitors(AmdimModel model, int epoch, Map<String, Double> row, ProgressReporter progress)
            throws IOException {
        for (EpochMonitor m : monitors) {
            Map<String, Double> found;
            try {
                found = m.afterEpoch(model, config, epoch);
            } finally {
                model.train();
            }
            row.putAll(found);
            found.forEach((k, v) -> progress.line(String.format(java.util.Locale.ROOT, "epoch %d: %s %.4f",
                    epoch + 1, k, v)));
        }
    }

    private Path save(CheckpointStore store, AmdimModel model, Adam optimizer, GradScaler scaler, long step,
            LoaderPosition position, int world, MemoryFormat format) throws IOException {
        Map<String, String> meta = new LinkedHashMap<>(config.describe());
        // The format the run computes in, not the setting (auto): what a resumed auto run reuses.
        meta.put(TrainConfig.MEMORY_FORMAT_KEY, format.cliName());
        meta.put("epoch", Integer.toString(position.epoch()));
        meta.put("batch", Integer.toString(position.batch()));
        if (world > 1) {
            // the loader position counts per-process batches: it means the same only with as many processes
            meta.put("world_size", Integer.toString(world));
        }
        var optState = optimizer.stateDict();
        var scalerState = scaler.stateDict();
        try {
            return store.save(step, model.stateDict(), optState, scalerState, meta);
        } finally {
            optState.values().forEach(Tensor::close);
            scalerState.values().forEach(Tensor::close);
        }
    }

    /**
     * Opens and closes the run's autocast region once before anything else, so that a precision the device does
     * not support (float16 on the CPU with libtorch before 2.4) fails at once with libtorch's reason rather than
     * at the first step.
     */
    private void checkPrecision() {
        if (distributed != null && config.amp() == AmpMode.BF16 && !config.device().isCuda()) {
            // The forward all-gathers the features across processes, and gloo (libtorch 1.13's at least) refuses
            // bfloat16 tensors ("Invalid scalar type"); NCCL on CUDA takes them.
            throw new IllegalArgumentException("bfloat16 mixed precision is not supported for multi-process CPU"
                    + " training (gloo cannot gather bfloat16 features): train in float32 on the CPU, or on CUDA");
        }
        Autocast probe = TrainingStep.autocast(config);
        if (probe != null) {
            probe.close();
        }
    }

    private void checkCompatible(Map<String, String> meta, int world) {
        String want = config.encoder().toString();
        String got = meta.get("encoder");
        if (got != null && !got.equals(want)) {
            throw new IllegalArgumentException("the checkpoint was trained with encoder " + got
                    + " but this run is configured with " + want);
        }
        int saved = Integer.parseInt(meta.getOrDefault("world_size", "1"));
        if (saved != world) {
            throw new IllegalArgumentException("the checkpoint was written by a run of " + saved
                    + " process(es); resume it with the same number (this run has " + world + ")");
        }
    }

    /**
     * On Ctrl-C (JVM shutdown), asks the trainer to checkpoint and waits (up to a minute) until it has.
     */
    private static final class CtrlCHandler implements AutoCloseable {
        private final CountDownLatch done = new CountDownLatch(1);
        private final Thread hook;

        CtrlCHandler(Trainer trainer) {
            hook = new Thread(() -> {
                trainer.requestStop();
                try {
                    done.await(60, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }, "amdim-ctrl-c");
            Runtime.getRuntime().addShutdownHook(hook);
        }

        void finished() {
            done.countDown();
        }

        @Override
        public void close() {
            done.countDown();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException e) {
                // the JVM is already shutting down: the hook is running and now released
            }
        }
    }
}
