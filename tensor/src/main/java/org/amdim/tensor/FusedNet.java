package org.amdim.tensor;

import static org.amdim.bindings.ffm.TorchShim.*;

import java.lang.foreign.MemorySegment;
import java.lang.ref.Cleaner;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A small CPU inference network run on oneDNN's own primitives, with each ReLU and each residual addition fused
 * into the convolution before it (libtorch 1.13's ops offer no fused convolution). It is described layer by layer
 * ({@link #builder}), copies every tensor it is given, reorders the weights once into the format each convolution
 * picks, and on the first pass for a batch size makes its primitives and activations and keeps them (for the
 * last two batch sizes): a pass then allocates only its output.
 *
 * <pre>{@code
 * try (FusedNet net = FusedNet.builder(3, 32, 32).conv(w0, b0, 1, 0, true).residual(w1, null, 3, 2, w2, null)
 *         .batchNorm(mean, var, gamma, beta, 1e-5).build()) {
 *     Tensor y = net.apply(x); // (B, C', H', W')
 * }
 * }</pre>
 *
 * <p>Needs a shim built with oneDNN's headers ({@link #available()}). Passes take turns (one at a time per
 * network); {@link #close()} waits for a pass in progress and is idempotent; a forgotten network is freed by a
 * cleaner.
 */
public final class FusedNet implements AutoCloseable {
    private static final Cleaner CLEANER = Cleaner.create();

    static {
        ShimCalls.ensureLoaded();
    }

    private final long[] inputShape;
    private final long[] outputShape;
    private final Cleaner.Cleanable cleanable;
    private MemorySegment handle;

    private FusedNet(MemorySegment handle, long[] inputShape, long[] outputShape) {
        this.handle = handle;
        this.inputShape = inputShape;
        this.outputShape = outputShape;
        this.cleanable = CLEANER.register(this, new Destroy(handle));
    }

    /** Whether the shim was built with oneDNN's headers, so that networks can be built. */
    public static boolean available() {
        return ts_fused_inference_available();
    }

    /** Number of networks alive in this process (for leak tests). */
    public static long liveNets() {
        return ts_fused_live_nets();
    }

    /** A builder for a network that takes (B, channels, height, width) inputs. */
    public static Builder builder(long channels, long height, long width) {
        return new Builder(channels, height, width);
    }

    /**
     * The network's output for {@code x}.
     *
     * @param x (B, C, H, W) float32 CPU images, B at least 1, contiguous or channels-last (other strides cost a copy)
     * @return (B, C', H', W') contiguous float32; no gradient is recorded
     * @throws IllegalStateException after {@link #close()}, or when {@code x} is closed
     * @throws org.amdim.bindings.TorchException when {@code x} has the wrong shape, dtype or device
     */
    public synchronized Tensor apply(Tensor x) {
        Objects.requireNonNull(x, "x");
        return Tensor.wrap(ts_fused_net_run(handle(), x.handle()));
    }

    /** How many batch-size plans the network keeps now (at most 2). */
    public synchronized int planCount() {
        return (int) ShimCalls.check((int) ts_fused_net_plan_count(handle()));
    }

    /** The input's (C, H, W). */
    public long[] inputShape() {
        return inputShape.clone();
    }

    /** The output's (C', H', W'). */
    public long[] outputShape() {
        return outputShape.clone();
    }

    private MemorySegment handle() {
        if (handle == null) {
            throw new IllegalStateException("the fused network is closed");
        }
        return handle;
    }

    /** Whether {@link #close()} has been called. */
    public synchronized boolean isClosed() {
        return handle == null;
    }

    /** Frees the network and its copies. Idempotent; waits for a pass in progress. */
    @Override
    public synchronized void close() {
        if (handle != null) {
            handle = null;
            cleanable.clean();
        }
    }

    /** The cleaner's action: owns the handle without referencing the network. */
    private record Destroy(MemorySegment handle) implements Runnable {
        @Override
        public void run() {
            ts_fused_net_destroy(handle);
        }
    }

    /**
     * Describes a {@link FusedNet} layer by layer. It keeps references to the given tensors, which must stay open
     * until {@link #build()} copies them.
     */
    public static final class Builder {
        private final long[] input;
        private final List<Layer> layers = new ArrayList<>();

        private Builder(long channels, long height, long width) {
            this.input = new long[] {channels, height, width};
        }

        private sealed interface Layer {
        }

        private record Conv(Tensor weight, Tensor bias, long stride, long padding, boolean relu) implements Layer {
        }

        private record Residual(Tensor weight1, Tensor bias1, long kernel, long stride, Tensor weight2, Tensor bias2)
                implements Layer {
        }

        private record Norm(Tensor mean, Tensor var, Tensor weight, Tensor bias, double eps) implements Layer {
        }

        /**
         * A convolution: {@code weight} (out, C, k, k), {@code bias} (out) or null, square stride, zero padding,
         * then ReLU when {@code relu}.
         */
        public Builder conv(Tensor weight, Tensor bias, long stride, long padding, boolean relu) {
            layers.add(new Conv(Objects.requireNonNull(weight, "weight"), bias, stride, padding, relu));
            return this;
        }

        /**
         * A residual unit {@code conv2(relu(conv1(x))) + shortcut(x)}: conv1 {@code weight1} (out, C, kernel,
         * kernel) with {@code stride} and no padding, conv2 {@code weight2} (out, out, 1, 1), biases nullable; the
         * shortcut average-pools x with a kernel×kernel window and {@code stride}, then appends out − C zero
         * channels (the identity for a 1×1 window, stride 1 and out = C).
         */
        public Builder residual(Tensor weight1, Tensor bias1, long kernel, long stride, Tensor weight2,
                Tensor bias2) {
            layers.add(new Residual(Objects.requireNonNull(weight1, "weight1"), bias1, kernel, stride,
                    Objects.requireNonNull(weight2, "weight2"), bias2));
            return this;
        }

        /** An evaluation-mode batch norm: {@code (x − mean)/√(var + eps)·weight + bias}, all (C) tensors. */
        public Builder batchNorm(Tensor mean, Tensor var, Tensor weight, Tensor bias, double eps) {
            layers.add(new Norm(Objects.requireNonNull(mean, "mean"), Objects.requireNonNull(var, "var"),
                    Objects.requireNonNull(weight, "weight"), Objects.requireNonNull(bias, "bias"), eps));
            return this;
        }

        /**
         * The network, with copies of every tensor given.
         *
         * @throws org.amdim.bindings.TorchException when a tensor does not fit (the message says which and why),
         *     or the shim has no oneDNN ({@link #available()})
         * @throws IllegalStateException when no layer was added, or a given tensor is closed
         */
        public FusedNet build() {
            if (layers.isEmpty()) {
                throw new IllegalStateException("a fused network needs at least one layer");
            }
            MemorySegment h = ShimCalls.check(ts_fused_net_create(input[0], input[1], input[2]));
            try {
                long[] shape = input.clone();
                for (Layer l : layers) {
                    switch (l) {
                        case Conv c -> {
                            ShimCalls.check(ts_fused_net_add_conv(h, c.weight().handle(), handleOf(c.bias()),
                                    c.stride(), c.padding(), c.relu()));
                            long k = c.weight().size(2);
                            shape = new long[] {c.weight().size(0), out(shape[1], k, c.stride(), c.padding()),
                                out(shape[2], k, c.stride(), c.padding())};
                        }
                        case Residual r -> {
                            ShimCalls.check(ts_fused_net_add_residual(h, r.weight1().handle(), handleOf(r.bias1()),
                                    r.kernel(), r.stride(), r.weight2().handle(), handleOf(r.bias2())));
                            shape = new long[] {r.weight2().size(0), out(shape[1], r.kernel(), r.stride(), 0),
                                out(shape[2], r.kernel(), r.stride(), 0)};
                        }
                        case Norm n -> ShimCalls.check(ts_fused_net_add_batch_norm(h, n.mean().handle(),
                                n.var().handle(), n.weight().handle(), n.bias().handle(), n.eps()));
                    }
                }
                return new FusedNet(h, input.clone(), shape);
            } catch (RuntimeException e) {
                ts_fused_net_destroy(h);
                throw e;
            }
        }

        private static long out(long size, long kernel, long stride, long padding) {
            return (size + 2 * padding - kernel) / stride + 1;
        }

        private static MemorySegment handleOf(Tensor t) {
            return t == null ? MemorySegment.NULL : t.handle();
        }
    }
}
