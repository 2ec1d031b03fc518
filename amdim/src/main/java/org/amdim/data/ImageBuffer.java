package org.amdim.data;

import java.util.Arrays;

/**
 * A mutable uint8 image in HWC order (rows top to bottom, pixels left to right, channels
 * interleaved), the in-memory form PIL uses, reused between images to avoid per-image allocation.
 *
 * <p>{@link #reshape} only grows the backing array, so a worker thread that keeps one buffer per
 * role allocates nothing once it has seen its largest image. The backing array may therefore be
 * longer than {@link #length()}; only the first {@code length()} bytes are meaningful.
 */
public final class ImageBuffer {

    private byte[] data;
    private int height;
    private int width;
    private int channels;

    /** Creates an empty buffer (0×0, 3 channels); {@link #reshape} sizes it. */
    public ImageBuffer() {
        this.data = new byte[0];
        this.channels = 3;
    }

    /**
     * Creates a zero-filled buffer of the given shape.
     *
     * @param height rows, at least 0
     * @param width columns, at least 0
     * @param channels 1 (grayscale) or 3 (RGB)
     */
    public ImageBuffer(int height, int width, int channels) {
        this();
        reshape(height, width, channels);
    }

    /**
     * Sets the shape, growing the backing array when needed. The pixel contents are unspecified
     * afterwards (callers overwrite them).
     *
     * @param height rows, at least 0
     * @param width columns, at least 0
     * @param channels 1 or 3
     * @return this buffer
     * @throws IllegalArgumentException for negative sizes, another channel count, or more than
     *     {@code Integer.MAX_VALUE} bytes
     */
    public ImageBuffer reshape(int height, int width, int channels) {
        if (height < 0 || width < 0) {
            throw new IllegalArgumentException("negative image size " + height + "x" + width);
        }
        if (channels != 1 && channels != 3) {
            throw new IllegalArgumentException("channels must be 1 or 3, got " + channels);
        }
        long needed = (long) height * width * channels;
        if (needed > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("image too large: " + height + "x" + width + "x" + channels);
        }
        if (data.length < needed) {
            data = new byte[(int) needed];
        }
        this.height = height;
        this.width = width;
        this.channels = channels;
        return this;
    }

    /** {@return the backing array (at least {@link #length()} bytes; HWC order)} */
    public byte[] data() {
        return data;
    }

    /** {@return the number of rows} */
    public int height() {
        return height;
    }

    /** {@return the number of columns} */
    public int width() {
        return width;
    }

    /** {@return the number of channels (1 or 3)} */
    public int channels() {
        return channels;
    }

    /** {@return the number of meaningful bytes: height × width × channels} */
    public int length() {
        return height * width * channels;
    }

    /**
     * Returns one sample as an unsigned value.
     *
     * @param y row
     * @param x column
     * @param c channel
     * @return the value in 0..255
     */
    public int get(int y, int x, int c) {
        return data[(y * width + x) * channels + c] & 0xFF;
    }

    /**
     * Sets one sample.
     *
     * @param y row
     * @param x column
     * @param c channel
     * @param value the value; only the low 8 bits are kept
     */
    public void set(int y, int x, int c, int value) {
        data[(y * width + x) * channels + c] = (byte) value;
    }

    /**
     * Makes this buffer a copy of another one (shape and pixels).
     *
     * @param other the source
     * @return this buffer
     */
    public ImageBuffer copyFrom(ImageBuffer other) {
        reshape(other.height, other.width, other.channels);
        System.arraycopy(other.data, 0, data, 0, other.length());
        return this;
    }

    /**
     * Fills all meaningful bytes with one value (e.g. zero for padding).
     *
     * @param value the byte value; only the low 8 bits are kept
     */
    public void fill(int value) {
        Arrays.fill(data, 0, length(), (byte) value);
    }

    /** {@return a copy of the meaningful bytes, for tests and debugging} */
    public byte[] toByteArray() {
        return Arrays.copyOf(data, length());
    }

    @Override
    public String toString() {
        return "ImageBuffer[" + height + "x" + width + "x" + channels + "]";
    }
}
