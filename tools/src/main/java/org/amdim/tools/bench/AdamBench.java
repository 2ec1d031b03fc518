package org.amdim.tools.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.amdim.nn.optim.Adam;
import org.amdim.tensor.NativeBenchmarks;
import org.amdim.tensor.Tensor;
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
 * One Adam step over ~21.7 M float32 parameters in 58 tensors ({@link CifarEncoderShapes}): {@code nn.optim.Adam}
 * beside the shim's C++ loop. Both use {@code torch.optim.Adam}'s defaults (lr 1e-3, betas 0.9/0.999, eps 1e-8,
 * no weight decay, no AMSGrad) and the parameters' own gradients, set once in setup. Each side keeps its own
 * moment buffers; they update the same parameters, which is harmless for timing.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = BenchSuite.NATIVE_ACCESS)
@State(Scope.Thread)
public class AdamBench {
    /** torch.optim.Adam's default learning rate (the C++ loop hard-codes the same). */
    static final double LR = 1e-3;
    /** torch.optim.Adam's default weight decay. */
    static final double WEIGHT_DECAY = 0.0;

    /** libtorch intra-op threads. */
    @Param("2")
    public int threads;

    /** {@code stepJava} with Adam's single-pass update ({@code Adam.Options#singlePass}) instead of the exact one. */
    @Param("false")
    public boolean singlePass;

    private final List<Tensor> params = new ArrayList<>();
    private final List<Tensor> expAvg = new ArrayList<>();
    private final List<Tensor> expAvgSq = new ArrayList<>();
    private Adam adam;

    /** Makes the parameters with random gradients, the Java optimizer, and the C++ loop's moment buffers. */
    @Setup
    public void setup() {
        BenchThreads.apply(threads);
        Torch.manualSeed(0);
        for (long[] shape : CifarEncoderShapes.shapes()) {
            Tensor p = Tensor.randn(shape).mul_(0.05).requiresGrad(true);
            try (Tensor g = Tensor.randn(shape)) {
                p.setGrad(g); // the parameter's .grad shares g's storage; our handle can go
            }
            params.add(p);
            expAvg.add(Tensor.zeros(shape));
            expAvgSq.add(Tensor.zeros(shape));
        }
        adam = new Adam(params, LR, WEIGHT_DECAY, Adam.Options.adam().withSinglePass(singlePass));
    }

    /** Frees everything. */
    @TearDown
    public void tearDown() {
        adam.close();
        for (List<Tensor> list : List.of(params, expAvg, expAvgSq)) {
            list.forEach(Tensor::close);
            list.clear();
        }
    }

    /** {@code Adam.step()} from Java (one fused native call plus a gradient check per parameter). */
    @Benchmark
    @NativeTwin("stepCpp")
    public void stepJava() {
        adam.step();
    }

    /** The same update in the shim's C++ loop. */
    @Benchmark
    public void stepCpp() {
        NativeBenchmarks.adamLoop(params, expAvg, expAvgSq, 1);
    }
}
