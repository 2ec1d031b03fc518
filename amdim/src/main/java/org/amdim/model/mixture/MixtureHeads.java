package org.amdim.model.mixture;

import org.amdim.model.AmdimModel;
import org.amdim.model.nce.NceScores;
import org.amdim.nn.Init;
import org.amdim.nn.Module;
import org.amdim.tensor.Autograd;
import org.amdim.tensor.Tensor;
import org.amdim.tensor.TensorScope;

/**
 * Mixture-based representations, the AMDIM paper's extension (written from the paper's description; the
 * original code has none).
 *
 * <p>The global feature {@code f1} (B, R) is mapped to {@code k} component features
 * {@code f1ʲ = f1 + MLPⱼ(f1)}, where {@code MLPⱼ(x) = W2ⱼ·relu(W1ⱼ·x + b1ⱼ) + b2ⱼ} has one hidden layer of
 * width H. Each component scores every location {@code i} of the other view's 7×7 map with the same
 * per-location NCE log-softmax term as the 1→7 objective ({@link NceScores}), giving {@code s_ij}. The entropy
 * regularised soft assignment {@code q(j|i) = softmax_j(τ·s_ij)} maximises
 * {@code Σ_j q(j|i)·s_ij + H(q(·|i))/τ}; its optimal value is the closed form
 * {@code (1/τ)·log Σ_j exp(τ·s_ij)}, so the objective is its mean over locations and images,
 * {@code (1/n)·Σ_i (1/τ)·log Σ_j exp(τ·s_ij)}, averaged over both directions (view 1's global feature against
 * view 2's map and vice versa). As in the paper, this objective is what the model maximises for the
 * global → local prediction when mixtures are on: it takes the place of the 1→7 term ({@link AmdimModel}), and
 * with {@code k = 1} it is exactly minus the 1→7 NCE loss of that one component feature (its regulariser
 * likewise the 1→7 directions' share of {@code lgt_reg}). As τ grows it tends to the mean of the best
 * component's score; its gradient is the q-weighted mixture of the components' score gradients.
 *
 * <p>Choices the paper leaves open, and why they are made so here:
 * <ul>
 * <li><b>k heads or one network.</b> The paper speaks of {@code k} mixture features computed from the global
 *     feature without saying how. Here each component has its own residual MLP on {@code f1} (stacked, so all
 *     {@code k} are one batched product). Separate heads let components differ from the start (independent
 *     initial weights break the symmetry that one shared network with {@code k} outputs would need extra
 *     machinery for), and the residual form ({@code f1 + MLP}) makes every component {@code f1} plus a learned
 *     correction, so the global feature's own 1→7 signal reaches each component from the first update instead of
 *     having to be relearned through a randomly initialised network.</li>
 * <li><b>τ.</b> The sharpness is a setting ({@link MixtureConfig#tau()}, default 1). τ = 1 makes the objective
 *     the log-sum-exp of the component scores, i.e. the evidence of a uniform mixture; large τ approaches hard
 *     assignment (every location credited to its best component only), small τ averages the components and
 *     stops them from specialising. The default takes the paper's plain mixture form and leaves tuning to the
 *     caller.</li>
 * <li><b>Entropy weight.</b> The entropy term is weighted {@code 1/τ}, which is what makes the optimal {@code q}
 *     exactly {@code softmax(τ·s)} and the objective a closed form with no inner optimisation; a separate weight
 *     would only rescale τ in that closed form, so it is not a second setting.</li>
 * </ul>
 *
 * <p>Parameters ({@code k} stacked MLPs, computed with batched matrix products): {@code w1} (k, H, R),
 * {@code b1} (k, H), {@code w2} (k, R, H), {@code b2} (k, R), each initialised like a PyTorch Linear layer of
 * the same fan-in ({@code U(±1/√fan_in)}).
 */
public final class MixtureHeads extends Module {
    private final int components;
    private final long dim;
    private final long hidden;
    private final double tau;
    private final double tclip;

    /**
     * @param dim    size R of the global and local features
     * @param config number of components, τ and hidden width (its {@code enabled} flag is not consulted)
     * @param tclip  soft clip of the NCE scores (the multi-scale objective's clip)
     */
    public MixtureHeads(long dim, MixtureConfig config, double tclip) {
        this.components = config.components();
        this.dim = dim;
        this.hidden = config.hidden() > 0 ? config.hidden() : dim;
        this.tau = config.tau();
        this.tclip = tclip;
        long k = components;
        double bound1 = 1 / Math.sqrt(dim);
        double bound2 = 1 / Math.sqrt(hidden);
        Init.uniform(registerParameter("w1", Tensor.empty(k, hidden, dim)), -bound1, bound1);
        Init.uniform(registerParameter("b1", Tensor.empty(k, hidden)), -bound1, bound1);
        Init.uniform(registerParameter("w2", Tensor.empty(k, dim, hidden)), -bound2, bound2);
        Init.uniform(registerParameter("b2", Tensor.empty(k, dim)), -bound2, bound2);
    }

