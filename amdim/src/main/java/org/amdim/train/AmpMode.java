package org.amdim.train;

import java.util.Locale;

import org.amdim.tensor.DType;

/**
 * Automatic mixed precision for training: whether the forward pass runs in an autocast region, and in which
 * lower-precision dtype. The parameters, the optimizer and the NCE scores stay float32 in every mode.
 */
public enum AmpMode {
    /** Everything in float32 (the default, and what the original's training script does by default). */
    NONE(null),
    /**
     * Convolutions and matrix products in bfloat16: float32's range, so no loss scaling. On the CPU and on CUDA
     * GPUs with bfloat16 support (Ampere and later).
     */
    BF16(DType.BFLOAT16),
    /**
     * Convolutions and matrix products in float16, with dynamic loss scaling
     * ({@link org.amdim.nn.optim.GradScaler}) against gradient underflow. CUDA only with libtorch before 2.4.
     */
    FP16(DType.FLOAT16);

    private final DType dtype;

    AmpMode(DType dtype) {
        this.dtype = dtype;
    }

    /** The autocast dtype, or null for {@link #NONE}. */
    public DType dtype() {
        return dtype;
    }

    /** Whether the loss must be scaled (float16's narrow exponent range). */
    public boolean needsGradScaler() {
        return this == FP16;
    }

    /**
     * Parses {@code none}, {@code bf16} or {@code fp16} (any case).
     *
     * @throws IllegalArgumentException naming the accepted values
     */
    public static AmpMode parse(String text) {
        if (text != null) {
            for (AmpMode m : values()) {
                if (m.name().equals(text.trim().toUpperCase(Locale.ROOT))) {
                    return m;
                }
            }
        }
        throw new IllegalArgumentException("invalid mixed-precision mode '" + text + "': expected none, bf16 or fp16");
    }

    /** The lower-case name ({@code none}, {@code bf16}, {@code fp16}), as {@link #parse} accepts it. */
    @Override
    public String toString() {
        return name().toLowerCase(Locale.ROOT);
    }
}
