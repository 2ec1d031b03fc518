package org.amdim.nn.layers;

import org.amdim.nn.Module;
import org.amdim.tensor.Functional;
import org.amdim.tensor.Tensor;

/** 2-D max pooling with a square window, as {@code torch.nn.MaxPool2d}. */
public final class MaxPool2d extends Module {
    private final long kernel;
    private final long stride;
    private final long padding;

    /** Window {@code kernel}, stride = kernel, no padding. */
    public MaxPool2d(long kernel) {
        this(kernel, kernel, 0);
    }

    /** Window, stride and padding. */
    public MaxPool2d(long kernel, long stride, long padding) {
        this.kernel = kernel;
        this.stride = stride;
        this.padding = padding;
    }

    @Override
    public Tensor forward(Tensor x) {
        return Functional.maxPool2d(x, new long[] {kernel, kernel}, new long[] {stride, stride},
                new long[] {padding, padding}, new long[] {1, 1}, false);
    }

    @Override
    protected String extraRepr() {
        return "kernel_size=" + kernel + ", stride=" + stride + ", padding=" + padding
                + ", dilation=1, ceil_mode=False";
    }
}
