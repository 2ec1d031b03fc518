package org.amdim.nn.io;

import java.io.IOException;
import java.io.Serial;
import java.nio.file.Path;

/**
 * Thrown when a file is not a well-formed safetensors file. The message names the file, the
 * tensor concerned (when there is one) and the problem, e.g.
 * {@code model.safetensors: tensor 'w': data_offsets [0, 12] span 12 bytes but F32 [5, 7] needs 140}.
 *
 * <p>It is an {@link IOException} because a corrupt file is an input problem of the same kind as
 * an unreadable one, and callers that load checkpoints handle both the same way.
 */
public final class SafetensorsFormatException extends IOException {
    @Serial
    private static final long serialVersionUID = 1L;

    /** The offending file, kept as a string so that the exception stays serialisable. */
    private final String file;

    /** The problem without the file name. */
    private final String problem;

    /**
     * Creates an exception for {@code file}.
     *
     * @param file    the file that was being read (may be null if unknown)
     * @param problem what is wrong with it
     */
    public SafetensorsFormatException(Path file, String problem) {
        this(file, problem, null);
    }

    /**
     * Creates an exception for {@code file} with an underlying cause.
     *
     * @param file    the file that was being read (may be null if unknown)
     * @param problem what is wrong with it
     * @param cause   the lower-level exception, e.g. a {@link JsonException}
     */
    public SafetensorsFormatException(Path file, String problem, Throwable cause) {
        super((file == null ? "<unknown file>" : file.toString()) + ": " + problem, cause);
        this.file = file == null ? null : file.toString();
        this.problem = problem;
    }

    /**
     * Returns the file name as given when the exception was created.
     *
     * @return the path string, or null if unknown
     */
    public String file() {
        return file;
    }

    /**
     * Returns the description of the problem without the file name.
     *
     * @return the problem
     */
    public String problem() {
        return problem;
    }
}
