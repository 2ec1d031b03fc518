package org.amdim.nn.layers;

import java.util.Arrays;

import org.amdim.nn.Module;
import org.amdim.nn.PythonRepr;
import org.amdim.tensor.Autograd;
import org.amdim.tensor.DType;
import org.amdim.tensor.Device;
import org.amdim.tensor.Functional;
import org.amdim.tensor.MemoryFormat;
import org.amdim.tensor.Tensor;
import org.amdim.tensor.TensorScope;

/**
 * Batch normalisation with PyTorch's semantics, shared by {@link BatchNorm1d} and {@link BatchNorm2d}.
 *
 * <p>Training: normalise with the batch mean and biased variance, then update
 * {@code running_mean ← (1−m)·running_mean + m·mean}, {@code running_var ← (1−m)·running_var + m·unbiased var}
 * and {@code num_batches_tracked += 1}. With momentum {@code null} the update is the cumulative average
 * ({@code m = 1/num_batches_tracked}). Evaluation: normalise with the running statistics.
 */
public abstract class BatchNorm extends Module {
    private final long features;
    private final double eps;
    private final Double momentum;
    private final boolean affine;
    private final boolean trackRunningStats;

    /** Options with PyTorch's defaults: eps 1e-5, momentum 0.1, affine, tracking running statistics. */
    public record Options(double eps, Double momentum, boolean affine, boolean trackRunningStats) {
        /** PyTorch's defaults. */
        public static Options defaults() {
            return new Options(1e-5, 0.1, true, true);
        }
    }

    /** A batch norm over {@code features} channels. */
    protected BatchNorm(long features, Options o) {
        this.features = features;
        this.eps = o.eps();
        this.momentum = o.momentum();
        this.affine = o.affine();
        this.trackRunningStats = o.trackRunningStats();
        if (affine) {
            registerParameter("weight", Tensor.ones(features));
            registerParameter("bias", Tensor.zeros(features));
        }
        if (trackRunningStats) {
            registerBuffer("running_mean", Tensor.zeros(features));
            registerBuffer("running_var", Tensor.ones(features));
            registerBuffer("num_batches_tracked", Tensor.zeros(DType.INT64, Device.CPU));
        }
    }

    /** Checks the input's rank for this kind of batch norm. */
    protected abstract void checkInput(Tensor x);

    @Override
    public Tensor forward(Tensor x) {
        checkInput(x);
        boolean useBatchStats = isTraining() || !trackRunningStats;
        if (useBatchStats) {
            checkBatchSize(x);
        }
        double m = momentum == null ? 0.0 : momentum;
        if (isTraining() && trackRunningStats) {
            Tensor tracked = buffer("num_batches_tracked");
            // num_batches_tracked is int64: add an int64 one (a double scalar would promote and fail in place).
            try (var ng = Autograd.noGrad(); Tensor one = Tensor.ones(DType.INT64, tracked.device())) {
                tracked.add_(one);
            }
            if (momentum == null) {
                m = 1.0 / tracked.itemLong();
            }
        }
        Tensor rm = trackRunningStats ? buffer("running_mean") : null;
        Tensor rv = trackRunningStats ? buffer("running_var") : null;
        // Evaluation is element-wise with the running statistics, as exact in either layout: no copies there.
        if (!(useBatchStats && needsDoubleSums(x))) {
            return Functional.batchNorm(x, rm, rv, parameter("weight"), parameter("bias"), useBatchStats, m, eps);
        }
        if (x.dtype() == DType.FLOAT32 || x.dtype() == DType.FLOAT64) {
            return Functional.batchNormChannelsLast(x, rm, rv, parameter("weight"), parameter("bias"), m, eps);
        }
        try (var scope = TensorScope.open()) {
            Tensor y = Functional.batchNorm(x.contiguous(), rm, rv, parameter("weight"), parameter("bias"),
                    useBatchStats, m, eps);
            return scope.keep(y.contiguous(MemoryFormat.CHANNELS_LAST));
        }
    }

    /**
     * Whether {@code x} needs other kernels than libtorch's for its batch statistics: a channels-last CPU tensor.
     * libtorch's channels-last CPU kernels accumulate the batch statistics and the backward pass's sums in float,
     * its row-major kernels in double. With few values per channel (a small batch on small maps) the float sums
     * lose the digits a channel's mean has over its spread: at a batch of 3 an encoder's parameter gradients then
     * drift past 1e-4 of their float64 values, where the row-major kernels stay near 1e-5
     * ({@code BatchNormPrecisionTest}). Such input goes to {@link Functional#batchNormChannelsLast}, which sums in
     * double where the data lies (float32 and float64; other types are copied to row-major, normalised there and
     * handed back channels-last). Copying every such input was the previous answer and cost more than the kernel:
     * about 9 % of the small preset's training step through the embedding heads' {@code bn_out}, and 0.7–0.8 s
     * of a batch-32 CIFAR step with use_bn on (2 shared cores). 1×1 maps count as row-major and pass as they are;
     * CUDA kernels accumulate alike in both layouts and are left alone.
     */
    private static boolean needsDoubleSums(Tensor x) {
        return x.dim() == 4 && !x.device().isCuda() && !x.isContiguous() && x.isContiguous(MemoryFormat.CHANNELS_LAST);
    }

    /**
     * PyTorch refuses to train on a single value per channel (the unbiased variance divides by n − 1 = 0 and would
     * poison the running variance); libtorch's kernel itself does not check, so check here.
     */
    private static void checkBatchSize(Tensor x) {
        long[] s = x.shape();
        long values = s[0];
        for (int i = 2; i < s.length; i++) {
            values *= s[i];
        }
        if (values == 1) {
            throw new IllegalArgumentException("Expected more than 1 value per channel when training, got input size "
                    + Arrays.toString(s));
        }
    }

    /** Number of channels. */
    public long features() {
        return features;
    }

    /** The value added to the variance before its square root. */
    public double eps() {
        return eps;
    }

    @Override
    protected String extraRepr() {
        return features + ", eps=" + PythonRepr.of(eps) + ", momentum=" + PythonRepr.of(momentum) + ", affine="
                + PythonRepr.of(affine) + ", track_running_stats=" + PythonRepr.of(trackRunningStats);
    }
}
