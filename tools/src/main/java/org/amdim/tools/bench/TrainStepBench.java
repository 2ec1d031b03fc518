package org.amdim.tools.bench;

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import org.amdim.model.AmdimModel;
import org.amdim.model.encoder.EncoderConfig;
import org.amdim.model.StepOutput;
import org.amdim.nn.optim.Adam;
import org.amdim.nn.optim.GradScaler;
import org.amdim.nn.optim.LrSchedule;
import org.amdim.tensor.Autocast;
import org.amdim.tensor.DType;
import org.amdim.tensor.Device;
import org.amdim.tensor.MemoryFormat;
import org.amdim.tensor.Tensor;
import org.amdim.tensor.Torch;
import org.amdim.train.AmpMode;
import org.amdim.train.TrainConfig;
import org.amdim.train.Trainer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One whole self-supervised AMDIM update as {@link Trainer} runs it: the learning-rate schedule, both views through
 * the encoder, the multi-scale NCE terms, the classifier heads, {@code loss_opt.backward()}, the Adam step with the
 * training defaults of {@link TrainConfig#defaults()} (lr 2e-4, betas 0.8/0.999, weight decay 1e-5), and the read
 * of the loss. Inputs are fixed N(0, 1) views and random labels made in setup, so data loading does not count
 * ({@link AugmentationBench} measures that). The score is milliseconds per step; the summary converts it to images
 * per second ({@code batch} images per step, each seen in two views).
 *
 * <p>{@code -p device=cuda -p amp=none,bf16,fp16} measures the GPU with and without mixed precision (the CUDA
 * memory statistics are printed at tear-down). {@code -p format=contiguous} runs the encoder row-major instead of
 * channels-last, to measure what the layout is worth; {@code -p useBn=true} switches the optional batch norms on.
 *
 * <p>The default run is the original's CIFAR configuration (32×32, ndf 128, n_rkhs 1024, n_depth 3) at batch 32
 * and 64. {@code -p preset=stl10} runs the STL-10 encoder (64×64), several times slower per image.
 * Set {@code OMP_WAIT_POLICY=PASSIVE} in the environment of the run on a machine with few cores: the forks inherit
 * it, and OpenMP threads spinning between ops otherwise steal the cores from the next op.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 1, time = 10)
@Measurement(iterations = 3, time = 10)
@Fork(value = 1, jvmArgsAppend = BenchSuite.NATIVE_ACCESS)
@State(Scope.Thread)
public class TrainStepBench {
    /** Classes of the online classifiers (CIFAR-10). */
    static final int CLASSES = 10;

    /** libtorch intra-op threads. */
    @Param("2")
    public int threads;

    /** Images per step (each in two views). */
    @Param({"32", "64"})
    public int batch;

    /** The dataset's encoder: {@code cifar10}, {@code stl10} or {@code imagenet} ({@link BenchPreset}). */
    @Param("cifar10")
    public String preset;

    /** Where the step runs: {@code cpu}, {@code cuda} or {@code cuda:N}. */
    @Param("cpu")
    public String device;

    /** Mixed precision: {@code none}, {@code bf16} or {@code fp16} (the latter with a gradient scaler). */
    @Param("none")
    public String amp;

    /** The encoder's memory format: {@code channels-last} (the default) or {@code contiguous}. */
    @Param("channels-last")
    public String format;

    /**
     * Whether the encoder's optional batch norms are live ({@code use_bn}); {@code -p useBn=true} measures what
     * batch-norm-heavy steps cost, channels-last batch norms included (summed in double where the data lies,
     * {@code Functional.batchNormChannelsLast}).
     */
    @Param("false")
    public boolean useBn;

    /** Adam's single-pass update ({@code Adam.Options#singlePass}) instead of torch.optim's exact one. */
    @Param("false")
    public boolean singlePassAdam;

    private AmdimModel model;
    private Adam optimizer;
    private LrSchedule schedule;
    private Tensor x1;
    private Tensor x2;
    private Tensor labels;
    private SplittableRandom locations;
    private Device where = Device.CPU;
    private AmpMode precision = AmpMode.NONE;
    private GradScaler scaler;
    private int images;
    private long step;

