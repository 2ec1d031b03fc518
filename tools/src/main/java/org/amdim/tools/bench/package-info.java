/**
 * The JMH suite: each Java benchmark beside its C++ twin from {@link org.amdim.tensor.NativeBenchmarks} doing the
 * same work inside the shim, so that the cost of the Java/FFM layer shows as a ratio. Java benchmarks name their
 * twin with {@link org.amdim.tools.bench.NativeTwin}; {@link org.amdim.tools.bench.SummaryTable} prints the
 * ratios. Run with {@code amdim bench} or JMH's own {@code org.openjdk.jmh.Main}.
 */
package org.amdim.tools.bench;
