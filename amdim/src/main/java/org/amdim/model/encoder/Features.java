package org.amdim.model.encoder;

import java.util.ArrayList;
import java.util.List;

import org.amdim.tensor.Tensor;
import org.amdim.tensor.TensorScope;

/**
 * The three embeddings an {@link Encoder} computes for a batch of B images, each with n_rkhs = R channels. The
 * record owns the tensors: {@link #close()} frees all three.
 *
 * @param r1 global embedding (B, R, 1, 1): the output of the final batch norm
 * @param r5 local embeddings (B, R, 5, 5) from the 5×5 feature map
 * @param r7 local embeddings (B, R, 7, 7) from the 7×7 feature map
 */
public record Features(Tensor r1, Tensor r5, Tensor r7) implements AutoCloseable {
    /**
     * The features of {@code n} equal parts of the batch, in order (views, without copies, of these tensors;
     * {@link Encoder#encodeJoint} puts view after view). These stay open; the caller closes the parts too.
     *
     * @throws IllegalArgumentException when the batch does not split into {@code n} equal parts
     */
    public List<Features> chunk(int n) {
        long batch = r1.size(0);
        if (n < 1 || batch % n != 0) {
            throw new IllegalArgumentException("a batch of " + batch + " does not split into " + n + " equal parts");
        }
        try (var scope = TensorScope.open()) {
            List<Tensor> a = r1.chunk(n, 0);
            List<Tensor> b = r5.chunk(n, 0);
            List<Tensor> c = r7.chunk(n, 0);
            List<Features> out = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                out.add(new Features(scope.keep(a.get(i)), scope.keep(b.get(i)), scope.keep(c.get(i))));
            }
            return out;
        }
    }

    /** Closes the three tensors. */
    @Override
    public void close() {
        r1.close();
        r5.close();
        r7.close();
    }
}
