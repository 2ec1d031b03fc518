package org.amdim.train;

import java.time.Duration;
import java.util.Map;

import org.amdim.tensor.distributed.Backend;
import org.amdim.tensor.distributed.ProcessGroup;

/**
 * Where this process stands in a data-parallel run (see {@link DataParallel}): its rank among {@code worldSize}
 * processes, the master's address (rank 0 serves the rendezvous there), the backend and the timeout.
 *
 * @param rank       this process, in {@code [0, worldSize)}; rank 0 writes checkpoints, metrics and progress
 * @param worldSize  the number of processes
 * @param masterHost the address of rank 0 as the others reach it (e.g. {@code 127.0.0.1} on one machine)
 * @param masterPort the rendezvous port on the master
 * @param backend    the collective backend (default {@link Backend#GLOO}: CPU)
 * @param timeout    bounds the rendezvous and every collective: a rank that dies or stalls for longer ends the
 *                   others with an error (default {@link #DEFAULT_TIMEOUT})
 */
public record DistributedConfig(int rank, int worldSize, String masterHost, int masterPort, Backend backend,
        Duration timeout) {
    /** Five minutes: longer than any single step, including the epoch-end evaluation of a small run. */
    public static final Duration DEFAULT_TIMEOUT = ProcessGroup.DEFAULT_TIMEOUT;

    /** Validates the values. */
    public DistributedConfig {
        if (worldSize < 1 || rank < 0 || rank >= worldSize) {
            throw new IllegalArgumentException("need 0 <= rank < worldSize, got rank " + rank + " of " + worldSize);
        }
        if (masterHost == null || masterHost.isBlank()) {
            throw new IllegalArgumentException("the master host is empty");
        }
        if (masterPort < 1 || masterPort > 65535) {
            throw new IllegalArgumentException("master port must be in [1, 65535], got " + masterPort);
        }
        if (backend == null) {
            throw new IllegalArgumentException("backend must not be null");
        }
        if (timeout == null || timeout.toMillis() < 1) {
            throw new IllegalArgumentException("timeout must be at least 1 ms, got " + timeout);
        }
    }

    /**
     * Rank and size with the master given as {@code host:port}, Gloo and the default timeout.
     *
     * @throws IllegalArgumentException when {@code master} is not {@code host:port}
     */
    public static DistributedConfig of(int rank, int worldSize, String master) {
        int colon = master.lastIndexOf(':');
        if (colon <= 0 || colon == master.length() - 1) {
            throw new IllegalArgumentException("master must be host:port, got '" + master + "'");
        }
        int port;
        try {
            port = Integer.parseInt(master.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("master must be host:port, got '" + master + "'");
        }
        return new DistributedConfig(rank, worldSize, master.substring(0, colon), port, Backend.GLOO, DEFAULT_TIMEOUT);
    }

    /**
     * The run described by {@code torch.distributed}'s environment variables ({@code RANK}, {@code WORLD_SIZE},
     * {@code MASTER_ADDR}, {@code MASTER_PORT}), with Gloo and the default timeout.
     */
    public static DistributedConfig fromEnvironment(Map<String, String> env) {
        ProcessGroup.EnvSpec s = ProcessGroup.EnvSpec.parse(env);
        return new DistributedConfig(s.rank(), s.worldSize(), s.masterAddr(), s.masterPort(), Backend.GLOO,
                DEFAULT_TIMEOUT);
    }

    /** The same run with another backend. */
    public DistributedConfig withBackend(Backend value) {
        return new DistributedConfig(rank, worldSize, masterHost, masterPort, value, timeout);
    }

    /** The same run with another timeout. */
    public DistributedConfig withTimeout(Duration value) {
        return new DistributedConfig(rank, worldSize, masterHost, masterPort, backend, value);
    }

    /** Whether this process is rank 0, the one that writes. */
    public boolean isMain() {
        return rank == 0;
    }

    /** {@code host:port}. */
    public String master() {
        return masterHost + ":" + masterPort;
    }
}
