package org.amdim.tools.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.concurrent.TimeUnit;

import org.amdim.model.encoder.Encoder;
import org.amdim.model.encoder.EncoderConfig;
import org.amdim.model.encoder.InferenceEncoder;
import org.amdim.nn.io.NamedTensors;
import org.amdim.nn.io.TensorFiles;
import org.amdim.tensor.Tensor;
import org.amdim.tensor.TensorScope;
import org.amdim.tensor.Torch;
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
 * Embedding inference: r1 of a batch of N(0, 1) images with the encoder in evaluation mode, as the embedding API
 * computes it, on the {@link InferenceEncoder}'s paths: {@code module} (the encoder module itself, channels-last,
 * as before), {@code packed} (the fused oneDNN network, folded batch norms) and, on request, {@code unfused}
 * (prepacked oneDNN weights on mkldnn-layout activations through libtorch's ops). Presets
 * {@code cifar10} (ndf 128, n_rkhs 1024, n_depth 3) and {@code small} (32, 256, 2); batches 1, 32 and 256. The
 * encoder has AMDIM's initialisation (zero conv2 weights change no op's cost), or the weights of a safetensors file
 * ({@code -p weights=FILE}, as scripts/bench/embed_vs_ort.sh passes). Milliseconds per batch; the summary
 * adds images per second.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 3)
@Measurement(iterations = 3, time = 5)
@Fork(value = 1, jvmArgsAppend = BenchSuite.NATIVE_ACCESS)
@State(Scope.Thread)
public class EmbedBench {
    /** libtorch intra-op threads. */
    @Param("2")
    public int threads;

    /** Images per batch. */
    @Param({"1", "32", "256"})
    public int batch;

    /** The encoder: {@code cifar10} (the original's default) or {@code small}. */
    @Param({"cifar10", "small"})
    public String preset;

    /** {@code module}, {@code packed} or {@code unfused} ({@link InferenceEncoder.Path}). */
    @Param({"module", "packed"})
    public String path;

    /**
     * A safetensors file of the encoder's state dict, loaded strictly (every key, no other) over the initialisation;
     * empty: the initialisation.
     */
    @Param("")
    public String weights;

    private Encoder encoder;
    private InferenceEncoder inference;
    private Tensor x;

    /** Sets the threads, builds the encoder in evaluation mode and its inference form, and makes the images. */
    @Setup
    public void setup() {
        BenchThreads.apply(threads);
        setup(BenchPreset.named(preset).encoder(), batch, InferenceEncoder.Path.parse(path));
    }

    /** The setup proper, for any encoder and path (tests use a small one). */
    void setup(EncoderConfig config, int images, InferenceEncoder.Path on) {
        Torch.manualSeed(0);
        encoder = Encoder.create(config);
        if (weights != null && !weights.isEmpty()) {
            try (NamedTensors state = TensorFiles.load(java.nio.file.Path.of(weights))) {
                encoder.loadStateDict(state.tensors(), true);
            } catch (IOException e) {
                encoder.close();
                throw new UncheckedIOException("cannot read the weights " + weights, e);
            } catch (RuntimeException e) {
                encoder.close();
                throw e;
            }
        }
        encoder.eval();
        inference = InferenceEncoder.of(encoder, on);
        x = Tensor.randn(images, 3, config.inputSize(), config.inputSize());
    }

    /** Prints the fork's peak RSS and frees everything. */
    @TearDown
    public void tearDown() {
        if (encoder == null) {
            return;
        }
        PeakMemory.print("EmbedBench preset=" + preset + " batch=" + batch + " path=" + path);
        inference.close();
        encoder.close();
        x.close();
        encoder = null;
    }

    /** r1 of the batch; returns one of its values so the work is used (the scope frees r1). */
    @Benchmark
    @ImagesPerOp("batch")
    public double r1() {
        try (var _ = TensorScope.open()) {
            Tensor r1 = inference.encodeGlobal(x);
            return r1.flatten().select(0, 0).item();
        }
    }

    /** The inference encoder, for tests. */
    InferenceEncoder inference() {
        return inference;
    }
}
