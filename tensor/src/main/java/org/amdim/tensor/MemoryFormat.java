package org.amdim.tensor;

import static org.amdim.bindings.ffm.TorchShim.TS_MEMORY_CHANNELS_LAST;
import static org.amdim.bindings.ffm.TorchShim.TS_MEMORY_CONTIGUOUS;

/**
 * The order in which a tensor's elements lie in its storage, as PyTorch's {@code torch.memory_format}. The shape
 * and the values do not depend on it; only the strides, and with them the speed of the kernels, do.
 *
 * <p>On CPU, oneDNN's convolutions run natively on channels-last (NHWC) activations; given row-major (NCHW)
 * ones they convert every input, output and gradient to their blocked layout and back (4–10 % of an AMDIM
 * training step on 2 cores). Every other op the encoder uses (batch norm, ReLU, average pooling, constant
 * padding, addition) keeps channels-last, so converting the images once at the encoder's entry is enough.
 */
public enum MemoryFormat {
    /** Row-major: the last dimension varies fastest (NCHW for images). */
    CONTIGUOUS,
    /** For 4-D (N, C, H, W) tensors: the channel varies fastest (NHWC order), as {@code torch.channels_last}. */
    CHANNELS_LAST;

    /**
     * The format named as on a command line: {@code contiguous} or {@code channels-last} (also with an
     * underscore, any case).
     *
     * @throws IllegalArgumentException for any other name
     */
    public static MemoryFormat parse(String name) {
        return switch (name.trim().toLowerCase(java.util.Locale.ROOT).replace('_', '-')) {
            case "contiguous" -> CONTIGUOUS;
            case "channels-last" -> CHANNELS_LAST;
            default -> throw new IllegalArgumentException("unknown memory format '" + name
                    + "' (expected contiguous or channels-last)");
        };
    }

    /** The name {@link #parse(String)} reads: {@code contiguous} or {@code channels-last}. */
    public String cliName() {
        return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
    }

    /**
     * The shim's code ({@code TS_MEMORY_*}). Read on use, not when the constants are made: the generated bindings
     * look the shim up when first touched, so an enum constant that read them would fail to initialise in a
     * program whose first call is {@code MemoryFormat.parse} (nothing would have loaded the shim yet).
     */
    int code() {
        ShimCalls.ensureLoaded();
        return switch (this) {
            case CONTIGUOUS -> TS_MEMORY_CONTIGUOUS();
            case CHANNELS_LAST -> TS_MEMORY_CHANNELS_LAST();
        };
    }
}
