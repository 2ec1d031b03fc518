package org.amdim.tensor.distributed;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static org.amdim.bindings.ffm.TorchShim.*;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import org.amdim.bindings.NativeLibrary;
import org.amdim.bindings.TorchException;
import org.amdim.tensor.Device;
import org.amdim.tensor.NativeHandles;
import org.amdim.tensor.Tensor;
import org.amdim.tensor.TensorScope;

/**
 * A group of processes that exchange tensors with c10d collectives (libtorch's {@code torch.distributed}
 * machinery): Gloo for CPU tensors, NCCL for CUDA tensors.
 *
 * <p>Rank 0 serves a TCP key-value store at {@code masterAddr:masterPort}; every rank connects to it, and the
 * backend then connects all ranks to each other. Every rank must issue the same collectives in the same order,
 * with tensors of the same shapes and dtypes. Each call blocks until the collective is complete; the timeout given
 * at creation bounds the rendezvous and every collective, so a rank that died or stopped participating makes the
 * others fail with a {@link TorchException} naming the cause (at once when its connections close, otherwise after
 * the timeout) instead of hanging. After such a failure the group refuses all further collectives; close it.
 *
 * <pre>{@code
 * try (ProcessGroup pg = ProcessGroup.fromEnvironment()) {      // RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT
 *     Tensor g = ...;
 *     pg.allReduceMean(g);                                      // in place: the mean over all ranks
 *     Tensor all = pg.allGather(local);                         // (worldSize * n, ...) in rank order
 * }
 * }</pre>
 *
 * <p>Many tensors are reduced or broadcast with few collectives: tensors of one dtype and device are packed into
 * flat buffers of at most {@code bucketBytes} ({@link #DEFAULT_BUCKET_BYTES}), one collective per buffer, all
 * buffers in flight at once.
 *
 * <p>Thread-safety: calls on one group are serialised, but the order of collectives must be the same on every
 * rank, so use a group from one thread (or order the threads yourself).
 */
public final class ProcessGroup implements AutoCloseable {
    /** Bucket size for packed all-reduce and broadcast: 25 MiB, the default of PyTorch's DistributedDataParallel. */
    public static final long DEFAULT_BUCKET_BYTES = 25L << 20;
    /** The timeout {@link #fromEnvironment()} uses: 5 minutes. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofMinutes(5);

    private final Backend backend;
    private final int rank;
    private final int worldSize;
    private final int localRank;
    private final Duration timeout;
    private MemorySegment handle;

    private ProcessGroup(MemorySegment handle, Backend backend, int rank, int worldSize, int localRank,
            Duration timeout) {
        this.handle = handle;
        this.backend = backend;
        this.rank = rank;
        this.worldSize = worldSize;
        this.localRank = localRank;
        this.timeout = timeout;
    }

    /**
     * Joins a group of {@code worldSize} processes (all on one machine: the local rank is the rank). Blocks until
     * every rank has joined or the timeout has passed.
     *
     * @param backend    the communication backend
     * @param rank       this process's rank in {@code [0, worldSize)}; rank 0 serves the store
     * @param worldSize  the number of processes
     * @param masterAddr the address rank 0 listens on and the others connect to (e.g. {@code 127.0.0.1})
     * @param masterPort the store's TCP port on the master
     * @param timeout    bounds the rendezvous and every later collective (at least 1 ms)
     * @throws TorchException when the group cannot be formed in time (the message says why)
     */
    public static ProcessGroup init(Backend backend, int rank, int worldSize, String masterAddr, int masterPort,
            Duration timeout) {
        return init(backend, rank, worldSize, rank, masterAddr, masterPort, timeout);
    }

