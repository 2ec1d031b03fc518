package org.amdim.nn.layers;

import org.amdim.nn.Module;
import org.amdim.tensor.Functional;
import org.amdim.tensor.Tensor;

/** 2-D average pooling with a square window, as {@code torch.nn.AvgPool2d}. */
public final class AvgPool2d extends Module {
    private final long kernel;
    private final long stride;
    private final long padding;

    /** Window {@code kernel}, stride = kernel, no padding. */
    public AvgPool2d(long kernel) {
        this(kernel, kernel, 0);
    }

    /** Window, stride and padding (padding counts in the average, as PyTorch's default). */
    public AvgPool2d(long kernel, long stride, long padding) {
        this.kernel = kernel;
        this.stride = stride;
        this.padding = padding;
    }

    @Override
    public Tensor forward(Tensor x) {
        return Functional.avgPool2d(x, new long[] {kernel, kernel}, new long[] {stride, stride},
                new long[] {padding, padding}, false, true);
    }

    @Override
    protected String extraRepr() {
        return "kernel_size=" + kernel + ", stride=" + stride + ", padding=" + padding;
    }
}
