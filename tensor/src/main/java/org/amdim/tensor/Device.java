package org.amdim.tensor;

import java.util.Locale;

/**
 * Where a tensor lives: the CPU or one CUDA device.
 *
 * @param type  the device kind
 * @param index the device ordinal (0 for the CPU)
 */
public record Device(Type type, int index) {
    /** The CPU. */
    public static final Device CPU = new Device(Type.CPU, 0);

    /** Device kinds; codes equal libtorch's {@code c10::DeviceType}. */
    public enum Type {
        /** Host memory. */
        CPU(0),
        /** An NVIDIA GPU. */
        CUDA(1);

        private final int code;

        Type(int code) {
            this.code = code;
        }

        /** libtorch's device-type code. */
        public int code() {
            return code;
        }
    }

    /** Validates the ordinal. */
    public Device {
        if (type == null) {
            throw new IllegalArgumentException("device type must not be null");
        }
        if (index < 0) {
            throw new IllegalArgumentException("device index must be >= 0, got " + index);
        }
        if (type == Type.CPU && index != 0) {
            throw new IllegalArgumentException("the CPU device has index 0, got " + index);
        }
    }

    /** The CUDA device with the given ordinal. */
    public static Device cuda(int index) {
        return new Device(Type.CUDA, index);
    }

    /** {@code cuda:0} when a CUDA device is available, else the CPU. */
    public static Device cudaIfAvailable() {
        return Torch.cudaIsAvailable() ? cuda(0) : CPU;
    }

    /**
     * Parses {@code cpu}, {@code cuda} (meaning {@code cuda:0}) or {@code cuda:N}.
     *
     * @throws IllegalArgumentException naming the bad string and the accepted forms
     */
    public static Device parse(String text) {
        if (text == null) {
            throw new IllegalArgumentException("device string must not be null");
        }
        String s = text.trim().toLowerCase(Locale.ROOT);
        if (s.equals("cpu")) {
            return CPU;
        }
        if (s.equals("cuda")) {
            return cuda(0);
        }
        if (s.startsWith("cuda:")) {
            String num = s.substring(5);
            if (!num.isEmpty() && num.chars().allMatch(Character::isDigit) && num.length() < 6) {
                return cuda(Integer.parseInt(num));
            }
        }
        throw new IllegalArgumentException("invalid device '" + text + "': expected 'cpu', 'cuda' or 'cuda:N'");
    }

    /** Whether this is a CUDA device. */
    public boolean isCuda() {
        return type == Type.CUDA;
    }

    /** PyTorch's spelling: {@code cpu} or {@code cuda:N}. */
    @Override
    public String toString() {
        return type == Type.CPU ? "cpu" : "cuda:" + index;
    }
}
