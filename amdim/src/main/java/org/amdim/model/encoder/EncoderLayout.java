package org.amdim.model.encoder;

import java.util.ArrayList;
import java.util.List;

/**
 * The layer plan of an AMDIM encoder: the entries of its {@code layer_list} in order, the side length after each,
 * and which entries feed the three outputs. Computed from an {@link EncoderConfig} without allocating tensors, so
 * large configurations can be inspected cheaply.
 *
 * <p>Layouts (C = ndf, R = n_rkhs, d = n_depth; "block" = d residual units, see {@link LayerSpec.Block}):
 * <pre>
 *  32: conv 3→C k3 | unit C→C k1 | block C→2C k4 s2 | block 2C→4C k2 s2 | mid BN | block 4C→4C k3 ×2
 *      | unit 4C→R k3 | final BN                         sides 30 30 14 7 7 5 3 1 1
 *  64: conv 3→C k3 | block C→2C k4 s2 | block 2C→4C k4 s2 | block 4C→8C k2 s2 | mid BN | block 8C→8C k3 ×2
 *      | unit 8C→R k3 | final BN                         sides 62 30 14 7 7 5 3 1 1
 * 128: conv 3→C k5 s2 reflect-pad 2 | conv C→C k3 | then as 64 from the first block
 *                                                        sides 64 62 30 14 7 7 5 3 1 1
 * </pre>
 * Only the 128 stem pads; everything else is unpadded. The embedding for side d (1, 5, 7) is computed from the
 * output of the last entry with that side ({@link #layerFor(int)}), as the original picks them.
 *
 * @param config the configuration
 * @param layers the {@code layer_list} entries
 * @param sides  side length of each entry's output
 */
public record EncoderLayout(EncoderConfig config, List<LayerSpec> layers, List<Integer> sides) {
    /** Input channels (RGB). */
    public static final int IMAGE_CHANNELS = 3;

    /** Copies the lists. */
    public EncoderLayout {
        layers = List.copyOf(layers);
        sides = List.copyOf(sides);
    }

    /** The layout for a configuration. */
    public static EncoderLayout of(EncoderConfig config) {
        int c = config.ndf();
        int r = config.nRkhs();
        int d = config.nDepth();
        boolean bn = config.useBn();
        List<LayerSpec> layers = new ArrayList<>();
        int top;
        switch (config.inputSize()) {
            case 32 -> {
                layers.add(new LayerSpec.Conv(IMAGE_CHANNELS, c, 3, 1, 0));
                layers.add(new LayerSpec.Unit(c, c, 1, 1, bn));
                layers.add(new LayerSpec.Block(c, 2 * c, 4, 2, d, bn));
                layers.add(new LayerSpec.Block(2 * c, 4 * c, 2, 2, d, bn));
                top = 4 * c;
            }
            case 64 -> {
                layers.add(new LayerSpec.Conv(IMAGE_CHANNELS, c, 3, 1, 0));
                layers.add(new LayerSpec.Block(c, 2 * c, 4, 2, d, bn));
                layers.add(new LayerSpec.Block(2 * c, 4 * c, 4, 2, d, bn));
                layers.add(new LayerSpec.Block(4 * c, 8 * c, 2, 2, d, bn));
                top = 8 * c;
            }
            case 128 -> {
                layers.add(new LayerSpec.Conv(IMAGE_CHANNELS, c, 5, 2, 2));
                layers.add(new LayerSpec.Conv(c, c, 3, 1, 0));
                layers.add(new LayerSpec.Block(c, 2 * c, 4, 2, d, bn));
                layers.add(new LayerSpec.Block(2 * c, 4 * c, 4, 2, d, bn));
                layers.add(new LayerSpec.Block(4 * c, 8 * c, 2, 2, d, bn));
                top = 8 * c;
            }
            default -> throw new IllegalArgumentException("unsupported input size " + config.inputSize());
        }
        // The 7x7 stage: the middle batch norm, then two 3x3 blocks down to 5x5 and 3x3, then the unit to 1x1.
        layers.add(new LayerSpec.Norm(top, bn));
        layers.add(new LayerSpec.Block(top, top, 3, 1, d, bn));
        layers.add(new LayerSpec.Block(top, top, 3, 1, d, bn));
        layers.add(new LayerSpec.Unit(top, r, 3, 1, bn));
        layers.add(new LayerSpec.Norm(r, true));

        List<Integer> sides = new ArrayList<>();
        int side = config.inputSize();
        for (LayerSpec layer : layers) {
            side = layer.outputSize(side);
            sides.add(side);
        }
        return new EncoderLayout(config, layers, sides);
    }

    /**
     * Index of the last {@code layer_list} entry whose output has the given side (1, 5 or 7 give the entries
     * behind r1, r5 and r7: 8, 5, 4 for 32/64 and 9, 6, 5 for 128).
     *
     * @throws IllegalArgumentException when no entry has that side
     */
    public int layerFor(int side) {
        int index = sides.lastIndexOf(side);
        if (index < 0) {
            throw new IllegalArgumentException("no layer of the " + config.inputSize() + "x" + config.inputSize()
                    + " encoder outputs " + side + "x" + side + " maps; sides are " + sides);
        }
        return index;
    }

    /** Channels of the output of entry {@code index}. */
    public int channels(int index) {
        return layers.get(index).out();
    }

    /**
     * Parameter elements of the whole encoder: the layer list plus the two embedding heads (dead batch-norm
     * parameters included).
     */
    public long parameterCount() {
        long n = 0;
        for (LayerSpec layer : layers) {
            n += layer.parameterCount();
        }
        return n + EmbeddingHead.parameterCount(channels(layerFor(5)), config.nRkhs())
                + EmbeddingHead.parameterCount(channels(layerFor(7)), config.nRkhs());
    }
}
