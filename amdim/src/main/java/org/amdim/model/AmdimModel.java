package org.amdim.model;

import java.util.ArrayList;
import java.util.List;

import org.amdim.model.encoder.Encoder;
import org.amdim.model.encoder.EncoderConfig;
import org.amdim.model.encoder.Features;
import org.amdim.model.heads.ClassifierLoss;
import org.amdim.model.heads.Evaluator;
import org.amdim.model.heads.EvaluatorLogits;
import org.amdim.model.mixture.MixtureAssignment;
import org.amdim.model.mixture.MixtureHeads;
import org.amdim.model.mixture.MixtureLoss;
import org.amdim.model.nce.MultiScaleNceLoss;
import org.amdim.model.nce.NceDirection;
import org.amdim.model.nce.NceLosses;
import org.amdim.model.nce.NceTerm;
import org.amdim.nn.Module;
import org.amdim.nn.optim.ParamGroup;
import org.amdim.tensor.Autograd;
import org.amdim.tensor.DType;
import org.amdim.tensor.Tensor;
import org.amdim.tensor.TensorScope;

/**
 * The whole AMDIM model of the original code ({@code Model}): encoder, multi-scale NCE objective and online
 * classifiers, plus the optional mixture heads.
 *
 * <p>State-dict keys are the original's: {@code encoder.module.<encoder keys>} (the original wraps the encoder
 * in {@code nn.DataParallel}), {@code g2l_loss.masks_r5} and {@code evaluator.<heads keys>}, so a state dict of
 * an original checkpoint's {@code model} entry loads strictly. With the mixture enabled its parameters are added
 * under {@code mixture.} (such a state dict no longer loads into the original).
 *
 * <pre>{@code
 * try (AmdimModel model = AmdimModel.create(AmdimConfig.of(EncoderConfig.cifar10Default(), 10));
 *      Adam adam = new Adam(model.paramGroups(2e-4, 1e-5), Adam.Options.adam().withBetas(0.8, 0.999))) {
 *     model.train();
 *     adam.zeroGrad();
 *     try (StepOutput out = model.forwardStep(x1, x2, labels)) {
 *         out.lossOpt().backward();
 *         adam.step();
 *     }
 * }
 * }</pre>
 */
public final class AmdimModel extends Module {
    private static final long DUMMY_BATCH = 2;

    private final AmdimConfig config;
    private final Encoder encoder;
    private final MultiScaleNceLoss nce;
    private final Evaluator evaluator;
    private final MixtureHeads mixture;

    private AmdimModel(AmdimConfig config, Encoder encoder) {
        this.config = config;
        this.encoder = registerModule("encoder", new EncoderSlot(encoder)).encoder();
        this.nce = registerModule("g2l_loss", new MultiScaleNceLoss(config.tclip(), config.seed()));
        long dim = config.encoder().nRkhs();
        this.evaluator = registerModule("evaluator", new Evaluator(dim, config.classes(), config.evaluatorDropout()));
        this.mixture = config.mixture().enabled()
                ? registerModule("mixture", new MixtureHeads(dim, config.mixture(), config.tclip()))
                : null;
    }

    /**
     * Builds the model as the training script does: the encoder with AMDIM's initialisation
     * ({@link Encoder#create}), the classifiers with PyTorch's defaults, all drawn from libtorch's global
     * generator. Like the original's constructor it then runs two all-zero batches of two images through the
     * encoder in training mode, without gradient: one through the layer list (the original sizes its heads with
     * it) and one through the whole encoder. So the live batch norms' counters start where the original's do
     * (2 in the layer list, 1 in the embedding heads); their running statistics reflect those zero batches.
     */
    public static AmdimModel create(AmdimConfig config) {
        Encoder encoder = Encoder.create(config.encoder());
        AmdimModel model;
        try {
            model = new AmdimModel(config, encoder);
        } catch (RuntimeException e) {
            encoder.close();
            throw e;
        }
        try {
            model.runConstructionPasses();
        } catch (RuntimeException e) {
            model.close();
            throw e;
        }
        return model;
    }

