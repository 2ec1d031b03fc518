package org.amdim.nn.io;

import java.util.Arrays;
import java.util.Objects;

/**
 * Description of one tensor in a safetensors file: name, element type, shape and the byte range
 * of its data.
 *
 * <p>{@code begin} and {@code end} are offsets relative to the start of the data section (the
 * byte after the header), {@code end} exclusive, exactly as in the header's
 * {@code data_offsets}. The constructor enforces the invariants the format guarantees, so an
 * instance is always self-consistent: non-negative dimensions, at most {@link #MAX_RANK}
 * of them, {@code 0 <= begin <= end}, and {@code end - begin == numel * dtype.byteSize()} without
 * overflow. The shape array is copied on the way in and on the way out.
 *
 * @param name  tensor name (any string, including the empty one, except {@code __metadata__})
 * @param dtype element type
 * @param shape dimensions, row-major; empty for a scalar
 * @param begin start of the data, relative to the data section
 * @param end   end of the data (exclusive), relative to the data section
 */
public record SafetensorsEntry(String name, SafetensorsDType dtype, long[] shape, long begin,
                               long end) {
    /**
     * Largest accepted number of dimensions. The format sets no limit; 16 is far above anything
     * libtorch models use and bounds the work a hostile header can cause.
     */
    public static final int MAX_RANK = 16;

    /**
     * Validates and copies the components.
     *
     * @throws IllegalArgumentException if the invariants listed in the class documentation do not
     *     hold
     * @throws NullPointerException if name, dtype or shape is null
     */
    public SafetensorsEntry {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(dtype, "dtype");
        shape = Objects.requireNonNull(shape, "shape").clone();
        long bytes;
        try {
            bytes = byteSizeOf(dtype, shape);
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException("tensor '" + name + "': element count of shape "
                    + Arrays.toString(shape) + " overflows a long", e);
        }
        if (begin < 0 || end < begin) {
            throw new IllegalArgumentException("tensor '" + name + "': invalid byte range ["
                    + begin + ", " + end + ")");
        }
        if (end - begin != bytes) {
            throw new IllegalArgumentException("tensor '" + name + "': byte range [" + begin + ", "
                    + end + ") holds " + (end - begin) + " bytes but " + dtype + " "
                    + Arrays.toString(shape) + " needs " + bytes);
        }
    }

    /**
     * Returns a copy of the shape.
     *
     * @return the dimensions (a fresh array; modifying it does not affect this entry)
     */
    @Override
    public long[] shape() {
        return shape.clone();
    }

    /**
     * Returns the number of dimensions.
     *
     * @return the rank; 0 for a scalar
     */
    public int rank() {
        return shape.length;
    }

    /**
     * Returns the number of elements: the product of the dimensions (1 for a scalar, 0 if any
     * dimension is 0). It cannot overflow; the constructor checked that.
     *
     * @return the element count
     */
    public long numel() {
        return numelOf(shape);
    }

    /**
     * Returns the size of the data in bytes.
     *
     * @return {@code end - begin}, which equals {@code numel() * dtype().byteSize()}
     */
    public long byteSize() {
        return end - begin;
    }

    /**
     * Compares by value, including the shape's contents (a record would compare array identity).
     *
     * @param o the other object
     * @return whether {@code o} is an entry with equal components
     */
    @Override
    public boolean equals(Object o) {
        return o instanceof SafetensorsEntry e && name.equals(e.name) && dtype == e.dtype
                && Arrays.equals(shape, e.shape) && begin == e.begin && end == e.end;
    }

    /**
     * Hash code consistent with {@link #equals(Object)}.
     *
     * @return the hash code
     */
    @Override
    public int hashCode() {
        return Objects.hash(name, dtype, Arrays.hashCode(shape), begin, end);
    }

    /**
     * Readable form, e.g. {@code p0 F32 [5, 7] @[0, 140)}.
     *
     * @return the description
     */
    @Override
    public String toString() {
        return name + " " + dtype + " " + Arrays.toString(shape) + " @[" + begin + ", " + end + ")";
    }

    /**
     * Element count of a shape, with every check the format needs.
     *
     * @param shape the dimensions
     * @return their product (1 for an empty shape)
     * @throws IllegalArgumentException if a dimension is negative or the rank exceeds
     *     {@link #MAX_RANK}
     * @throws ArithmeticException if the product overflows a long
     */
    static long numelOf(long[] shape) {
        if (shape.length > MAX_RANK) {
            throw new IllegalArgumentException(
                    "rank " + shape.length + " exceeds the maximum of " + MAX_RANK);
        }
        long n = 1;
        for (long d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException("negative dimension " + d + " in shape "
                        + Arrays.toString(shape));
            }
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    /**
     * Byte size of a tensor of the given type and shape.
     *
     * @param dtype element type
     * @param shape dimensions
     * @return {@code numel * dtype.byteSize()}
     * @throws IllegalArgumentException as {@link #numelOf(long[])}
     * @throws ArithmeticException if the size overflows a long
     */
    static long byteSizeOf(SafetensorsDType dtype, long[] shape) {
        return Math.multiplyExact(numelOf(shape), (long) dtype.byteSize());
    }
}
