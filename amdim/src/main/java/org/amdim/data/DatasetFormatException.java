package org.amdim.data;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A dataset file whose content is not what its format requires: truncated, a wrong magic number,
 * a size that does not match its header, a label out of range. The message names the file and,
 * where one applies, the record and byte offset at fault.
 */
public final class DatasetFormatException extends IOException {

    private static final long serialVersionUID = 1L;

    /** Offset value when no single byte offset applies. */
    public static final long NO_OFFSET = -1;

    /** The file at fault; transient because {@link Path} is not serializable. */
    private final transient Path file;
    /** The byte offset at fault, or {@link #NO_OFFSET}. */
    private final long offset;

    /**
     * Creates the exception.
     *
     * @param file the file at fault
     * @param offset the byte offset at fault, or {@link #NO_OFFSET}
     * @param problem what is wrong, without the file name (it is prepended)
     */
    public DatasetFormatException(Path file, long offset, String problem) {
        super(file + (offset >= 0 ? " (at byte offset " + offset + ")" : "") + ": " + problem);
        this.file = file;
        this.offset = offset;
    }

    /**
     * Creates the exception with a cause (e.g. a decompression error).
     *
     * @param file the file at fault
     * @param offset the byte offset at fault, or {@link #NO_OFFSET}
     * @param problem what is wrong
     * @param cause the underlying error
     */
    public DatasetFormatException(Path file, long offset, String problem, Throwable cause) {
        this(file, offset, problem);
        initCause(cause);
    }

    /** {@return the file at fault (null after deserialization)} */
    public Path file() {
        return file;
    }

    /** {@return the byte offset at fault, or {@link #NO_OFFSET}} */
    public long offset() {
        return offset;
    }
}
