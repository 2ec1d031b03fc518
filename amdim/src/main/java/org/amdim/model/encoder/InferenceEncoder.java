package org.amdim.model.encoder;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.locks.ReentrantLock;

import org.amdim.tensor.Autograd;
import org.amdim.tensor.Device;
import org.amdim.tensor.MemoryFormat;
import org.amdim.tensor.Tensor;
import org.amdim.tensor.TensorScope;
import org.amdim.tensor.Torch;

/**
 * An {@link Encoder} prepared for inference: what the encoder computes in evaluation mode, faster on the CPU, and
 * only what is asked for ({@link #encodeGlobal} skips the 5×5 and 7×7 embedding heads).
 *
 * <pre>{@code
 * try (InferenceEncoder fast = InferenceEncoder.of(encoder); var scope = TensorScope.open()) {
 *     Tensor r1 = fast.encodeGlobal(images);       // (B, n_rkhs, 1, 1)
 * }
 * }</pre>
 *
 * <p><b>Paths.</b> {@link Path#PACKED} (the default on the CPU) copies the encoder's weights and batch-norm
 * statistics once and folds each batch norm that directly follows a convolution into it (the residual units'
 * {@code bn1} and the heads' {@code bn_hid}, with use_bn; the middle and final batch norms and the heads'
 * {@code bn_out} run as they are). r1 alone ({@link #encodeGlobal}) runs on a fused oneDNN network ({@link FusedR1}:
 * oneDNN's primitives called directly, each ReLU and residual addition fused into its convolution) when the shim
 * was built with oneDNN's headers. Every other pass, and r1 without the fused network ({@link Path#UNFUSED}),
 * reorders every convolution weight into oneDNN's blocked format and computes on activations in oneDNN's own layout
 * from the first convolution to the last ({@link org.amdim.tensor.Layout#MKLDNN}), through libtorch's ops. One
 * exception: without the fused network (or for r5 and r7), a single image through a small encoder (at most 2 million
 * parameters, e.g. the CLI's small and tiny presets) runs on strided channels-last activations with the same
 * frozen, folded weights, because there the unfused route's fixed cost per op (tens of microseconds) outweighs what
 * it saves (measurements: {@code docs/performance.md}).
 * {@link Path#MODULE} runs the encoder module itself: on CUDA, where oneDNN does not run, and where libtorch lacks
 * oneDNN.
 *
 * <p>{@link #global} makes an instance for r1 alone, which copies only what r1 needs (with the fused network,
 * nothing else).
 *
 * <p><b>A snapshot.</b> On the packed path the instance computes with the weights and running statistics the
 * encoder had when {@link #of} was called; later changes to the encoder (training steps, {@code loadStateDict},
 * closing it) are not seen. Batch norms always use their running statistics, whatever mode the encoder is in. On
 * the module path nothing is copied: the encoder's current weights are used, and it must be in evaluation mode
 * and stay open.
 *
 * <p><b>Threads and memory.</b> One instance may be shared: passes take turns on an internal lock (each already
 * uses all of libtorch's intra-op threads), and {@link #close()} waits for a pass in progress. A pass allocates
 * its activations and nothing else, and frees each one as soon as the next layer has used it. The instance owns
 * the copies until {@link #close()}; afterwards every pass throws {@link IllegalStateException}.
 */
public final class InferenceEncoder implements AutoCloseable {
    /** How an {@link InferenceEncoder} computes. */
    public enum Path {
        /**
         * Packed oneDNN weights, batch norms folded: r1 on the fused oneDNN network where the shim has it, every
         * other pass on mkldnn-layout activations through libtorch's ops. CPU only.
         */
        PACKED,
        /** As {@link #PACKED} without the fused network (libtorch's ops only): for comparisons. CPU only. */
        UNFUSED,
        /** The encoder module itself, in evaluation mode: any device. */
        MODULE;

        /** The name a command line or a benchmark parameter uses: {@code packed}, {@code unfused} or {@code module}. */
        public String cliName() {
            return name().toLowerCase(Locale.ROOT);
        }

        /**
         * The path named {@code packed}, {@code unfused} or {@code module} (any case).
         *
         * @throws IllegalArgumentException for another name
         */
        public static Path parse(String name) {
            return switch (name.trim().toLowerCase(Locale.ROOT)) {
                case "packed" -> PACKED;
                case "unfused" -> UNFUSED;
                case "module" -> MODULE;
                default -> throw new IllegalArgumentException("unknown inference path '" + name
                        + "' (expected packed, unfused or module)");
            };
        }
    }

