package org.amdim.tensor;

import static org.amdim.bindings.ffm.TorchShim.*;

import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * The C++ twins of the JMH benchmarks: the same work as a Java loop, run entirely inside the shim, so that the
 * cost of the Java/FFM layer can be measured against libtorch alone.
 */
public final class NativeBenchmarks {
    static {
        ShimCalls.ensureLoaded();
    }

    private NativeBenchmarks() {
    }

    /** {@code iterations} times {@code at::add(a, b)} and free, in C++. */
    public static void addLoop(Tensor a, Tensor b, long iterations) {
        ShimCalls.check(ts_bench_add_loop(a.handle(), b.handle(), iterations));
    }

    /** {@code iterations} Adam updates (PyTorch defaults) of all parameters, in C++. */
    public static void adamLoop(List<Tensor> params, List<Tensor> expAvg, List<Tensor> expAvgSq, long iterations) {
        int n = params.size();
        MemorySegment s = ShimCalls.scratch();
        ShimCalls.check(ts_bench_adam_loop(ShimCalls.handles(s, 0, params), MemorySegment.NULL,
                ShimCalls.handles(s, n, expAvg), ShimCalls.handles(s, 2 * n, expAvgSq), n, iterations));
    }

    /** {@code iterations} 3×3 conv2d forwards (padding 1), with backward when asked, in C++. */
    public static void convLoop(Tensor x, Tensor weight, long iterations, boolean backward) {
        ShimCalls.check(ts_bench_conv_loop(x.handle(), weight.handle(), iterations, backward));
    }
}
