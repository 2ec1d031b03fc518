package org.amdim.nn.io;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

import org.amdim.tensor.Tensor;

/**
 * Tensors by name with the file's string metadata; owns the tensors and closes them all on {@link #close()}.
 */
public final class NamedTensors implements AutoCloseable {
    private final Map<String, Tensor> tensors = new LinkedHashMap<>();
    private final Map<String, String> metadata;

    /** An empty collection with the given metadata. */
    public NamedTensors(Map<String, String> metadata) {
        this.metadata = Map.copyOf(metadata);
    }

    /** Adds a tensor this collection will own. */
    public void put(String name, Tensor tensor) {
        Tensor old = tensors.put(name, tensor);
        if (old != null && old != tensor) {
            old.close();
        }
    }

    /** The tensor named {@code name}. */
    public Tensor get(String name) {
        Tensor t = tensors.get(name);
        if (t == null) {
            throw new IllegalArgumentException("no tensor named '" + name + "'");
        }
        return t;
    }

    /** Whether a tensor with this name is present. */
    public boolean contains(String name) {
        return tensors.containsKey(name);
    }

    /** All tensors by name (a read-only view; the tensors stay owned here). */
    public Map<String, Tensor> tensors() {
        return Collections.unmodifiableMap(tensors);
    }

    /**
     * The tensors whose names start with {@code prefix}, with the prefix removed (e.g. {@code "param."}).
     */
    public Map<String, Tensor> withPrefix(String prefix) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        tensors.forEach((k, v) -> {
            if (k.startsWith(prefix)) {
                out.put(k.substring(prefix.length()), v);
            }
        });
        return out;
    }

    /** The file's {@code __metadata__}. */
    public Map<String, String> metadata() {
        return metadata;
    }

    /** Closes every tensor. */
    @Override
    public void close() {
        tensors.values().forEach(Tensor::close);
        tensors.clear();
    }
}
