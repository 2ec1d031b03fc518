package org.amdim.tools.bench;

import org.amdim.tensor.Torch;

/** Applies the intra-op thread count of a benchmark trial. */
final class BenchThreads {
    private BenchThreads() {
    }

    /**
     * Sets libtorch's intra-op threads. Call from {@code @Setup}: JMH runs thread-scoped fixtures on the
     * benchmark thread, and OpenMP's thread count is a per-thread setting, so it must be set there.
     */
    static void apply(int threads) {
        Torch.setNumThreads(threads);
        int actual = Torch.getNumThreads();
        if (actual != threads) {
            throw new IllegalStateException("asked libtorch for " + threads + " intra-op threads, it uses " + actual);
        }
    }
}
