package org.amdim.nn.io;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Strict RFC 8259 recursive-descent parser behind {@link Json#parse(String, int)}.
 *
 * <p>Recursion is bounded by {@code maxDepth}, so even hostile input such as a hundred thousand
 * {@code [} cannot overflow the Java stack; the parser needs a few stack frames per level only.
 * Every error carries the character offset where it was detected.
 */
final class JsonParser {
    private final String text;
    private final int maxDepth;
    private int pos;
    private int depth;

    private JsonParser(String text, int maxDepth) {
        this.text = text;
        this.maxDepth = maxDepth;
    }

    /**
     * Parses one complete JSON document.
     *
     * @param text     the document
     * @param maxDepth maximum number of nested arrays/objects
     * @return the value, see {@link Json#parse(String)} for the Java types used
     * @throws JsonException if the text is not exactly one valid JSON value (plus whitespace)
     */
    static Object parse(String text, int maxDepth) {
        JsonParser parser = new JsonParser(text, maxDepth);
        parser.skipWhitespace();
        if (parser.pos >= text.length()) {
            throw new JsonException("empty document: expected a JSON value", parser.pos);
        }
        Object value = parser.parseValue();
        parser.skipWhitespace();
        if (parser.pos != text.length()) {
            throw new JsonException(
                    "trailing " + describe(text.charAt(parser.pos)) + " after the JSON value",
                    parser.pos);
        }
        return value;
    }

    private Object parseValue() {
        if (pos >= text.length()) {
            throw new JsonException("unexpected end of input: expected a value", pos);
        }
        char c = text.charAt(pos);
        return switch (c) {
            case '{' -> parseObject();
            case '[' -> parseArray();
            case '"' -> parseString();
            case 't' -> literal("true", Boolean.TRUE);
            case 'f' -> literal("false", Boolean.FALSE);
            case 'n' -> literal("null", null);
            default -> {
                if (c == '-' || (c >= '0' && c <= '9')) {
                    yield parseNumber();
                }
                throw new JsonException("unexpected " + describe(c) + ": expected a value", pos);
            }
        };
    }

    private Object literal(String word, Object value) {
        if (!text.startsWith(word, pos)) {
            throw new JsonException("invalid literal: expected '" + word + "'", pos);
        }
        pos += word.length();
        return value;
    }

    private void enter() {
        if (++depth > maxDepth) {
            throw new JsonException("nesting deeper than " + maxDepth + " levels", pos);
        }
    }

    private Map<String, Object> parseObject() {
        enter();
        pos++; // '{'
        Map<String, Object> map = new LinkedHashMap<>();
        skipWhitespace();
        if (peek() == '}') {
            pos++;
            depth--;
            return map;
        }
        while (true) {
            skipWhitespace();
            if (peek() != '"') {
                throw new JsonException("expected a string key, found " + describeHere(), pos);
            }
            int keyStart = pos;
            String key = parseString();
            // RFC 8259 only says names SHOULD be unique; accepting duplicates would let two
            // readers see different values for the same key, so they are rejected.
            if (map.containsKey(key)) {
                throw new JsonException("duplicate key \"" + abbreviate(key) + "\"", keyStart);
            }
            skipWhitespace();
            expect(':');
            skipWhitespace();
            map.put(key, parseValue());
            skipWhitespace();
            char c = peek();
            if (c == ',') {
                pos++;
            } else if (c == '}') {
                pos++;
                depth--;
                return map;
            } else {
                throw new JsonException("expected ',' or '}', found " + describeHere(), pos);
            }
        }
    }

    private List<Object> parseArray() {
        enter();
        pos++; // '['
        List<Object> list = new ArrayList<>();
        skipWhitespace();
        if (peek() == ']') {
            pos++;
            depth--;
            return list;
        }
        while (true) {
            skipWhitespace();
            list.add(parseValue());
            skipWhitespace();
            char c = peek();
            if (c == ',') {
                pos++;
            } else if (c == ']') {
                pos++;
                depth--;
                return list;
            } else {
                throw new JsonException("expected ',' or ']', found " + describeHere(), pos);
            }
        }
    }

    private String parseString() {
        int start = pos;
        pos++; // opening quote
        StringBuilder sb = null;
        int runStart = pos;
        while (true) {
            if (pos >= text.length()) {
                throw new JsonException("unterminated string", start);
            }
            char c = text.charAt(pos);
            if (c == '"') {
                String result;
                if (sb == null) {
                    result = text.substring(runStart, pos);
                } else {
                    result = sb.append(text, runStart, pos).toString();
                }
                pos++;
                return result;
            }
            if (c == '\\') {
                if (sb == null) {
                    sb = new StringBuilder();
                }
                sb.append(text, runStart, pos);
                parseEscape(sb);
                runStart = pos;
            } else if (c < 0x20) {
                throw new JsonException(
                        "unescaped control character " + describe(c) + " in string", pos);
            } else if (Character.isHighSurrogate(c)) {
                // Only reachable when the caller passed a Java string directly; decoded UTF-8
                // never contains unpaired surrogates. Rejecting them keeps every parsed string
                // encodable as UTF-8 again by the writer.
                if (pos + 1 >= text.length() || !Character.isLowSurrogate(text.charAt(pos + 1))) {
                    throw new JsonException("unpaired surrogate " + describe(c) + " in string", pos);
                }
                pos += 2;
            } else if (Character.isLowSurrogate(c)) {
                throw new JsonException("unpaired surrogate " + describe(c) + " in string", pos);
            } else {
                pos++;
            }
        }
    }

    private void parseEscape(StringBuilder sb) {
        int escapeStart = pos;
        pos++; // backslash
        if (pos >= text.length()) {
            throw new JsonException("unterminated escape sequence", escapeStart);
        }
        char c = text.charAt(pos++);
        switch (c) {
            case '"' -> sb.append('"');
            case '\\' -> sb.append('\\');
            case '/' -> sb.append('/');
            case 'b' -> sb.append('\b');
            case 'f' -> sb.append('\f');
            case 'n' -> sb.append('\n');
            case 'r' -> sb.append('\r');
            case 't' -> sb.append('\t');
            case 'u' -> {
                char unit = readHex4(escapeStart);
                if (Character.isHighSurrogate(unit)) {
                    // A high surrogate escape is only meaningful as the first half of a pair.
                    if (!text.startsWith("\\u", pos)) {
                        throw new JsonException("unpaired surrogate escape", escapeStart);
                    }
                    int lowStart = pos;
                    pos += 2;
                    char low = readHex4(lowStart);
                    if (!Character.isLowSurrogate(low)) {
                        throw new JsonException("unpaired surrogate escape", escapeStart);
                    }
                    sb.append(unit).append(low);
                } else if (Character.isLowSurrogate(unit)) {
                    throw new JsonException("unpaired surrogate escape", escapeStart);
                } else {
                    sb.append(unit);
                }
            }
            default -> throw new JsonException("invalid escape sequence \\" + describe(c),
                    escapeStart);
        }
    }

    /** Reads the four hex digits after {@code \\u}; {@code pos} is just after the 'u'. */
    private char readHex4(int escapeStart) {
        if (pos + 4 > text.length()) {
            throw new JsonException("truncated \\u escape", escapeStart);
        }
        int value = 0;
        for (int i = 0; i < 4; i++) {
            int digit = hexValue(text.charAt(pos + i));
            if (digit < 0) {
                throw new JsonException("invalid hex digit in \\u escape", pos + i);
            }
            value = (value << 4) | digit;
        }
        pos += 4;
        return (char) value;
    }

    /** Value of an ASCII hex digit, or -1 (Character.digit would also take non-ASCII digits). */
    private static int hexValue(char c) {
        if (c >= '0' && c <= '9') {
            return c - '0';
        }
        if (c >= 'a' && c <= 'f') {
            return c - 'a' + 10;
        }
        if (c >= 'A' && c <= 'F') {
            return c - 'A' + 10;
        }
        return -1;
    }

    private Object parseNumber() {
        int start = pos;
        if (peek() == '-') {
            pos++;
        }
        char first = peek();
        if (first == '0') {
            pos++;
        } else if (first >= '1' && first <= '9') {
            skipDigits();
        } else {
            throw new JsonException("invalid number: expected a digit", pos);
        }
        boolean integral = true;
        if (peek() == '.') {
            pos++;
            requireDigits("after the decimal point");
            integral = false;
        }
        char e = peek();
        if (e == 'e' || e == 'E') {
            pos++;
            char sign = peek();
            if (sign == '+' || sign == '-') {
                pos++;
            }
            requireDigits("in the exponent");
            integral = false;
        }
        String literal = text.substring(start, pos);
        if (integral) {
            // Up to 18 digits always fit; longer ones might, Long.parseLong decides.
            try {
                return Long.parseLong(literal);
            } catch (NumberFormatException tooLarge) {
                // falls through to Double, as documented in Json#parse
            }
        }
        double value = Double.parseDouble(literal);
        if (Double.isInfinite(value)) {
            // JSON has no infinity; keeping it would make the value impossible to write back.
            throw new JsonException("number out of the double range", start);
        }
        return value;
    }

    private void requireDigits(String where) {
        char c = peek();
        if (c < '0' || c > '9') {
            throw new JsonException("invalid number: expected a digit " + where, pos);
        }
        skipDigits();
    }

    private void skipDigits() {
        while (pos < text.length()) {
            char c = text.charAt(pos);
            if (c < '0' || c > '9') {
                return;
            }
            pos++;
        }
    }

    private void expect(char c) {
        if (peek() != c) {
            throw new JsonException("expected '" + c + "', found " + describeHere(), pos);
        }
        pos++;
    }

    /** Returns the current character, or NUL at the end (NUL is never valid where peeked). */
    private char peek() {
        return pos < text.length() ? text.charAt(pos) : '\0';
    }

    private void skipWhitespace() {
        while (pos < text.length()) {
            char c = text.charAt(pos);
            if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
                return;
            }
            pos++;
        }
    }

    private String describeHere() {
        return pos < text.length() ? describe(text.charAt(pos)) : "end of input";
    }

    /** Human-readable form of a character for error messages, safe for any input. */
    static String describe(char c) {
        if (c >= 0x21 && c < 0x7f) {
            return "'" + c + "'";
        }
        return String.format("U+%04X", (int) c);
    }

    private static String abbreviate(String s) {
        return s.length() <= 40 ? s : s.substring(0, 40) + "...";
    }
}
