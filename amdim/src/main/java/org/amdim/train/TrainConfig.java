package org.amdim.train;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

import org.amdim.data.DatasetSpec;
import org.amdim.model.encoder.EncoderConfig;
import org.amdim.model.mixture.MixtureConfig;
import org.amdim.nn.optim.Adam;
import org.amdim.nn.optim.LrSchedule;
import org.amdim.nn.optim.WarmupMultiStepSchedule;
import org.amdim.tensor.Device;

/**
 * Everything a self-supervised run needs. The defaults, the original training script's where it has one, are
 * written once, in the {@link Builder}'s fields: {@link #defaults()} and {@link #builder()} start from them, and the
 * command line shows them from there.
 *
 * @param dataset          the data
 * @param encoder          encoder hyper-parameters
 * @param classes          classes of the online classifiers
 * @param batchSize        images per step
 * @param epochs           epochs to train (by default the original's for the data: {@link EpochSchedule#originalFor})
 * @param maxSteps         stop after this many updates (0: no limit; for smoke runs and tests)
 * @param lr               Adam learning rate
 * @param beta1            Adam β1
 * @param beta2            Adam β2
 * @param eps              Adam eps
 * @param weightDecay      L2 weight decay added to the gradient
 * @param warmupSteps      linear learning-rate warm-up: lr·min(1, (t+1)/warmupSteps)
 * @param milestones       epochs after whose end the learning rate is multiplied by {@code gamma} (see
 *                         {@link #lrSchedule})
 * @param gamma            the decay factor
 * @param tclip            soft clip of the NCE scores
 * @param mixture          mixture heads
 * @param seed             seeds initialisation, the data order, augmentation, NCE locations and dropout
 * @param threads          libtorch intra-op threads
 * @param workers          data-loader threads
 * @param device           where the model runs
 * @param output           run directory: metrics.csv and checkpoints
 * @param checkpointEvery  also checkpoint every N steps (0: only at epoch ends)
 * @param evalBatches      test batches of the online evaluation at each epoch end: {@link #WHOLE_TEST_SET} (as the
 *                         original), 0 for no evaluation, or a limit for quick runs (the figure is then over a
 *                         subset, and says so)
 * @param bnWarmupBatches  test batches run in training mode to refresh batch-norm statistics before each test
 *                         pass, as the original
 * @param logEvery         steps between metrics rows and plain progress lines
 * @param amp              mixed precision of the forward pass ({@link AmpMode#NONE}: float32 throughout)
 * @param nonFiniteSkips   consecutive steps with a non-finite loss that are skipped (no update) before the run
 *                         stops as diverged (0: the first one stops it)
 * @param memoryFormat     the encoder's memory format, or {@link EncoderFormat#AUTO} to measure which is faster
 *                         (the layout a run uses is recorded in its checkpoints, and a resumed run keeps it)
 * @param adamSinglePass   Adam's single-pass update ({@link Adam.Options#singlePass}) instead of torch.optim's exact
 *                         one
 */
