package org.amdim.train;

import java.util.ArrayList;
import java.util.List;

import org.amdim.data.LoaderConfig;
import org.amdim.model.FeatureGather;
import org.amdim.nn.Module;
import org.amdim.tensor.Tensor;
import org.amdim.tensor.TensorScope;
import org.amdim.tensor.distributed.ProcessGroup;
import org.amdim.tensor.distributed.ReduceOp;

/**
 * Data-parallel AMDIM training over a {@link ProcessGroup}: every process holds a full replica of the model and
 * trains on its own shard of each global batch; the replicas stay identical because they start identical and apply
 * identical (averaged) gradients. The training loop calls it at three points:
 * <ol>
 *   <li>after building (or resuming) the model: {@link #broadcastState} makes every replica rank 0's;</li>
 *   <li>in the forward pass: the model gathers the features of all processes through this {@link FeatureGather}
 *       ({@link org.amdim.model.AmdimModel#forwardStep(Tensor, Tensor, Tensor, long[], long[], FeatureGather)}), so
 *       the NCE's negatives come from the global batch;</li>
 *   <li>after backward: {@link #averageGradients} (bucketed all-reduce, {@link ProcessGroup#DEFAULT_BUCKET_BYTES}).</li>
 * </ol>
 *
 * <h2>The gradient</h2>
 * With {@code W} processes, process {@code r} encodes its {@code n} images into features {@code X_r} (its batch
 * norms see only its images). The global batch's features {@code X = [X_0; …; X_{W−1}]} define the loss {@code L(X)}
 * of one process that holds all {@code W·n} images (NCE over all of them, classifiers on all of them); its gradient is
 * {@code ∇θ L = Σ_r (∂L/∂X_r)·(∂X_r/∂θ) + ∂L/∂θ_heads}. Every process gathers {@code X} (its own rows attached to its
 * graph, the others' detached) and computes the same {@code L(X)}. The gather's backward gives its own rows
 * {@code W·∂L/∂X_r} — the sum over processes of each one's gradient for those rows, i.e. the exact all-gather backward,
 * because all processes differentiate the same function — so process {@code r}'s encoder gradient is
 * {@code W·(∂L/∂X_r)(∂X_r/∂θ)}, and its head gradient (classifiers, mixture heads: they only see the gathered batch)
 * is {@code ∂L/∂θ_heads}, the same on all processes. Averaging over processes gives
 * {@code Σ_r (∂L/∂X_r)(∂X_r/∂θ) + ∂L/∂θ_heads = ∇θ L}. The loss values (and so the logged metrics) are the global
 * ones on every process. The cost: every process evaluates the heads (NCE scores, classifiers) of the whole global
 * batch, {@code W} times redundant work that is small next to the encoder for a few processes; the encoder, by far
 * the larger part, is split {@code W} ways.
 *
 * <p>Batch norm stays per process (as without {@code SyncBatchNorm}): its running statistics differ between the
 * replicas; checkpoints hold rank 0's. Dropout in the classifiers is drawn identically on every process (same seed,
 * same global input).
 */
public final class DataParallel implements FeatureGather, AutoCloseable {
    private final ProcessGroup group;
    private long communicationNanos;

    /** Wraps a group; {@link #close()} closes it. */
    public DataParallel(ProcessGroup group) {
        this.group = group;
    }

    /** Joins the group of {@code config} (blocks until all ranks are there, or the timeout). */
    public static DataParallel join(DistributedConfig config) {
        return new DataParallel(ProcessGroup.init(config.backend(), config.rank(), config.worldSize(),
                config.masterHost(), config.masterPort(), config.timeout()));
    }

    /** The process group. */
    public ProcessGroup group() {
        return group;
    }

    /** This process's rank. */
    public int rank() {
        return group.rank();
    }

    /** The number of processes. */
    public int worldSize() {
        return group.worldSize();
    }

    /** Whether this is rank 0, the process that writes checkpoints, metrics and progress. */
    public boolean isMain() {
        return group.rank() == 0;
    }

    /** Nanoseconds spent in this helper's collectives so far (for measuring the communication share). */
    public long communicationNanos() {
        return communicationNanos;
    }

    /** This process's shard of the data: a disjoint, equally long slice of every epoch. */
    public LoaderConfig shard(LoaderConfig config) {
        return config.withShard(group.rank(), group.worldSize());
    }

    /** Copies rank 0's parameters and buffers into every replica (in place). */
    public void broadcastState(Module model) {
        List<Tensor> state = new ArrayList<>(model.namedParameters().values());
        state.addAll(model.namedBuffers().values());
        long t0 = System.nanoTime();
        group.broadcast(state, 0);
        communicationNanos += System.nanoTime() - t0;
    }

    /**
     * Replaces each parameter's gradient by its mean over the processes, with one all-reduce per 25 MiB bucket.
     * Parameters without a gradient are skipped; every process must have gradients for the same parameters (they
     * do when they run the same model code).
     */
    public void averageGradients(List<Tensor> parameters) {
        try (var scope = TensorScope.open()) {
            List<Tensor> grads = new ArrayList<>(parameters.size());
            for (Tensor p : parameters) {
                Tensor g = p.grad();
                if (g != null) {
                    grads.add(g);
                }
            }
            long t0 = System.nanoTime();
            group.allReduce(grads, ReduceOp.MEAN, ProcessGroup.DEFAULT_BUCKET_BYTES);
            communicationNanos += System.nanoTime() - t0;
        }
    }

    /** The global batch with gradient for the local rows; see the class comment and {@link FeatureGather}. */
    @Override
    public List<Tensor> gather(List<Tensor> local) {
        long t0 = System.nanoTime();
        try {
            return group.allGatherWithGrad(local);
        } finally {
            communicationNanos += System.nanoTime() - t0;
        }
    }

    /** Whether {@code flag} is true on any process (a collective: every process must call it). */
    public boolean anyTrue(boolean flag) {
        try (var scope = TensorScope.open()) {
            Tensor t = Tensor.of(new int[] {flag ? 1 : 0}, 1);
            long t0 = System.nanoTime();
            group.allReduceSum(t);
            communicationNanos += System.nanoTime() - t0;
            return t.toIntArray()[0] > 0;
        }
    }

    /** Leaves the group. */
    @Override
    public void close() {
        group.close();
    }
}
