package org.amdim.tensor;

import static org.amdim.bindings.ffm.TorchShim.*;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;

/**
 * Optimizer updates for many parameters in one native call each, with PyTorch's exact (single-tensor) update
 * rules. The {@code nn} optimizers are built on these; they are public for users who write their own.
 * Every parameter passed must have a gradient.
 */
public final class FusedOptim {
    static {
        ShimCalls.ensureLoaded();
    }

    private FusedOptim() {
    }

    private static void sameSize(List<Tensor> a, List<Tensor> b, String name) {
        if (b != null && a.size() != b.size()) {
            throw new IllegalArgumentException(name + " has " + b.size() + " tensors for " + a.size() + " parameters");
        }
    }

    /**
     * One Adam (or AdamW when {@code decoupled}) step for every parameter, using each parameter's own gradient.
     *
     * @param steps the step number of each parameter after this update (≥ 1)
     */
    public static void adamStep(List<Tensor> params, List<Tensor> expAvg, List<Tensor> expAvgSq,
            List<Tensor> maxExpAvgSq, long[] steps, double lr, double beta1, double beta2, double eps,
            double weightDecay, boolean decoupled, boolean amsgrad) {
        adam(false, params, expAvg, expAvgSq, maxExpAvgSq, steps, lr, beta1, beta2, eps, weightDecay, decoupled,
                amsgrad);
    }

    /**
     * {@link #adamStep} in one pass over the elements of each float32 or float64 contiguous CPU parameter whose
     * gradient and state match it (others take {@link #adamStep}'s update): each element's parameter, gradient and
     * moments are read once and written once, where the exact update makes about eight passes with two
     * temporaries. The formula and its order of operations are torch.optim's and every operation rounds to the
     * parameter's type, but libtorch's vectorised {@code add_} and {@code addcmul_} fuse a multiply into their add,
     * so the two differ in the last bits of a step (a few units in the last place of m, v and the update).
     */
    public static void adamStepSinglePass(List<Tensor> params, List<Tensor> expAvg, List<Tensor> expAvgSq,
            List<Tensor> maxExpAvgSq, long[] steps, double lr, double beta1, double beta2, double eps,
            double weightDecay, boolean decoupled, boolean amsgrad) {
        adam(true, params, expAvg, expAvgSq, maxExpAvgSq, steps, lr, beta1, beta2, eps, weightDecay, decoupled,
                amsgrad);
    }

    private static void adam(boolean singlePass, List<Tensor> params, List<Tensor> expAvg, List<Tensor> expAvgSq,
            List<Tensor> maxExpAvgSq, long[] steps, double lr, double beta1, double beta2, double eps,
            double weightDecay, boolean decoupled, boolean amsgrad) {
        int n = params.size();
        sameSize(params, expAvg, "expAvg");
        sameSize(params, expAvgSq, "expAvgSq");
        sameSize(params, maxExpAvgSq, "maxExpAvgSq");
        if (steps.length != n) {
            throw new IllegalArgumentException("steps has " + steps.length + " values for " + n + " parameters");
        }
        if (amsgrad && maxExpAvgSq == null) {
            throw new IllegalArgumentException("amsgrad needs maxExpAvgSq");
        }
        MemorySegment s = ShimCalls.scratch();
        MemorySegment p = ShimCalls.handles(s, 0, params);
        MemorySegment m = ShimCalls.handles(s, n, expAvg);
        MemorySegment v = ShimCalls.handles(s, 2 * n, expAvgSq);
        MemorySegment mx = amsgrad ? ShimCalls.handles(s, 3 * n, maxExpAvgSq) : MemorySegment.NULL;
        MemorySegment st = ShimCalls.longs(s, 4 * n, steps);
        ShimCalls.check(singlePass
                ? ts_adam_step_single_pass(p, m, v, mx, n, st, lr, beta1, beta2, eps, weightDecay, decoupled, amsgrad)
                : ts_adam_step(p, MemorySegment.NULL, m, v, mx, n, st, lr, beta1, beta2, eps, weightDecay, decoupled,
                        amsgrad));
    }

    /**
     * One SGD step for every parameter, using each parameter's own gradient.
     *
     * @param momentumBuffers one buffer per parameter (null when momentum is 0)
     * @param firstStep       true when the buffers are new: they are set to the gradient, as PyTorch does
     */
    public static void sgdStep(List<Tensor> params, List<Tensor> momentumBuffers, double lr, double momentum,
            double dampening, double weightDecay, boolean nesterov, boolean firstStep) {
        int n = params.size();
        sameSize(params, momentumBuffers, "momentumBuffers");
        MemorySegment s = ShimCalls.scratch();
        MemorySegment p = ShimCalls.handles(s, 0, params);
        MemorySegment b = momentumBuffers == null ? MemorySegment.NULL : ShimCalls.handles(s, n, momentumBuffers);
        ShimCalls.check(ts_sgd_step(p, MemorySegment.NULL, b, n, lr, momentum, dampening, weightDecay, nesterov,
                firstStep));
    }

    /**
     * Scales the gradients of {@code params} so that their global L2 norm is at most {@code maxNorm}, as
     * {@code torch.nn.utils.clip_grad_norm_}.
     *
     * @return the global norm before clipping
     */
    public static double clipGradNorm(List<Tensor> params, double maxNorm) {
        try (var scope = TensorScope.open()) {
            List<Tensor> grads = new java.util.ArrayList<>();
            for (Tensor p : params) {
                Tensor g = p.grad();
                if (g != null) {
                    grads.add(g);
                }
            }
            MemorySegment s = ShimCalls.scratch();
            MemorySegment gs = ShimCalls.handles(s, 1, grads);
            ShimCalls.check(ts_clip_grad_norm(gs, grads.size(), maxNorm, s));
            return s.get(ValueLayout.JAVA_DOUBLE, 0);
        }
    }

    /**
     * The unscale step of gradient scaling: multiplies every parameter's gradient by {@code invScale} in place
     * and tells whether any of them held an inf or NaN before (the values are unscaled either way, as PyTorch's
     * {@code GradScaler.unscale_} does). Parameters without a gradient are skipped. One native call and one host
     * synchronisation for all parameters; CUDA gradients use libtorch's fused kernel.
     *
     * @param invScale the reciprocal of the loss scale (rounded to float32 for CUDA gradients)
     * @return whether a non-finite gradient value was found
     */
    public static boolean unscaleGrads(List<Tensor> params, double invScale) {
        MemorySegment s = ShimCalls.scratch();
        MemorySegment found = s.asSlice(0, 8);
        MemorySegment ps = ShimCalls.handles(s, 1, params);
        ShimCalls.check(ts_amp_unscale_(ps, params.size(), invScale, found));
        return found.get(ValueLayout.JAVA_BOOLEAN, 0);
    }
}
