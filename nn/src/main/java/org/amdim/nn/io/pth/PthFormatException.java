package org.amdim.nn.io.pth;

import java.io.IOException;
import java.io.Serial;

/**
 * Thrown when a {@code .pth} file cannot be read: not a PyTorch checkpoint, truncated, or internally inconsistent
 * (storage sizes that do not match the data, a tensor that reaches past its storage). The message starts with the
 * file and says what is wrong, e.g. {@code model.pth: storage '0' has a size field of 1099511627776 elements but the
 * pickle says 4}.
 *
 * <p>An {@link IOException}, because a damaged checkpoint is an input problem like an unreadable one.
 */
public class PthFormatException extends IOException {
    @Serial
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param source  the file (or archive entry) being read
     * @param problem what is wrong with it
     */
    public PthFormatException(String source, String problem) {
        super(source + ": " + problem);
    }

    /**
     * Creates the exception with an underlying cause.
     *
     * @param source  the file (or archive entry) being read
     * @param problem what is wrong with it
     * @param cause   the lower-level exception
     */
    public PthFormatException(String source, String problem, Throwable cause) {
        super(source + ": " + problem, cause);
    }
}
