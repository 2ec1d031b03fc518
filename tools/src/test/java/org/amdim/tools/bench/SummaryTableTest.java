package org.amdim.tools.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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

    @Test
    void imagesPerSecondFromTimePerOpAndFromThroughput() {
        var perOp = new SummaryTable.Entry("a.B.step", Map.of("batch", "32"), 4000, 50, "ms/op", null, 32);
        assertEquals(8.0, perOp.imagesPerSecond().orElseThrow(), 1e-12);
        var perUs = new SummaryTable.Entry("a.B.step", Map.of(), 250, 5, "us/op", null, 64);
        assertEquals(256_000.0, perUs.imagesPerSecond().orElseThrow(), 1e-6);
        var throughput = new SummaryTable.Entry("a.B.step", Map.of(), 0.5, 0.1, "ops/s", null, 64);
        assertEquals(32.0, throughput.imagesPerSecond().orElseThrow(), 1e-12);
        var perMs = new SummaryTable.Entry("a.B.step", Map.of(), 2, 0.1, "ops/ms", null, 10);
        assertEquals(20_000.0, perMs.imagesPerSecond().orElseThrow(), 1e-9);
        assertEquals(Optional.empty(), new SummaryTable.Entry("a.B.x", Map.of(), 3, 0, "ms/op", null)
                .imagesPerSecond(), "no image count");
        assertEquals(Optional.empty(), new SummaryTable.Entry("a.B.x", Map.of(), 3, 0, "B/op", null, 8)
                .imagesPerSecond(), "not a time unit");
    }

    @Test
    void imagesPerOpComesFromTheAnnotatedParam() {
        String step = "org.amdim.tools.bench.TrainStepBench.step";
        assertEquals(64.0, SummaryTable.imagesOf(step, Map.of("batch", "64", "threads", "2")));
        assertTrue(Double.isNaN(SummaryTable.imagesOf(step, Map.of("threads", "2"))), "param missing");
        assertTrue(Double.isNaN(SummaryTable.imagesOf(OP + "addJava", Map.of("threads", "2"))), "not annotated");
        assertTrue(Double.isNaN(SummaryTable.imagesOf("com.example.Missing.run", Map.of("batch", "1"))));
    }

    @Test
    void markdownHasAnImageRateColumnOnlyWhenSomeRowHasARate() {
        var step = new SummaryTable.Entry("org.amdim.tools.bench.TrainStepBench.step", Map.of("batch", "32"),
                4000, 50, "ms/op", null, 32);
        var add = new SummaryTable.Entry(OP + "addCpp", Map.of("threads", "2"), 240.0, 3, "ns/op", null);
        String md = SummaryTable.markdown(SummaryTable.rows(List.of(step, add)));
        List<String> lines = md.lines().toList();
        assertTrue(lines.get(0).matches("\\| Benchmark +\\| Params +\\| +Score \\| +Error \\| Units \\| +img/s \\|"
                + " +Java/C\\+\\+ \\|"), lines.get(0));
        assertTrue(lines.get(2).matches(".*\\| ms/op \\| +8\\.00 \\| +\\|"), md);
        assertTrue(lines.get(3).matches(".*\\| ns/op \\| +\\| +\\|"), md);
        assertFalse(SummaryTable.markdown(SummaryTable.rows(List.of(add))).contains("img/s"));
    }
}
