package org.amdim.bench.ort;

import java.io.IOException;
import java.io.Reader;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;

/**
 * Checks the session's r1 against PyTorch's float64 r1 of the same images and weights, which export_onnx.py
 * writes beside the model ({@code P.check.properties} names the raw little-endian files and gives the float32
 * rounding bound). The error is norm-wise, |r1 - ref| / |ref|, as element-wise ratios blow up where r1 crosses
 * zero.
 */
final class OutputCheck {
    /**
     * The comparison.
     *
     * @param relError     |r1 - ref| / |ref|
     * @param relTolerance the export's float32 rounding bound
     */
    record Result(double relError, double relTolerance) {
        boolean ok() {
            return relError <= relTolerance;
        }

        String line() {
            return String.format(Locale.ROOT, "CHECK side=ort rel_error=%.3e rel_tolerance=%.3e %s", relError,
                    relTolerance, ok() ? "OK" : "FAILED");
        }
    }

    private OutputCheck() {
    }

    /** Runs the check's images through {@code session} (input {@code inputName}) and compares. */
    static Result run(OrtEnvironment env, OrtSession session, String inputName, Path properties) throws Exception {
        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(properties)) {
            p.load(r);
        }
        Path dir = properties.toAbsolutePath().getParent();
        long batch = Long.parseLong(p.getProperty("batch"));
        long channels = Long.parseLong(p.getProperty("channels"));
        long side = Long.parseLong(p.getProperty("side"));
        long width = Long.parseLong(p.getProperty("n_rkhs"));
        double tolerance = Double.parseDouble(p.getProperty("rel_tolerance"));
        ByteBuffer input = read(dir.resolve(p.getProperty("input")), batch * channels * side * side * Float.BYTES);
        ByteBuffer expected = read(dir.resolve(p.getProperty("expected")), batch * width * Double.BYTES);

        try (OnnxTensor x = OnnxTensor.createTensor(env, input.asFloatBuffer(),
                new long[] {batch, channels, side, side});
             OrtSession.Result out = session.run(Map.of(inputName, x))) {
            FloatBuffer r1 = ((OnnxTensor) out.get(0)).getFloatBuffer();
            if (r1.remaining() != batch * width) {
                throw new IllegalStateException("r1 has " + r1.remaining() + " values, expected " + batch * width);
            }
            double diff = 0;
            double norm = 0;
            for (int i = 0; i < batch * width; i++) {
                double e = expected.getDouble(i * Double.BYTES);
                double d = r1.get(i) - e;
                diff += d * d;
                norm += e * e;
            }
            return new Result(Math.sqrt(diff / norm), tolerance);
        }
    }

    private static ByteBuffer read(Path file, long bytes) throws IOException {
        byte[] data = Files.readAllBytes(file);
        if (data.length != bytes) {
            throw new IOException(file + ": " + data.length + " bytes, expected " + bytes);
        }
        ByteBuffer b = ByteBuffer.allocateDirect(data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.put(data).flip();
        return b;
    }
}
