package org.amdim.nn.io;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.Collection;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Compact JSON serialiser behind {@link Json#write(Object)}.
 *
 * <p>The output uses no insignificant whitespace and escapes only what JSON requires (quote,
 * backslash, control characters; short forms where JSON has them, lowercase <code>&#92;u00XX</code>
 * otherwise). That is the same convention as Python's {@code json.dumps(...,
 * separators=(",", ":"), ensure_ascii=False)} and Rust's serde_json, which is what makes headers
 * written here byte-identical to the reference files for the same content.
 */
final class JsonWriter {
    /** RFC 8259 number grammar, used to vet {@link Number} types whose toString we do not own. */
    private static final Pattern NUMBER =
            Pattern.compile("-?(?:0|[1-9][0-9]*)(?:\\.[0-9]+)?(?:[eE][+-]?[0-9]+)?");

    private static final char[] HEX = "0123456789abcdef".toCharArray();

    private final StringBuilder out = new StringBuilder();
    private final int maxDepth;

    private JsonWriter(int maxDepth) {
        this.maxDepth = maxDepth;
    }

    /**
     * Serialises {@code value}.
     *
     * @param value    see {@link Json#write(Object)} for the accepted types
     * @param maxDepth maximum nesting; also stops runaway recursion on cyclic structures
     * @return the JSON text
     * @throws IllegalArgumentException if the value (or something inside it) cannot be written
     */
    static String write(Object value, int maxDepth) {
        JsonWriter writer = new JsonWriter(maxDepth);
        writer.value(value, 0);
        return writer.out.toString();
    }

    private void value(Object value, int depth) {
        switch (value) {
            case null -> out.append("null");
            case String s -> string(s);
            case Boolean b -> out.append(b.booleanValue() ? "true" : "false");
            case Number n -> number(n);
            case Map<?, ?> map -> object(map, depth + 1);
            case Collection<?> list -> array(list, depth + 1);
            default -> throw new IllegalArgumentException(
                    "cannot write a " + value.getClass().getName() + " as JSON");
        }
    }

    private void checkDepth(int depth) {
        // Same limit as the parser's default, so everything written can be read back.
        if (depth > maxDepth) {
            throw new IllegalArgumentException(
                    "JSON nesting deeper than " + maxDepth + " levels (cyclic structure?)");
        }
    }

    private void object(Map<?, ?> map, int depth) {
        checkDepth(depth);
        out.append('{');
        boolean first = true;
        for (Map.Entry<?, ?> e : map.entrySet()) {
            if (!(e.getKey() instanceof String key)) {
                throw new IllegalArgumentException("JSON object keys must be strings, found "
                        + (e.getKey() == null ? "null" : e.getKey().getClass().getName()));
            }
            if (!first) {
                out.append(',');
            }
            first = false;
            string(key);
            out.append(':');
            value(e.getValue(), depth);
        }
        out.append('}');
    }

    private void array(Collection<?> list, int depth) {
        checkDepth(depth);
        out.append('[');
        boolean first = true;
        for (Object element : list) {
            if (!first) {
                out.append(',');
            }
            first = false;
            value(element, depth);
        }
        out.append(']');
    }

    private void number(Number n) {
        switch (n) {
            case Double d -> finite(d, Double.toString(d));
            case Float f -> finite(f, Float.toString(f)); // shortest text that reads back as f
            case Long l -> out.append(l.longValue());
            case Integer i -> out.append(i.intValue());
            case Short s -> out.append(s.shortValue());
            case Byte b -> out.append(b.byteValue());
            case BigInteger b -> out.append(b);
            case BigDecimal b -> vetted(b.toString());
            default -> vetted(n.toString());
        }
    }

    private void finite(double value, String text) {
        if (!Double.isFinite(value)) {
            throw new IllegalArgumentException("JSON cannot represent " + value);
        }
        // Java's "1.0E-4" is valid JSON as it stands (fraction and exponent are both allowed).
        out.append(text);
    }

    private void vetted(String text) {
        if (!NUMBER.matcher(text).matches()) {
            throw new IllegalArgumentException("not a JSON number: " + text);
        }
        out.append(text);
    }

    private void string(String s) {
        out.append('"');
        int runStart = 0;
        int n = s.length();
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            String shortEscape = switch (c) {
                case '"' -> "\\\"";
                case '\\' -> "\\\\";
                case '\n' -> "\\n";
                case '\r' -> "\\r";
                case '\t' -> "\\t";
                case '\b' -> "\\b";
                case '\f' -> "\\f";
                default -> null;
            };
            if (shortEscape != null) {
                out.append(s, runStart, i).append(shortEscape);
                runStart = i + 1;
            } else if (c < 0x20) {
                out.append(s, runStart, i).append("\\u00").append(HEX[c >> 4]).append(HEX[c & 0xf]);
                runStart = i + 1;
            } else if (Character.isHighSurrogate(c)) {
                if (i + 1 >= n || !Character.isLowSurrogate(s.charAt(i + 1))) {
                    throw unpaired(i);
                }
                i++; // keep the pair verbatim; it becomes one 4-byte UTF-8 sequence
            } else if (Character.isLowSurrogate(c)) {
                throw unpaired(i);
            }
        }
        out.append(s, runStart, n).append('"');
    }

    private static IllegalArgumentException unpaired(int index) {
        // An unpaired surrogate has no UTF-8 encoding; escaping it would produce JSON that
        // strict readers (including ours) reject.
        return new IllegalArgumentException("string has an unpaired surrogate at index " + index);
    }
}
