/*
 * Images per second of the InferenceEncoder's paths (module, unfused and packed, whose r1 is the fused oneDNN
 * network) on one encoder, measured alternately in
 * one process: the ratios stay fair on a machine that others load, where EmbedBench's separate forks see different
 * loads. The complement to `amdim bench EmbedBench`, not a replacement.
 *
 *   export OMP_WAIT_POLICY=PASSIVE
 *   java --enable-native-access=ALL-UNNAMED -cp tools/target/amdim.jar scripts/bench/EmbedPaths.java \
 *        [ndf n_rkhs n_depth [rounds [threads]]]          # default: 128 1024 3 (CIFAR default), 5 rounds, 2 threads
 *
 * For each batch (1, 32, 256) it prints the best of `rounds` timings per path (each timing covers at least 64
 * images) and the ratios to the module (above 1: faster than the module).
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
            InferenceEncoder.Path[] paths = {InferenceEncoder.Path.MODULE, InferenceEncoder.Path.UNFUSED,
                InferenceEncoder.Path.PACKED};
            InferenceEncoder[] on = new InferenceEncoder[paths.length];
            try {
                for (int i = 0; i < paths.length; i++) {
                    on[i] = InferenceEncoder.of(encoder, paths[i]);
                }
                for (int batch : new int[] {1, 32, 256}) {
                    try (Tensor x = Tensor.randn(batch, 3, 32, 32)) {
                        int reps = Math.max(1, 64 / batch);
                        double[] best = new double[paths.length];
                        for (int i = 0; i < paths.length; i++) {
                            seconds(on[i], x, 2);
                            best[i] = Double.MAX_VALUE;
                        }
                        for (int r = 0; r < rounds; r++) {
                            for (int i = 0; i < paths.length; i++) {
                                best[i] = Math.min(best[i], seconds(on[i], x, reps));
                            }
                        }
                        StringBuilder line = new StringBuilder(String.format("%s threads %d batch %3d:", config,
                                threads, batch));
                        for (int i = 0; i < paths.length; i++) {
                            line.append(String.format(" %s %8.1f img/s", paths[i].cliName(), batch / best[i]));
                        }
                        for (int i = 1; i < paths.length; i++) {
                            line.append(String.format(", %s/module %.2f", paths[i].cliName(), best[0] / best[i]));
                        }
                        line.append(String.format(", packed/unfused %.2f", best[1] / best[2]));
                        System.out.println(line);
                    }
                }
            } finally {
                for (InferenceEncoder e : on) {
                    if (e != null) {
                        e.close();
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
