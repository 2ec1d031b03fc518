package org.amdim.nn.io;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * A small, strict JSON (RFC 8259) reader and compact writer with no dependencies.
 *
 * <p>Used for safetensors headers, which come from untrusted files, and for the project's own
 * checkpoint metadata and metrics. Parsing is therefore strict and bounded:
 * <ul>
 *   <li>exactly one value, optionally surrounded by JSON whitespace; anything else after it is an
 *       error;</li>
 *   <li>duplicate object keys are an error (RFC 8259 leaves them undefined);</li>
 *   <li>escapes are checked fully, and <code>&#92;u</code> surrogate escapes must form a pair;</li>
 *   <li>nesting is limited ({@link #DEFAULT_MAX_DEPTH} unless given), so hostile input cannot
 *       overflow the stack;</li>
 *   <li>numbers outside the double range (e.g. {@code 1e400}) are an error rather than
 *       infinity, because JSON cannot represent infinity when written back.</li>
 * </ul>
 *
 * <p>Java types of parsed values: object → {@link java.util.LinkedHashMap}{@code <String,Object>}
 * (document order kept), array → {@link java.util.ArrayList}{@code <Object>}, string →
 * {@link String}, number → {@link Long} when the literal has neither fraction nor exponent and
 * fits in a long (so {@code -0} reads as {@code 0L}), otherwise {@link Double},
 * {@code true}/{@code false} → {@link Boolean},
 * {@code null} → Java {@code null}. The returned collections are mutable and owned by the caller.
 */
public final class Json {
    /**
     * Default maximum nesting of arrays and objects for parsing and writing. Safetensors headers
     * need 3; 64 leaves ample room for metadata while keeping recursion shallow.
     */
    public static final int DEFAULT_MAX_DEPTH = 64;

    private Json() {
    }

    /**
     * Parses a JSON document with the default nesting limit.
     *
     * @param text the complete document
     * @return the parsed value (types as described in the class documentation)
     * @throws JsonException if {@code text} is not valid JSON; the offset is a char index
     * @throws NullPointerException if {@code text} is null
     */
    public static Object parse(String text) {
        return parse(text, DEFAULT_MAX_DEPTH);
    }

    /**
     * Parses a JSON document with an explicit nesting limit.
     *
     * @param text     the complete document
     * @param maxDepth maximum number of nested arrays/objects (at least 1)
     * @return the parsed value
     * @throws JsonException if {@code text} is not valid JSON or nests deeper than allowed
     * @throws IllegalArgumentException if {@code maxDepth < 1}
     */
    public static Object parse(String text, int maxDepth) {
        if (text == null) {
            throw new NullPointerException("text");
        }
        if (maxDepth < 1) {
            throw new IllegalArgumentException("maxDepth must be at least 1: " + maxDepth);
        }
        return JsonParser.parse(text, maxDepth);
    }

    /**
     * Parses UTF-8 encoded JSON with the default nesting limit.
     *
     * @param utf8 the encoded document
     * @return the parsed value
     * @throws JsonException if the bytes are not valid UTF-8 (offset = byte index) or the text is
     *     not valid JSON (offset = char index into the decoded text)
     */
    public static Object parseUtf8(byte[] utf8) {
        return parseUtf8(ByteBuffer.wrap(utf8), DEFAULT_MAX_DEPTH);
    }

    /**
     * Parses UTF-8 encoded JSON from the remaining bytes of a buffer. The buffer's position is
     * advanced past the consumed bytes.
     *
     * @param utf8     the encoded document (position to limit)
     * @param maxDepth maximum number of nested arrays/objects
     * @return the parsed value
     * @throws JsonException if the bytes are not valid UTF-8 or the text is not valid JSON
     */
    public static Object parseUtf8(ByteBuffer utf8, int maxDepth) {
        return parse(decodeUtf8(utf8), maxDepth);
    }

    /**
     * Decodes UTF-8 strictly: malformed sequences, overlong forms, encoded surrogates and code
     * points above U+10FFFF are all errors instead of being replaced with U+FFFD, so that two
     * readers can never disagree about what a header says.
     *
     * @param utf8 the bytes (position to limit); the position is advanced
     * @return the decoded text
     * @throws JsonException naming the byte offset (relative to the initial position) of the
     *     first invalid sequence
     */
    public static String decodeUtf8(ByteBuffer utf8) {
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        int start = utf8.position();
        // UTF-8 never yields more UTF-16 units than bytes, so one buffer is always big enough.
        CharBuffer out = CharBuffer.allocate(utf8.remaining());
        CoderResult result = decoder.decode(utf8, out, true);
        if (!result.isError()) {
            result = decoder.flush(out);
        }
        if (result.isError()) {
            throw new JsonException("invalid UTF-8 (" + result.length() + " bad byte(s))",
                    utf8.position() - start);
        }
        out.flip();
        return out.toString();
    }

    /**
     * Writes a value as compact JSON (no insignificant whitespace).
     *
     * <p>Accepted: {@code null}, {@link String}, {@link Boolean}, {@link Number} (finite doubles
     * and floats; integral types; {@link java.math.BigDecimal}; other Number types if their
     * {@code toString} is a JSON number), {@link java.util.Map} with String keys (written in the
     * map's iteration order) and {@link java.util.Collection} (iteration order). Doubles are
     * written with {@link Double#toString(double)} and floats with {@link Float#toString(float)},
     * so they read back to exactly the same value.
     *
     * @param value the value to write
     * @return the JSON text; non-ASCII characters are kept as they are (encode it as UTF-8)
     * @throws IllegalArgumentException for unsupported types, non-finite numbers, non-String map
     *     keys, strings with unpaired surrogates, or nesting deeper than
     *     {@link #DEFAULT_MAX_DEPTH} (which also catches cyclic structures)
     */
    public static String write(Object value) {
        return JsonWriter.write(value, DEFAULT_MAX_DEPTH);
    }
}
