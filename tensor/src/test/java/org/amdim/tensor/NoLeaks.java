package org.amdim.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Fails a test class whose tests leave native tensor handles alive, or whose forgotten tensors the garbage
 * collector had to free (a leak that a collection in the middle of the class would otherwise hide). Shared by
 * the test suites of every module through this module's test jar.
 */
public final class NoLeaks implements BeforeAllCallback, AfterAllCallback {
    private static final ExtensionContext.Namespace NS = ExtensionContext.Namespace.create(NoLeaks.class);

    @Override
    public void beforeAll(ExtensionContext context) {
        context.getStore(NS).put("live", Tensor.liveHandles());
        context.getStore(NS).put("leaked", Tensor.leakedCount());
    }

    @Override
    public void afterAll(ExtensionContext context) {
        long before = context.getStore(NS).get("live", Long.class);
        assertEquals(before, Tensor.liveHandles(), "native tensor handles leaked by " + context.getDisplayName());
        long leaked = context.getStore(NS).get("leaked", Long.class);
        assertEquals(leaked, Tensor.leakedCount(), "tensors freed by the cleaner during " + context.getDisplayName());
    }
}
