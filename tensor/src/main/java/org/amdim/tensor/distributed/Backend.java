package org.amdim.tensor.distributed;

import static org.amdim.bindings.ffm.TorchShim.ts_pg_backend_available;

import java.lang.foreign.Arena;

import org.amdim.bindings.NativeLibrary;

/** The c10d communication backends a {@link ProcessGroup} can use. */
public enum Backend {
    /** Gloo: CPU tensors, over TCP. The backend for CPU training and for tests. */
    GLOO("gloo"),
    /** NCCL: CUDA tensors on one GPU per process (only in shims built against a CUDA libtorch with NCCL). */
    NCCL("nccl");

    private final String nativeName;

    Backend(String nativeName) {
        this.nativeName = nativeName;
    }

    /** The name c10d and the shim use ({@code "gloo"}, {@code "nccl"}). */
    public String nativeName() {
        return nativeName;
    }

    /** Whether the loaded shim was built with this backend (NCCL also needs a visible CUDA device). */
    public boolean isAvailable() {
        NativeLibrary.load();
        try (Arena arena = Arena.ofConfined()) {
            return ts_pg_backend_available(arena.allocateFrom(nativeName));
        }
    }

    /**
     * The backend named {@code name} ({@code gloo} or {@code nccl}, any case).
     *
     * @throws IllegalArgumentException for another name
     */
    public static Backend parse(String name) {
        for (Backend b : values()) {
            if (b.nativeName.equalsIgnoreCase(name.strip())) {
                return b;
            }
        }
        throw new IllegalArgumentException("unknown distributed backend '" + name + "' (expected gloo or nccl)");
    }
}
