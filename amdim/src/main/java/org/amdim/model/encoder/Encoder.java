package org.amdim.model.encoder;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.amdim.nn.Module;
import org.amdim.nn.layers.ModuleList;
import org.amdim.tensor.MemoryFormat;
import org.amdim.tensor.Tensor;
import org.amdim.tensor.TensorScope;

/**
 * The AMDIM encoder: a residual convolutional network that maps (B, 3, S, S) images (S = 32, 64 or 128) to a
 * global embedding r1 and local embeddings r5 (5×5) and r7 (7×7), all n_rkhs wide.
 *
 * <p>Children, named as the original PyTorch state dict: {@code layer_list} (the entries of {@link EncoderLayout}),
 * {@code rkhs_block_5} and {@code rkhs_block_7} ({@link EmbeddingHead}s). A state dict saved by the original
 * encoder loads strictly, and vice versa. r1 is the final batch norm's output; r5 and r7 are the heads applied to
 * the outputs of the last 5×5 and the last 7×7 entries.
 *
 * <pre>{@code
 * try (Encoder encoder = Encoder.create(EncoderConfig.cifar10Default());
 *      Features f = encoder.encode(images)) {
 *     ... f.r1(), f.r5(), f.r7() ...
 * }
 * }</pre>
 */
public final class Encoder extends Module {
    private final EncoderConfig config;
    private final EncoderLayout layout;
    private final ModuleList layerList;
    private final EmbeddingHead rkhsBlock5;
    private final EmbeddingHead rkhsBlock7;
    private final int index5;
    private final int index7;
    private final List<MaybeBatchNorm> batchNorms;
    private MemoryFormat memoryFormat = MemoryFormat.CONTIGUOUS;

    private Encoder(EncoderConfig config) {
        this.config = config;
        this.layout = EncoderLayout.of(config);
        this.index5 = layout.layerFor(5);
        this.index7 = layout.layerFor(7);
        if (layout.layerFor(1) != layout.layers().size() - 1) {
            throw new IllegalStateException("the 1x1 output must be the last layer: " + layout.sides());
        }
        this.layerList = registerModule("layer_list", new ModuleList());
        for (LayerSpec spec : layout.layers()) {
            layerList.add(spec.build());
        }
        this.rkhsBlock5 = registerModule("rkhs_block_5",
                new EmbeddingHead(layout.channels(index5), config.nRkhs(), config.useBn()));
        this.rkhsBlock7 = registerModule("rkhs_block_7",
                new EmbeddingHead(layout.channels(index7), config.nRkhs(), config.useBn()));

        List<MaybeBatchNorm> norms = new ArrayList<>();
        collectBatchNorms(this, norms);
        this.batchNorms = List.copyOf(norms);
    }

    private static void collectBatchNorms(Module m, List<MaybeBatchNorm> out) {
        if (m instanceof MaybeBatchNorm bn) {
            out.add(bn);
        }
        for (Module child : m.namedChildren().values()) {
            collectBatchNorms(child, out);
        }
    }

    /**
     * Builds an encoder and initialises it as the training script does ({@link #initWeights(double)} with scale 1).
     * Batch-norm buffers start at PyTorch's defaults.
     */
    public static Encoder create(EncoderConfig config) {
        return create(config, 1.0);
    }

    /**
     * Builds an encoder and applies {@link #initWeights(double)} with the given scale. It computes in
     * {@link MemoryFormat#CHANNELS_LAST} ({@link #to(MemoryFormat)} changes that).
     */
    public static Encoder create(EncoderConfig config, double initScale) {
        Encoder encoder = new Encoder(config);
        encoder.initWeights(initScale);
        encoder.to(MemoryFormat.CHANNELS_LAST);
        return encoder;
    }

    /**
     * Sets the memory format the encoder computes in: its convolution weights are laid out in {@code format}, and
     * {@link #encode(Tensor)} converts the images to it on entry, so every activation follows. Results do not
     * depend on it beyond float rounding; speed does: channels-last lets oneDNN (CPU) run its convolutions
     * without converting layouts, 4–10 % of a CIFAR training step on 2 cores. Build optimizers after calling
     * this (parameters are replaced, as by {@link Module#to(MemoryFormat)}).
     */
    @Override
    public Encoder to(MemoryFormat format) {
        super.to(format);
        this.memoryFormat = format;
        return this;
    }

    /** The memory format the encoder computes in (see {@link #to(MemoryFormat)}). */
    public MemoryFormat memoryFormat() {
        return memoryFormat;
    }

    /** The configuration. */
    public EncoderConfig config() {
        return config;
    }

    /** The layer plan. */
    public EncoderLayout layout() {
        return layout;
    }

    /** The {@code layer_list} entry at {@code index}. */
    public Module layer(int index) {
        return layerList.get(index);
    }

    /** The embedding head for the 5×5 map ({@code rkhs_block_5}). */
    public EmbeddingHead head5() {
        return rkhsBlock5;
    }

    /** The embedding head for the 7×7 map ({@code rkhs_block_7}). */
    public EmbeddingHead head7() {
        return rkhsBlock7;
    }

    /**
     * AMDIM's initialisation: in every residual unit and both embedding heads, conv1 ← kaiming-uniform(a = √5) ·
     * {@code initScale} and conv2 ← 0, so every residual branch starts at zero. Stem convolutions, batch norms and
     * the heads' shortcuts (near identity since construction) are left as they are. Draws from libtorch's global
     * generator.
     */
    public void initWeights(double initScale) {
        for (Module layer : layerList) {
            switch (layer) {
                case ResidualUnit unit -> unit.initWeights(initScale);
                case ResidualBlock block -> block.initWeights(initScale);
                default -> {
                }
            }
        }
        rkhsBlock5.initWeights(initScale);
        rkhsBlock7.initWeights(initScale);
    }