    /**
     * Joins a group as {@link #init(Backend, int, int, String, int, Duration)}, with an explicit local rank (the
     * index of this process on its machine, which selects its GPU for NCCL).
     */
    public static ProcessGroup init(Backend backend, int rank, int worldSize, int localRank, String masterAddr,
            int masterPort, Duration timeout) {
        if (worldSize < 1 || rank < 0 || rank >= worldSize) {
            throw new IllegalArgumentException("need 0 <= rank < worldSize, got rank " + rank + " of " + worldSize);
        }
        if (localRank < 0) {
            throw new IllegalArgumentException("local rank must be >= 0, got " + localRank);
        }
        if (masterPort < 1 || masterPort > 65535) {
            throw new IllegalArgumentException("master port must be in [1, 65535], got " + masterPort);
        }
        long ms = timeout.toMillis();
        if (ms < 1) {
            throw new IllegalArgumentException("timeout must be at least 1 ms, got " + timeout);
        }
        NativeLibrary.load();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment h = ts_pg_create(arena.allocateFrom(backend.nativeName()), arena.allocateFrom(masterAddr),
                    masterPort, rank, worldSize, ms);
            if (h.address() == 0) {
                throw new TorchException(NativeLibrary.lastError());
            }
            return new ProcessGroup(h, backend, rank, worldSize, localRank, timeout);
        }
    }

    /**
     * Joins the group described by the environment, as {@code torch.distributed}'s {@code env://} does: {@code RANK},
     * {@code WORLD_SIZE}, {@code MASTER_ADDR} and {@code MASTER_PORT} (required), {@code LOCAL_RANK} (default: the
     * rank). Gloo, {@link #DEFAULT_TIMEOUT}.
     *
     * @throws IllegalArgumentException naming a missing or malformed variable
     */
    public static ProcessGroup fromEnvironment() {
        return fromEnvironment(Backend.GLOO, DEFAULT_TIMEOUT);
    }

    /** Joins the group described by the environment (see {@link #fromEnvironment()}) with a backend and timeout. */
    public static ProcessGroup fromEnvironment(Backend backend, Duration timeout) {
        EnvSpec s = EnvSpec.parse(System.getenv());
        return init(backend, s.rank(), s.worldSize(), s.localRank(), s.masterAddr(), s.masterPort(), timeout);
    }

    /**
     * The group description held by the {@code torch.distributed} environment variables.
     *
     * @param rank       {@code RANK}
     * @param worldSize  {@code WORLD_SIZE}
     * @param localRank  {@code LOCAL_RANK}, or the rank when unset
     * @param masterAddr {@code MASTER_ADDR}
     * @param masterPort {@code MASTER_PORT}
     */
    public record EnvSpec(int rank, int worldSize, int localRank, String masterAddr, int masterPort) {
        /**
         * Reads the variables from {@code env}.
         *
         * @throws IllegalArgumentException naming a missing or malformed variable
         */
        public static EnvSpec parse(Map<String, String> env) {
            int rank = intVar(env, "RANK", null);
            int world = intVar(env, "WORLD_SIZE", null);
            int local = intVar(env, "LOCAL_RANK", rank);
            String addr = env.get("MASTER_ADDR");
            if (addr == null || addr.isBlank()) {
                throw new IllegalArgumentException("environment variable MASTER_ADDR is not set");
            }
            int port = intVar(env, "MASTER_PORT", null);
            return new EnvSpec(rank, world, local, addr.strip(), port);
        }

        private static int intVar(Map<String, String> env, String name, Integer dflt) {
            String v = env.get(name);
            if (v == null || v.isBlank()) {
                if (dflt == null) {
                    throw new IllegalArgumentException("environment variable " + name + " is not set");
                }
                return dflt;
            }
            try {
                return Integer.parseInt(v.strip());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("environment variable " + name + " is not an integer: '" + v + "'");
            }
        }
    }

    /** This process's rank. */
    public int rank() {
        return rank;
    }

    /** The number of processes. */
    public int worldSize() {
        return worldSize;
    }

    /** This process's index on its machine. */
    public int localRank() {
        return localRank;
    }

    /** The backend. */
    public Backend backend() {
        return backend;
    }

    /** The timeout of the rendezvous and of each collective. */
    public Duration timeout() {
        return timeout;
    }

    /** Where this rank's tensors live: the CPU for Gloo, GPU {@link #localRank()} for NCCL. */
    public Device device() {
        return backend == Backend.NCCL ? Device.cuda(localRank) : Device.CPU;
    }

    private MemorySegment handle() {
        MemorySegment h = handle;
        if (h == null) {
            throw new IllegalStateException("process group is closed");
        }
        return h;
    }

    private static void check(int status) {
        if (status < 0) {
            throw new TorchException(NativeLibrary.lastError());
        }
    }

    private static MemorySegment handles(Arena arena, List<Tensor> tensors) {
        MemorySegment s = arena.allocate(ADDRESS, Math.max(1, tensors.size()));
        for (int i = 0; i < tensors.size(); i++) {
            s.setAtIndex(ADDRESS, i, NativeHandles.of(tensors.get(i)));
        }
        return s;
    }

    // ---------------------------------------------------------------- all-reduce

    /**
     * Replaces every tensor by the element-wise reduction over all ranks, in place (also parameters and
     * gradients: no autograd history is recorded).
     *
     * @param bucketBytes the most bytes packed into one collective; {@code <= 0} packs each run of tensors of one
     *                    dtype and device into a single buffer
     */
    public void allReduce(List<Tensor> tensors, ReduceOp op, long bucketBytes) {
        if (tensors.isEmpty()) {
            return;
        }
        int code = op == ReduceOp.SUM ? TS_PG_REDUCE_SUM() : TS_PG_REDUCE_AVG();
        try (Arena arena = Arena.ofConfined()) {
            check(ts_pg_all_reduce(handle(), handles(arena, tensors), tensors.size(), code, bucketBytes));
        }
    }

    /** In place: each tensor becomes the sum over all ranks. */
    public void allReduceSum(Tensor... tensors) {
        allReduce(Arrays.asList(tensors), ReduceOp.SUM, DEFAULT_BUCKET_BYTES);
    }

    /** In place: each tensor becomes the mean over all ranks (floating-point tensors). */
    public void allReduceMean(Tensor... tensors) {
        allReduce(Arrays.asList(tensors), ReduceOp.MEAN, DEFAULT_BUCKET_BYTES);
    }

    // ---------------------------------------------------------------- broadcast

    /** In place: {@code tensor} takes rank {@code root}'s values on every rank. */
    public void broadcast(Tensor tensor, int root) {
        broadcast(List.of(tensor), root);
    }

    /** In place: every tensor takes rank {@code root}'s values (packed into {@link #DEFAULT_BUCKET_BYTES} buffers). */
    public void broadcast(List<Tensor> tensors, int root) {
        if (root < 0 || root >= worldSize) {
            throw new IllegalArgumentException("root must be in [0, " + worldSize + "), got " + root);
        }
        if (tensors.isEmpty()) {
            return;
        }
        try (Arena arena = Arena.ofConfined()) {
            check(ts_pg_broadcast(handle(), handles(arena, tensors), tensors.size(), root, DEFAULT_BUCKET_BYTES));
        }
    }

    // ---------------------------------------------------------------- all-gather

    /**
     * All ranks' {@code local} tensors concatenated along dimension 0 in rank order: {@code (worldSize·n, ...)} for
     * an {@code (n, ...)} input, which must have the same shape on every rank. Not differentiable (see
     * {@link #allGatherWithGrad(Tensor)}). The caller owns the result.
     */
    public Tensor allGather(Tensor local) {
        return allGather(List.of(local)).get(0);
    }

    /**
     * {@link #allGather(Tensor)} for several tensors at once, with one collective per dtype. The caller owns the
     * results.
     */
    public List<Tensor> allGather(List<Tensor> locals) {
        int n = locals.size();
        if (n == 0) {
            return List.of();
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(ADDRESS, n);
            check(ts_pg_all_gather(handle(), handles(arena, locals), n, out));
            List<Tensor> result = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                result.add(NativeHandles.adopt(out.getAtIndex(ADDRESS, i)));
            }
            return result;
        }
    }

    /** Every rank's {@code local} as a list indexed by rank (the same shape on every rank). The caller owns them. */
    public List<Tensor> allGatherList(Tensor local) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(ADDRESS, worldSize);
            int n = ts_pg_all_gather_list(handle(), NativeHandles.of(local), out, worldSize);
            check(n);
            List<Tensor> result = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                result.add(NativeHandles.adopt(out.getAtIndex(ADDRESS, i)));
            }
            return result;
        }
    }

    /**
     * {@link #allGather(Tensor)} with a gradient for the local rows, for a computation that every rank runs
     * identically on the gathered tensor (the replicated loss of data-parallel contrastive training, where each rank
     * evaluates the loss of the whole global batch).
     *
     * <p>The result's rows {@code [rank·n, (rank+1)·n)} are {@code local} itself (attached to its graph); the other
     * rows are the other ranks' values, detached. Backward sends to {@code local} {@code worldSize} times the
     * gradient of those rows. That is exactly the backward of a true all-gather (sum the gradient of the
     * gathered tensor over all ranks, then take this rank's rows): when every rank differentiates the same function
     * {@code L} of the gathered tensor {@code X}, the sum over ranks of {@code ∂L/∂X[own rows]} is
     * {@code worldSize · ∂L/∂X[own rows]}, and no communication is needed during backward. Averaging the parameter
     * gradients over ranks afterwards ({@code allReduceMean}) then yields exactly the gradient of {@code L} of one
     * process that holds the whole batch: {@code (1/W) Σ_r W·(∂L/∂X_r)(∂X_r/∂θ) = Σ_r (∂L/∂X_r)(∂X_r/∂θ)}.
     * If the ranks compute <em>different</em> functions of the gathered tensor, this is not the all-gather backward
     * (the cross-rank terms would be missing).
     *
     * <p>The forward values are exact: the local rows are {@code x + (x − x.detach())·(W−1)}, where
     * {@code x − x.detach()} is exactly zero, which only scales the gradient.
     */
    public Tensor allGatherWithGrad(Tensor local) {
        return allGatherWithGrad(List.of(local)).get(0);
    }

    /** {@link #allGatherWithGrad(Tensor)} for several tensors with one collective per dtype. */
    public List<Tensor> allGatherWithGrad(List<Tensor> locals) {
        List<Tensor> result = new ArrayList<>(locals.size());
        try (var scope = TensorScope.open()) {
            List<Tensor> detached = new ArrayList<>(locals.size());
            for (Tensor t : locals) {
                detached.add(t.detach());
            }
            List<Tensor> gathered = allGather(detached);
            for (int i = 0; i < locals.size(); i++) {
                Tensor local = locals.get(i);
                Tensor all = gathered.get(i);
                if (!local.requiresGrad()) {
                    result.add(all);
                    continue;
                }
                Tensor live = worldSize == 1 ? local.alias()
                        : local.add(local.sub(detached.get(i)).mul(worldSize - 1));
                long n = local.size(0);
                long before = rank * n;
                long after = (worldSize - 1L - rank) * n;
                List<Tensor> parts = new ArrayList<>(3);
                if (before > 0) {
                    parts.add(all.narrow(0, 0, before));
                }
                parts.add(live);
                if (after > 0) {
                    parts.add(all.narrow(0, before + n, after));
                }
                result.add(parts.size() == 1 ? live : Tensor.cat(parts, 0));
            }
            result.forEach(scope::keep);
        }
        return result;
    }

    // ---------------------------------------------------------------- barrier, close

    /** Returns when every rank has called it (or throws after the timeout). */
    public void barrier() {
        check(ts_pg_barrier(handle()));
    }

    /** Leaves the group and frees it (idempotent). Other ranks' collectives with this rank then fail. */
    @Override
    public void close() {
        MemorySegment h = handle;
        if (h == null) {
            return;
        }
        handle = null;
        check(ts_pg_destroy(h));
    }

    @Override
    public String toString() {
        return "ProcessGroup[" + backend.nativeName() + ", rank " + rank + " of " + worldSize + "]";
    }
}
