package org.amdim.embed;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.IntConsumer;

import org.amdim.data.ImageDataset;
import org.amdim.data.augment.AugmentationPreset;
import org.amdim.model.AmdimConfig;
import org.amdim.model.AmdimModel;
import org.amdim.model.encoder.InferenceEncoder;
import org.amdim.tensor.Device;
import org.amdim.tensor.Tensor;
import org.amdim.tensor.TensorScope;
import org.amdim.train.CheckpointStore;
import org.amdim.data.DatasetSpec;
import org.amdim.train.ModelCheckpoints;

/**
 * Turns images into embedding vectors with a trained AMDIM encoder. It applies the evaluation transform of the
 * data the checkpoint was trained on (CIFAR-like 32 px data: none but normalisation, so images must be 32×32;
 * STL-10 64 px: resize the shorter side to 70 and centre-crop 64; image folders 128 px: 146 and 128; each with
 * its dataset's normalisation), runs the encoder in evaluation mode and returns r1 by default (see {@link
 * EmbeddingOutput}). On the CPU the encoder runs as an {@link InferenceEncoder} on its packed oneDNN path (the
 * module's function to float32 rounding, faster); on CUDA as the module.
 *
 * <pre>{@code
 * try (ImageEmbedder embedder = ImageEmbedder.open(Path.of("runs/stl10"))) {
 *     float[] cat = embedder.embed(Path.of("cat.jpg"));
 *     List<float[]> many = embedder.embedFiles(files);   // batched: Options.batchSize() images per pass
 * }
 * }</pre>
 *
 * <p><b>Threads.</b> One instance may be shared by any number of threads. Decoding and preprocessing run in
 * the calling threads, in parallel; the encoder passes are serialised by an internal lock (libtorch already
 * spreads each pass over its intra-op threads, so parallel passes on one device would only contend). For
 * passes that really run in parallel, on several devices, open one instance per device.
 *
 * <p><b>Memory.</b> The instance owns the model's weights until {@link #close()} (on the CPU the encoder's at
 * least twice over: the module's and the inference copies, one set for r1 and the mixture, more for the pooled
 * maps; {@link EmbeddingOutput#inferenceEncoder}); every call frees the tensors it made before returning, so native
 * memory stays flat however many images go through. Using an instance after {@code close()} throws {@link
 * IllegalStateException}.
 */
public final class ImageEmbedder implements AutoCloseable {
    /**
     * How to embed.
     *
     * @param output    which representation (default {@link EmbeddingOutput#R1})
     * @param batchSize images per encoder pass in the list methods (default {@link #DEFAULT_BATCH_SIZE})
     * @param device    where the encoder runs (default CPU)
     */
    public record Options(EmbeddingOutput output, int batchSize, Device device) {
        /** Default images per encoder pass: large enough to keep 2–16 cores busy, small in memory. */
        public static final int DEFAULT_BATCH_SIZE = 64;

        /** Validates. */
        public Options {
            Objects.requireNonNull(output, "output");
            Objects.requireNonNull(device, "device");
            if (batchSize < 1) {
                throw new IllegalArgumentException("batch size must be >= 1, got " + batchSize);
            }
        }

        /** r1, {@link #DEFAULT_BATCH_SIZE} images per pass, CPU. */
        public static Options defaults() {
            return new Options(EmbeddingOutput.R1, DEFAULT_BATCH_SIZE, Device.CPU);
        }

        /** These options with another output. */
        public Options withOutput(EmbeddingOutput value) {
            return new Options(value, batchSize, device);
        }

        /** These options with another batch size. */
        public Options withBatchSize(int value) {
            return new Options(output, value, device);
        }

        /** These options with another device. */
        public Options withDevice(Device value) {
            return new Options(output, batchSize, value);
        }
    }

    private final AmdimModel model;
    /** The model's encoder prepared for inference: packed weights on the CPU, the module on CUDA. */
    private final InferenceEncoder encoder;
    private final AugmentationPreset preset;
    private final Options options;
    private final EvalPreprocessing preprocessing;
    private final int dimension;
    private final ReentrantLock lock = new ReentrantLock();
    private boolean closed;

    private ImageEmbedder(AmdimModel model, AugmentationPreset preset, Options options) {
        int size = model.config().encoder().inputSize();
        if (preset.outputSize() != size) {
            throw new IllegalArgumentException("the " + preset.name() + " transform makes " + preset.outputSize()
                    + " px images but the encoder takes " + size + " px");
        }
        this.dimension = options.output().dimension(model.config()); // refuses mixture without mixture heads
        this.model = model;
        this.preset = preset;
        this.options = options;
        this.preprocessing = new EvalPreprocessing(preset);
        model.to(options.device());
        model.eval();
        this.encoder = options.output().inferenceEncoder(model.encoder());
    }

