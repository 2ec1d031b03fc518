package org.amdim.bench.ort;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The command line of {@link OrtEmbedBench}.
 *
 * @param model       the ONNX model (export_onnx.py's {@code P.onnx}: input images (B, 3, S, S), output r1)
 * @param batches     batch sizes, timed in this order
 * @param threads     ONNX Runtime intra-op threads
 * @param spin        whether ONNX Runtime's intra-op threads may spin while waiting for work (its default)
 * @param warmupTime  seconds of untimed batches before each batch size (at least one batch)
 * @param minTime     timed seconds per batch size, at least
 * @param minReps     timed batches per batch size, at least
 * @param check       export_onnx.py's {@code P.check.properties}: compare r1 with PyTorch's float64 reference
 *                    first; null skips it
 * @param label       the preset name printed in the result lines
 */
record Options(Path model, List<Integer> batches, int threads, boolean spin, double warmupTime, double minTime,
               int minReps, Path check, String label) {

    static final String USAGE = """
            usage: java -jar ort-bench.jar --model P.onnx [options]
              --batches 1,32,256     batch sizes (default 1,32,256)
              --threads 2            intra-op threads (default 2; inter-op 1, sequential execution)
              --no-spin              intra-op threads sleep instead of spinning (session.intra_op.allow_spinning=0)
              --warmup-time 1        untimed seconds per batch size, at least 1 batch (default 1)
              --min-time 3           timed seconds per batch size (default 3)
              --min-reps 3           timed batches per batch size, at least (default 3)
              --check P.check.properties   first compare r1 with PyTorch's float64 reference (export_onnx.py)
              --label NAME           the preset name in the result lines (default: the model's file name)
            prints per batch: RESULT side=ort preset=NAME batch=B img_s=.. ms_median=.. ms_min=.. ms_max=.. reps=..
            """;

    /** Parses {@code args}; throws {@link IllegalArgumentException} with the reason for a bad command line. */
    static Options parse(String[] args) {
        Path model = null;
        List<Integer> batches = List.of(1, 32, 256);
        int threads = 2;
        boolean spin = true;
        double warmupTime = 1;
        double minTime = 3;
        int minReps = 3;
        Path check = null;
        String label = null;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (a.equals("--no-spin")) {
                spin = false;
                continue;
            }
            if (i + 1 >= args.length) {
                throw new IllegalArgumentException(a.startsWith("--") ? a + " needs a value" : "unexpected " + a);
            }
            String v = args[++i];
            switch (a) {
                case "--model" -> model = Path.of(v);
                case "--batches" -> batches = positiveInts(a, v);
                case "--threads" -> threads = positiveInts(a, v).getFirst();
                case "--warmup-time" -> warmupTime = nonNegative(a, v);
                case "--min-time" -> minTime = nonNegative(a, v);
                case "--min-reps" -> minReps = positiveInts(a, v).getFirst();
                case "--check" -> check = Path.of(v);
                case "--label" -> label = v;
                default -> throw new IllegalArgumentException("unknown option " + a);
            }
        }
        if (model == null) {
            throw new IllegalArgumentException("--model is required");
        }
        if (label == null) {
            String name = model.getFileName().toString();
            label = name.endsWith(".onnx") ? name.substring(0, name.length() - 5) : name;
        }
        return new Options(model, batches, threads, spin, warmupTime, minTime, minReps, check, label);
    }

    private static List<Integer> positiveInts(String option, String value) {
        List<Integer> out = new ArrayList<>();
        for (String s : value.split(",", -1)) {
            int n;
            try {
                n = Integer.parseInt(s.trim());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(option + ": not an integer: '" + s + "'");
            }
            if (n < 1) {
                throw new IllegalArgumentException(option + ": must be at least 1, got " + n);
            }
            out.add(n);
        }
        return List.copyOf(out);
    }

    private static double nonNegative(String option, String value) {
        double d;
        try {
            d = Double.parseDouble(value);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(option + ": not a number: '" + value + "'");
        }
        if (!(d >= 0)) {
            throw new IllegalArgumentException(option + ": must be at least 0, got " + value);
        }
        return d;
    }
}