    /**
     * Encoders with at most this many parameters keep a strided route for single images: on 2 cores the CLI's
     * small preset (1.2 M) ran a single image about 25 % slower on oneDNN's route than as a module, an encoder of
     * ndf 64 (4.6 M) about 35 % faster, the CIFAR default (20 M) about twice as fast. It costs a second copy of
     * the weights, at most 8 MB.
     */
    static final long STRIDED_ROUTE_MAX_PARAMETERS = 2_000_000;

    /** Which route of the packed path a pass takes; tests force one. */
    enum Route {
        /** The strided route for a single image when the encoder keeps one, oneDNN's otherwise. */
        AUTO,
        /** mkldnn-layout activations. */
        ONEDNN,
        /** Strided channels-last activations (needs an encoder that keeps the route). */
        STRIDED,
        /** The fused oneDNN network (r1 only; needs {@link FusedR1#available()}). */
        FUSED
    }

    private final EncoderConfig config;
    private final Path path;
    /** The module path's encoder; null on the packed path. */
    private final Encoder module;
    /** The packed path's layers, one per {@code layer_list} entry; empty on the module path. */
    private final List<FrozenLayer> layers;
    private final FrozenHead head5;
    private final FrozenHead head7;
    /** Whether the packed path keeps the strided route. */
    private final boolean strided;
    /** Whether the instance was made for r1 alone ({@link #global}). */
    private final boolean r1Only;
    /** The r1 path as one fused oneDNN network, or null (module path, or a shim without oneDNN's headers). */
    private final FusedR1 fused;
    private final int index5;
    private final int index7;
    private final ReentrantLock lock = new ReentrantLock();
    private boolean closed;

    private InferenceEncoder(EncoderConfig config, Path path, Encoder module, List<FrozenLayer> layers,
            FrozenHead head5, FrozenHead head7, boolean strided, boolean r1Only, FusedR1 fused) {
        EncoderLayout layout = EncoderLayout.of(config);
        this.config = config;
        this.path = path;
        this.module = module;
        this.layers = layers;
        this.head5 = head5;
        this.head7 = head7;
        this.strided = strided;
        this.r1Only = r1Only;
        this.fused = fused;
        this.index5 = layout.layerFor(5);
        this.index7 = layout.layerFor(7);
    }

    /**
     * The fastest path for {@code encoder}: {@link Path#PACKED} when its weights are on the CPU and libtorch has
     * oneDNN, {@link Path#MODULE} otherwise.
     */
    public static InferenceEncoder of(Encoder encoder) {
        return of(encoder, defaultPath(encoder));
    }

    /** The path {@link #of(Encoder)} takes for {@code encoder}. */
    public static Path defaultPath(Encoder encoder) {
        return deviceOf(encoder).isCuda() || !Torch.mkldnnAvailable() ? Path.MODULE : Path.PACKED;
    }

    /**
     * An inference encoder on the given path.
     *
     * @throws IllegalArgumentException for {@link Path#PACKED} or {@link Path#UNFUSED} with an encoder that is not
     *     on the CPU, or a libtorch without oneDNN
     */
    public static InferenceEncoder of(Encoder encoder, Path path) {
        return of(encoder, path, encoder.parameterCount() <= STRIDED_ROUTE_MAX_PARAMETERS);
    }

    /**
     * An inference encoder for r1 alone ({@link #encodeGlobal}), on the default path: it copies only what r1
     * needs, which on the CPU with oneDNN's headers is the fused network and nothing else (no packed layers, no
     * embedding heads), so it holds one copy of the weights where {@link #of(Encoder)} holds up to three.
     * {@link #encode} throws on it. For passes that want r1 only, such as a classifier's test pass.
     */
    public static InferenceEncoder global(Encoder encoder) {
        return of(encoder, defaultPath(encoder), encoder.parameterCount() <= STRIDED_ROUTE_MAX_PARAMETERS, false);
    }

    /** As {@link #of(Encoder, Path)}, with the strided route kept or not (tests keep it to check both routes). */
    static InferenceEncoder of(Encoder encoder, Path path, boolean keepStrided) {
        return of(encoder, path, keepStrided, true);
    }