public record TrainConfig(DatasetSpec dataset, EncoderConfig encoder, int classes, int batchSize, int epochs,
        long maxSteps, double lr, double beta1, double beta2, double eps, double weightDecay, long warmupSteps,
        int[] milestones, double gamma, double tclip, MixtureConfig mixture, long seed, int threads, int workers,
        Device device, Path output, long checkpointEvery, int evalBatches, int bnWarmupBatches, int logEvery,
        AmpMode amp, int nonFiniteSkips, EncoderFormat memoryFormat, boolean adamSinglePass) {

    /** {@link #evalBatches()} value for evaluating on every test batch, as the original does at each epoch end. */
    public static final int WHOLE_TEST_SET = -1;

    /**
     * The {@link #describe()} key of the memory format; in a checkpoint's metadata it holds the layout the run
     * computed in (never {@code auto}), which a resumed {@link EncoderFormat#AUTO} run reuses.
     */
    public static final String MEMORY_FORMAT_KEY = "memory_format";

    /** Validates the values. */
    public TrainConfig {
        if (batchSize < 2) {
            throw new IllegalArgumentException("batch size must be >= 2 (the NCE needs negatives), got " + batchSize);
        }
        if (epochs < 1) {
            throw new IllegalArgumentException("epochs must be >= 1, got " + epochs);
        }
        if (!(lr > 0)) {
            throw new IllegalArgumentException("learning rate must be positive, got " + lr);
        }
        if (threads < 1 || workers < 1) {
            throw new IllegalArgumentException("threads and workers must be >= 1");
        }
        if (evalBatches < WHOLE_TEST_SET) {
            throw new IllegalArgumentException("eval batches must be >= 0, or " + WHOLE_TEST_SET
                    + " for the whole test set, got " + evalBatches);
        }
        if (amp == null) {
            throw new IllegalArgumentException("amp must not be null (use AmpMode.NONE)");
        }
        if (memoryFormat == null) {
            throw new IllegalArgumentException("memoryFormat must not be null (use EncoderFormat.AUTO)");
        }
        if (maxSteps < 0 || warmupSteps < 0 || checkpointEvery < 0 || bnWarmupBatches < 0 || nonFiniteSkips < 0) {
            throw new IllegalArgumentException("maxSteps, warmupSteps, checkpointEvery, bnWarmupBatches and"
                    + " nonFiniteSkips must be >= 0");
        }
        if (logEvery < 1) {
            throw new IllegalArgumentException("logEvery must be >= 1, got " + logEvery);
        }
        if (classes < 2) {
            throw new IllegalArgumentException("classes must be >= 2 (a classifier needs two), got " + classes);
        }
        for (int m : milestones) {
            if (m < 0) {
                throw new IllegalArgumentException("milestones must be >= 0, got " + Arrays.toString(milestones));
            }
        }
        milestones = milestones.clone();
    }

    /** The defaults: the original's on the synthetic dataset (10 000 images) with the CIFAR encoder. */
    public static TrainConfig defaults() {
        return builder().build();
    }

    /** A builder holding the defaults. */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * The learning-rate schedule of this run, as the original training loop applies it: the warm-up, then the
     * decay at the end of each milestone epoch ({@link WarmupMultiStepSchedule}).
     *
     * @param stepsPerEpoch updates per epoch
     */
    public LrSchedule lrSchedule(long stepsPerEpoch) {
        return new WarmupMultiStepSchedule(warmupSteps, milestones, gamma, stepsPerEpoch);
    }

    /** The values as strings, for the checkpoint metadata and the run log. */
    public Map<String, String> describe() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("dataset", dataset.toString());
        m.put("encoder", encoder.toString());
        m.putAll(ModelCheckpoints.describe(encoder, classes, tclip, mixture));
        m.put("batch_size", Integer.toString(batchSize));
        m.put("epochs", Integer.toString(epochs));
        m.put("max_steps", Long.toString(maxSteps));
        m.put("lr", Double.toString(lr));
        m.put("betas", beta1 + "," + beta2);
        m.put("eps", Double.toString(eps));
        m.put("weight_decay", Double.toString(weightDecay));
        m.put("warmup_steps", Long.toString(warmupSteps));
        m.put("milestones", Arrays.toString(milestones));
        m.put("gamma", Double.toString(gamma));
        m.put("seed", Long.toString(seed));
        m.put("threads", Integer.toString(threads));
        m.put("device", device.toString());
        m.put("amp", amp.toString());
        m.put(MEMORY_FORMAT_KEY, memoryFormat.toString());
        m.put("adam_single_pass", Boolean.toString(adamSinglePass));
        return m;
    }

    /**
     * The run's Adam options: its betas and eps, L2 weight decay (not AdamW's), no AMSGrad, and the update
     * {@link #adamSinglePass} asks for. The learning rate and the decay's size are per parameter group.
     */
    public Adam.Options adamOptions() {
        return new Adam.Options(beta1, beta2, eps, false, false, adamSinglePass);
    }

    /** A builder starting from this configuration. */
    public Builder toBuilder() {
        return new Builder(this);
    }

    /** Changes some values of a configuration; {@link #build()} validates the result. */
    public static final class Builder {
        // The defaults, the one place they are written; where the original train.py has one, it is its.
        private DatasetSpec dataset = DatasetSpec.synthetic(10_000);
        private EncoderConfig encoder = EncoderConfig.cifar10Default();
        private int classes = 10;
        private int batchSize = 200;
        private int epochs = EpochSchedule.originalFor(dataset.kind()).epochs();
        private long maxSteps = 0;
        private double lr = 2e-4;
        private double beta1 = 0.8;
        private double beta2 = 0.999;
        private double eps = 1e-8;
        private double weightDecay = 1e-5;
        private long warmupSteps = 500;
        private int[] milestones = EpochSchedule.originalFor(dataset.kind()).milestones();
        private double gamma = 0.2;
        private double tclip = 20.0;
        private MixtureConfig mixture = MixtureConfig.defaults();
        private long seed = 0;
        private int threads = 2;
        private int workers = 2;
        private Device device = Device.CPU;
        private Path output = Path.of("runs", "amdim");
        private long checkpointEvery = 0;
        private int evalBatches = WHOLE_TEST_SET;
        private int bnWarmupBatches = 50;
        private int logEvery = 10;
        private int nonFiniteSkips = 0;
        private AmpMode amp = AmpMode.NONE;
        private EncoderFormat memoryFormat = EncoderFormat.AUTO;
        private boolean adamSinglePass = false;

        private Builder() {
        }

        private Builder(TrainConfig c) {
            dataset = c.dataset();
            encoder = c.encoder();
            classes = c.classes();
            batchSize = c.batchSize();
            epochs = c.epochs();
            maxSteps = c.maxSteps();
            lr = c.lr();
            beta1 = c.beta1();
            beta2 = c.beta2();
            eps = c.eps();
            weightDecay = c.weightDecay();
            warmupSteps = c.warmupSteps();
            milestones = c.milestones();
            gamma = c.gamma();
            tclip = c.tclip();
            mixture = c.mixture();
            seed = c.seed();
            threads = c.threads();
            workers = c.workers();
            device = c.device();
            output = c.output();
            checkpointEvery = c.checkpointEvery();
            evalBatches = c.evalBatches();
            bnWarmupBatches = c.bnWarmupBatches();
            logEvery = c.logEvery();
            nonFiniteSkips = c.nonFiniteSkips();
            amp = c.amp();
            memoryFormat = c.memoryFormat();
            adamSinglePass = c.adamSinglePass();
        }

        /** Sets {@code dataset}. */
        public Builder dataset(DatasetSpec value) {
            dataset = value;
            return this;
        }

        /** Sets {@code encoder}. */
        public Builder encoder(EncoderConfig value) {
            encoder = value;
            return this;
        }

        /** Sets {@code classes}. */
        public Builder classes(int value) {
            classes = value;
            return this;
        }

        /** Sets {@code batchSize}. */
        public Builder batchSize(int value) {
            batchSize = value;
            return this;
        }

        /** Sets {@code epochs}. */
        public Builder epochs(int value) {
            epochs = value;
            return this;
        }

        /** Sets {@code maxSteps}. */
        public Builder maxSteps(long value) {
            maxSteps = value;
            return this;
        }

        /** Sets {@code lr}. */
        public Builder lr(double value) {
            lr = value;
            return this;
        }

        /** Sets {@code beta1}. */
        public Builder beta1(double value) {
            beta1 = value;
            return this;
        }

        /** Sets {@code beta2}. */
        public Builder beta2(double value) {
            beta2 = value;
            return this;
        }

        /** Sets {@code eps}. */
        public Builder eps(double value) {
            eps = value;
            return this;
        }

        /** Sets {@code weightDecay}. */
        public Builder weightDecay(double value) {
            weightDecay = value;
            return this;
        }

        /** Sets {@code warmupSteps}. */
        public Builder warmupSteps(long value) {
            warmupSteps = value;
            return this;
        }

        /** Sets {@code milestones}. */
        public Builder milestones(int[] value) {
            milestones = value;
            return this;
        }

        /** Sets {@code gamma}. */
        public Builder gamma(double value) {
            gamma = value;
            return this;
        }

        /** Sets {@code tclip}. */
        public Builder tclip(double value) {
            tclip = value;
            return this;
        }

        /** Sets {@code mixture}. */
        public Builder mixture(MixtureConfig value) {
            mixture = value;
            return this;
        }

        /** Sets {@code seed}. */
        public Builder seed(long value) {
            seed = value;
            return this;
        }

        /** Sets {@code threads}. */
        public Builder threads(int value) {
            threads = value;
            return this;
        }

        /** Sets {@code workers}. */
        public Builder workers(int value) {
            workers = value;
            return this;
        }

        /** Sets {@code device}. */
        public Builder device(Device value) {
            device = value;
            return this;
        }

        /** Sets {@code output}. */
        public Builder output(Path value) {
            output = value;
            return this;
        }

        /** Sets {@code checkpointEvery}. */
        public Builder checkpointEvery(long value) {
            checkpointEvery = value;
            return this;
        }

        /** Sets {@code evalBatches}. */
        public Builder evalBatches(int value) {
            evalBatches = value;
            return this;
        }

        /** Sets {@code bnWarmupBatches}. */
        public Builder bnWarmupBatches(int value) {
            bnWarmupBatches = value;
            return this;
        }

        /** Sets {@code logEvery}. */
        public Builder logEvery(int value) {
            logEvery = value;
            return this;
        }

        /** Sets {@code amp}. */
        public Builder amp(AmpMode value) {
            amp = value;
            return this;
        }

        /** Sets {@code nonFiniteSkips}. */
        public Builder nonFiniteSkips(int value) {
            nonFiniteSkips = value;
            return this;
        }

        /** Sets {@code memoryFormat}. */
        public Builder memoryFormat(EncoderFormat value) {
            memoryFormat = value;
            return this;
        }

        /** Sets {@code adamSinglePass}. */
        public Builder adamSinglePass(boolean value) {
            adamSinglePass = value;
            return this;
        }

        /** The configuration. */
        public TrainConfig build() {
            return new TrainConfig(dataset, encoder, classes, batchSize, epochs, maxSteps, lr, beta1, beta2, eps,
                    weightDecay, warmupSteps, milestones, gamma, tclip, mixture, seed, threads, workers, device, output,
                    checkpointEvery, evalBatches, bnWarmupBatches, logEvery, amp, nonFiniteSkips, memoryFormat,
                    adamSinglePass);
        }
    }
}
