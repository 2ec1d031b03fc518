package org.amdim.model.nce;

import java.util.Arrays;
import java.util.List;

import org.amdim.model.encoder.Features;
import org.amdim.tensor.Autocast;
import org.amdim.tensor.DType;
import org.amdim.tensor.Device;
import org.amdim.tensor.Functional;
import org.amdim.tensor.Tensor;
import org.amdim.tensor.TensorScope;

/**
 * The per-location NCE log-softmax terms of one direction of AMDIM's global-to-local objective, and the score
 * regulariser that goes with them.
 *
 * <p>For sources {@code S} (one vector per image, optionally several per image: {@code G} groups) and a target
 * map {@code T} of {@code L = h·w} locations per image, the raw score of source {@code i} against location
 * {@code l} of image {@code b} is {@code raw[i,b,l] = ⟨S[i], T[b,:,l]⟩ / √R}. The scores are soft-clipped,
 * {@code s = c·tanh(raw / c)}; location {@code l} of the matching image {@code b = i} is a positive and every
 * location of every other image is a negative of source {@code i}, so
 * {@code nce[i,l] = s[i,i,l] − log(exp(s[i,i,l]) + Σ_{b≠i, l'} exp(s[i,b,l']))}. The regulariser is
 * {@code 0.05·mean(raw²)} over all {@code B·B·L} raw scores (before clipping). This is the computation of the
 * original AMDIM code; it needs a batch of at least two images for the negatives to exist.
 *
 * <p>The scores are computed in float32 (float64 inputs stay float64) also inside an autocast region: autocast is
 * switched off for the computation and bfloat16/float16 features are widened, so the terms and the regulariser
 * are float32 under mixed precision.
 *
 * <p>The whole direction is one matrix product {@code (G·B, R) × (R, B·L)} and a few element-wise and
 * reduction ops, whatever the batch size or the number of groups. On the CPU those ops are one fused operator
 * ({@link Functional#nceTerms}): they are about a tenth of a small encoder's training step when composed.
 *
 * @param nce    the log-softmax terms, {@code (B, L)} for 2-D sources or {@code (G, B, L)} for 3-D sources
 * @param lgtReg the scalar regulariser {@code 0.05·mean(raw²)} (over all groups)
 */
public record NceScores(Tensor nce, Tensor lgtReg) implements AutoCloseable {
    /** Weight of the squared-score regulariser in the original code. */
    public static final double LOGIT_REG_WEIGHT = 0.05;

    /**
     * How far below the lowest possible clipped score the excluded (positive) pairs are put before the
     * negatives' log-sum-exp: {@code exp(−1000)} is exactly 0 in float32 and float64, so they contribute nothing,
     * yet everything stays finite (also for a batch of one, where there are no negatives at all).
     */
    private static final double EXCLUDED_MARGIN = 1000.0;

    /**
     * Computes one direction.
     *
     * @param sources (B, R) or (G, B, R) source vectors; group {@code g}'s row {@code i} belongs to image {@code i}
     * @param targets (B, R, h, w) target map
     * @param tclip   the soft clip {@code c > 0} (20 in the training script)
     * @return the terms and the regulariser; the caller closes both
     */
    public static NceScores compute(Tensor sources, Tensor targets, double tclip) {
        return compute(sources, targets, tclip, !targets.device().isCuda());
    }

    /**
     * {@link #compute}, choosing the route: {@code fused} runs the terms as one operator with its own backward
     * ({@link Functional#nceTerms}, CPU only, the default there), otherwise they are composed from single
     * operators (the route on GPUs). Both compute the same function; tests hold them to each other.
     */
    static NceScores compute(Tensor sources, Tensor targets, double tclip, boolean fused) {
        if (!(tclip > 0) || Double.isInfinite(tclip)) {
            throw new IllegalArgumentException("tclip must be positive and finite, got " + tclip);
        }
        long[] ts = targets.shape();
        if (ts.length != 4) {
            throw new IllegalArgumentException("targets must be (B, R, h, w), got " + Arrays.toString(ts));
        }
        long b = ts[0];
        long r = ts[1];
        long l = ts[2] * ts[3];
        boolean grouped = sources.dim() == 3;
        long[] ss = sources.shape();
        long g = grouped ? ss[0] : 1;
        if (ss[ss.length - 1] != r || ss[ss.length - 2] != b || (!grouped && sources.dim() != 2)) {
            throw new IllegalArgumentException("sources must be (B, R) or (G, B, R) with B = " + b + ", R = " + r
                    + ", got " + Arrays.toString(ss));
        }
        Device device = targets.device();
        // Under mixed precision the scores are still computed in float32: autocast would run the score product in
        // bfloat16/float16, whose rounding (and float16's range) the soft clip and the log-sum-exp over B·L
        // negatives do not tolerate. Features that arrive in a lower precision are widened first.
        try (var scope = TensorScope.open();
                Autocast fp32 = Autocast.isEnabled(device.type()) ? Autocast.disable(device.type()) : null) {
            // Column j = image·L + location, as the original flattens its targets.
            Tensor trg = atLeastFloat32(targets).permute(1, 0, 2, 3).reshape(r, b * l);
            Tensor products = atLeastFloat32(sources).reshape(g * b, r).mm(trg).reshape(g, b, b, l);
            Tensor nce;
            Tensor lgt;
            if (fused) {
                Functional.NceTerms terms = Functional.nceTerms(products, 1 / Math.sqrt(r), tclip, LOGIT_REG_WEIGHT);
                nce = terms.nce();
                lgt = terms.regulariser();
            } else {
                Tensor raw = products.div(Math.sqrt(r));
                lgt = raw.square().mean().mul(LOGIT_REG_WEIGHT);
                Tensor clipped = raw.mul(1.0 / tclip).tanh().mul(tclip);
                // Positives: s[g, i, i, l], gathered along the target-image dimension.
                Tensor diagIndex = Tensor.arange(0, b, 1, DType.INT64, device).reshape(1, b, 1, 1)
                        .expand(g, b, 1, l);
                Tensor pos = clipped.gather(2, diagIndex).squeeze(2);
                // Negatives: everything with target image ≠ source image, shared by all positives of that source.
                Tensor same = Tensor.eye(b, b, DType.BOOL, device).reshape(1, b, b, 1);
                Tensor negLse = clipped.maskedFill(same, -tclip - EXCLUDED_MARGIN).logsumexp(new long[] {2, 3}, false);
                Tensor denominator = Tensor.stack(List.of(pos, negLse.unsqueeze(2).expand(g, b, l)), 3)
                        .logsumexp(3, false);
                nce = pos.sub(denominator);
            }
            if (!grouped) {
                nce = nce.squeeze(0);
            }
            return new NceScores(scope.keep(nce), scope.keep(lgt));
        }
    }

    /** {@code t} widened to float32 when it is bfloat16 or float16; otherwise {@code t} itself (a new handle). */
    private static Tensor atLeastFloat32(Tensor t) {
        DType d = t.dtype();
        return d == DType.BFLOAT16 || d == DType.FLOAT16 ? t.to(DType.FLOAT32) : t.alias();
    }

    /** The direction's loss {@code −mean(nce)} (a new tensor). */
    public Tensor loss() {
        try (var scope = TensorScope.open()) {
            return scope.keep(nce.mean().neg());
        }
    }

    /** Closes both tensors. */
    @Override
    public void close() {
        nce.close();
        lgtReg.close();
    }
}