    private void runConstructionPasses() {
        int size = config.encoder().inputSize();
        boolean wasTraining = encoder.isTraining();
        encoder.train();
        try (var ng = Autograd.noGrad(); var scope = TensorScope.open()) {
            Tensor zeros = Tensor.zeros(DUMMY_BATCH, 3, size, size);
            Tensor h = zeros;
            int layers = encoder.layout().layers().size();
            for (int i = 0; i < layers; i++) {
                Tensor next = encoder.layer(i).forward(h);
                if (h != zeros) {
                    h.close();
                }
                h = next;
            }
            encoder.encode(zeros).close();
        } finally {
            encoder.train(wasTraining);
        }
    }

    /** The configuration. */
    public AmdimConfig config() {
        return config;
    }

    /** The encoder (state-dict prefix {@code encoder.module.}). */
    public Encoder encoder() {
        return encoder;
    }

    /** The multi-scale NCE objective ({@code g2l_loss}). */
    public MultiScaleNceLoss nce() {
        return nce;
    }

    /** The online classifiers ({@code evaluator}). */
    public Evaluator evaluator() {
        return evaluator;
    }

    /** The mixture heads, or null when disabled. */
    public MixtureHeads mixture() {
        return mixture;
    }

    /**
     * One parameter group per part, as the training script builds its optimizer: encoder, NCE (no trainable
     * parameters: an empty group), evaluator, then the mixture heads when enabled.
     */
    public List<ParamGroup> paramGroups(double lr, double weightDecay) {
        List<ParamGroup> groups = new ArrayList<>();
        groups.add(new ParamGroup(encoder.parameters(), lr, weightDecay));
        groups.add(new ParamGroup(nce.parameters(), lr, weightDecay));
        groups.add(new ParamGroup(evaluator.parameters(), lr, weightDecay));
        if (mixture != null) {
            groups.add(new ParamGroup(mixture.parameters(), lr, weightDecay));
        }
        return groups;
    }

    /**
     * Encodes images with the encoder alone (in the current mode), for evaluation and embedding.
     *
     * @param x (B, 3, S, S) images
     * @return r1, r5, r7; the caller owns them
     */
    public Features encode(Tensor x) {
        return encoder.encode(x);
    }

    /** The online classifiers' logits for images (in the current mode); the caller owns them. */
    public EvaluatorLogits classify(Tensor x) {
        try (Features f = encoder.encode(x)) {
            return evaluator.logits(f.r1());
        }
    }

    /**
     * The mixture read-out for images: every 7×7 location of {@code x} assigned to a component, matched against
     * the global features of the same images ({@link MixtureHeads#assign}). Without gradient, with the encoder in
     * evaluation mode (running batch-norm statistics) whatever the model's mode, which is put back afterwards: so
     * an image's map does not depend on the other images of {@code x}.
     *
     * @throws IllegalStateException when the mixture is disabled
     */
    public MixtureAssignment segment(Tensor x) {
        requireMixture();
        boolean wasTraining = encoder.isTraining();
        encoder.eval();
        try (var ng = Autograd.noGrad(); Features f = encoder.encode(x)) {
            return mixture.assign(f.r1(), f.r7());
        } finally {
            encoder.train(wasTraining);
        }
    }

    private void requireMixture() {
        if (mixture == null) {
            throw new IllegalStateException("the mixture heads are disabled in this model's configuration");
        }
    }

    /**
     * The forward pass of one self-supervised training step, with freshly drawn 5×5 NCE source locations.
     *
     * @see #forwardStep(Tensor, Tensor, Tensor, long[], long[])
     */
    public StepOutput forwardStep(Tensor x1, Tensor x2, Tensor labels) {
        int b = Math.toIntExact(x1.size(0));
        int locations = Math.toIntExact(nce.masksR5().size(0));
        return forwardStep(x1, x2, labels, nce.drawSourceLocations(b, locations),
                nce.drawSourceLocations(b, locations));
    }