    /**
     * Loads a checkpoint written by {@code amdim train} (a file or a run directory: its newest checkpoint) and
     * embeds r1 on the CPU.
     *
     * @throws IOException when the checkpoint cannot be read
     */
    public static ImageEmbedder open(Path checkpoint) throws IOException {
        return open(checkpoint, Options.defaults());
    }

    /**
     * Loads a checkpoint (a file or a run directory) with the given options. The evaluation transform is that
     * of the dataset kind the checkpoint records, or, for a checkpoint that records none, that of its input
     * size (32: CIFAR's, 64: STL-10's, 128: ImageNet's).
     *
     * @throws IOException when the checkpoint cannot be read
     * @throws IllegalArgumentException when it does not describe a model, or asks for mixture components of a
     *     model without them
     */
    public static ImageEmbedder open(Path checkpoint, Options options) throws IOException {
        Objects.requireNonNull(options, "options");
        try (CheckpointStore.Checkpoint ckpt = CheckpointStore.load(checkpoint)) {
            AmdimConfig config = ModelCheckpoints.config(ckpt.metadata());
            AugmentationPreset preset = presetOf(ckpt.metadata(), config.encoder().inputSize());
            AmdimModel model = AmdimModel.create(config);
            try {
                model.loadStateDict(ckpt.model(), true);
                return new ImageEmbedder(model, preset, options);
            } catch (RuntimeException e) {
                model.close();
                throw e;
            }
        }
    }

    /**
     * Wraps a model the caller built (e.g. a randomly initialised one, as a baseline); the embedder takes it
     * over and closes it. The model is moved to the options' device and put in evaluation mode.
     *
     * @param preset the evaluation transform's settings; its size must be the encoder's input size
     */
    public static ImageEmbedder of(AmdimModel model, AugmentationPreset preset, Options options) {
        return new ImageEmbedder(Objects.requireNonNull(model, "model"), Objects.requireNonNull(preset, "preset"),
                Objects.requireNonNull(options, "options"));
    }

    /**
     * The preset of a checkpoint's dataset: recorded as {@code dataset} ({@link DatasetSpec#toString()}, e.g.
     * {@code cifar10:/data/cifar} or {@code synthetic(10000)}), else chosen by input size.
     */
    static AugmentationPreset presetOf(Map<String, String> metadata, int inputSize) {
        String dataset = metadata.get("dataset");
        if (dataset != null) {
            String kind = dataset.split("[:(]", 2)[0];
            try {
                AugmentationPreset p = new DatasetSpec(DatasetSpec.Kind.parse(kind), null, 0).preset();
                if (p.outputSize() == inputSize) {
                    return p;
                }
            } catch (IllegalArgumentException e) {
                // an unknown kind (a newer or converted checkpoint): the input size decides below
            }
        }
        for (AugmentationPreset p : List.of(AugmentationPreset.CIFAR32, AugmentationPreset.STL64,
                AugmentationPreset.IMAGENET128)) {
            if (p.outputSize() == inputSize) {
                return p;
            }
        }
        throw new IllegalArgumentException("no evaluation transform makes " + inputSize + " px images (32, 64, 128)");
    }

    /** The evaluation transform's settings (size, resize and crop, normalisation). */
    public AugmentationPreset preset() {
        return preset;
    }

    /** The side S of the square images the encoder takes. */
    public int inputSize() {
        return preset.outputSize();
    }

    /** The length of every embedding. */
    public int dimension() {
        return dimension;
    }

    /** The options. */
    public Options options() {
        return options;
    }

    /** The model's configuration. */
    public AmdimConfig config() {
        return model.config();
    }

    /**
     * The evaluation transform alone: the normalised (3, S, S) view, channel-major, that the encoder gets for
     * this image.
     *
     * @throws IllegalArgumentException when a 32 px model gets an image that is not 32×32
     */
    public float[] preprocess(BufferedImage image) {
        float[] out = new float[preprocessing.viewLength()];
        preprocessing.apply(image, out, 0);
        return out;
    }

    /** The embedding of one decoded image ({@link #dimension()} floats). */
    public float[] embed(BufferedImage image) {
        return embedImages(List.of(image)).get(0);
    }

