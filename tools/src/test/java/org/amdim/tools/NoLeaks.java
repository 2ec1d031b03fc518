package org.amdim.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.amdim.tensor.Tensor;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/** Fails a test class whose tests leave native tensor handles alive. */
public final class NoLeaks implements BeforeAllCallback, AfterAllCallback {
    private static final ExtensionContext.Namespace NS = ExtensionContext.Namespace.create(NoLeaks.class);

    @Override
    public void beforeAll(ExtensionContext context) {
        context.getStore(NS).put("live", Tensor.liveHandles());
    }

    @Override
    public void afterAll(ExtensionContext context) {
        long before = context.getStore(NS).get("live", Long.class);
        assertEquals(before, Tensor.liveHandles(), "native tensor handles leaked by " + context.getDisplayName());
    }
}
