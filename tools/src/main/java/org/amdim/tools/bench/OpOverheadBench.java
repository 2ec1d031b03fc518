package org.amdim.tools.bench;

import java.util.concurrent.TimeUnit;

import org.amdim.tensor.NativeBenchmarks;
import org.amdim.tensor.Tensor;
import org.amdim.tensor.TensorScope;
import org.amdim.tensor.Torch;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The fixed cost of one op through the Java layer: {@code a.add(b)} on 1-element float32 tensors, where libtorch's
 * own work is tiny, so the time is dispatch plus the binding's overhead. Compared with the same loop in C++ and
 * with an empty downcall.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = BenchSuite.NATIVE_ACCESS)
@State(Scope.Thread)
public class OpOverheadBench {
    /** Adds per C++ call: enough that the one downcall per batch vanishes in the per-op time. */
    static final int NATIVE_BATCH = 10_000;
    /** Adds per scope in the scoped variant (a scope per step or per batch is the recommended use). */
    static final int OPS_PER_SCOPE = 1_000;

    /** libtorch intra-op threads. */
    @Param("2")
    public int threads;

    private Tensor a;
    private Tensor b;

    /** Sets the threads and makes the operands (outside any scope: they live for the whole trial). */
    @Setup
    public void setup() {
        BenchThreads.apply(threads);
        a = Tensor.of(new float[] {1.5f}, 1);
        b = Tensor.of(new float[] {2.5f}, 1);
    }

    /** Frees the operands. */
    @TearDown
    public void tearDown() {
        a.close();
        b.close();
    }

    /** One add from Java, its result closed at once (an unscoped tensor). */
    @Benchmark
    @NativeTwin("addCpp")
    public void addJava() {
        a.add(b).close();
    }

    /** Adds from Java inside a scope that frees the results every {@value #OPS_PER_SCOPE} ops. */
    @Benchmark
    @OperationsPerInvocation(OPS_PER_SCOPE)
    @NativeTwin("addCpp")
    public void addScopedJava() {
        try (var _ = TensorScope.open()) {
            for (int i = 0; i < OPS_PER_SCOPE; i++) {
                a.add(b);
            }
        }
    }

    /** The same adds in a C++ loop ({@code at::add} and free), one downcall per {@value #NATIVE_BATCH}. */
    @Benchmark
    @OperationsPerInvocation(NATIVE_BATCH)
    public void addCpp() {
        NativeBenchmarks.addLoop(a, b, NATIVE_BATCH);
    }

    /** An empty downcall: the floor of any op from Java. */
    @Benchmark
    public void noopDowncall() {
        Torch.noop();
    }
}
