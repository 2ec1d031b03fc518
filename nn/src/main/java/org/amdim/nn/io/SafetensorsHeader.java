package org.amdim.nn.io;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Parses and validates the JSON header of a safetensors file against the size of its data
 * section. Nothing from the header is trusted until every check here has passed.
 *
 * <p>Rules (those of the reference implementation, plus the strictness the project wants):
 * <ul>
 *   <li>the header starts with <code>&#123;</code> and is one UTF-8 JSON object, optionally followed by
 *       whitespace (writers pad with spaces to a multiple of 8);</li>
 *   <li>{@code __metadata__}, if present, is an object whose values are all strings;</li>
 *   <li>every other key is a tensor: an object with exactly the fields {@code dtype} (a known
 *       {@link SafetensorsDType} string), {@code shape} (array of at most
 *       {@link SafetensorsEntry#MAX_RANK} non-negative integers whose product does not overflow)
 *       and {@code data_offsets} ({@code [begin, end]}, {@code 0 <= begin <= end <= data
 *       length});</li>
 *   <li>{@code end - begin == numel * element size};</li>
 *   <li>sorted by offset, the ranges tile the data section exactly: the first starts at 0, each
 *       starts where the previous one ended, the last ends at the end of the file. So there are
 *       no overlaps, no gaps and no trailing bytes. The format requires this ("the byte buffer
 *       needs to be entirely indexed, and cannot contain holes", which prevents polyglot files),
 *       and the reference reader rejects gaps ({@code InvalidOffset}) and uncovered trailing
 *       bytes ({@code MetadataIncompleteBuffer}) the same way.</li>
 * </ul>
 */
final class SafetensorsHeader {
    /** Key of the optional string-to-string metadata map. */
    static final String METADATA_KEY = "__metadata__";

    private static final Set<String> TENSOR_FIELDS = Set.of("dtype", "shape", "data_offsets");

    /** Longest tensor name or metadata key quoted in error messages. */
    private static final int QUOTE_LIMIT = 80;

    private final List<SafetensorsEntry> entries;
    private final Map<String, String> metadata;

    private SafetensorsHeader(List<SafetensorsEntry> entries, Map<String, String> metadata) {
        this.entries = entries;
        this.metadata = metadata;
    }

    /**
     * Returns the validated tensors in data order.
     *
     * @return unmodifiable list sorted by {@code (begin, end)}, ties (only possible between empty
     *     tensors) in header order
     */
    List<SafetensorsEntry> entries() {
        return entries;
    }

    /**
     * Returns the metadata.
     *
     * @return unmodifiable map in header order; empty when the header has no {@code __metadata__}
     */
    Map<String, String> metadata() {
        return metadata;
    }

    /**
     * Parses and validates a header.
     *
     * @param file       the file, for error messages only
     * @param header     the header bytes (exactly N bytes, position to limit)
     * @param dataLength size of the data section that follows the header
     * @return the validated header
     * @throws SafetensorsFormatException describing the first problem found
     */
    static SafetensorsHeader parse(Path file, ByteBuffer header, long dataLength)
            throws SafetensorsFormatException {
        if (!header.hasRemaining() || header.get(header.position()) != '{') {
            throw new SafetensorsFormatException(file, "header does not start with '{'");
        }
        Object root;
        try {
            root = Json.parseUtf8(header, Json.DEFAULT_MAX_DEPTH);
        } catch (JsonException e) {
            throw new SafetensorsFormatException(file,
                    "header is not valid UTF-8 JSON: " + e.getMessage() + " (within the header)",
                    e);
        }
        if (!(root instanceof Map<?, ?> map)) {
            // Unreachable after the '{' check unless the parser changes; kept as a guard.
            throw new SafetensorsFormatException(file, "header is not a JSON object");
        }
        Map<String, String> metadata = Map.of();
        List<SafetensorsEntry> entries = new ArrayList<>(map.size());
        for (Map.Entry<?, ?> e : map.entrySet()) {
            String key = (String) e.getKey(); // the parser only produces String keys
            if (METADATA_KEY.equals(key)) {
                metadata = metadata(file, e.getValue());
            } else {
                entries.add(entry(file, key, e.getValue(), dataLength));
            }
        }
        // List.sort is stable, so equal ranges (empty tensors) keep header order.
        entries.sort(Comparator.comparingLong(SafetensorsEntry::begin)
                .thenComparingLong(SafetensorsEntry::end));
        checkTiling(file, entries, dataLength);
        return new SafetensorsHeader(Collections.unmodifiableList(entries), metadata);
    }

    private static Map<String, String> metadata(Path file, Object value)
            throws SafetensorsFormatException {
        if (!(value instanceof Map<?, ?> map)) {
            throw new SafetensorsFormatException(file,
                    METADATA_KEY + " must be an object, found " + jsonType(value));
        }
        Map<String, String> result = new LinkedHashMap<>();
        for (Map.Entry<?, ?> e : map.entrySet()) {
            if (!(e.getValue() instanceof String s)) {
                throw new SafetensorsFormatException(file, METADATA_KEY + " entry "
                        + quote((String) e.getKey()) + " must be a string, found "
                        + jsonType(e.getValue()));
            }
            result.put((String) e.getKey(), s);
        }
        return Collections.unmodifiableMap(result);
    }

    private static SafetensorsEntry entry(Path file, String name, Object value, long dataLength)
            throws SafetensorsFormatException {
        String where = "tensor " + quote(name) + ": ";
        if (!(value instanceof Map<?, ?> fields)) {
            throw new SafetensorsFormatException(file,
                    where + "expected an object, found " + jsonType(value));
        }
        for (String required : TENSOR_FIELDS) {
            if (!fields.containsKey(required)) {
                throw new SafetensorsFormatException(file, where + "missing field '" + required
                        + "'");
            }
        }
        for (Object field : fields.keySet()) {
            if (!TENSOR_FIELDS.contains(field)) {
                throw new SafetensorsFormatException(file,
                        where + "unexpected field " + quote((String) field));
            }
        }

        if (!(fields.get("dtype") instanceof String dtypeName)) {
            throw new SafetensorsFormatException(file,
                    where + "dtype must be a string, found " + jsonType(fields.get("dtype")));
        }
        SafetensorsDType dtype = SafetensorsDType.fromHeaderName(dtypeName).orElseThrow(
                () -> new SafetensorsFormatException(file,
                        where + "unknown dtype " + quote(dtypeName)));

        long[] shape = integers(file, where, "shape", fields.get("shape"));
        if (shape.length > SafetensorsEntry.MAX_RANK) {
            throw new SafetensorsFormatException(file, where + "rank " + shape.length
                    + " exceeds the maximum of " + SafetensorsEntry.MAX_RANK);
        }
        for (long d : shape) {
            if (d < 0) {
                throw new SafetensorsFormatException(file,
                        where + "negative dimension " + d + " in shape");
            }
        }
        long byteSize;
        try {
            byteSize = SafetensorsEntry.byteSizeOf(dtype, shape);
        } catch (ArithmeticException e) {
            throw new SafetensorsFormatException(file,
                    where + "shape " + Arrays.toString(shape) + " of " + dtype
                            + " overflows a 64-bit byte count", e);
        }

        long[] offsets = integers(file, where, "data_offsets", fields.get("data_offsets"));
        if (offsets.length != 2) {
            throw new SafetensorsFormatException(file, where
                    + "data_offsets must have exactly 2 elements, found " + offsets.length);
        }
        long begin = offsets[0];
        long end = offsets[1];
        if (begin < 0 || end < begin) {
            throw new SafetensorsFormatException(file,
                    where + "invalid data_offsets [" + begin + ", " + end + "]");
        }
        if (end > dataLength) {
            throw new SafetensorsFormatException(file, where + "data_offsets [" + begin + ", "
                    + end + "] extend past the " + dataLength + "-byte data section");
        }
        if (end - begin != byteSize) {
            throw new SafetensorsFormatException(file, where + "data_offsets [" + begin + ", "
                    + end + "] span " + (end - begin) + " bytes but " + dtype + " "
                    + Arrays.toString(shape) + " needs " + byteSize);
        }
        return new SafetensorsEntry(name, dtype, shape, begin, end);
    }

    /** Reads a JSON array of integers (values that parsed as {@link Long}). */
    private static long[] integers(Path file, String where, String field, Object value)
            throws SafetensorsFormatException {
        if (!(value instanceof List<?> list)) {
            throw new SafetensorsFormatException(file,
                    where + field + " must be an array, found " + jsonType(value));
        }
        // Check the length before allocating: a hostile header may hold a huge array.
        if (list.size() > SafetensorsEntry.MAX_RANK) {
            throw new SafetensorsFormatException(file, where + field + " has " + list.size()
                    + " elements, more than the maximum of " + SafetensorsEntry.MAX_RANK);
        }
        long[] result = new long[list.size()];
        for (int i = 0; i < result.length; i++) {
            if (!(list.get(i) instanceof Long l)) {
                throw new SafetensorsFormatException(file, where + field + "[" + i
                        + "] must be a 64-bit integer, found "
                        + jsonType(list.get(i)));
            }
            result[i] = l;
        }
        return result;
    }

    private static void checkTiling(Path file, List<SafetensorsEntry> sorted, long dataLength)
            throws SafetensorsFormatException {
        long expected = 0;
        SafetensorsEntry previous = null;
        for (SafetensorsEntry e : sorted) {
            if (e.begin() < expected) {
                throw new SafetensorsFormatException(file, "tensor " + quote(e.name())
                        + ": data_offsets [" + e.begin() + ", " + e.end() + "] overlap tensor "
                        + quote(previous.name()) + " [" + previous.begin() + ", "
                        + previous.end() + "]");
            }
            if (e.begin() > expected) {
                throw new SafetensorsFormatException(file, "tensor " + quote(e.name())
                        + ": gap of " + (e.begin() - expected) + " bytes before its data_offsets ["
                        + e.begin() + ", " + e.end() + "] (tensor data must be contiguous)");
            }
            expected = e.end();
            previous = e;
        }
        if (expected != dataLength) {
            throw new SafetensorsFormatException(file, (dataLength - expected)
                    + " bytes at the end of the file are not covered by any tensor (data section "
                    + dataLength + " bytes, tensors end at " + expected + ")");
        }
    }

    /** Names the JSON type of a parsed value for error messages. */
    private static String jsonType(Object value) {
        return switch (value) {
            case null -> "null";
            case Map<?, ?> _ -> "an object";
            case List<?> _ -> "an array";
            case String _ -> "a string";
            case Long _ -> "an integer";
            case Double d -> "the number " + d; // fraction, exponent or beyond the long range
            case Boolean _ -> "a boolean";
            default -> value.getClass().getSimpleName();
        };
    }

    /**
     * Quotes a name from the file for an error message: control characters escaped, very long
     * names shortened, so a hostile header cannot make messages huge or garble a terminal.
     */
    static String quote(String s) {
        StringBuilder sb = new StringBuilder("'");
        int n = Math.min(s.length(), QUOTE_LIMIT);
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            if (c < 0x20 || c == 0x7f || Character.isSurrogate(c)) {
                // Surrogates too: the cut may fall inside a pair.
                sb.append(String.format("\\u%04x", (int) c));
            } else {
                sb.append(c);
            }
        }
        if (s.length() > n) {
            sb.append("...(").append(s.length()).append(" chars)");
        }
        return sb.append('\'').toString();
    }
}
