package org.amdim.train;

import java.util.Locale;

import org.amdim.tensor.Device;
import org.amdim.tensor.MemoryFormat;

/**
 * The memory format a training run's encoder computes in ({@code --memory-format}): one of the two layouts, or
 * {@link #AUTO}, which lets the run measure which is faster on this machine ({@link FormatTrial}). The results do
 * not depend on the layout beyond float rounding; the speed does, and on the CPU that depends on the kernels
 * libtorch's oneDNN has for the processor.
 */
public enum EncoderFormat {
    /**
     * Decided per run: on the CPU by timing training steps in both layouts before the first update
     * ({@link FormatTrial}); on CUDA channels-last, without timing. A resumed run keeps the layout its checkpoint
     * records.
     */
    AUTO(null),
    /** Channels-last (NHWC): oneDNN's and cuDNN's native convolution layout. */
    CHANNELS_LAST(MemoryFormat.CHANNELS_LAST),
    /** Row-major (NCHW), as the original PyTorch code computes. */
    CONTIGUOUS(MemoryFormat.CONTIGUOUS);

    private final MemoryFormat fixed;

    EncoderFormat(MemoryFormat fixed) {
        this.fixed = fixed;
    }

    /** The layout this setting fixes, or null for {@link #AUTO}. */
    public MemoryFormat fixed() {
        return fixed;
    }

    /**
     * Parses {@code auto}, {@code channels-last} or {@code contiguous} (any case, {@code _} for {@code -}).
     *
     * @throws IllegalArgumentException naming the accepted values
     */
    public static EncoderFormat parse(String text) {
        if (text != null) {
            String t = text.trim().toLowerCase(Locale.ROOT).replace('_', '-');
            for (EncoderFormat f : values()) {
                if (f.toString().equals(t)) {
                    return f;
                }
            }
        }
        throw new IllegalArgumentException("invalid memory format '" + text
                + "': expected auto, channels-last or contiguous");
    }

    /**
     * How {@link #AUTO} decides for a fresh run on {@code device}, as a phrase for {@code amdim info} and the
     * training log (a resumed run keeps the format its checkpoint records).
     */
    public static String howAutoDecides(Device device) {
        return device.isCuda() ? "channels-last (not timed)"
                : "channels-last unless contiguous is at least " + Math.round(FormatTrial.CONTIGUOUS_MARGIN * 100)
                        + " % faster, from " + (FormatTrial.WARMUP_ROUNDS + FormatTrial.TIMED_ROUNDS)
                        + " forward+backward passes in each (" + FormatTrial.WARMUP_ROUNDS
                        + " untimed) before the first update";
    }

    /** The name {@link #parse} reads: {@code auto}, or the fixed layout's {@link MemoryFormat#cliName()}. */
    @Override
    public String toString() {
        return fixed == null ? "auto" : fixed.cliName();
    }
}