    /**
     * The inference encoder of {@code path}; without {@code heads} it computes r1 only and skips the copies the
     * other passes need (all the packed layers, when the fused network computes r1).
     */
    private static InferenceEncoder of(Encoder encoder, Path path, boolean keepStrided, boolean heads) {
        Objects.requireNonNull(encoder, "encoder");
        Objects.requireNonNull(path, "path");
        if (path == Path.MODULE) {
            return new InferenceEncoder(encoder.config(), path, encoder, List.of(), null, null, false, !heads, null);
        }
        Device device = deviceOf(encoder);
        if (device.isCuda()) {
            throw new IllegalArgumentException("the packed path runs oneDNN on the CPU; the encoder is on " + device
                    + " (use the module path there)");
        }
        if (!Torch.mkldnnAvailable()) {
            throw new IllegalArgumentException("the packed path needs oneDNN, and this libtorch was built without it");
        }
        List<FrozenLayer> layers = new ArrayList<>();
        FrozenHead head5 = null;
        FrozenHead head7 = null;
        FusedR1 fused = null;
        try (var noGrad = Autograd.noGrad()) {
            if (path == Path.PACKED && FusedR1.available()) {
                fused = FusedR1.of(encoder);
            }
            if (heads || fused == null) {
                for (int i = 0; i < encoder.layout().layers().size(); i++) {
                    layers.add(FrozenLayer.of(encoder.layer(i), keepStrided));
                }
            }
            if (heads) {
                head5 = FrozenHead.of(encoder.head5(), keepStrided);
                head7 = FrozenHead.of(encoder.head7(), keepStrided);
            }
            return new InferenceEncoder(encoder.config(), path, null, List.copyOf(layers), head5, head7, keepStrided,
                    !heads, fused);
        } catch (RuntimeException e) {
            if (fused != null) {
                fused.close();
            }
            layers.forEach(FrozenLayer::close);
            if (head5 != null) {
                head5.close();
            }
            if (head7 != null) {
                head7.close();
            }
            throw e;
        }
    }

    private static Device deviceOf(Encoder encoder) {
        return encoder.parameters().get(0).device();
    }

    /** The path this instance computes on. */
    public Path path() {
        return path;
    }

    /** The encoder's configuration. */
    public EncoderConfig config() {
        return config;
    }

    /**
     * The global embedding r1, as {@link Encoder#encodeGlobal} computes it in evaluation mode (without the
     * embedding heads).
     *
     * @param x images (B, 3, S, S), float32, on the encoder's device, S = {@link EncoderConfig#inputSize()}
     * @return r1 (B, R, 1, 1), strided; the caller owns it
     * @throws IllegalArgumentException when {@code x} has the wrong shape
     * @throws IllegalStateException after {@link #close()}, or on the module path with the encoder in training mode
     */
    public Tensor encodeGlobal(Tensor x) {
        return encodeGlobal(x, Route.AUTO);
    }

    /** {@link #encodeGlobal(Tensor)} on a given route of the packed path (for tests and benchmarks). */
    Tensor encodeGlobal(Tensor x, Route route) {
        return pass(x, false, route).r1();
    }

    /** What one pass made: r1, and r5 and r7 when the heads ran (null otherwise). */
    private record Outputs(Tensor r1, Tensor r5, Tensor r7) {
    }

    /**
     * The three embeddings, as {@link Encoder#encode} computes them in evaluation mode.
     *
     * @param x images (B, 3, S, S), float32, on the encoder's device, S = {@link EncoderConfig#inputSize()}
     * @return r1 (B, R, 1, 1), r5 (B, R, 5, 5), r7 (B, R, 7, 7), strided; the caller owns them
     * @throws IllegalArgumentException when {@code x} has the wrong shape
     * @throws IllegalStateException after {@link #close()}, on the module path with the encoder in training mode,
     *     or on an instance made for r1 alone ({@link #global})
     */
    public Features encode(Tensor x) {
        return encode(x, Route.AUTO);
    }

    /** {@link #encode(Tensor)} on a given route of the packed path (for tests). */
    Features encode(Tensor x, Route route) {
        Outputs o = pass(x, true, route);
        return new Features(o.r1(), o.r5(), o.r7());
    }

