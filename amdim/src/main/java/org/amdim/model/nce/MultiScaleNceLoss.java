package org.amdim.model.nce;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

import org.amdim.nn.Module;
import org.amdim.tensor.DType;
import org.amdim.tensor.Tensor;
import org.amdim.tensor.TensorScope;

/**
 * AMDIM's multi-scale NCE objective (the original {@code LossMultiNCE}): global-to-local prediction 1→5 and 1→7
 * and local-to-local 5→5 between two views, each in both directions, plus the score regulariser.
 *
 * <p>Each direction is {@link NceScores#compute}; a term averages its two directions, and
 * {@code lgt_reg = ½·}(sum of the six directions' regularisers). For 5→5 the source of each image is one
 * 5×5 location of its view, drawn uniformly and independently per image, view and call from this module's
 * seeded generator (or given by the caller, e.g. to replay stored indices).
 *
 * <p>State dict: the original keeps one-hot 5×5 location masks as the uint8 buffer {@code masks_r5}
 * {@code (25, 1, 5, 5)} ({@code masks_r5[i·5 + j, 0, i, j] = 1}); it is registered here with the same name
 * and values so that full-model state dicts match, although the selection itself is a gather. There are no
 * trainable parameters.
 *
 * <p>Not thread-safe (the generator is shared by calls).
 */
public final class MultiScaleNceLoss extends Module {
    /** The soft clip the training script uses ({@code --tclip} default). */
    public static final double DEFAULT_TCLIP = 20.0;

    private static final int MASK_SIDE = 5;

    private final double tclip;
    private final SplittableRandom random;

    /** With the training script's clip (20) and a generator seeded with {@code seed}. */
    public MultiScaleNceLoss(long seed) {
        this(DEFAULT_TCLIP, seed);
    }

    /**
     * @param tclip soft clip {@code c} of the scores, positive and finite
     * @param seed  seed of the generator that draws the 5×5 source locations
     */
    public MultiScaleNceLoss(double tclip, long seed) {
        if (!(tclip > 0) || Double.isInfinite(tclip)) {
            throw new IllegalArgumentException("tclip must be positive and finite, got " + tclip);
        }
        this.tclip = tclip;
        this.random = new SplittableRandom(seed);
        int n = MASK_SIDE * MASK_SIDE;
        try (var scope = TensorScope.open()) {
            registerBuffer("masks_r5", Tensor.eye(n).reshape(n, 1, MASK_SIDE, MASK_SIDE).to(DType.UINT8));
        }
    }

    /** The soft clip {@code c}. */
    public double tclip() {
        return tclip;
    }

    /** The one-hot 5×5 location masks buffer (owned by this module). */
    public Tensor masksR5() {
        return buffer("masks_r5");
    }

    /**
     * Draws one location index in {@code [0, locations)} per image, uniformly, from this module's generator.
     */
    public long[] drawSourceLocations(int batch, int locations) {
        long[] out = new long[batch];
        for (int i = 0; i < batch; i++) {
            out[i] = random.nextInt(locations);
        }
        return out;
    }

    /**
     * The objective with freshly drawn 5×5 source locations (view 1 first, then view 2).
     *
     * @param r1x1 (B, R, 1, 1) global features of view 1; r5x1 (B, R, 5, 5); r7x1 (B, R, 7, 7); likewise view 2
     */
    public NceLosses forward(Tensor r1x1, Tensor r5x1, Tensor r7x1, Tensor r1x2, Tensor r5x2, Tensor r7x2) {
        int b = Math.toIntExact(r5x1.size(0));
        int locations = Math.toIntExact(r5x1.size(2) * r5x1.size(3));
        long[] idx1 = drawSourceLocations(b, locations);
        long[] idx2 = drawSourceLocations(b, locations);
        return forward(r1x1, r5x1, r7x1, r1x2, r5x2, r7x2, idx1, idx2);
    }

    /**
     * The objective with the given 5×5 source locations ({@code row·w + col} per image); the generator is not
     * used.
     */
    public NceLosses forward(Tensor r1x1, Tensor r5x1, Tensor r7x1, Tensor r1x2, Tensor r5x2, Tensor r7x2,
            long[] src5Index1, long[] src5Index2) {
        long b = r1x1.size(0);
        long r = r1x1.size(1);
        List<NceDirection> dirs = new ArrayList<>(6);
        try (var scope = TensorScope.open()) {
            Tensor g1 = r1x1.reshape(b, r);
            Tensor g2 = r1x2.reshape(b, r);
            Tensor s1 = selectLocations(r5x1, src5Index1);
            Tensor s2 = selectLocations(r5x2, src5Index2);
            dirs.add(direction(NceTerm.T1T5, 1, g1, r5x2));
            dirs.add(direction(NceTerm.T1T5, 2, g2, r5x1));
            dirs.add(direction(NceTerm.T1T7, 1, g1, r7x2));
            dirs.add(direction(NceTerm.T1T7, 2, g2, r7x1));
            dirs.add(direction(NceTerm.T5T5, 1, s1, r5x2));
            dirs.add(direction(NceTerm.T5T5, 2, s2, r5x1));
            Tensor l1t5 = dirs.get(0).loss().add(dirs.get(1).loss()).mul(0.5);
            Tensor l1t7 = dirs.get(2).loss().add(dirs.get(3).loss()).mul(0.5);
            Tensor l5t5 = dirs.get(4).loss().add(dirs.get(5).loss()).mul(0.5);
            Tensor lgtSum = dirs.get(0).lgtReg();
            for (int i = 1; i < dirs.size(); i++) {
                lgtSum = lgtSum.add(dirs.get(i).lgtReg());
            }
            Tensor lgt = lgtSum.mul(0.5);
            for (NceDirection d : dirs) {
                scope.keep(d.loss());
                scope.keep(d.lgtReg());
            }
            return new NceLosses(scope.keep(l1t5), scope.keep(l1t7), scope.keep(l5t5), scope.keep(lgt), dirs,
                    src5Index1.clone(), src5Index2.clone());
        } catch (RuntimeException e) {
            dirs.forEach(NceDirection::close);
            throw e;
        }
    }

    private NceDirection direction(NceTerm term, int view, Tensor sources, Tensor targets) {
        try (NceScores s = NceScores.compute(sources, targets, tclip)) {
            try (var scope = TensorScope.open()) {
                return new NceDirection(term, view, scope.keep(s.loss()), scope.keep(s.lgtReg().alias()));
            }
        }
    }

    /**
     * The feature vector at one location per image: {@code out[b] = map[b, :, idx[b] / w, idx[b] % w]}.
     *
     * @param map   (B, R, h, w) features
     * @param index one location {@code row·w + col} per image
     * @return (B, R), differentiable with respect to {@code map}
     */
    public static Tensor selectLocations(Tensor map, long[] index) {
        long[] s = map.shape();
        long locations = s[2] * s[3];
        if (index.length != s[0]) {
            throw new IllegalArgumentException("need one location per image: " + s[0] + " images, "
                    + index.length + " indices");
        }
        for (long i : index) {
            if (i < 0 || i >= locations) {
                throw new IllegalArgumentException("location " + i + " outside [0, " + locations + ") in "
                        + Arrays.toString(index));
            }
        }
        try (var scope = TensorScope.open()) {
            Tensor idx = Tensor.of(index, s[0], 1, 1).to(map.device()).expand(s[0], s[1], 1);
            return scope.keep(map.reshape(s[0], s[1], locations).gather(2, idx).squeeze(2));
        }
    }
}
