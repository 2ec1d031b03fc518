package org.amdim.tools;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.Callable;

import org.amdim.knn.KnnMonitor;
import org.amdim.knn.WeightedKnn;
import org.amdim.model.mixture.MixtureConfig;
import org.amdim.tensor.distributed.Backend;
import org.amdim.train.AmpMode;
import org.amdim.data.DatasetSpec;
import org.amdim.train.DistributedConfig;
import org.amdim.train.EncoderFormat;
import org.amdim.train.EpochSchedule;
import org.amdim.train.ProgressReporter;
import org.amdim.train.TrainConfig;
import org.amdim.train.Trainer;

import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

/** {@code amdim train}: self-supervised training, on the built-in synthetic dataset unless told otherwise. */
@Command(name = "train", mixinStandardHelpOptions = true, showDefaultValues = true,
        defaultValueProvider = TrainDefaults.class,
        description = "Train AMDIM self-supervised (Ctrl-C writes a checkpoint and exits; --resume continues).")
public final class TrainCommand implements Callable<Integer> {
    @Mixin
    DatasetOptions data;

    @Mixin
    EncoderOptions encoder;

    @Option(names = "--batch", description = "Images per step.")
    int batch;

    @Option(names = "--epochs", description = "Epochs to train (default: the original's for the dataset, "
            + EpochSchedule.SMALL_IMAGES_EPOCHS + ", or " + EpochSchedule.IMAGENET_EPOCHS + " for --dataset folder).")
    Integer epochs;

    @Option(names = "--max-steps", description = "Stop after this many steps (0: no limit).")
    long maxSteps;

    @Option(names = "--lr", description = "Adam learning rate.")
    double lr;

    @Option(names = "--warmup", description = "Linear warm-up steps.")
    long warmup;

    @Option(names = "--milestones", split = ",", description = "Epochs after whose end the learning rate is"
            + " multiplied by 0.2 (default: the original's for the dataset, " + EpochSchedule.SMALL_IMAGES_MILESTONES
            + ", or " + EpochSchedule.IMAGENET_MILESTONES + " for --dataset folder).")
    int[] milestones;

    @Option(names = "--classes", description = "Classes of the online classifiers (default: the dataset's).")
    Integer classes;

    @Option(names = "--mixture", defaultValue = "0", description = "Mixture components k (0: mixtures off).")
    int mixtureK;

    @Option(names = "--mixture-tau", description = "Mixture sharpness tau.")
    double mixtureTau;

    @Mixin
    ComputeOptions compute;

    @Option(names = "--workers", description = "Data-loader threads.")
    int workers;

    @Option(names = "--amp",
            description = "Mixed precision: none, bf16 (no loss scaling) or fp16 (with a gradient scaler; CUDA).")
    String amp;

    @Option(names = "--memory-format", converter = MemoryFormatConverter.class,
            description = "The encoder's memory format: auto (on the CPU, time a few passes in each layout before"
                    + " the first update; channels-last unless contiguous is clearly faster; channels-last on CUDA;"
                    + " a resumed run keeps its checkpoint's), channels-last or contiguous. Results differ only in"
                    + " float rounding.")
    EncoderFormat memoryFormat;

    @Option(names = "--adam-single-pass",
            description = "Update each CPU parameter in one pass over its elements instead of torch.optim's exact"
                    + " Adam: the same formula, results differ in the last bits (default: off, torch.optim's update;"
                    + " CUDA parameters always take it).")
    boolean adamSinglePass;

    @Option(names = "--seed", description = "Seed of everything random.")
    long seed;

    @Option(names = {"--output", "-o"}, description = "Run directory.")
    Path output;

    @Option(names = "--resume", description = "Continue from a checkpoint file or run directory.")
    Path resume;

    @Option(names = "--checkpoint-every",
            description = "Also checkpoint every N steps (0: at epoch ends only).")
    long checkpointEvery;

    @Option(names = "--eval-batches",
            description = "Test batches of the online evaluation at each epoch end: " + TrainConfig.WHOLE_TEST_SET
                    + " for the whole test set (as the original), 0 for none, N for the first N batches only (quick"
                    + " runs; the output then says the accuracy is over a subset).")
    int evalBatches;

