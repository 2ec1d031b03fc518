package org.amdim.tensor;

/**
 * Element types of a {@link Tensor}. Codes equal libtorch's {@code at::ScalarType}.
 */
public enum DType {
    /** 8-bit unsigned integer. */
    UINT8(0, 1, "torch.uint8"),
    /** 8-bit signed integer. */
    INT8(1, 1, "torch.int8"),
    /** 16-bit signed integer. */
    INT16(2, 2, "torch.int16"),
    /** 32-bit signed integer. */
    INT32(3, 4, "torch.int32"),
    /** 64-bit signed integer (indices, labels). */
    INT64(4, 8, "torch.int64"),
    /** IEEE half precision. */
    FLOAT16(5, 2, "torch.float16"),
    /** IEEE single precision, the default. */
    FLOAT32(6, 4, "torch.float32"),
    /** IEEE double precision. */
    FLOAT64(7, 8, "torch.float64"),
    /** Boolean, one byte per element. */
    BOOL(11, 1, "torch.bool"),
    /** Brain floating point (8-bit exponent, 7-bit mantissa). */
    BFLOAT16(15, 2, "torch.bfloat16");

    private static final DType[] BY_CODE = new DType[16];

    static {
        for (DType t : values()) {
            BY_CODE[t.code] = t;
        }
    }

    private final int code;
    private final int byteSize;
    private final String torchName;

    DType(int code, int byteSize, String torchName) {
        this.code = code;
        this.byteSize = byteSize;
        this.torchName = torchName;
    }

    /** libtorch's scalar-type code. */
    public int code() {
        return code;
    }

    /** Bytes per element. */
    public int byteSize() {
        return byteSize;
    }

    /** Whether this is a floating-point type. */
    public boolean isFloatingPoint() {
        return this == FLOAT16 || this == FLOAT32 || this == FLOAT64 || this == BFLOAT16;
    }

    /** The name PyTorch prints, e.g. {@code torch.float32}. */
    public String torchName() {
        return torchName;
    }

    /**
     * The type with the given libtorch code.
     *
     * @throws IllegalArgumentException for a code this library does not support
     */
    public static DType fromCode(int code) {
        DType t = code >= 0 && code < BY_CODE.length ? BY_CODE[code] : null;
        if (t == null) {
            throw new IllegalArgumentException("unsupported libtorch scalar type code " + code);
        }
        return t;
    }
}