    /**
     * Encodes a batch. Training mode uses (and updates) the live batch norms' batch statistics; evaluation mode
     * uses their running statistics.
     *
     * @param x images (B, 3, S, S) with S = {@link EncoderConfig#inputSize()}
     * @return r1 (B, R, 1, 1), r5 (B, R, 5, 5), r7 (B, R, 7, 7); the caller owns them
     * @throws IllegalArgumentException when {@code x} has the wrong shape
     */
    public Features encode(Tensor x) {
        checkInput(x);
        try (var scope = TensorScope.open()) {
            // A new handle even when x is already in the format: the loop below closes every h but x's own.
            Tensor h = x.contiguous(memoryFormat);
            Tensor r5 = null;
            Tensor r7 = null;
            for (int i = 0; i < layerList.size(); i++) {
                Tensor next = layerList.get(i).forward(h);
                h.close();
                h = next;
                // Heads run as soon as their input exists, so no feature map outlives the next layer.
                if (i == index7) {
                    r7 = rkhsBlock7.forward(h);
                }
                if (i == index5) {
                    r5 = rkhsBlock5.forward(h);
                }
            }
            return new Features(scope.keep(h), scope.keep(r5), scope.keep(r7));
        }
    }

    /**
     * The global embedding r1 alone: the layers without the 5×5 and 7×7 embedding heads, which inference that
     * wants only r1 need not pay for. The same ops as {@link #encode(Tensor)}'s r1, so the same values.
     *
     * @param x images (B, 3, S, S) with S = {@link EncoderConfig#inputSize()}
     * @return r1 (B, R, 1, 1); the caller owns it
     * @throws IllegalArgumentException when {@code x} has the wrong shape
     */
    public Tensor encodeGlobal(Tensor x) {
        checkInput(x);
        try (var scope = TensorScope.open()) {
            Tensor h = x.contiguous(memoryFormat); // a new handle, closed below like every h but x's own
            for (int i = 0; i < layerList.size(); i++) {
                Tensor next = layerList.get(i).forward(h);
                h.close();
                h = next;
            }
            return scope.keep(h);
        }
    }

    /**
     * Encodes several views of the same images (equal batch sizes) in one pass, with the results of one
     * {@link #encode(Tensor)} per view: every batch norm normalises each view with that view's own statistics and
     * updates its running statistics view by view, in order, as the original encodes {@code x1} and then
     * {@code x2}. Everything else in the encoder treats each image on its own, so the views can share the
     * convolutions: one pass over a batch of n·B images keeps the cores busier than n passes over B, and
     * dispatches each op once.
     *
     * @param views (B, 3, S, S) images per view, all with the same B
     * @return the features of each view, in order; the caller closes them
     * @throws IllegalArgumentException when a view has the wrong shape or the batch sizes differ
     */
    public List<Features> encodeViews(List<Tensor> views) {
        try (Features joint = encodeJoint(views)) {
            return joint.chunk(views.size());
        }
    }

    /**
     * {@link #encodeViews} without the split: the features of all views in one batch, view after view (rows
     * i·B to (i+1)·B − 1 are view i's), so a consumer that wants them together (the classifiers see both views'
     * r1 at once) takes them without a copy. {@link Features#chunk} gives the views.
     *
     * @param views (B, 3, S, S) images per view, all with the same B
     * @return r1 (n·B, R, 1, 1), r5 (n·B, R, 5, 5), r7 (n·B, R, 7, 7); the caller closes them
     * @throws IllegalArgumentException when a view has the wrong shape or the batch sizes differ
     */
    public Features encodeJoint(List<Tensor> views) {
        if (views.isEmpty()) {
            throw new IllegalArgumentException("encodeViews needs at least one view");
        }
        long batch = views.get(0).shape()[0];
        for (Tensor v : views) {
            checkInput(v);
            if (v.shape()[0] != batch) {
                throw new IllegalArgumentException("views must have equal batch sizes, got " + batch + " and "
                        + v.shape()[0]);
            }
        }
        int n = views.size();
        if (n == 1) {
            return encode(views.get(0));
        }
        try (var scope = TensorScope.open()) {
            Tensor all = Tensor.cat(views, 0);
            batchNorms.forEach(bn -> bn.statisticsGroups(n));
            try {
                Features joint = encode(all);
                scope.keep(joint.r1());
                scope.keep(joint.r5());
                scope.keep(joint.r7());
                return joint;
            } finally {
                batchNorms.forEach(bn -> bn.statisticsGroups(1));
            }
        }
    }

    private void checkInput(Tensor x) {
        checkImages(config, x);
    }

    /** Refuses anything but images (B, 3, S, S) for the configuration's S (also for {@link InferenceEncoder}). */
    static void checkImages(EncoderConfig config, Tensor x) {
        long[] s = x.shape();
        int size = config.inputSize();
        if (s.length != 4 || s[1] != EncoderLayout.IMAGE_CHANNELS || s[2] != size || s[3] != size) {
            throw new IllegalArgumentException("the " + size + "x" + size + " encoder expects images (B, 3, " + size
                    + ", " + size + "), got " + Arrays.toString(s));
        }
    }

    /** Not supported: the encoder has three outputs; use {@link #encode(Tensor)}. */
    @Override
    public Tensor forward(Tensor x) {
        throw new UnsupportedOperationException("the encoder returns three embeddings: use encode(x)");
    }

    @Override
    protected String extraRepr() {
        return "input_size=" + config.inputSize() + ", ndf=" + config.ndf() + ", n_rkhs=" + config.nRkhs()
                + ", n_depth=" + config.nDepth() + ", use_bn=" + config.useBn();
    }
}
