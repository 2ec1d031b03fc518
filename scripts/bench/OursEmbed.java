import java.io.IOException;
import java.io.Reader;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;

import org.amdim.model.encoder.Encoder;
import org.amdim.model.encoder.EncoderConfig;
import org.amdim.nn.io.NamedTensors;
import org.amdim.nn.io.TensorFiles;
import org.amdim.tensor.Autograd;
import org.amdim.tensor.Tensor;
import org.amdim.tensor.TensorScope;
import org.amdim.tensor.Torch;

/**
 * Our side of scripts/bench/embed_vs_ort.sh without JMH, on the public API: the export's weights file loaded
 * strictly into {@link Encoder}, evaluation mode, no grad, {@link Encoder#encodeGlobal} (r1 alone), timed as the
 * ONNX Runtime and PyTorch sides are (warm-up, then single batches until a minimum time and count; the median).
 * It stands in for the JMH EmbedBench where the suite has none, and {@code --check} shows that our r1 of the
 * export's weights is PyTorch's, within the same float32 rounding bound as ONNX Runtime's. Run from the repository
 * root (Java's source launcher):
 *
 * <pre>
 * java --enable-native-access=ALL-UNNAMED -cp tools/target/amdim.jar scripts/bench/OursEmbed.java \
 *      --weights out/small.safetensors --batches 1,32,256 [--threads 2] [--min-time 3] [--check out/small.check.properties]
 * </pre>
 *
 * Prints {@code RESULT side=ours-module preset=P batch=B img_s=...} per batch, like the other sides.
 */
public final class OursEmbed {
    private OursEmbed() {
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> o = options(args);
        Path weights = Path.of(required(o, "--weights"));
        int threads = Integer.parseInt(o.getOrDefault("--threads", "2"));
        double warmupTime = Double.parseDouble(o.getOrDefault("--warmup-time", "1"));
        double minTime = Double.parseDouble(o.getOrDefault("--min-time", "3"));
        int minReps = Integer.parseInt(o.getOrDefault("--min-reps", "3"));
        List<Integer> batches = Arrays.stream(o.getOrDefault("--batches", "1,32,256").split(","))
                .map(Integer::parseInt).toList();

        Torch.setNumThreads(threads);
        try (NamedTensors state = TensorFiles.load(weights);
             Encoder encoder = Encoder.create(config(state.metadata()))) {
            encoder.loadStateDict(state.tensors(), true);
            encoder.eval();
            String preset = state.metadata().getOrDefault("preset", "?");
            System.out.printf(Locale.ROOT, "ours: libtorch %s | threads %d | %s | preset %s%n", Torch.version(),
                    Torch.getNumThreads(), encoder.config(), preset);
            if (o.containsKey("--check") && !check(encoder, Path.of(o.get("--check")))) {
                System.exit(1);
            }
            int side = encoder.config().inputSize();
            for (int batch : batches) {
                try (Tensor x = Tensor.randn(batch, 3, side, side)) {
                    double[] t = time(encoder, x, warmupTime, minTime, minReps);
                    double median = t.length % 2 == 1 ? t[t.length / 2] : (t[t.length / 2 - 1] + t[t.length / 2]) / 2;
                    System.out.printf(Locale.ROOT, "RESULT side=ours-module preset=%s batch=%d img_s=%.1f"
                            + " ms_median=%.3f ms_min=%.3f ms_max=%.3f reps=%d weights=same%n", preset, batch,
                            batch / median, median * 1e3, t[0] * 1e3, t[t.length - 1] * 1e3, t.length);
                }
            }
        }
    }

    /** The encoder configuration export_onnx.py recorded in the weights' metadata. */
    private static EncoderConfig config(Map<String, String> meta) {
        return new EncoderConfig(Integer.parseInt(meta.get("encoder_size")), Integer.parseInt(meta.get("ndf")),
                Integer.parseInt(meta.get("n_rkhs")), Integer.parseInt(meta.get("n_depth")),
                "true".equalsIgnoreCase(meta.get("use_bn")));
    }

    /** Sorted seconds per batch of the timed runs. */
    private static double[] time(Encoder encoder, Tensor x, double warmupTime, double minTime, int minReps) {
        double spent = 0;
        for (int n = 0; n < 1 || spent < warmupTime; n++) {
            spent += once(encoder, x);
        }
        List<Double> times = new ArrayList<>();
        double total = 0;
        while (times.size() < minReps || total < minTime) {
            double t = once(encoder, x);
            times.add(t);
            total += t;
        }
        return times.stream().mapToDouble(Double::doubleValue).sorted().toArray();
    }

    private static double once(Encoder encoder, Tensor x) {
        long start = System.nanoTime();
        try (var _ = Autograd.noGrad(); var _ = TensorScope.open()) {
            encoder.encodeGlobal(x).sum().item(); // r1 is computed; reading one value back ends the pass
        }
        return (System.nanoTime() - start) * 1e-9;
    }

    /** Our r1 of the check images against PyTorch's float64 r1, norm-wise, within the export's bound. */
    private static boolean check(Encoder encoder, Path properties) throws IOException {
        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(properties)) {
            p.load(r);
        }
        Path dir = properties.toAbsolutePath().getParent();
        int batch = Integer.parseInt(p.getProperty("batch"));
        int side = Integer.parseInt(p.getProperty("side"));
        ByteBuffer in = ByteBuffer.wrap(Files.readAllBytes(dir.resolve(p.getProperty("input"))))
                .order(ByteOrder.LITTLE_ENDIAN);
        ByteBuffer ref = ByteBuffer.wrap(Files.readAllBytes(dir.resolve(p.getProperty("expected"))))
                .order(ByteOrder.LITTLE_ENDIAN);
        float[] images = new float[in.remaining() / Float.BYTES];
        in.asFloatBuffer().get(images);
        double[] expected = new double[ref.remaining() / Double.BYTES];
        ref.asDoubleBuffer().get(expected);
        float[] r1;
        try (var _ = Autograd.noGrad(); var _ = TensorScope.open()) {
            r1 = encoder.encodeGlobal(Tensor.of(images, batch, 3, side, side)).contiguous().toFloatArray();
        }
        if (r1.length != expected.length) {
            throw new IllegalStateException("r1 has " + r1.length + " values, the reference " + expected.length);
        }
        double diff = 0;
        double norm = 0;
        for (int i = 0; i < r1.length; i++) {
            diff += (r1[i] - expected[i]) * (r1[i] - expected[i]);
            norm += expected[i] * expected[i];
        }
        double err = Math.sqrt(diff / norm);
        double tol = Double.parseDouble(p.getProperty("rel_tolerance"));
        System.out.printf(Locale.ROOT, "CHECK side=ours-module rel_error=%.3e rel_tolerance=%.3e %s%n", err, tol,
                err <= tol ? "OK" : "FAILED");
        return err <= tol;
    }

    private static Map<String, String> options(String[] args) {
        Map<String, String> o = new java.util.HashMap<>();
        for (int i = 0; i < args.length; i += 2) {
            if (!args[i].startsWith("--") || i + 1 >= args.length) {
                throw new IllegalArgumentException("expected --name value pairs, got " + Arrays.toString(args));
            }
            o.put(args[i], args[i + 1]);
        }
        return o;
    }

    private static String required(Map<String, String> o, String name) {
        String v = o.get(name);
        if (v == null) {
            throw new IllegalArgumentException(name + " is required");
        }
        return v;
    }
}
