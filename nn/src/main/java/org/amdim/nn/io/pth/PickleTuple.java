package org.amdim.nn.io.pth;

import java.util.List;

/**
 * A Python tuple from a pickle. Kept apart from lists (which unpickle to {@link java.util.ArrayList}) because
 * PyTorch's formats give tuples and lists different meanings (a persistent id is a tuple, shapes are tuples).
 *
 * @param items the elements, unmodifiable
 */
public record PickleTuple(List<Object> items) {
    /** Copies the items into an unmodifiable list (which may hold nulls, Python's None). */
    public PickleTuple {
        items = java.util.Collections.unmodifiableList(new java.util.ArrayList<>(items));
    }

    /** The number of elements. */
    public int size() {
        return items.size();
    }

    /** The element at {@code i}. */
    public Object get(int i) {
        return items.get(i);
    }
}
