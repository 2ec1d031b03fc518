package org.amdim.nn.io;

import java.io.Serial;

/**
 * Thrown when text is not a JSON document that {@link Json#parse(String)} accepts.
 *
 * <p>It is unchecked because JSON here is mostly parsed from inputs the program produced itself
 * (checkpoint metadata, metric files); callers that read untrusted input, such as
 * {@link SafetensorsFile}, catch it and convert it to their own checked exception.
 *
 * <p>The message always names the position of the problem. {@link #offset()} is a character
 * (UTF-16 unit) index into the parsed string, or a byte index into the input when the input was
 * given as UTF-8 bytes and the bytes themselves are malformed.
 */
public final class JsonException extends RuntimeException {
    @Serial
    private static final long serialVersionUID = 1L;

    /** Position of the problem, see {@link #offset()}. */
    private final long offset;

    /**
     * Creates an exception for a problem at {@code offset}.
     *
     * @param message what is wrong, without the position (it is appended)
     * @param offset  character (or, for undecodable bytes, byte) offset of the problem
     */
    public JsonException(String message, long offset) {
        super(message + " at offset " + offset);
        this.offset = offset;
    }

    /**
     * Returns where the problem was found.
     *
     * @return the zero-based character offset into the parsed text, or the byte offset into the
     *     input bytes when they were not valid UTF-8
     */
    public long offset() {
        return offset;
    }
}
