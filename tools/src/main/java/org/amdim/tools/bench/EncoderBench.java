package org.amdim.tools.bench;

import java.util.concurrent.TimeUnit;

import org.amdim.model.encoder.Encoder;
import org.amdim.model.encoder.EncoderConfig;
import org.amdim.model.encoder.Features;
import org.amdim.tensor.Autograd;
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
 * The encoder alone at the original's default width for each input size (CIFAR 32×32, STL-10 64×64, ImageNet
 * 128×128; ndf 128, n_rkhs 1024, n_depth 3), one batch of N(0, 1) images in training mode: the forward pass
 * without recording a graph, and forward plus backward of {@code sum(r1) + sum(r5) + sum(r7)} into the parameters'
 * gradients (cleared first, as an optimizer's {@code zeroGrad} does). Their difference is about the backward
 * pass; a training step runs the second twice (two views). Milliseconds per batch; the summary adds images per
 * second.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 1, time = 5)
@Measurement(iterations = 3, time = 5)
@Fork(value = 1, jvmArgsAppend = BenchSuite.NATIVE_ACCESS)
@State(Scope.Thread)
public class EncoderBench {
    /** libtorch intra-op threads. */
    @Param("2")
    public int threads;

    /** Images per batch. */
    @Param("16")
    public int batch;

    /** The encoder's input size and defaults: {@code cifar10}, {@code stl10} or {@code imagenet}. */
    @Param({"cifar10", "stl10", "imagenet"})
    public String preset;

    private Encoder encoder;
    private Tensor x;

    /** Sets the threads, builds the encoder with AMDIM's initialisation, and makes the images. */
    @Setup
    public void setup() {
        BenchThreads.apply(threads);
        setup(BenchPreset.named(preset).encoder(), batch);
    }

    /** The setup proper, for any encoder (tests use a small one). */
    void setup(EncoderConfig config, int images) {
        Torch.manualSeed(0);
        encoder = Encoder.create(config);
        encoder.train();
        x = Tensor.randn(images, 3, config.inputSize(), config.inputSize());
    }

    /** Prints the fork's peak RSS and frees the encoder and the images. */
    @TearDown
    public void tearDown() {
        if (encoder == null) {
            return;
        }
        PeakMemory.print("EncoderBench preset=" + preset + " batch=" + batch);
        encoder.close();
        x.close();
        encoder = null;
    }

    /** The forward pass without gradient; returns a value of r1 so the work is used (the scope frees it all). */
    @Benchmark
    @ImagesPerOp("batch")
    public double forward() {
        try (var _ = Autograd.noGrad(); var _ = TensorScope.open()) {
            Features f = encoder.encode(x);
            return f.r1().sum().item();
        }
    }

    /** Forward with the graph, then backward into the parameters' gradients; the scope frees the graph. */
    @Benchmark
    @ImagesPerOp("batch")
    public double forwardBackward() {
        try (var _ = TensorScope.open()) {
            Features f = encoder.encode(x);
            Tensor loss = f.r1().sum().add(f.r5().sum()).add(f.r7().sum());
            encoder.zeroGrad();
            loss.backward();
            return loss.item();
        }
    }

    /** The encoder, for tests. */
    Encoder encoder() {
        return encoder;
    }
}
