package org.amdim.tools;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;

import org.amdim.data.ImageDataset;
import org.amdim.data.io.Stl10Dataset;
import org.amdim.knn.KnnEvaluation;
import org.amdim.knn.WeightedKnn;
import org.amdim.model.AmdimConfig;
import org.amdim.model.AmdimModel;
import org.amdim.tensor.Device;
import org.amdim.tensor.Torch;
import org.amdim.train.CheckpointStore;
import org.amdim.data.DatasetSpec;
import org.amdim.train.LinearEvaluation;
import org.amdim.train.ModelCheckpoints;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code amdim eval}: linear evaluation of a trained (or, for comparison, randomly initialised) encoder. */
@Command(name = "eval", mixinStandardHelpOptions = true, showDefaultValues = true,
        description = "Linear evaluation: train linear and MLP classifiers on frozen encoder features; report top-1."
                + " With --knn: k-nearest-neighbour evaluation instead.")
public final class EvalCommand implements Callable<Integer> {
    // Output goes through picocli's writer, so in-process callers (tests, embedding tools) can capture it.
    @Spec
    private CommandSpec command;

    @Option(names = "--checkpoint", required = true, description = "Checkpoint file or run directory.")
    Path checkpoint;

    @Mixin
    DatasetOptions data;

    @Option(names = "--random-init",
            description = "Evaluate a randomly initialised encoder of the checkpoint's shape instead (a baseline).")
    boolean randomInit;

    @Option(names = "--epochs", defaultValue = "30", description = "Classifier training epochs.")
    int epochs;

    @Option(names = "--batch", defaultValue = "256", description = "Batch size.")
    int batch;

    @Option(names = "--lr", defaultValue = "1e-3", description = "Classifier learning rate (Adam).")
    double lr;

    @Option(names = "--max-train", defaultValue = "0", description = "Use at most N training images (0: all).")
    int maxTrain;

    @Option(names = "--max-test", defaultValue = "0", description = "Use at most N test images (0: all).")
    int maxTest;

    @Option(names = "--knn", arity = "0..1", paramLabel = "K", fallbackValue = "" + WeightedKnn.DEFAULT_K,
            description = "k-NN evaluation instead of the classifiers: cosine similarity to the training embeddings,"
                    + " the K nearest vote with weights exp(sim/tau) (K without a value: ${FALLBACK-VALUE}).")
    Integer knn;

    @Option(names = "--knn-tau", defaultValue = "" + WeightedKnn.DEFAULT_TEMPERATURE,
            description = "Temperature tau of the k-NN vote weights.")
    double knnTau;

    @Mixin
    ComputeOptions compute;


    @Option(names = "--seed", defaultValue = "0", description = "Seed of the classifiers.")
    long seed;

    @Override
    public Integer call() throws Exception {
        OptionRanges ranges = OptionRanges.of(command);
        data.checkRanges(ranges);
        compute.checkRanges(ranges);
        ranges.atLeast("--epochs", epochs, 1).atLeast("--batch", batch, 1).positive("--lr", lr)
                .atLeast("--max-train", maxTrain, 0).atLeast("--max-test", maxTest, 0)
                .positive("--knn-tau", knnTau);
        if (knn != null) {
            ranges.atLeast("--knn", knn, 1);
        }
        compute.applyMallocArenas();
        compute.applyThreads();
        compute.applyTf32();
        Device dev = compute.device();
        DatasetSpec spec = data.spec();
        ImageDataset test = spec.open(false); // first: it checks the directory and names it when missing
        // STL-10's training split for self-supervision is train+unlabeled; its 100k unlabelled images would be
        // encoded and then dropped here, so the classifiers read the 5k labelled training images directly.
        ImageDataset train = spec.kind() == DatasetSpec.Kind.STL10
                ? Stl10Dataset.open(spec.path(), Stl10Dataset.Split.TRAIN) : spec.open(true);
        AmdimModel model;
        if (randomInit) {
            AmdimConfig cfg;
            try (var ckpt = CheckpointStore.load(checkpoint)) {
                cfg = ModelCheckpoints.config(ckpt.metadata());
            }
            Torch.manualSeed(seed);
            model = AmdimModel.create(cfg);
        } else {
            model = ModelCheckpoints.load(checkpoint);
        }
        try (model) {
            model.to(dev);
            if (knn != null) {
                return knn(model, train, test, spec, dev);
            }
            LinearEvaluation.Options o = new LinearEvaluation.Options(batch, epochs, lr, maxTrain, maxTest, seed);
            long t0 = System.nanoTime();
            LinearEvaluation.Result r = LinearEvaluation.run(model.encoder(), train, test, spec.preset(),
                    test.numClasses(), o, dev);
            PrintWriter out = command.commandLine().getOut();
            out.printf(Locale.ROOT, "%s encoder: linear top-1 %.4f, MLP top-1 %.4f (%d train / %d test images,"
                    + " %.0f s)%n", randomInit ? "random" : "trained", r.linear(), r.mlp(), r.trainImages(),
                    r.testImages(), (System.nanoTime() - t0) / 1e9);
            out.flush();
        }
        return 0;
    }

    /** The k-NN evaluation of {@code model}, printed as one line. */
    private int knn(AmdimModel model, ImageDataset train, ImageDataset test, DatasetSpec spec, Device dev) {
        long t0 = System.nanoTime();
        WeightedKnn.Options o = WeightedKnn.Options.defaults().withK(knn).withTemperature(knnTau);
        KnnEvaluation.Result r = KnnEvaluation.run(model, train, test, spec.preset(), test.numClasses(), o, batch,
                maxTrain, maxTest, dev, null);
        PrintWriter out = command.commandLine().getOut();
        out.printf(Locale.ROOT, "%s encoder: k-NN top-1 %.4f (k %d, tau %s; %d train / %d test images, %.0f s)%n",
                randomInit ? "random" : "trained", r.accuracy(), r.k(), knnTau, r.trainImages(), r.testImages(),
                (System.nanoTime() - t0) / 1e9);
        out.flush();
        return 0;
    }
}
