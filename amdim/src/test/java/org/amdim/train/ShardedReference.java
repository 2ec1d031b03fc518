package org.amdim.train;

import java.util.ArrayList;
import java.util.List;

import org.amdim.model.AmdimModel;
import org.amdim.model.encoder.Features;
import org.amdim.model.StepOutput;
import org.amdim.tensor.Tensor;

/**
 * The single-process reference of a data-parallel step: one model encodes every shard separately (so each batch norm
 * sees one shard's images, as in a process of the group), the features are concatenated, and the losses are those of
 * the whole batch ({@link AmdimModel#forwardLosses}). Nothing here uses a process group.
 */
final class ShardedReference {
    private ShardedReference() {
    }

    /**
     * The forward pass over the concatenated shards; the caller owns the output.
     *
     * @param x1 each shard's first views
     * @param x2 each shard's second views
     */
    static StepOutput forward(AmdimModel model, List<Tensor> x1, List<Tensor> x2, Tensor labels, long[] src1,
            long[] src2) {
        // No scope here: the output must outlive this method (it goes to the caller's scope, if any).
        List<Features> v1 = new ArrayList<>();
        List<Features> v2 = new ArrayList<>();
        try {
            for (int s = 0; s < x1.size(); s++) {
                v1.add(model.encode(x1.get(s)));
                v2.add(model.encode(x2.get(s)));
            }
            try (Features c1 = cat(v1); Features c2 = cat(v2)) {
                return model.forwardLosses(c1, c2, labels, src1, src2);
            }
        } finally {
            v1.forEach(Features::close);
            v2.forEach(Features::close);
        }
    }

    private static Features cat(List<Features> parts) {
        List<Tensor> r1 = new ArrayList<>();
        List<Tensor> r5 = new ArrayList<>();
        List<Tensor> r7 = new ArrayList<>();
        for (Features f : parts) {
            r1.add(f.r1());
            r5.add(f.r5());
            r7.add(f.r7());
        }
        return new Features(Tensor.cat(r1, 0), Tensor.cat(r5, 0), Tensor.cat(r7, 0));
    }
}
