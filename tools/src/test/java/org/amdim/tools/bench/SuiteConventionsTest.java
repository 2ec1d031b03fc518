package org.amdim.tools.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.Set;

import org.amdim.data.augment.AugmentationPreset;
import org.amdim.model.encoder.EncoderConfig;
import org.junit.jupiter.api.Test;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Param;

/**
 * Rules every benchmark of the suite follows, checked over whatever {@link BenchSuite#list} finds, so that a
 * benchmark added later is held to them too.
 */
class SuiteConventionsTest {
    private static Set<Class<?>> benchmarkClasses() throws ClassNotFoundException {
        Set<Class<?>> classes = new LinkedHashSet<>();
        for (String name : BenchSuite.list(null)) {
            classes.add(Class.forName(name.substring(0, name.lastIndexOf('.'))));
        }
        return classes;
    }

    @Test
    void everyForkGetsNativeAccess() throws Exception {
        Set<Class<?>> classes = benchmarkClasses();
        assertTrue(classes.size() >= 3, classes.toString());
        for (Class<?> c : classes) {
            Fork fork = c.getAnnotation(Fork.class);
            assertNotNull(fork, c + " has no @Fork");
            assertTrue(Arrays.asList(fork.jvmArgsAppend()).contains(BenchSuite.NATIVE_ACCESS),
                    c + " forks without " + BenchSuite.NATIVE_ACCESS);
            for (Method m : c.getMethods()) {
                Fork f = m.getAnnotation(Fork.class);
                assertTrue(f == null || Arrays.asList(f.jvmArgsAppend()).contains(BenchSuite.NATIVE_ACCESS),
                        m + " overrides @Fork without native access");
            }
        }
    }

    @Test
    void everyBenchmarkHasTheThreadsParamDefaultingToTwo() throws Exception {
        for (Class<?> c : benchmarkClasses()) {
            Field f = c.getField(BenchSuite.THREADS_PARAM);
            assertEquals(int.class, f.getType(), c.toString());
            assertEquals(Integer.toString(BenchSuite.DEFAULT_THREADS), f.getAnnotation(Param.class).value()[0],
                    c.toString());
        }
    }

    @Test
    void everyTwinNamesABenchmarkOfTheSameClass() throws Exception {
        int twins = 0;
        for (Class<?> c : benchmarkClasses()) {
            for (Method m : c.getMethods()) {
                NativeTwin t = m.getAnnotation(NativeTwin.class);
                if (t == null) {
                    continue;
                }
                twins++;
                assertNotNull(m.getAnnotation(Benchmark.class), m + " has @NativeTwin but is no @Benchmark");
                Method twin = c.getMethod(t.value());
                assertNotNull(twin.getAnnotation(Benchmark.class), twin + " is named as a twin but is no @Benchmark");
            }
        }
        assertTrue(twins >= 5, "twins found: " + twins);
    }

    @Test
    void everyImageCountNamesAPositiveIntParamOfItsClass() throws Exception {
        int counted = 0;
        for (Class<?> c : benchmarkClasses()) {
            for (Method m : c.getMethods()) {
                ImagesPerOp a = m.getAnnotation(ImagesPerOp.class);
                if (a == null) {
                    continue;
                }
                counted++;
                assertNotNull(m.getAnnotation(Benchmark.class), m + " has @ImagesPerOp but is no @Benchmark");
                Field f = c.getField(a.value());
                assertEquals(int.class, f.getType(), f.toString());
                Param p = f.getAnnotation(Param.class);
                assertNotNull(p, f + " is no @Param");
                for (String v : p.value()) {
                    assertTrue(Integer.parseInt(v) > 0, f + " = " + v);
                }
            }
        }
        assertTrue(counted >= 4, "benchmarks counting images: " + counted);
    }

    @Test
    void everyBenchmarkWithABatchParamCountsImages() throws Exception {
        Set<Class<?>> batched = new LinkedHashSet<>();
        for (Class<?> c : benchmarkClasses()) {
            Field batch;
            try {
                batch = c.getField("batch");
            } catch (NoSuchFieldException e) {
                continue;
            }
            if (batch.getAnnotation(Param.class) == null) {
                continue;
            }
            batched.add(c);
            for (Method m : c.getMethods()) {
                if (m.getAnnotation(Benchmark.class) != null) {
                    ImagesPerOp a = m.getAnnotation(ImagesPerOp.class);
                    assertNotNull(a, m + " has a batch param but does not say it counts images");
                    assertEquals("batch", a.value(), m.toString());
                }
            }
        }
        assertEquals(Set.of(TrainStepBench.class, EncoderBench.class, AugmentationBench.class, EmbedBench.class),
                batched);
    }

