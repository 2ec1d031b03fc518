package org.amdim.tools.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.junit.jupiter.api.Test;

/** The summary's twin ratios and Markdown layout. */
class SummaryTableTest {
    private static final String OP = "org.amdim.tools.bench.OpOverheadBench.";

    @Test
    void twinsComeFromTheAnnotations() {
        assertEquals(OP + "addCpp", SummaryTable.twinOf(OP + "addJava"));
        assertEquals(OP + "addCpp", SummaryTable.twinOf(OP + "addScopedJava"));
        assertNull(SummaryTable.twinOf(OP + "addCpp"));
        assertNull(SummaryTable.twinOf("com.example.Missing.run"));
    }

    @Test
    void ratioIsJavaOverCppForTheSameParams() {
        var java2 = new SummaryTable.Entry(OP + "addJava", Map.of("threads", "2"), 300, 6, "ns/op", OP + "addCpp");
        var cpp2 = new SummaryTable.Entry(OP + "addCpp", Map.of("threads", "2"), 200, 4, "ns/op", null);
        var java4 = new SummaryTable.Entry(OP + "addJava", Map.of("threads", "4"), 330, 6, "ns/op", OP + "addCpp");
        var rows = SummaryTable.rows(List.of(java2, cpp2, java4));
        assertEquals(Optional.of(1.5), rows.get(0).ratio());
        assertEquals(Optional.empty(), rows.get(1).ratio());
        assertEquals(Optional.empty(), rows.get(2).ratio(), "no C++ twin was measured with threads=4");
    }

    @Test
    void differentUnitsGiveNoRatio() {
        var java = new SummaryTable.Entry("a.B.x", Map.of(), 3, 0, "ms/op", "a.B.y");
        var cpp = new SummaryTable.Entry("a.B.y", Map.of(), 2, 0, "us/op", null);
        assertEquals(Optional.empty(), SummaryTable.rows(List.of(java, cpp)).get(0).ratio());
    }

    @Test
    void markdownTable() {
        var java = new SummaryTable.Entry(OP + "addJava", Map.of("threads", "2"), 312.345, 5.5, "ns/op", OP + "addCpp");
        var cpp = new SummaryTable.Entry(OP + "addCpp", Map.of("threads", "2"), 240.0, Double.NaN, "ns/op", null);
        String md = SummaryTable.markdown(SummaryTable.rows(List.of(java, cpp)));
        List<String> lines = md.lines().toList();
        assertEquals(4, lines.size(), md);
        assertTrue(lines.get(0).matches("\\| Benchmark +\\| Params +\\| +Score \\| +Error \\| Units \\| +Java/C\\+\\+ \\|"),
                lines.get(0));
        assertTrue(lines.get(1).matches("\\|[-: |]+\\|"), lines.get(1));
        assertTrue(lines.get(2).contains("| OpOverheadBench.addJava |"), md);
        assertTrue(lines.get(2).contains("| threads=2 |"), md);
        assertTrue(lines.get(2).contains(" 312 |"), md);
        assertTrue(lines.get(2).contains("| ± 5.50 |"), md);
        assertTrue(lines.get(2).contains("1.30 (vs addCpp) |"), md);
        assertTrue(lines.get(3).contains(" n/a |"), md);
        for (String l : lines) {
            assertEquals(lines.get(0).length(), l.length(), "columns line up:\n" + md);
        }
    }

    @Test
    void numbersKeepThreeSignificantDigits() {
        assertEquals("1235", SummaryTable.number(1234.5));
        assertEquals("12.3", SummaryTable.number(12.345));
        assertEquals("1.23", SummaryTable.number(1.2345));
        assertEquals("0.0123", SummaryTable.number(0.012345));
    }
}