    /**
     * The forward pass of one self-supervised training step, as the original {@code _train} loop computes it,
     * in the model's current mode (call {@link #train()} first for training): encode view 1, then view 2 (in
     * training mode the live batch norms update twice), the NCE terms with the given 5×5 source locations, the
     * classifiers on {@code cat(r1_x1, r1_x2)} (detached) against {@code cat(labels, labels)}, and
     * {@code loss_opt = loss_g2l + lgt_reg + loss_cls}; with the mixture heads enabled, their objective replaces the
     * 1→7 term in {@code loss_g2l} and their regulariser the 1→7 part of {@code lgt_reg}. Backpropagate
     * {@link StepOutput#lossOpt()} and step the optimizer; then close the output.
     *
     * @param x1         (B, 3, S, S) first view
     * @param x2         (B, 3, S, S) second view of the same images
     * @param labels     (B) int64 classes, {@link ClassifierLoss#IGNORE} for unlabelled images
     * @param src5Index1 one 5×5 location {@code row·5 + col} per image of view 1
     * @param src5Index2 the same for view 2
     */
    public StepOutput forwardStep(Tensor x1, Tensor x2, Tensor labels, long[] src5Index1, long[] src5Index2) {
        checkLabels(labels);
        // Everything is created in this scope, so an exception part-way frees it all.
        try (var scope = TensorScope.open()) {
            Features joint = encoder.encodeJoint(List.of(x1, x2));
            List<Features> views = joint.chunk(2);
            // The classifiers see cat(r1_x1, r1_x2), which is the joint pass's r1 as it stands: no copy.
            return losses(scope, views.get(0), views.get(1), joint.r1(), labels, src5Index1, src5Index2);
        }
    }

    /**
     * The forward pass of one data-parallel training step: this process encodes its own images (its batch norms see
     * only them), {@code gather} assembles the features and labels of all processes, and the rest of the step is
     * {@link #forwardStep(Tensor, Tensor, Tensor, long[], long[])} on the global batch: the NCE negatives come
     * from every process's images, and the classifiers see every image. Every process therefore computes the same
     * losses (the values one process holding the global batch computes, with batch norm per process), and the
     * gradients of {@link StepOutput#lossOpt()} averaged over the processes are that process's gradients; see
     * {@code org.amdim.train.DataParallel}. The output's features are the global ones.
     *
     * @param x1         (n, 3, S, S) this process's first views
     * @param x2         (n, 3, S, S) the second views of the same images
     * @param labels     (n) int64 classes
     * @param src5Index1 one 5×5 location per image of the <em>global</em> batch (worldSize·n), view 1; the same
     *                   on every process
     * @param src5Index2 the same for view 2
     * @param gather     the exchange with the other processes
     */
    public StepOutput forwardStep(Tensor x1, Tensor x2, Tensor labels, long[] src5Index1, long[] src5Index2,
            FeatureGather gather) {
        checkLabels(labels);
        try (var scope = TensorScope.open()) {
            List<Features> views = encoder.encodeViews(List.of(x1, x2));
            Features f1 = views.get(0);
            Features f2 = views.get(1);
            List<Tensor> all = gather.gather(List.of(f1.r1(), f1.r5(), f1.r7(), f2.r1(), f2.r5(), f2.r7(), labels));
            // The local handles go with the scope; autograd keeps what the backward pass needs.
            Features g1 = new Features(all.get(0), all.get(1), all.get(2));
            Features g2 = new Features(all.get(3), all.get(4), all.get(5));
            return losses(scope, g1, g2, null, all.get(6), src5Index1, src5Index2);
        }
    }

    /**
     * The part of {@link #forwardStep(Tensor, Tensor, Tensor, long[], long[])} after the encoder: the NCE terms, the
     * classifiers and the total loss for features computed elsewhere (for instance batch by batch, with a batch norm
     * per part, as data-parallel training does). The features stay the caller's; the output holds its own handles
     * to them.
     *
     * @param view1 the encoder's outputs for the first views (B images)
     * @param view2 the encoder's outputs for the second views
     * @param labels (B) int64 classes
     * @param src5Index1 one 5×5 location per image, view 1
     * @param src5Index2 the same for view 2
     */
    public StepOutput forwardLosses(Features view1, Features view2, Tensor labels, long[] src5Index1,
            long[] src5Index2) {
        checkLabels(labels);
        try (var scope = TensorScope.open()) {
            Features f1 = new Features(view1.r1().alias(), view1.r5().alias(), view1.r7().alias());
            Features f2 = new Features(view2.r1().alias(), view2.r5().alias(), view2.r7().alias());
            return losses(scope, f1, f2, null, labels, src5Index1, src5Index2);
        }
    }

