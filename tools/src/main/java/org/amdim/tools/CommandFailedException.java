package org.amdim.tools;

/**
 * A command could not do its work for a reason the user can act on; the CLI prints the message as
 * {@code error: <message>} and exits with {@link AmdimCli#EXIT_FAILURE}.
 */
public class CommandFailedException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** A failure with a message for the user. */
    public CommandFailedException(String message) {
        super(message);
    }

    /** A failure with a message for the user and the underlying cause (shown with {@code --verbose}). */
    public CommandFailedException(String message, Throwable cause) {
        super(message, cause);
    }
}