    /** Number of components {@code k}. */
    public int components() {
        return components;
    }

    /** Sharpness τ of the soft assignment. */
    public double tau() {
        return tau;
    }

    /**
     * The component features {@code f1ʲ = f1 + MLPⱼ(f1)}.
     *
     * @param global (B, R, 1, 1) or (B, R) global features
     * @return (k, B, R)
     */
    public Tensor components(Tensor global) {
        try (var scope = TensorScope.open()) {
            Tensor f = global.reshape(global.size(0), dim).unsqueeze(0);
            Tensor h = f.matmul(parameter("w1").transpose(1, 2)).add(parameter("b1").unsqueeze(1)).relu();
            Tensor out = h.matmul(parameter("w2").transpose(1, 2)).add(parameter("b2").unsqueeze(1));
            return scope.keep(out.add(f));
        }
    }

    /**
     * The per-component, per-location NCE scores of component features against a local map.
     *
     * @param components (k, B, R) component features of one view
     * @param local      (B, R, h, w) local features of the other view
     * @return the scores {@code s} (k, B, h·w) and their regulariser
     */
    public NceScores scores(Tensor components, Tensor local) {
        return NceScores.compute(components, local, tclip);
    }

    /**
     * The closed-form soft-assignment objective {@code mean_{b,i} (1/τ)·logsumexp_j(τ·s[j,b,i])} of scores
     * {@code (k, B, L)}: a scalar.
     */
    public static Tensor objective(Tensor scores, double tau) {
        try (var scope = TensorScope.open()) {
            return scope.keep(scores.mul(tau).logsumexp(0, false).mean().div(tau));
        }
    }

    /**
     * One direction's objective from raw inputs: {@link #objective} of the scores of {@code components} against
     * {@code local}. A static form for checks in any dtype.
     *
     * @param components (k, B, R)
     * @param local      (B, R, h, w)
     */
    public static Tensor objective(Tensor components, Tensor local, double tclip, double tau) {
        try (NceScores s = NceScores.compute(components, local, tclip); var scope = TensorScope.open()) {
            return scope.keep(objective(s.nce(), tau));
        }
    }

    /**
     * The mixture objective of two views, averaged over both directions (global of view 1 against the local map
     * of view 2, and the reverse).
     *
     * @param r1x1 (B, R, 1, 1) global features of view 1; r7x1 (B, R, h, w) its local map; likewise view 2
     */
    public MixtureLoss loss(Tensor r1x1, Tensor r7x1, Tensor r1x2, Tensor r7x2) {
        try (var scope = TensorScope.open();
                NceScores s12 = scores(components(r1x1), r7x2);
                NceScores s21 = scores(components(r1x2), r7x1)) {
            Tensor obj = objective(s12.nce(), tau).add(objective(s21.nce(), tau)).mul(0.5);
            Tensor lgt = s12.lgtReg().add(s21.lgtReg()).mul(0.5);
            return new MixtureLoss(scope.keep(obj), scope.keep(lgt));
        }
    }

    /**
     * Assigns every location of {@code local} to a component: the segmentation read-out. Runs without gradient.
     *
     * <p>The training objective's scores {@code s_ij} are NCE terms whose denominators take their negatives from
     * the other images of the batch, so a read-out built on them would change an image's map with its
     * neighbours. The read-out therefore uses the part of {@code s_ij} that belongs to the image alone, the
     * soft-clipped positive score {@code c·tanh(⟨f1ʲ, r7_i⟩ / (√R·c))}: {@code q(j|i) = softmax_j(τ·that)}. An
     * image's map is then the same whether it is segmented alone or among others, and a single image can be
     * segmented at all.
     *
     * @param global (B, R, 1, 1) global features whose components are matched (typically of another view of
     *               the same images, or of the same images)
     * @param local  (B, R, h, w) local features to segment
     */
    public MixtureAssignment assign(Tensor global, Tensor local) {
        long b = local.size(0);
        long h = local.size(2);
        long w = local.size(3);
        try (var ng = Autograd.noGrad(); var scope = TensorScope.open()) {
            // (B, k, R) × (B, R, h·w): each image's components against that image's own locations only.
            Tensor perImage = components(global).permute(1, 0, 2).bmm(local.reshape(b, dim, h * w));
            Tensor positive = perImage.div(Math.sqrt(dim)).mul(1.0 / tclip).tanh().mul(tclip);
            Tensor q = positive.mul(tau).softmax(1).reshape(b, components, h, w);
            Tensor map = q.argmax(1, false);
            return new MixtureAssignment(scope.keep(q.contiguous()), scope.keep(map));
        }
    }

    @Override
    protected String extraRepr() {
        return "components=" + components + ", dim=" + dim + ", hidden=" + hidden + ", tau=" + tau;
    }
}
