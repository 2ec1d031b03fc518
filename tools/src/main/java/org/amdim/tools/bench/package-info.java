/**
 * The JMH suite, in two kinds. The op-level benchmarks ({@code OpOverheadBench}, {@code ConvBench},
 * {@code AdamBench}) run each Java benchmark beside its C++ twin from {@link org.amdim.tensor.NativeBenchmarks}
 * doing the same work inside the shim, so that the cost of the Java/FFM layer shows as a ratio; Java benchmarks
 * name their twin with {@link org.amdim.tools.bench.NativeTwin}. The model-scale benchmarks
 * ({@code TrainStepBench}, {@code EncoderBench}, {@code EmbedBench}, {@code AugmentationBench}) time a whole
 * training step, the encoder, embedding inference (the encoder module against its packed inference path), and the
 * input pipeline at the original's default configurations; they mark their images per operation
 * with {@link org.amdim.tools.bench.ImagesPerOp} and print the fork's peak RSS where the model is involved.
 * {@link org.amdim.tools.bench.SummaryTable} prints ratios and images per second. Run with {@code amdim bench} or
 * JMH's own {@code org.openjdk.jmh.Main}, with {@code OMP_WAIT_POLICY=PASSIVE} in the environment on machines
 * with few cores.
 */
package org.amdim.tools.bench;
