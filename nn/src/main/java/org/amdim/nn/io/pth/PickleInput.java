package org.amdim.nn.io.pth;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;

/**
 * The bytes a pickle is read from, with a known end: every length field is checked against the bytes that remain
 * before anything is allocated, so a lying length gives an error, never a huge allocation. Tracks the position
 * for error messages and for the legacy format, whose storage data follows the pickles.
 */
final class PickleInput {
    private final InputStream in;
    private final long length;
    private final String source;
    private long position;

    /**
     * Reads from {@code in}, which holds {@code length} bytes from here on.
     *
     * @param source the file (or archive entry) name for messages
     */
    PickleInput(InputStream in, long length, String source) {
        this.in = in;
        this.length = length;
        this.source = source;
    }

    /** The name used in error messages. */
    String source() {
        return source;
    }

    /** Bytes read so far. */
    long position() {
        return position;
    }

    /** Bytes left. */
    long remaining() {
        return length - position;
    }

    /** One unsigned byte. */
    int readByte() throws IOException {
        if (position >= length) {
            throw truncated(1);
        }
        int b = in.read();
        if (b < 0) {
            throw truncated(1);
        }
        position++;
        return b;
    }

    /**
     * Exactly {@code n} bytes.
     *
     * @throws PthFormatException when fewer remain, or when {@code n} exceeds {@code max} (what the caller's field
     *                            may sensibly hold)
     */
    byte[] readBytes(long n, long max, String what) throws IOException {
        if (n < 0 || n > max) {
            throw new PthFormatException(source, what + " of " + Long.toUnsignedString(n) + " bytes at offset "
                    + position + " is longer than the " + max + " this reader accepts");
        }
        if (n > remaining()) {
            throw truncated(n);
        }
        byte[] b;
        try {
            b = in.readNBytes((int) n);
        } catch (EOFException e) {
            throw truncated(n);
        }
        if (b.length != n) {
            throw truncated(n);
        }
        position += n;
        return b;
    }

    /** A little-endian unsigned integer of {@code bytes} bytes (at most 8). */
    long readLittleEndian(int bytes) throws IOException {
        byte[] b = readBytes(bytes, 8, "an integer");
        long v = 0;
        for (int i = bytes - 1; i >= 0; i--) {
            v = (v << 8) | (b[i] & 0xFF);
        }
        return v;
    }

    /** Skips {@code n} bytes, which must all be there. */
    void skip(long n) throws IOException {
        if (n > remaining()) {
            throw truncated(n);
        }
        long left = n;
        while (left > 0) {
            long s = in.skip(left);
            if (s <= 0) {
                if (in.read() < 0) {
                    throw truncated(n);
                }
                s = 1;
            }
            left -= s;
        }
        position += n;
    }

    private PthFormatException truncated(long wanted) {
        return new PthFormatException(source, "truncated: " + wanted + " more byte(s) needed at offset " + position
                + " but the file ends at " + length);
    }
}
