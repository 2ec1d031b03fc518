package org.amdim.tools;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;

import org.amdim.data.DataLoader;
import org.amdim.data.HostBatch;
import org.amdim.data.ImageBuffer;
import org.amdim.data.ImageDataset;
import org.amdim.data.LoaderConfig;
import org.amdim.data.LoaderPosition;
import org.amdim.data.SampleTransform;
import org.amdim.data.augment.AmdimTransform;
import org.amdim.data.augment.AugmentationPreset;
import org.amdim.tools.render.Denormalizer;
import org.amdim.tools.render.GridLayout;
import org.amdim.tools.render.ImageGrid;
import org.amdim.tools.render.Png;
import org.amdim.data.DatasetSpec;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code amdim views}: a PNG of what the model sees. One row per image: the evaluation view (the test
 * transform), then the two augmented training views of the same image, de-normalised and enlarged. The images and
 * their augmentation are exactly those of the first batch of epoch {@code --epoch} of a training run with the same
 * seed (the loader, transform and seeds are the training ones).
 */
@Command(name = "views", mixinStandardHelpOptions = true, showDefaultValues = true,
        description = "Draw a PNG grid of augmented view pairs: per image the original (test transform) and the two"
                + " training views, as the first batch of a training run with the same --seed sees them.")
public final class ViewsCommand implements Callable<Integer> {
    /** Pixels between tiles. */
    static final int GAP = 4;
    /** Side in pixels that the automatic scale aims for. */
    static final int AUTO_TILE = 128;

    @Spec
    private CommandSpec spec;

    @Mixin
    DatasetOptions data;

    @Option(names = {"--count", "-n"}, defaultValue = "8", description = "Images to show (rows).")
    int count;

    @Option(names = "--seed", defaultValue = "0", description = "Seed of the image order and the augmentation"
            + " (as 'amdim train --seed').")
    long seed;

    @Option(names = "--epoch", defaultValue = "0", description = "Epoch (from 0) whose image order and augmentation"
            + " to show.")
    int epoch;

    @Option(names = "--scale", defaultValue = "0", description = "Enlargement factor (nearest neighbour); 0 picks"
            + " one that makes tiles about " + AUTO_TILE + " px (x4 for 32 px views).")
    int scale;

    @Option(names = {"--output", "-o"}, defaultValue = "views.png", description = "The PNG file to write.")
    Path output;

    @Override
    public Integer call() throws Exception {
        Png.ensureHeadless();
        OptionRanges ranges = OptionRanges.of(spec);
        data.checkRanges(ranges);
        ranges.atLeast("--count", count, 1).between("--scale", scale, 0, 32, "").atLeast("--epoch", epoch, 0);
        DatasetSpec ds = data.spec();
        AugmentationPreset preset = ds.preset();
        ImageDataset images = ds.open(true);
        if (images.size() == 0) {
            throw new IllegalArgumentException(images.name() + " has no images");
        }
        int side = preset.outputSize();
        int factor = scale > 0 ? scale : Math.max(1, AUTO_TILE / side);
        SampleTransform test = AmdimTransform.test(preset);
        test.checkCompatible(images);
        Denormalizer denorm = new Denormalizer(preset.normalization());

        // The first batch holds min(count, size) images (the last batch of an epoch is kept); sizing the picture
        // first rejects an oversized request before any image is transformed.
        int rows = Math.min(count, images.size());
        GridLayout layout = new GridLayout(rows, 3, side * factor, side * factor, GAP, ImageGrid.LABEL_BAND, 0);
        LoaderConfig lc = LoaderConfig.of(rows).withSeed(seed).withWorkers(1).withPrefetch(1)
                .withStart(new LoaderPosition(epoch, 0));
        ImageGrid grid = new ImageGrid(layout);
        int[] indices;
        try (DataLoader loader = new DataLoader(images, AmdimTransform.train(preset), lc)) {
            Iterator<HostBatch> it = loader.iterator();
            try (HostBatch batch = it.next()) {
                int n = batch.size();
                float[] view1 = batch.view1().toArray(HostBatch.FLOAT_LE);
                float[] view2 = batch.view2().toArray(HostBatch.FLOAT_LE);
                int length = 3 * side * side;
                indices = new int[n];
                SampleTransform.Worker worker = test.newWorker();
                ImageBuffer image = new ImageBuffer();
                float[][] original = new float[1][length];
                for (int i = 0; i < n; i++) {
                    indices[i] = batch.index(i);
                    images.readImage(indices[i], image);
                    // The test transform is deterministic; the generator is never drawn from.
                    worker.apply(image, new SplittableRandom(0), original);
                    grid.place(i, 0, denorm.image(original[0], 0, side, side));
                    grid.place(i, 1, denorm.image(view1, i * length, side, side));
                    grid.place(i, 2, denorm.image(view2, i * length, side, side));
                }
            }
        }
        grid.title(0, "original");
        grid.title(1, "view 1");
        grid.title(2, "view 2");
        Png.write(grid.image(), output);
        PrintWriter out = spec.commandLine().getOut();
        out.printf("wrote %s (%dx%d): %d images of %s, %s augmentation, seed %d, epoch %d, x%d%n", output,
                grid.layout().width(), grid.layout().height(), indices.length, ds, preset.name(), seed, epoch, factor);
        out.println("dataset indices: " + java.util.Arrays.toString(indices));
        out.flush();
        return AmdimCli.EXIT_OK;
    }
}
