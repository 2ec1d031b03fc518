package org.amdim.bench.ort;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.OrtSession.SessionOptions;
import ai.onnxruntime.TensorInfo;

/**
 * Times the AMDIM encoder's r1 in ONNX Runtime (CPU), as a JVM user would run it: one session with intra-op
 * threads as given (inter-op 1, sequential execution, all graph optimisations), one random N(0, 1) batch per batch
 * size, run repeatedly; prints the median images per second per batch size as one {@code RESULT} line each (see
 * {@link Options#USAGE}). With {@code --check} it first compares r1 with PyTorch's and exits 1 on a mismatch.
 */
public final class OrtEmbedBench {
    private static final long SEED = 0;

    private OrtEmbedBench() {
    }

    /** The entry point; exit status 2 for a bad command line, 1 for a failed check. */
    public static void main(String[] args) throws Exception {
        Options o;
        try {
            o = Options.parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println("ort-bench: " + e.getMessage());
            System.err.print(Options.USAGE);
            System.exit(2);
            return;
        }
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (SessionOptions so = sessionOptions(o);
             OrtSession session = env.createSession(o.model().toString(), so)) {
            String input = session.getInputNames().iterator().next();
            long[] shape = ((TensorInfo) session.getInputInfo().get(input).getInfo()).getShape();
            System.out.printf(Locale.ROOT, "onnxruntime %s | intra-op threads %d, inter-op 1, sequential, ALL_OPT,"
                    + " spinning %s | model %s | input %s %s%n", env.getVersion(), o.threads(),
                    o.spin() ? "on" : "off", o.model(), input, Arrays.toString(shape));
            if (o.check() != null) {
                OutputCheck.Result r = OutputCheck.run(env, session, input, o.check());
                System.out.println(r.line());
                if (!r.ok()) {
                    System.exit(1);
                }
            }
            for (int batch : o.batches()) {
                long[] batchShape = {batch, shape[1], shape[2], shape[3]};
                try (OnnxTensor x = OnnxTensor.createTensor(env, randomImages(batchShape), batchShape)) {
                    Map<String, OnnxTensor> feed = Map.of(input, x);
                    BatchTimer.Summary s = BatchTimer.time(() -> {
                        try (OrtSession.Result out = session.run(feed)) {
                            // Reading r1 back, as a user does, keeps the run honest.
                            ((OnnxTensor) out.get(0)).getFloatBuffer();
                        }
                    }, o.warmupTime(), o.minTime(), o.minReps());
                    System.out.printf(Locale.ROOT, "RESULT side=ort preset=%s batch=%d img_s=%.1f ms_median=%.3f"
                            + " ms_min=%.3f ms_max=%.3f reps=%d%n", o.label(), batch, batch / s.medianSeconds(),
                            s.medianSeconds() * 1e3, s.minSeconds() * 1e3, s.maxSeconds() * 1e3, s.reps());
                }
            }
        }
    }

    private static SessionOptions sessionOptions(Options o) throws Exception {
        SessionOptions so = new SessionOptions();
        try {
            so.setIntraOpNumThreads(o.threads());
            so.setInterOpNumThreads(1);
            so.setExecutionMode(SessionOptions.ExecutionMode.SEQUENTIAL);
            so.setOptimizationLevel(SessionOptions.OptLevel.ALL_OPT);
            if (!o.spin()) {
                so.addConfigEntry("session.intra_op.allow_spinning", "0");
            }
            return so;
        } catch (Exception e) {
            so.close();
            throw e;
        }
    }

    private static FloatBuffer randomImages(long[] shape) {
        long n = 1;
        for (long d : shape) {
            n = Math.multiplyExact(n, d);
        }
        FloatBuffer b = ByteBuffer.allocateDirect(Math.toIntExact(n * Float.BYTES)).order(ByteOrder.nativeOrder())
                .asFloatBuffer();
        Random r = new Random(SEED);
        for (long i = 0; i < n; i++) {
            b.put((float) r.nextGaussian());
        }
        return b.flip();
    }
}
