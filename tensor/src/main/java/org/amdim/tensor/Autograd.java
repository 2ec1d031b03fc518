package org.amdim.tensor;

import static org.amdim.bindings.ffm.TorchShim.*;

/**
 * Thread-level autograd switches.
 *
 * <pre>{@code
 * try (var ng = Autograd.noGrad()) {
 *     // nothing here is recorded for backward
 * }
 * }</pre>
 */
public final class Autograd {
    static {
        ShimCalls.ensureLoaded();
    }

    private Autograd() {
    }

    /** Restores the previous gradient mode when closed. */
    public static final class GradMode implements AutoCloseable {
        private final boolean previous;
        private boolean closed;

        private GradMode(boolean enabled) {
            this.previous = ShimCalls.check(ts_set_grad_enabled(enabled)) == 1;
        }

        /** Restores the mode that was active before. */
        @Override
        public void close() {
            if (!closed) {
                closed = true;
                ts_set_grad_enabled(previous);
            }
        }
    }

    /** Disables gradient recording on this thread until the returned guard is closed. */
    public static GradMode noGrad() {
        return new GradMode(false);
    }

    /** Enables gradient recording on this thread until the returned guard is closed. */
    public static GradMode enableGrad() {
        return new GradMode(true);
    }

    /** Whether gradient recording is on for this thread. */
    public static boolean isGradEnabled() {
        return ts_is_grad_enabled();
    }
}
