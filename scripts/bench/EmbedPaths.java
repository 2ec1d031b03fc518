/*
 * Images per second of the InferenceEncoder's two paths (module and packed) on one encoder, measured alternately in
 * one process: the ratios stay fair on a machine that others load, where EmbedBench's separate forks see different
 * loads. The complement to `amdim bench EmbedBench`, not a replacement.
 *
 *   export OMP_WAIT_POLICY=PASSIVE
 *   java --enable-native-access=ALL-UNNAMED -cp tools/target/amdim.jar scripts/bench/EmbedPaths.java \
 *        [ndf n_rkhs n_depth [rounds [threads]]]          # default: 128 1024 3 (CIFAR default), 5 rounds, 2 threads
 *
 * For each batch (1, 32, 256) it prints the best of `rounds` timings per path (each timing covers at least 64
 * images) and their ratio (above 1: packed faster).
 */
import org.amdim.model.encoder.Encoder;
import org.amdim.model.encoder.EncoderConfig;
import org.amdim.model.encoder.InferenceEncoder;
import org.amdim.tensor.Tensor;
import org.amdim.tensor.TensorScope;
import org.amdim.tensor.Torch;

public class EmbedPaths {
    public static void main(String[] args) {
        int ndf = args.length > 0 ? Integer.parseInt(args[0]) : EncoderConfig.DEFAULT_NDF;
        int rkhs = args.length > 1 ? Integer.parseInt(args[1]) : EncoderConfig.DEFAULT_N_RKHS;
        int depth = args.length > 2 ? Integer.parseInt(args[2]) : EncoderConfig.DEFAULT_N_DEPTH;
        int rounds = args.length > 3 ? Integer.parseInt(args[3]) : 5;
        int threads = args.length > 4 ? Integer.parseInt(args[4]) : 2;
        Torch.setNumThreads(threads);
        Torch.manualSeed(0);
        EncoderConfig config = new EncoderConfig(32, ndf, rkhs, depth, false);
        try (Encoder encoder = Encoder.create(config)) {
            encoder.eval();
            try (InferenceEncoder module = InferenceEncoder.of(encoder, InferenceEncoder.Path.MODULE);
                    InferenceEncoder packed = InferenceEncoder.of(encoder, InferenceEncoder.Path.PACKED)) {
                for (int batch : new int[] {1, 32, 256}) {
                    try (Tensor x = Tensor.randn(batch, 3, 32, 32)) {
                        int reps = Math.max(1, 64 / batch);
                        seconds(module, x, 2);
                        seconds(packed, x, 2);
                        double m = Double.MAX_VALUE;
                        double p = Double.MAX_VALUE;
                        for (int i = 0; i < rounds; i++) {
                            m = Math.min(m, seconds(module, x, reps));
                            p = Math.min(p, seconds(packed, x, reps));
                        }
                        System.out.printf("%s threads %d batch %3d: module %8.1f img/s, packed %8.1f img/s, packed/module"
                                + " %.2f%n", config, threads, batch, batch / m, batch / p, m / p);
                    }
                }
            }
        }
    }

    /** Seconds per pass over {@code reps} passes of r1. */
    private static double seconds(InferenceEncoder e, Tensor x, int reps) {
        long start = System.nanoTime();
        for (int i = 0; i < reps; i++) {
            try (var scope = TensorScope.open()) {
                e.encodeGlobal(x);
            }
        }
        return (System.nanoTime() - start) / 1e9 / reps;
    }
}