    private static void checkLabels(Tensor labels) {
        if (labels.dtype() != DType.INT64) {
            throw new IllegalArgumentException("labels must be int64, got " + labels.dtype());
        }
    }

    /**
     * The step's losses from both views' features, all created in (and kept out of) {@code scope}. With the mixture
     * heads on, the mixture objective takes the place of the 1→7 term and its regulariser the place of the 1→7
     * directions' ({@link MixtureHeads}); the 1→7 NCE is still computed, for the metrics only.
     *
     * @param r1Both {@code cat(f1.r1, f2.r1)} where the caller holds it already (the joint encoder pass), else null
     */
    private StepOutput losses(TensorScope scope, Features f1, Features f2, Tensor r1Both, Tensor labels,
            long[] src5Index1, long[] src5Index2) {
        NceLosses losses = nce.forward(f1.r1(), f1.r5(), f1.r7(), f2.r1(), f2.r5(), f2.r7(), src5Index1, src5Index2);
        Tensor labels2 = Tensor.cat(List.of(labels, labels), 0);
        EvaluatorLogits logits = evaluator.logits(r1Both != null ? r1Both : Tensor.cat(List.of(f1.r1(), f2.r1()), 0));
        MixtureLoss mix = null;
        Tensor g2l;
        Tensor lgtReg;
        if (mixture == null) {
            g2l = losses.g2l();
            lgtReg = losses.lgtReg().alias();
        } else {
            mix = mixture.loss(f1.r1(), f1.r7(), f2.r1(), f2.r7());
            g2l = losses.loss1t5().sub(mix.objective()).add(losses.loss5t5());
            lgtReg = losses.lgtRegWithout(NceTerm.T1T7).add(mix.lgtReg());
        }
        Tensor inf = g2l.add(lgtReg);
        Tensor clsMlp = ClassifierLoss.lossXent(logits.mlp(), labels2);
        Tensor clsLin = ClassifierLoss.lossXent(logits.lin(), labels2);
        Tensor cls = clsMlp.add(clsLin);
        Tensor opt = inf.add(cls);
        ClassifierLoss.Accuracy accMlp = ClassifierLoss.accuracy(logits.mlp(), labels2);
        ClassifierLoss.Accuracy accLin = ClassifierLoss.accuracy(logits.lin(), labels2);
        keepAll(scope, f1, f2, losses, mix, logits);
        return new StepOutput(losses, mix, scope.keep(g2l), scope.keep(lgtReg), scope.keep(inf), scope.keep(clsMlp),
                scope.keep(clsLin), scope.keep(cls), scope.keep(opt), logits, accMlp, accLin, f1, f2);
    }

    /** Moves the parts' tensors out of the step's scope so the output owns them. */
    private static void keepAll(TensorScope scope, Features f1, Features f2, NceLosses losses, MixtureLoss mix,
            EvaluatorLogits logits) {
        for (Features f : List.of(f1, f2)) {
            scope.keep(f.r1());
            scope.keep(f.r5());
            scope.keep(f.r7());
        }
        scope.keep(losses.loss1t5());
        scope.keep(losses.loss1t7());
        scope.keep(losses.loss5t5());
        scope.keep(losses.lgtReg());
        for (NceDirection d : losses.directions()) {
            scope.keep(d.loss());
            scope.keep(d.lgtReg());
        }
        if (mix != null) {
            scope.keep(mix.objective());
            scope.keep(mix.lgtReg());
        }
        scope.keep(logits.mlp());
        scope.keep(logits.lin());
    }
}