    @Test
    void everyPresetParamValueIsAKnownPreset() throws Exception {
        int presets = 0;
        for (Class<?> c : benchmarkClasses()) {
            Field f;
            try {
                f = c.getField("preset");
            } catch (NoSuchFieldException e) {
                continue;
            }
            for (String v : f.getAnnotation(Param.class).value()) {
                assertEquals(v, BenchPreset.named(v).name());
                presets++;
            }
        }
        assertTrue(presets >= 6, "preset values: " + presets);
        assertEquals(EncoderConfig.stl10Default(), BenchPreset.named("stl10").encoder());
        assertEquals(AugmentationPreset.STL64, BenchPreset.named("stl10").augmentation());
        assertEquals(96, BenchPreset.named("stl10").sourceSide());
        assertEquals(EncoderConfig.cifar10Default(), BenchPreset.named("cifar10").encoder());
        assertEquals(new EncoderConfig(32, 32, 256, 2, false), BenchPreset.named("small").encoder());
        var e = assertThrows(IllegalArgumentException.class, () -> BenchPreset.named("cifar"));
        assertTrue(e.getMessage().contains("cifar10, stl10, imagenet"), e.getMessage());
    }

    @Test
    void adamShapesLookLikeTheCifarEncoder() {
        var shapes = CifarEncoderShapes.shapes();
        assertEquals(58, shapes.size());
        long total = shapes.stream().mapToLong(s -> Arrays.stream(s).reduce(1, Math::multiplyExact)).sum();
        assertEquals(21_741_568L, total);
        long vectors = shapes.stream().filter(s -> s.length == 1).count();
        assertTrue(vectors > 15 && vectors < shapes.size() - 15, "a mix of vectors and conv weights: " + vectors);
    }

    @Test
    void quickOptionsShortenTheRunAndKeepNativeAccess() {
        var opts = BenchSuite.options(new BenchSuite.Settings("Conv", java.nio.file.Path.of("out.json"), true, 3, 0))
                .build();
        assertEquals(2, opts.getWarmupIterations().get());
        assertEquals(3, opts.getMeasurementIterations().get());
        assertEquals(0, opts.getForkCount().get());
        assertEquals("out.json", opts.getResult().get());
        assertEquals(org.openjdk.jmh.results.format.ResultFormatType.JSON, opts.getResultFormat().get());
        assertTrue(opts.getJvmArgsAppend().get().contains(BenchSuite.NATIVE_ACCESS));
        assertEquals(java.util.List.of("3"), java.util.List.copyOf(opts.getParameter("threads").get()));
        assertEquals(java.util.List.of("Conv"), opts.getIncludes());
    }

    @Test
    void paramOverridesReachJmhBesideTheThreads() {
        var settings = new BenchSuite.Settings("Encoder", java.nio.file.Path.of("r.json"), true, 2, null,
                java.util.Map.of("batch", java.util.List.of("1", "32"), "preset", java.util.List.of("small")));
        var opts = BenchSuite.options(settings).build();
        assertEquals(java.util.List.of("1", "32"), java.util.List.copyOf(opts.getParameter("batch").get()));
        assertEquals(java.util.List.of("small"), java.util.List.copyOf(opts.getParameter("preset").get()));
        assertEquals(java.util.List.of("2"), java.util.List.copyOf(opts.getParameter("threads").get()));
    }

    @Test
    void threadsCannotBeOverriddenAsAParam() {
        var threads = java.util.Map.of(BenchSuite.THREADS_PARAM, java.util.List.of("4"));
        assertThrows(IllegalArgumentException.class,
                () -> new BenchSuite.Settings(null, java.nio.file.Path.of("r.json"), true, 2, null, threads));
        var empty = java.util.Map.of("batch", java.util.List.<String>of());
        assertThrows(IllegalArgumentException.class,
                () -> new BenchSuite.Settings(null, java.nio.file.Path.of("r.json"), true, 2, null, empty));
    }

    @Test
    void fullOptionsLeaveTheAnnotationsInCharge() {
        var opts = BenchSuite.options(new BenchSuite.Settings(null, java.nio.file.Path.of("r.json"), false, 2, null))
                .build();
        assertTrue(opts.getWarmupIterations().hasValue() == false);
        assertTrue(opts.getMeasurementIterations().hasValue() == false);
        assertTrue(opts.getForkCount().hasValue() == false);
    }
}