    /** Sets the threads, builds the model and optimizer as the trainer does, and makes the inputs. */
    @Setup
    public void setup() {
        BenchThreads.apply(threads);
        EncoderConfig e = BenchPreset.named(preset).encoder();
        setup(new EncoderConfig(e.inputSize(), e.ndf(), e.nRkhs(), e.nDepth(), useBn), batch);
    }

    /** The setup proper, for any encoder (tests use a small one). */
    void setup(EncoderConfig encoder, int images) {
        where = Device.parse(device == null ? "cpu" : device);
        precision = AmpMode.parse(amp == null ? "none" : amp);
        TrainConfig config = TrainConfig.defaults().toBuilder().encoder(encoder).batchSize(images).classes(CLASSES)
                .build();
        Trainer.prepareDevice(where);
        model = Trainer.buildModel(config);
        model.to(where);
        model.encoder().to(MemoryFormat.parse(format == null ? "channels-last" : format));
        model.train();
        scaler = new GradScaler(GradScaler.Options.defaults().withEnabled(precision.needsGradScaler()));
        optimizer = new Adam(model.paramGroups(config.lr(), config.weightDecay()),
                config.adamOptions().withSinglePass(singlePassAdam));
        // The benchmark's steps all fall in epoch 0; any epoch length gives the trainer's factors there.
        schedule = config.lrSchedule(1);
        int side = encoder.inputSize();
        x1 = Tensor.randn(DType.FLOAT32, where, images, 3, side, side);
        x2 = Tensor.randn(DType.FLOAT32, where, images, 3, side, side);
        labels = Tensor.randint(0, CLASSES, DType.INT64, where, images);
        locations = new SplittableRandom(config.seed());
        this.images = images;
        step = 0;
    }

    /** Prints the fork's peak RSS, then frees the model, the optimizer state and the inputs. */
    @TearDown
    public void tearDown() {
        if (model == null) {
            return;
        }
        PeakMemory.print("TrainStepBench preset=" + preset + " batch=" + batch + " device=" + device + " amp=" + amp);
        if (where.isCuda()) {
            System.out.println("CUDA memory: " + Torch.cudaMemory(where.index()));
        }
        optimizer.close();
        model.close();
        x1.close();
        x2.close();
        labels.close();
        model = null;
    }

    /** One update; returns the loss so that nothing is optimised away. */
    @Benchmark
    @ImagesPerOp("batch")
    public double step() {
        schedule.apply(optimizer, step, 0);
        // The trainer reseeds libtorch's generator per step (dropout) and draws one 5×5 source location per image
        // and view; the values do not matter here, the work does.
        Torch.manualSeed(step);
        long[] src1 = sourceLocations();
        long[] src2 = sourceLocations();
        try (StepOutput out = forward(src1, src2)) {
            optimizer.zeroGrad();
            if (scaler.isEnabled()) {
                try (Tensor scaled = scaler.scale(out.lossOpt())) {
                    scaled.backward();
                }
                scaler.step(optimizer);
                scaler.update();
            } else {
                out.lossOpt().backward();
                optimizer.step();
            }
            step++;
            return out.lossOpt().item();
        }
    }

    /** The forward pass, inside an autocast region when mixed precision is asked for (backward stays outside). */
    private StepOutput forward(long[] src1, long[] src2) {
        if (precision == AmpMode.NONE) {
            return model.forwardStep(x1, x2, labels, src1, src2);
        }
        try (var region = Autocast.enable(where.type(), precision.dtype())) {
            return model.forwardStep(x1, x2, labels, src1, src2);
        }
    }

    private long[] sourceLocations() {
        long[] out = new long[images];
        for (int i = 0; i < images; i++) {
            out[i] = locations.nextInt(25);
        }
        return out;
    }

    /** The model, for tests. */
    AmdimModel model() {
        return model;
    }
}
