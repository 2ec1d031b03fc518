package org.amdim.bindings;

/**
 * The native shim or libtorch could not be loaded. The message names what is missing and how to fix it.
 */
public class NativeLibraryException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** Creates an exception with the given message. */
    public NativeLibraryException(String message) {
        super(message);
    }

    /** Creates an exception with the given message and cause. */
    public NativeLibraryException(String message, Throwable cause) {
        super(message, cause);
    }
}
