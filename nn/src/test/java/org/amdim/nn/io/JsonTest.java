package org.amdim.nn.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class JsonTest {

    @Test
    void parsesLiterals() {
        assertEquals(Boolean.TRUE, Json.parse("true"));
        assertEquals(Boolean.FALSE, Json.parse(" false "));
        assertNull(Json.parse("\r\n\tnull"));
        assertEquals("", Json.parse("\"\""));
    }

    @Test
    void integralNumbersAreLongsWhenTheyFit() {
        assertEquals(0L, Json.parse("0"));
        assertEquals(0L, Json.parse("-0"));
        assertEquals(123L, Json.parse("123"));
        assertEquals(Long.MAX_VALUE, Json.parse("9223372036854775807"));
        assertEquals(Long.MIN_VALUE, Json.parse("-9223372036854775808"));
        // One past the long range becomes a double.
        assertEquals(9.223372036854775808e18, Json.parse("9223372036854775808"));
        assertEquals(-1e30, Json.parse("-1000000000000000000000000000000"));
    }

    @Test
    void fractionsAndExponentsAreDoubles() {
        assertEquals(1.5, Json.parse("1.5"));
        assertEquals(100.0, Json.parse("1e2"));
        assertEquals(100.0, Json.parse("1E+2"));
        assertEquals(0.01, Json.parse("1e-2"));
        assertEquals(-0.0, Json.parse("-0.0"));
        assertEquals(1.0, Json.parse("1.0"));
        assertEquals(Double.MIN_VALUE, Json.parse("4.9e-324"));
        assertEquals(0.0, Json.parse("1e-400")); // underflow to zero is harmless
        assertEquals(Double.MAX_VALUE, Json.parse("1.7976931348623157e308"));
    }

    @Test
    void objectsKeepDocumentOrder() {
        Object v = Json.parse("{\"b\":1,\"a\":[true,null,\"x\"],\"c\":{}}");
        Map<?, ?> m = assertInstanceOf(LinkedHashMap.class, v);
        assertEquals(List.of("b", "a", "c"), new ArrayList<>(m.keySet()));
        assertEquals(Arrays.asList(true, null, "x"), m.get("a"));
        assertEquals(Map.of(), m.get("c"));
    }

    @Test
    void stringEscapes() {
        assertEquals("\"\\/\b\f\n\r\tA\u00e9\u4e2d",
                Json.parse("\"\\\"\\\\\\/\\b\\f\\n\\r\\t\\u0041\\u00e9\\u4E2D\""));
        assertEquals("\u0000", Json.parse("\"\\u0000\""));
        // Surrogate pair escape decodes to one supplementary character.
        assertEquals("\uD83D\uDE00", Json.parse("\"\\ud83d\\ude00\""));
        assertEquals(1, ((String) Json.parse("\"\\ud83d\\ude00\"")).codePointCount(0, 2));
    }

    @Test
    void rawUnicodeFromUtf8() {
        byte[] utf8 = "{\"gr\u00fc\u00df\":\"\u4e2d\u6587 \uD83D\uDE00\"}".getBytes(StandardCharsets.UTF_8);
        Map<?, ?> m = (Map<?, ?>) Json.parseUtf8(utf8);
        assertEquals("\u4e2d\u6587 \uD83D\uDE00", m.get("gr\u00fc\u00df"));
    }

    @Test
    void writerProducesCompactJsonAndRoundTrips() {
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("name", "amdim");
        doc.put("n", 42L);
        doc.put("x", 0.25);
        doc.put("ok", true);
        doc.put("none", null);
        doc.put("list", Arrays.asList(1L, -2L, "three", List.of(), Map.of()));
        String text = Json.write(doc);
        assertEquals("{\"name\":\"amdim\",\"n\":42,\"x\":0.25,\"ok\":true,\"none\":null,"
                + "\"list\":[1,-2,\"three\",[],{}]}", text);
        assertEquals(doc, Json.parse(text));
    }

    @Test
    void writerEscapesExactlyWhatJsonRequires() {
        assertEquals("\"a\\\"b\\\\c/\\n\\r\\t\\b\\f\\u0001\\u001f\u007f\u00e9\uD83D\uDE00\"",
                Json.write("a\"b\\c/\n\r\t\b\f\u0001\u001f\u007f\u00e9\uD83D\uDE00"));
        StringBuilder all = new StringBuilder();
        for (char c = 0; c < 0x80; c++) {
            all.append(c);
        }
        all.append("\u2028\u2029\uFFFF\uD800\uDC00");
        assertEquals(all.toString(), Json.parse(Json.write(all.toString())));
    }

    @Test
    void writerNumbers() {
        assertEquals("1.0E-4", Json.write(1e-4));
        assertEquals(1e-4, Json.parse(Json.write(1e-4)));
        assertEquals("1.0E-4", Json.write(1e-4f));
        assertEquals(1e-4f, ((Double) Json.parse(Json.write(1e-4f))).floatValue());
        assertEquals("-9223372036854775808", Json.write(Long.MIN_VALUE));
        assertEquals("7", Json.write(7));
        assertEquals("-3", Json.write((short) -3));
        assertEquals("12", Json.write((byte) 12));
        assertEquals("123456789012345678901234567890",
                Json.write(new BigInteger("123456789012345678901234567890")));
        assertEquals("1E+3", Json.write(new BigDecimal("1E+3")));
        assertEquals("5", Json.write(new AtomicLong(5)));
        assertEquals("-0.0", Json.write(-0.0));
        for (double d : new double[] {Math.PI, 1e300, -4.9e-324, 123456.789, 1.0 / 3}) {
            assertEquals(d, Json.parse(Json.write(d)));
        }
    }

    @Test
    void writerRejectsWhatJsonCannotRepresent() {
        assertThrows(IllegalArgumentException.class, () -> Json.write(Double.NaN));
        assertThrows(IllegalArgumentException.class, () -> Json.write(Float.POSITIVE_INFINITY));
        assertThrows(IllegalArgumentException.class, () -> Json.write(new Object()));
        assertThrows(IllegalArgumentException.class, () -> Json.write(Map.of(1, "x")));
        assertThrows(IllegalArgumentException.class, () -> Json.write("\uD800"));
        assertThrows(IllegalArgumentException.class, () -> Json.write("a\uDC00b"));
        assertThrows(IllegalArgumentException.class, () -> Json.write("\uDC00\uD800"));
        List<Object> cyclic = new ArrayList<>();
        cyclic.add(cyclic);
        assertThrows(IllegalArgumentException.class, () -> Json.write(cyclic));
    }

    @Test
    void depthLimit() {
        String ok = "[".repeat(Json.DEFAULT_MAX_DEPTH) + "]".repeat(Json.DEFAULT_MAX_DEPTH);
        assertInstanceOf(List.class, Json.parse(ok));
        String tooDeep = "[".repeat(Json.DEFAULT_MAX_DEPTH + 1)
                + "]".repeat(Json.DEFAULT_MAX_DEPTH + 1);
        JsonException e = assertThrows(JsonException.class, () -> Json.parse(tooDeep));
        assertEquals(Json.DEFAULT_MAX_DEPTH, e.offset());
        // Hostile input: fails fast at the limit instead of overflowing the stack.
        assertThrows(JsonException.class, () -> Json.parse("[".repeat(100_000)));
        assertThrows(JsonException.class, () -> Json.parse("{\"a\":".repeat(100_000)));
        assertThrows(JsonException.class, () -> Json.parse("[[[1]]]", 2));
        assertInstanceOf(List.class, Json.parse("[[1]]", 2));

        // The writer uses the same limit, so whatever it writes reads back.
        Object nested = List.of();
        for (int i = 1; i < Json.DEFAULT_MAX_DEPTH; i++) {
            nested = List.of(nested);
        }
        assertEquals(nested, Json.parse(Json.write(nested)));
        Object deeper = List.of(nested);
        assertThrows(IllegalArgumentException.class, () -> Json.write(deeper));
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "", " ", "{", "}", "[", "]", "[1,]", "[,1]", "[1 2]", "{\"a\":1,}", "{\"a\" 1}",
        "{a:1}", "{'a':1}", "{\"a\":}", "{,}", "{\"a\"}", "01", "-01", "1.", ".5", "1e", "1e+",
        "+1", "-", "--1", "0x10", "NaN", "Infinity", "-Infinity", "tru", "nul", "True", "\"abc",
        "\"\\x\"", "\"\\u12\"", "\"\\u12G4\"", "\"\\u\"", "\"\\", "\"\\ud800\"", "\"\\udc00\"",
        "\"\\ud800\\u0041\"", "\"\\ud800x\"", "\"\\ud800\\n\"", "\"\\uDBFF\\uDBFF\"",
        "\"tab\tinside\"", "\"nl\ninside\"", "\"\u0000\"", "[1] x", "{} {}", "1 2",
        "{\"a\":1,\"a\":2}", "{\"x\":{\"a\":1,\"b\":2,\"a\":3}}", "1e400", "-1e400",
        "\uFEFF{}", "\u00a0 1", "{\"a\":1}}", "[1]]", "\"\uD800\"", "\"\uDC00\"",
        "\"\\u\uFF11\uFF12\uFF13\uFF14\"", "[\u000b1]", "\f1"
    })
    void rejectsMalformedInput(String text) {
        JsonException e = assertThrows(JsonException.class, () -> Json.parse(text));
        assertTrue(e.offset() >= 0 && e.offset() <= text.length(), e.getMessage());
        assertTrue(e.getMessage().contains("at offset " + e.offset()), e.getMessage());
    }

    @Test
    void errorOffsetsPointAtTheProblem() {
        assertEquals(3, assertThrows(JsonException.class, () -> Json.parse("[1,]")).offset());
        // duplicate key: the offset of the second key's opening quote
        assertEquals(8, assertThrows(JsonException.class,
                () -> Json.parse("{\"a\":1, \"a\":2}")).offset());
        assertEquals(4, assertThrows(JsonException.class, () -> Json.parse("[1] x")).offset());
        assertEquals(1, assertThrows(JsonException.class, () -> Json.parse("\"\t\"")).offset());
    }

    @Test
    void rejectsInvalidUtf8WithByteOffset() {
        byte[][] bad = {
            {'"', (byte) 0xFF, '"'},                          // never valid in UTF-8
            {'"', (byte) 0xC0, (byte) 0xAF, '"'},             // overlong '/'
            {'"', (byte) 0xED, (byte) 0xA0, (byte) 0x80, '"'}, // encoded surrogate (CESU-8)
            {'"', (byte) 0xE4, (byte) 0xB8},                  // truncated sequence at the end
            {'"', (byte) 0xE4, (byte) 0xB8, '"'},             // truncated in the middle
            {'"', (byte) 0xF4, (byte) 0x90, (byte) 0x80, (byte) 0x80, '"'}, // above U+10FFFF
            {'"', (byte) 0x80, '"'},                          // stray continuation byte
        };
        for (byte[] b : bad) {
            JsonException e = assertThrows(JsonException.class, () -> Json.parseUtf8(b),
                    Arrays.toString(b));
            assertEquals(1, e.offset(), e.getMessage());
            assertTrue(e.getMessage().contains("UTF-8"), e.getMessage());
        }
    }

    @Test
    void parseUtf8FromBufferAdvancesPosition() {
        ByteBuffer buf = ByteBuffer.wrap("xx[1, 2]".getBytes(StandardCharsets.UTF_8));
        buf.position(2);
        assertEquals(List.of(1L, 2L), Json.parseUtf8(buf, Json.DEFAULT_MAX_DEPTH));
        assertEquals(buf.limit(), buf.position());
    }

    @Test
    void argumentChecks() {
        assertThrows(NullPointerException.class, () -> Json.parse(null));
        assertThrows(IllegalArgumentException.class, () -> Json.parse("1", 0));
    }
}
