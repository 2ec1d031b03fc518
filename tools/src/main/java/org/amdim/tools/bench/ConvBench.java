package org.amdim.tools.bench;

import java.util.concurrent.TimeUnit;

import org.amdim.tensor.Functional;
import org.amdim.tensor.NativeBenchmarks;
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
 * A 3×3 convolution, 128→256 channels, batch 32 at 16×16, padding 1, no bias: forward alone, and forward with
 * backward through autograd ({@code conv2d(x, w).sum().backward()}, gradients of both {@code x} and {@code w}
 * accumulating into their {@code .grad}), from Java and in C++. The C++ loop takes the autograd path when its
 * inputs require grad, so both sides build and run the same graph.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = BenchSuite.NATIVE_ACCESS)
@State(Scope.Thread)
public class ConvBench {
    static final long BATCH = 32;
    static final long IN_CHANNELS = 128;
    static final long OUT_CHANNELS = 256;
    static final long SIZE = 16;

    /** libtorch intra-op threads. */
    @Param("2")
    public int threads;

    /** Input and weight that do not require grad: forward only, no graph recorded. */
    private Tensor x;
    private Tensor w;
    /** Leaves that require grad, for forward+backward. */
    private Tensor xGrad;
    private Tensor wGrad;

    /** Sets the threads and makes random inputs (fixed seed). */
    @Setup
    public void setup() {
        BenchThreads.apply(threads);
        Torch.manualSeed(0);
        x = Tensor.randn(BATCH, IN_CHANNELS, SIZE, SIZE);
        w = Tensor.randn(OUT_CHANNELS, IN_CHANNELS, 3, 3);
        xGrad = x.clone().requiresGrad(true);
        wGrad = w.clone().requiresGrad(true);
    }

    /** Frees the tensors (their accumulated gradients go with them). */
    @TearDown
    public void tearDown() {
        for (Tensor t : new Tensor[] {x, w, xGrad, wGrad}) {
            t.close();
        }
    }

    /** Forward from Java. */
    @Benchmark
    @NativeTwin("forwardCpp")
    public void forwardJava() {
        Functional.conv2d(x, w, null, 1, 1).close();
    }

    /** Forward in C++ ({@code at::conv2d(x, w, {}, 1, 1)}). */
    @Benchmark
    public void forwardCpp() {
        NativeBenchmarks.convLoop(x, w, 1, false);
    }

    /** Forward and backward from Java; the scope frees the output, its sum and the graph. */
    @Benchmark
    @NativeTwin("forwardBackwardCpp")
    public void forwardBackwardJava() {
        try (var _ = TensorScope.open()) {
            Functional.conv2d(xGrad, wGrad, null, 1, 1).sum().backward();
        }
    }

    /** Forward and backward in C++ ({@code y.sum().backward()} through autograd). */
    @Benchmark
    public void forwardBackwardCpp() {
        NativeBenchmarks.convLoop(xGrad, wGrad, 1, true);
    }
}
