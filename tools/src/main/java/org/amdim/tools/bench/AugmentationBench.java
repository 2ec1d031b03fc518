package org.amdim.tools.bench;

import java.util.Iterator;
import java.util.concurrent.TimeUnit;

import org.amdim.data.CachedDataset;
import org.amdim.data.DataLoader;
import org.amdim.data.HostBatch;
import org.amdim.data.ImageDataset;
import org.amdim.data.LoaderConfig;
import org.amdim.data.augment.AmdimTransform;
import org.amdim.data.augment.AugmentationPreset;
import org.amdim.data.synthetic.SyntheticShapesDataset;
import org.amdim.tensor.Device;
import org.amdim.train.DeviceBatch;
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
 * The training input pipeline without the model: a {@link DataLoader} with {@code workers} threads applying the
 * two-view training augmentation ({@link AmdimTransform#train}) to in-memory images, and the copy of each batch
 * into tensors ({@link DeviceBatch#of}) on the benchmark thread, as the trainer takes them. CIFAR-10 draws
 * 32×32 views from 32×32 images; STL-10 crops and resizes 96×96 images to 64×64 views. The images are synthetic
 * ({@link SyntheticShapesDataset}) rendered once into memory in setup, so no decoding counts. One operation is
 * one batch; the summary converts to images per second, to set beside {@link TrainStepBench}'s rate for the same
 * preset: the loader keeps up when it is well above it.
 *
 * <p>The loader runs on across operations, iterations and epochs; the epoch boundary (where its prefetch
 * window drains) comes once every {@code images / batch} batches.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 3)
@Measurement(iterations = 3, time = 3)
@Fork(value = 1, jvmArgsAppend = BenchSuite.NATIVE_ACCESS)
@State(Scope.Thread)
public class AugmentationBench {
    /** Images in the in-memory dataset: 128 batches of 64 per epoch at 32×32, 64 at 96×96 (about 110 MB). */
    static final int CIFAR_IMAGES = 8192;
    static final int STL_IMAGES = 4096;

    /** libtorch intra-op threads (only the tensor copies use them). */
    @Param("2")
    public int threads;

    /** Images per batch. */
    @Param("64")
    public int batch;

    /** Loader worker threads. */
    @Param("2")
    public int workers;

    /** The transform and image size: {@code cifar10} (32 → 32) or {@code stl10} (96 → 64). */
    @Param({"cifar10", "stl10"})
    public String preset;

    private DataLoader loader;
    private Iterator<HostBatch> batches;

    /** Sets the threads, renders the images into memory and starts the loader. */
    @Setup
    public void setup() {
        BenchThreads.apply(threads);
        BenchPreset p = BenchPreset.named(preset);
        int images = p == BenchPreset.CIFAR10 ? CIFAR_IMAGES : STL_IMAGES;
        setup(p.augmentation(), p.sourceSide(), images, batch, workers);
    }

    /** The setup proper, for any size (tests use a small one). */
    void setup(AugmentationPreset augmentation, int side, int images, int batchSize, int workerCount) {
        ImageDataset data = CachedDataset.of(new SyntheticShapesDataset(
                SyntheticShapesDataset.Options.DEFAULT.withSize(images).withImageSize(side)));
        loader = new DataLoader(data, AmdimTransform.train(augmentation),
                LoaderConfig.of(batchSize).withWorkers(workerCount).withDropLast(true));
        batches = loader.iterator();
    }

    /** Stops the loader's workers and frees its buffers. */
    @TearDown
    public void tearDown() {
        if (loader != null) {
            loader.close();
            loader = null;
        }
    }

    /** Takes the next batch (waiting for the workers if needed) and copies it into tensors; returns its size. */
    @Benchmark
    @ImagesPerOp("batch")
    public long nextBatch() {
        if (!batches.hasNext()) {
            batches = loader.iterator(); // the next epoch
        }
        try (HostBatch hb = batches.next(); DeviceBatch t = DeviceBatch.of(hb, Device.CPU)) {
            return t.size();
        }
    }

    /** The loader, for tests. */
    DataLoader loader() {
        return loader;
    }
}
