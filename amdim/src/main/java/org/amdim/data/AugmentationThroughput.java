package org.amdim.data;

import java.util.Locale;
import java.util.SplittableRandom;
import org.amdim.data.augment.AmdimTransform;
import org.amdim.data.augment.AugmentationPreset;
import org.amdim.data.synthetic.SyntheticShapesDataset;

/**
 * A standalone throughput measurement of the training augmentation: images per second (each
 * image yielding two views) through a {@link DataLoader} with 2 workers, for the CIFAR transform
 * on 32×32 inputs and the STL-10 transform on 96×96 inputs (cropped and resized to 64×64), plus
 * the single-thread rate of the transform alone. Inputs are synthetic images cached in memory
 * first, so decoding does not count.
 *
 * <p>Usage: {@code java org.amdim.data.AugmentationThroughput [seconds-per-case]} (default 5).
 */
public final class AugmentationThroughput {

    private AugmentationThroughput() {}

    /**
     * Runs the measurement and prints one line per case.
     *
     * @param args optional seconds per measurement
     */
    public static void main(String[] args) {
        double seconds = args.length > 0 ? Double.parseDouble(args[0]) : 5.0;
        int workers = 2;
        System.out.printf(Locale.ROOT, "available processors: %d; %d loader workers; %.1f s per case%n",
                Runtime.getRuntime().availableProcessors(), workers, seconds);
        measure("cifar32 train (32x32 -> 2 views 3x32x32)", AugmentationPreset.CIFAR32, 32, 4096, seconds, workers);
        measure("stl64 train (96x96 -> 2 views 3x64x64)", AugmentationPreset.STL64, 96, 1024, seconds, workers);
    }

    private static void measure(String label, AugmentationPreset preset, int side, int count, double seconds, int workers) {
        ImageDataset data = CachedDataset.of(new SyntheticShapesDataset(
                SyntheticShapesDataset.Options.DEFAULT.withSize(count).withImageSize(side)));
        AmdimTransform transform = AmdimTransform.train(preset);

        double single = singleThread(data, transform, seconds / 2);
        LoaderConfig config = LoaderConfig.of(128).withWorkers(workers).withDropLast(true);
        long images = 0;
        long start = 0;
        try (DataLoader loader = new DataLoader(data, transform, config)) {
            long warmupEnd = System.nanoTime() + (long) (seconds * 0.3e9);
            long deadline = Long.MAX_VALUE;
            boolean measuring = false;
            outer:
            while (true) {
                for (HostBatch batch : loader) {
                    try (batch) {
                        long now = System.nanoTime();
                        if (!measuring && now >= warmupEnd) {
                            measuring = true;
                            start = now;
                            deadline = now + (long) (seconds * 1e9);
                        } else if (measuring) {
                            images += batch.size();
                            if (now >= deadline) {
                                break outer;
                            }
                        }
                    }
                }
            }
        }
        double elapsed = (System.nanoTime() - start) / 1e9;
        System.out.printf(Locale.ROOT, "%-45s loader (%d workers): %9.0f images/s   transform alone, 1 thread: %9.0f images/s%n",
                label, workers, images / elapsed, single);
    }

    private static double singleThread(ImageDataset data, AmdimTransform transform, double seconds) {
        SampleTransform.Worker worker = transform.newWorker();
        ImageBuffer image = new ImageBuffer();
        float[][] out = new float[transform.views()][transform.viewLength()];
        SplittableRandom rng = new SplittableRandom(1);
        long count = 0;
        long warmupEnd = System.nanoTime() + (long) (seconds * 0.3e9);
        while (System.nanoTime() < warmupEnd) {
            data.readImage((int) (count++ % data.size()), image);
            worker.apply(image, rng, out);
        }
        count = 0;
        long start = System.nanoTime();
        long end = start + (long) (seconds * 1e9);
        while (System.nanoTime() < end) {
            data.readImage((int) (count++ % data.size()), image);
            worker.apply(image, rng, out);
        }
        return count / ((System.nanoTime() - start) / 1e9);
    }
}
