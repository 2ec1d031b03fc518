package org.amdim.model.encoder;

import org.amdim.nn.Module;
import org.amdim.nn.layers.Conv2d;
import org.amdim.tensor.Functional.PadMode;
import org.amdim.tensor.Tensor;

/**
 * The encoder's plain convolution layer: optional reflect padding, a convolution with bias (registered as
 * {@code conv}), then ReLU. Used for the stem ({@code layer_list.0}, and {@code layer_list.1} of the 128×128
 * encoder).
 */
public final class ConvUnit extends Module {
    private final Conv2d conv;

    /**
     * A convolution unit.
     *
     * @param in         input channels
     * @param out        output channels
     * @param kernel     square kernel size
     * @param stride     stride
     * @param reflectPad reflect padding on every side (0: no padding)
     */
    public ConvUnit(long in, long out, long kernel, long stride, long reflectPad) {
        Conv2d.Options options = Conv2d.Options.defaults().withStride(stride).withPadding(reflectPad)
                .withPaddingMode(reflectPad > 0 ? PadMode.REFLECT : PadMode.CONSTANT);
        this.conv = registerModule("conv", new Conv2d(in, out, kernel, options));
    }

    /** The convolution. */
    public Conv2d conv() {
        return conv;
    }

    /** {@code relu(conv(pad(x)))}. */
    @Override
    public Tensor forward(Tensor x) {
        // In place: the convolution's backward needs its input and weight, not its output.
        return conv.forward(x).relu_();
    }
}
