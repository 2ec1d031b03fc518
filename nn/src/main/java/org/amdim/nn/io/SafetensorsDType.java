package org.amdim.nn.io;

import java.util.Optional;

/**
 * Element types understood in safetensors files, with the exact strings used in the header's
 * {@code "dtype"} field and their sizes. All multi-byte types are stored little-endian.
 *
 * <p>The format also defines {@code U16}, {@code U32}, {@code U64} and 8-bit float types; they have
 * no use in this project (libtorch support is partial), so files containing them are rejected as
 * having an unknown dtype rather than half-supported.
 */
public enum SafetensorsDType {
    /** IEEE 754 binary64. */
    F64("F64", 8),
    /** IEEE 754 binary32. */
    F32("F32", 4),
    /** IEEE 754 binary16 (half precision). */
    F16("F16", 2),
    /** bfloat16: the upper 16 bits of a binary32. */
    BF16("BF16", 2),
    /** Two's-complement 64-bit integer. */
    I64("I64", 8),
    /** Two's-complement 32-bit integer. */
    I32("I32", 4),
    /** Two's-complement 16-bit integer. */
    I16("I16", 2),
    /** Two's-complement 8-bit integer. */
    I8("I8", 1),
    /** Unsigned 8-bit integer. */
    U8("U8", 1),
    /** Boolean, one byte per element (0 = false, 1 = true). */
    BOOL("BOOL", 1);

    private final String headerName;
    private final int byteSize;

    SafetensorsDType(String headerName, int byteSize) {
        this.headerName = headerName;
        this.byteSize = byteSize;
    }

    /**
     * Returns the string used for this type in a safetensors header.
     *
     * @return the header string, e.g. {@code "F32"}
     */
    public String headerName() {
        return headerName;
    }

    /**
     * Returns the size of one element.
     *
     * @return bytes per element
     */
    public int byteSize() {
        return byteSize;
    }

    /**
     * Looks up a type by its header string. The match is exact (case-sensitive), as in the
     * reference implementation.
     *
     * @param headerName the {@code "dtype"} value from a header
     * @return the type, or empty if the string is not one of the supported types
     */
    public static Optional<SafetensorsDType> fromHeaderName(String headerName) {
        for (SafetensorsDType t : values()) {
            if (t.headerName.equals(headerName)) {
                return Optional.of(t);
            }
        }
        return Optional.empty();
    }
}