    @Option(names = "--log-every", description = "Steps between metric rows.")
    int logEvery;

    @Option(names = "--nonfinite-skips",
            description = "Steps in a row with a NaN or infinite loss to skip (no update) before the run stops as"
                    + " diverged; the last checkpoint stays the last good one.")
    int nonFiniteSkips;

    @Option(names = "--world-size", defaultValue = "1",
            description = "Processes of a data-parallel run (each with --batch images; NCE negatives are global).")
    int worldSize;

    @Option(names = "--rank", defaultValue = "0", description = "This process's rank in a data-parallel run.")
    int rank;

    @Option(names = "--master", defaultValue = "127.0.0.1:29500",
            description = "host:port of rank 0's rendezvous (c10d TCPStore).")
    String master;

    @Option(names = "--backend", defaultValue = "gloo", description = "Collectives: gloo (CPU) or nccl (CUDA).")
    String backend;

    @Option(names = "--dist-timeout", defaultValue = "300",
            description = "Seconds after which a dead or unreachable rank stops the whole run with an error.")
    long distTimeout;

    @Option(names = "--nproc", defaultValue = "0",
            description = "Start this many local worker processes of a data-parallel run (sets rank, world size and"
                    + " master for each).")
    int nproc;

    @Option(names = "--knn-every", defaultValue = "0", description = "Every N epochs, the test split's k-NN accuracy"
            + " (k " + WeightedKnn.DEFAULT_K + ", tau " + WeightedKnn.DEFAULT_TEMPERATURE + ") against the labelled"
            + " training split, reported and logged as test_acc_knn (0: never).")
    int knnEvery;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        checkRanges();
        if (nproc > 0) {
            return LocalLauncher.run(nproc, workerArgs());
        }
        compute.applyMallocArenas();
        compute.applyTf32();
        DatasetSpec spec = data.spec();
        int nClasses = classes != null ? classes : spec.open(false).numClasses();
        TrainConfig config = config(spec, nClasses);
        if (rank == 0) {
            System.out.println("training " + config.encoder() + " on " + spec + ", batch " + batch + ", epochs "
                    + config.epochs() + ", milestones " + Arrays.toString(config.milestones())
                    + (worldSize > 1 ? ", " + worldSize + " processes" : "")
                    + (config.adamSinglePass() ? ", single-pass Adam" : "") + " -> " + output);
        }
        DistributedConfig dist = null;
        if (worldSize > 1) {
            dist = DistributedConfig.of(rank, worldSize, master).withBackend(Backend.parse(backend))
                    .withTimeout(Duration.ofSeconds(distTimeout));
        } else if (rank != 0) {
            throw new IllegalArgumentException("--rank " + rank + " needs --world-size > " + rank);
        }
        Trainer trainer = dist == null ? new Trainer(config)
                : new Trainer(config, ProgressReporter.forStdout(config.logEvery()), dist);
        if (knnEvery > 0) {
            trainer.addMonitor(new KnnMonitor(knnEvery, WeightedKnn.Options.defaults()));
        }
        Trainer.TrainResult r = trainer.run(resume);
        if (rank != 0) {
            return r.interrupted() ? 130 : 0;
        }
        System.out.printf(Locale.ROOT, "done: %d steps, %d epochs, last loss %.4f, test accuracy mlp %.4f linear %.4f,"
                + " %.1f img/s, peak RSS %d MiB, checkpoint %s%n", r.steps(), r.epochs(), r.lastLoss(), r.testMlp(),
                r.testLinear(), r.imgPerSec(), PeakRss.mebibytes(), r.checkpoint());
        return r.interrupted() ? 130 : 0;
    }

    /** Refuses, before any work, every value outside its option's valid range. */
    private void checkRanges() {
        OptionRanges r = OptionRanges.of(spec);
        data.checkRanges(r);
        encoder.checkRanges(r);
        compute.checkRanges(r);
        r.atLeast("--batch", batch, 2).atLeast("--max-steps", maxSteps, 0)
                .positive("--lr", lr).atLeast("--warmup", warmup, 0)
                .atLeast("--mixture", mixtureK, 0).positive("--mixture-tau", mixtureTau)
                .between("--workers", workers, 1, OptionRanges.maxThreads(), "at most one per core")
                .atLeast("--checkpoint-every", checkpointEvery, 0)
                .atLeast("--eval-batches", evalBatches, TrainConfig.WHOLE_TEST_SET)
                .atLeast("--log-every", logEvery, 1).atLeast("--nonfinite-skips", nonFiniteSkips, 0)
                .atLeast("--knn-every", knnEvery, 0)
                .atLeast("--world-size", worldSize, 1).atLeast("--rank", rank, 0)
                .atLeast("--dist-timeout", distTimeout, 1)
                .between("--nproc", nproc, 0, OptionRanges.maxThreads(), "at most one process per core");
        if (epochs != null) {
            r.atLeast("--epochs", epochs, 1);
        }
        if (milestones != null) {
            r.eachAtLeast("--milestones", milestones, 0);
        }
        if (classes != null) {
            r.atLeast("--classes", classes, 2);
        }
        if (rank >= worldSize) {
            throw r.refuse("--rank", rank + " needs --world-size > " + rank);
        }
        checkOutput(r);
    }

    /** Makes sure {@code --output} is, or can become, a run directory: a usage error saying why not. */
    private void checkOutput(OptionRanges r) {
        if (Files.exists(output) && !Files.isDirectory(output)) {
            throw r.refuse("--output", output + " is an existing file, not a directory: give a run directory (new or"
                    + " one to continue)");
        }
        try {
            Files.createDirectories(output);
        } catch (IOException e) {
            throw r.refuse("--output", "cannot create the run directory " + output + " ("
                    + FailureHandler.reason(e) + "): choose a place you can write to");
        }
    }

    /**
     * The run's configuration from the parsed options; the epochs and milestones not given are the original's for
     * the dataset ({@link EpochSchedule#originalFor}).
     */
    TrainConfig config(DatasetSpec spec, int nClasses) {
        EpochSchedule original = EpochSchedule.originalFor(spec.kind());
        return TrainConfig.defaults().toBuilder()
                .dataset(spec).encoder(encoder.config(spec.inputSize())).classes(nClasses)
                .batchSize(batch).epochs(epochs != null ? epochs : original.epochs()).maxSteps(maxSteps).lr(lr)
                .warmupSteps(warmup).milestones(milestones != null ? milestones : original.milestones())
                .mixture(mixtureK > 0 ? MixtureConfig.of(mixtureK, mixtureTau) : MixtureConfig.defaults())
                .threads(compute.threads).workers(workers).device(compute.device()).seed(seed).output(output)
                .amp(AmpMode.parse(amp)).memoryFormat(memoryFormat).checkpointEvery(checkpointEvery).evalBatches(evalBatches)
                .logEvery(logEvery).nonFiniteSkips(nonFiniteSkips).adamSinglePass(adamSinglePass).build();
    }

    /** Parses {@code --memory-format}; a bad value is a usage error naming the option and the choices. */
    static final class MemoryFormatConverter implements ITypeConverter<EncoderFormat> {
        @Override
        public EncoderFormat convert(String value) {
            return EncoderFormat.parse(value);
        }
    }

    /**
     * The command line for a worker: the original arguments (top command, {@code train} and its options) without
     * {@code --nproc} and the rank options, which the launcher sets.
     */
    private List<String> workerArgs() {
        List<String> out = new ArrayList<>();
        List<String> original = spec.commandLine().getParseResult().originalArgs();
        for (int i = 0; i < original.size(); i++) {
            String a = original.get(i);
            if (a.equals("--nproc") || a.equals("--rank") || a.equals("--world-size") || a.equals("--master")) {
                i++;
            } else if (!(a.startsWith("--nproc=") || a.startsWith("--rank=") || a.startsWith("--world-size=")
                    || a.startsWith("--master="))) {
                out.add(a);
            }
        }
        return out;
    }
}
