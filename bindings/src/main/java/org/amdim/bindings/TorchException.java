package org.amdim.bindings;

/**
 * A failure reported by libtorch (or by the shim around it), carrying libtorch's own message without
 * the C++ backtrace.
 *
 * <p>The shim never lets a C++ exception cross the C boundary: it stores the message in a thread-local
 * "last error" and returns an error value; the Java side then throws this exception.
 */
public class TorchException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** Creates an exception with the given message. */
    public TorchException(String message) {
        super(message);
    }

    /** Creates an exception with the given message and cause. */
    public TorchException(String message, Throwable cause) {
        super(message, cause);
    }
}
