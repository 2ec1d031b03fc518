package org.amdim.tools.bench;

import java.util.ArrayList;
import java.util.List;

/**
 * Parameter shapes resembling AMDIM's CIFAR encoder (a 3×3 stem, three stages of residual blocks with
 * strided 4×4/2×2 entry convolutions, 1×1/3×3 bottlenecks and per-channel vectors, then 1×1 heads): 58 tensors,
 * 21,741,568 float32 values. Only the mix of sizes matters to the optimizer benchmark, not the architecture.
 */
final class CifarEncoderShapes {
    /**
     * One stage: an entry block changing the width, then {@code blocks} bottleneck blocks.
     *
     * @param in     input channels
     * @param out    output channels
     * @param kernel the entry convolution's kernel
     * @param blocks bottleneck blocks after the entry block
     */
    private record Stage(long in, long out, long kernel, int blocks) {
    }

    private static final List<Stage> STAGES = List.of(
            new Stage(128, 256, 4, 4), new Stage(256, 512, 4, 2), new Stage(512, 1024, 2, 1));
    private static final int HEADS = 3;
    private static final long HEAD_WIDTH = 1024;

    private CifarEncoderShapes() {
    }

    /** The shapes, in module order. */
    static List<long[]> shapes() {
        List<long[]> s = new ArrayList<>();
        s.add(new long[] {128, 3, 3, 3});
        s.add(new long[] {128});
        for (Stage st : STAGES) {
            s.add(new long[] {st.out(), st.in(), st.kernel(), st.kernel()});
            s.add(new long[] {st.out(), st.out(), 1, 1});
            s.add(new long[] {st.out(), st.in(), 1, 1}); // shortcut
            s.add(new long[] {st.out()});
            s.add(new long[] {st.out()});
            // The widest stage keeps its bottleneck 1×1 (as a 3×3 at 1024 channels would dwarf the rest).
            long k = st.out() >= 1024 ? 1 : 3;
            for (int b = 0; b < st.blocks(); b++) {
                s.add(new long[] {st.out(), st.out(), 1, 1});
                s.add(new long[] {st.out(), st.out(), k, k});
                s.add(new long[] {st.out(), st.out(), 1, 1});
                s.add(new long[] {st.out()});
                s.add(new long[] {st.out()});
            }
        }
        for (int h = 0; h < HEADS; h++) {
            s.add(new long[] {HEAD_WIDTH, HEAD_WIDTH, 1, 1});
            s.add(new long[] {HEAD_WIDTH});
        }
        return s;
    }
}
