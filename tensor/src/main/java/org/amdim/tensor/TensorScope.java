package org.amdim.tensor;

import java.util.Arrays;

/**
 * Owns the tensors created on this thread while it is open, and closes them when it closes.
 *
 * <pre>{@code
 * try (var scope = TensorScope.open()) {
 *     Tensor h = x.matmul(w).relu();          // owned by the scope
 *     return scope.keep(h.sum());              // survives the scope; the caller owns it
 * }                                            // h and the matmul result are freed here
 * }</pre>
 *
 * <p>Scopes nest: a tensor kept from an inner scope moves to the enclosing one; kept from the outermost
 * scope, it belongs to the caller (who closes it; a {@link java.lang.ref.Cleaner} frees it if forgotten).
 * Closing a scope twice is harmless. A scope belongs to the thread that opened it and must be closed there,
 * innermost first.
 */
public final class TensorScope implements AutoCloseable {
    private static final ThreadLocal<TensorScope> CURRENT = new ThreadLocal<>();

    private final TensorScope parent;
    private final Thread owner;
    private Tensor[] owned = new Tensor[16];
    private int count;
    private boolean closed;

    private TensorScope(TensorScope parent) {
        this.parent = parent;
        this.owner = Thread.currentThread();
    }

    /** Opens a scope on this thread; tensors created on this thread until it closes belong to it. */
    public static TensorScope open() {
        ShimCalls.ensureLoaded();
        TensorScope scope = new TensorScope(CURRENT.get());
        CURRENT.set(scope);
        return scope;
    }

    /** The innermost open scope of this thread, or null. */
    static TensorScope current() {
        return CURRENT.get();
    }

    /** Number of tensors this scope currently owns (closed ones are not counted). */
    public int size() {
        int n = 0;
        for (int i = 0; i < count; i++) {
            if (owned[i] != null) {
                n++;
            }
        }
        return n;
    }

    /**
     * Takes {@code tensor} out of this scope so that closing the scope leaves it alive. It moves to the
     * enclosing scope, or, without one, to the caller.
     *
     * @return the same tensor, for chaining
     */
    public <T extends Tensor> T keep(T tensor) {
        if (tensor.scope == this) {
            owned[tensor.scopeSlot] = null;
            tensor.scope = null;
            if (parent != null && !parent.closed) {
                parent.adopt(tensor);
            } else {
                tensor.registerCleaner();
            }
        }
        return tensor;
    }

    /**
     * Takes {@code tensor} out of whatever scope owns it (at any depth): from now on the caller owns it, for
     * example a module that holds it as a parameter. A tensor owned by no scope is returned as is.
     *
     * @return the same tensor
     */
    public static <T extends Tensor> T escape(T tensor) {
        TensorScope owner = tensor.scope;
        if (owner != null) {
            owner.owned[tensor.scopeSlot] = null;
            tensor.scope = null;
            tensor.registerCleaner();
        }
        return tensor;
    }

    /** Registers a tensor created while this scope is current. */
    void adopt(Tensor tensor) {
        if (count == owned.length) {
            compactOrGrow();
        }
        tensor.scope = this;
        tensor.scopeSlot = count;
        owned[count++] = tensor;
    }

    /** Called by {@link Tensor#close()} so the scope forgets a tensor closed early. */
    void forget(Tensor tensor) {
        owned[tensor.scopeSlot] = null;
    }

    private void compactOrGrow() {
        int live = 0;
        for (int i = 0; i < count; i++) {
            Tensor t = owned[i];
            if (t != null) {
                t.scopeSlot = live;
                owned[live++] = t;
            }
        }
        Arrays.fill(owned, live, count, null);
        count = live;
        if (count > owned.length / 2) {
            owned = Arrays.copyOf(owned, owned.length * 2);
        }
    }

    /** Closes every tensor still owned, and makes the enclosing scope current again. Idempotent. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        if (Thread.currentThread() != owner) {
            throw new IllegalStateException("a TensorScope must be closed on the thread that opened it");
        }
        closed = true;
        for (int i = count - 1; i >= 0; i--) {
            Tensor t = owned[i];
            if (t != null) {
                owned[i] = null;
                t.scope = null;
                t.close();
            }
        }
        count = 0;
        if (CURRENT.get() == this) {
            if (parent != null) {
                CURRENT.set(parent);
            } else {
                CURRENT.remove();
            }
        }
    }
}