    /** One pass under the lock; without the heads r5 and r7 are null. */
    private Outputs pass(Tensor x, boolean heads, Route route) {
        checkInput(x);
        lock.lock();
        try (var noGrad = Autograd.noGrad()) {
            if (closed) {
                throw new IllegalStateException("the inference encoder is closed");
            }
            if (heads && r1Only) {
                throw new IllegalStateException("this inference encoder computes r1 only (InferenceEncoder.global):"
                        + " use InferenceEncoder.of for r5 and r7");
            }
            if (path == Path.MODULE) {
                if (module.isTraining()) {
                    throw new IllegalStateException("the module path computes with the encoder as it is, and it is"
                            + " in training mode: call eval() on it first");
                }
                if (!heads) {
                    return new Outputs(module.encodeGlobal(x), null, null);
                }
                Features f = module.encode(x);
                return new Outputs(f.r1(), f.r5(), f.r7());
            }
            if (!heads && fusedFor(route, x.size(0))) {
                return new Outputs(fused.apply(x), null, null);
            }
            if (route == Route.FUSED) {
                throw new IllegalStateException(fused == null ? "this inference encoder has no fused network (the"
                        + " shim was built without oneDNN's headers)" : "the fused network computes r1 only");
            }
            if (layers.isEmpty()) {
                throw new IllegalStateException("this inference encoder keeps only the fused network"
                        + " (InferenceEncoder.global)");
            }
            return packedPass(x, heads, onOneDnn(route, x.size(0)));
        } finally {
            lock.unlock();
        }
    }

    /** Whether an r1 pass of {@code batch} images on {@code route} runs on the fused network. */
    @SuppressWarnings("unused") // batch: every batch size takes it today (see the comment)
    private boolean fusedFor(Route route, long batch) {
        // Also a single image through a small encoder: the fused network ran it 1.7x as fast as the strided route
        // (CLI small preset, 2 loaded cores), unlike the unfused oneDNN route.
        return fused != null && (route == Route.FUSED || route == Route.AUTO);
    }

    /** Whether a pass of {@code batch} images on {@code route} runs on mkldnn-layout activations. */
    private boolean onOneDnn(Route route, long batch) {
        return switch (route) {
            case AUTO -> !strided || batch > 1;
            case ONEDNN, FUSED -> true;
            case STRIDED -> {
                if (!strided) {
                    throw new IllegalStateException("this inference encoder keeps no strided route");
                }
                yield false;
            }
        };
    }

    private Outputs packedPass(Tensor x, boolean heads, boolean mkldnn) {
        try (var scope = TensorScope.open()) {
            // The stem that pads by reflection takes the strided images; every other first layer the route's layout
            // (channels-last on the strided route, as the module computes).
            Tensor h = layers.get(0).takesStrided() ? x.alias()
                    : mkldnn ? x.toMkldnn() : x.contiguous(MemoryFormat.CHANNELS_LAST);
            Tensor r5 = null;
            Tensor r7 = null;
            int last = layers.size() - 1;
            for (int i = 0; i <= last; i++) {
                if (i == last) {
                    // The final batch norm runs on a strided copy of the 1×1 maps, as the module runs it, so r1
                    // leaves strided (on the strided route the copy is the tensor itself).
                    Tensor dense = h.toDense();
                    h.close();
                    h = dense;
                }
                Tensor next = layers.get(i).apply(h, mkldnn);
                h.close();
                h = next;
                // As in Encoder.encode: each head runs as soon as its input exists.
                if (heads && i == index7) {
                    r7 = head7.apply(h);
                }
                if (heads && i == index5) {
                    r5 = head5.apply(h);
                }
            }
            return new Outputs(scope.keep(h), heads ? scope.keep(r5) : null, heads ? scope.keep(r7) : null);
        }
    }

    private void checkInput(Tensor x) {
        Encoder.checkImages(config, x);
    }

    /** Frees the copies (the module path's encoder stays its owner's). Waits for a pass in progress; idempotent. */
    @Override
    public void close() {
        lock.lock();
        try {
            if (!closed) {
                closed = true;
                layers.forEach(FrozenLayer::close);
                if (head5 != null) {
                    head5.close();
                }
                if (head7 != null) {
                    head7.close();
                }
                if (fused != null) {
                    fused.close();
                }
            }
        } finally {
            lock.unlock();
        }
    }

    @Override
    public String toString() {
        return "InferenceEncoder(" + path.cliName() + ", input_size=" + config.inputSize() + ", ndf=" + config.ndf()
                + ", n_rkhs=" + config.nRkhs() + ", n_depth=" + config.nDepth() + ", use_bn=" + config.useBn()
                + (closed ? ", closed" : "") + ")";
    }
}
