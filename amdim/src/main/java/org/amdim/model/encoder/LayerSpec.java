package org.amdim.model.encoder;

import org.amdim.nn.Module;

/**
 * One entry of an encoder's {@code layer_list}: what it is, its channels and kernel, and how it changes the
 * spatial size. Pure data; {@link #build()} makes the module.
 */
public sealed interface LayerSpec {
    /** Channels in. */
    int in();

    /** Channels out. */
    int out();

    /** Output side length for an input side length. */
    int outputSize(int inputSize);

    /** Number of parameter elements of the module (dead batch-norm parameters included: they exist). */
    long parameterCount();

    /** Creates the module (with PyTorch's default initialisation; see {@link Encoder#initWeights(double)}). */
    Module build();

    /** Output side of a convolution or pooling window (PyTorch's floor rule). */
    private static int windowOutput(int size, int kernel, int stride, int pad) {
        if (size + 2 * pad < kernel) {
            throw new IllegalArgumentException("a " + kernel + "x" + kernel + " window does not fit a " + size + "x"
                    + size + " input");
        }
        return (size + 2 * pad - kernel) / stride + 1;
    }

    /** Parameters of a batch norm with affine weight and bias. */
    private static long batchNormParameters(int channels) {
        return 2L * channels;
    }

    /**
     * A {@link ConvUnit}: optional reflect padding, convolution with bias, ReLU.
     *
     * @param in         input channels
     * @param out        output channels
     * @param kernel     square kernel size
     * @param stride     stride
     * @param reflectPad reflect padding on every side (0 for none)
     */
    record Conv(int in, int out, int kernel, int stride, int reflectPad) implements LayerSpec {
        @Override
        public int outputSize(int inputSize) {
            return windowOutput(inputSize, kernel, stride, reflectPad);
        }

        @Override
        public long parameterCount() {
            return (long) out * in * kernel * kernel + out;
        }

        @Override
        public Module build() {
            return new ConvUnit(in, out, kernel, stride, reflectPad);
        }
    }

    /**
     * A {@link ResidualUnit} with a k×k, stride-s first convolution.
     *
     * @param in     input channels
     * @param out    output channels (at least {@code in})
     * @param kernel kernel of conv1 and of the average-pool shortcut
     * @param stride stride of conv1 and of the shortcut
     * @param useBn  whether the unit's batch norm runs
     */
    record Unit(int in, int out, int kernel, int stride, boolean useBn) implements LayerSpec {
        @Override
        public int outputSize(int inputSize) {
            return windowOutput(inputSize, kernel, stride, 0);
        }

        @Override
        public long parameterCount() {
            return (long) out * in * kernel * kernel + (long) out * out + batchNormParameters(out);
        }

        @Override
        public Module build() {
            return new ResidualUnit(in, out, kernel, stride, useBn);
        }
    }

    /**
     * A {@link ResidualBlock}: a {@link Unit} (in→out, k, s), then {@code depth − 1} units (out→out, 1×1, stride 1).
     *
     * @param in     input channels
     * @param out    output channels
     * @param kernel kernel of the first unit
     * @param stride stride of the first unit
     * @param depth  number of units
     * @param useBn  whether the units' batch norms run
     */
    record Block(int in, int out, int kernel, int stride, int depth, boolean useBn) implements LayerSpec {
        @Override
        public int outputSize(int inputSize) {
            return windowOutput(inputSize, kernel, stride, 0);
        }

        @Override
        public long parameterCount() {
            return new Unit(in, out, kernel, stride, useBn).parameterCount()
                    + (depth - 1L) * new Unit(out, out, 1, 1, useBn).parameterCount();
        }

        @Override
        public Module build() {
            return new ResidualBlock(in, out, kernel, stride, depth, useBn);
        }
    }

    /**
     * A {@link MaybeBatchNorm}: the middle batch norm (runs only with use_bn) or the final one (always runs).
     *
     * @param channels channels in and out
     * @param active   whether it is applied
     */
    record Norm(int channels, boolean active) implements LayerSpec {
        @Override
        public int in() {
            return channels;
        }

        @Override
        public int out() {
            return channels;
        }

        @Override
        public int outputSize(int inputSize) {
            return inputSize;
        }

        @Override
        public long parameterCount() {
            return batchNormParameters(channels);
        }

        @Override
        public Module build() {
            return new MaybeBatchNorm(channels, active);
        }
    }
}