    /**
     * The embedding of one encoded image (JPEG, PNG, or any format {@code javax.imageio} reads).
     *
     * @throws IOException when the bytes cannot be decoded
     */
    public float[] embed(byte[] encoded) throws IOException {
        return embed(ImageFiles.decode(encoded));
    }

    /**
     * The embedding of one image file.
     *
     * @throws IOException when the file cannot be read or decoded (the message names it)
     */
    public float[] embed(Path file) throws IOException {
        return embed(ImageFiles.decode(file));
    }

    /** The embeddings of decoded images, in order, computed {@link Options#batchSize()} at a time. */
    public List<float[]> embedImages(List<BufferedImage> images) {
        List<float[]> out = new ArrayList<>(images.size());
        int n = images.size();
        for (int start = 0; start < n; start += options.batchSize()) {
            int len = Math.min(options.batchSize(), n - start);
            float[] batch = new float[len * preprocessing.viewLength()];
            for (int i = 0; i < len; i++) {
                preprocessing.apply(images.get(start + i), batch, i * preprocessing.viewLength());
            }
            float[] flat = forward(batch, len);
            for (int i = 0; i < len; i++) {
                out.add(Arrays.copyOfRange(flat, i * dimension, (i + 1) * dimension));
            }
        }
        return out;
    }

    /**
     * The embeddings of image files, in order, computed {@link Options#batchSize()} at a time; only one batch
     * of decoded images is held at once.
     *
     * @throws IOException when a file cannot be read or decoded (the message names it)
     */
    public List<float[]> embedFiles(List<Path> files) throws IOException {
        List<float[]> out = new ArrayList<>(files.size());
        for (int start = 0; start < files.size(); start += options.batchSize()) {
            int end = Math.min(files.size(), start + options.batchSize());
            List<BufferedImage> images = new ArrayList<>(end - start);
            for (Path f : files.subList(start, end)) {
                images.add(ImageFiles.decode(f));
            }
            out.addAll(embedImages(images));
        }
        return out;
    }

    /**
     * The embeddings of the first {@code limit} images of a dataset (all when 0), read and preprocessed by the
     * project's multi-threaded data loader, {@link Options#batchSize()} per pass.
     *
     * @param progress told the number of images embedded so far after every batch (may be null)
     * @return the embeddings and labels; the caller closes them
     */
    public DatasetEmbeddings embedDataset(ImageDataset data, int limit, IntConsumer progress) {
        lock.lock();
        try {
            requireOpen();
            return DatasetEmbeddings.compute(encoder, model, options.output(), data, preset, options.batchSize(),
                    limit, options.device(), progress);
        } finally {
            lock.unlock();
        }
    }

    /**
     * The embeddings of a batch of already preprocessed images (as {@link #preprocess} makes them).
     *
     * @param images (B, 3, S, S) float32, on any device
     * @return (B, {@link #dimension()}) float32 on the CPU; the caller owns it
     * @throws IllegalArgumentException when the images have the wrong shape
     */
    public Tensor embedTensor(Tensor images) {
        lock.lock();
        try {
            requireOpen();
            try (var scope = TensorScope.open()) {
                Tensor x = images.to(options.device());
                return scope.keep(options.output().compute(encoder, model, x).to(Device.CPU));
            }
        } finally {
            lock.unlock();
        }
    }

    /** One encoder pass over {@code len} preprocessed images; the result is row-major (len, dimension). */
    private float[] forward(float[] batch, int len) {
        int s = inputSize();
        lock.lock();
        try {
            requireOpen();
            try (var scope = TensorScope.open()) {
                Tensor x = Tensor.of(batch, len, 3, s, s).to(options.device());
                return options.output().compute(encoder, model, x).to(Device.CPU).toFloatArray();
            }
        } finally {
            lock.unlock();
        }
    }

    private void requireOpen() {
        if (closed) {
            throw new IllegalStateException("the image embedder is closed");
        }
    }

    /** Frees the model. Waits for a pass in progress; later calls throw {@link IllegalStateException}. */
    @Override
    public void close() {
        lock.lock();
        try {
            if (!closed) {
                closed = true;
                encoder.close();
                model.close();
            }
        } finally {
            lock.unlock();
        }
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "ImageEmbedder(%s, %s, %d px, %s, batch %d, %s, %s path)",
                options.output().cliName(), preset.name(), inputSize(), model.encoder().config(), options.batchSize(),
                options.device(), encoder.path().cliName());
    }
}
