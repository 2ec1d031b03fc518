package org.amdim.tensor;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(NoLeaks.class)
class ElementwiseAndReductionTest {
    private static final float EPS = 1e-6f;

    private static Tensor v(float... x) {
        return Tensor.of(x);
    }

    @Test
    void arithmeticBroadcasts() {
        try (var scope = TensorScope.open()) {
            Tensor a = Tensor.of(new float[] {1, 2, 3, 4, 5, 6}, 2, 3);
            Tensor row = v(10, 20, 30);
            assertArrayEquals(new float[] {11, 22, 33, 14, 25, 36}, a.add(row).toFloatArray());
            assertArrayEquals(new float[] {-9, -18, -27, -6, -15, -24}, a.sub(row).toFloatArray());
            assertArrayEquals(new float[] {10, 40, 90, 40, 100, 180}, a.mul(row).toFloatArray());
            assertArrayEquals(new float[] {0.1f, 0.1f, 0.1f, 0.4f, 0.25f, 0.2f}, a.div(row).toFloatArray(), EPS);
            assertArrayEquals(new float[] {21, 42, 63, 24, 45, 66}, a.add(row, 2).toFloatArray());
            assertArrayEquals(new float[] {1, 4, 9, 16, 25, 36}, a.pow(2).toFloatArray());
            assertArrayEquals(new float[] {3, 4, 5, 6, 7, 8}, a.add(2).toFloatArray());
            assertArrayEquals(new float[] {2, 2, 3}, v(1, 2, 3).maximum(v(2, 2, 2)).toFloatArray());
            assertArrayEquals(new float[] {1, 2, 2}, v(1, 2, 3).minimum(v(2, 2, 2)).toFloatArray());
            assertArrayEquals(new float[] {1, 0, 1}, v(-3, 2, 5).remainder(2).toFloatArray());
        }
    }

    @Test
    void comparisonsGiveBooleans() {
        try (var scope = TensorScope.open()) {
            Tensor a = v(1, 2, 3);
            Tensor b = v(3, 2, 1);
            assertArrayEquals(new boolean[] {false, true, false}, a.eq(b).toBooleanArray());
            assertArrayEquals(new boolean[] {true, false, true}, a.ne(b).toBooleanArray());
            assertArrayEquals(new boolean[] {true, false, false}, a.lt(b).toBooleanArray());
            assertArrayEquals(new boolean[] {true, true, false}, a.le(b).toBooleanArray());
            assertArrayEquals(new boolean[] {false, false, true}, a.gt(b).toBooleanArray());
            assertArrayEquals(new boolean[] {false, true, true}, a.ge(2).toBooleanArray());
            assertEquals(DType.BOOL, a.gt(b).dtype());
            assertArrayEquals(new boolean[] {false, false, false}, a.lt(b).logicalAnd(a.gt(b)).toBooleanArray());
            assertArrayEquals(new boolean[] {true, false, true}, a.lt(b).logicalOr(a.gt(b)).toBooleanArray());
            assertArrayEquals(new boolean[] {false, true, false}, a.ne(b).logicalNot().toBooleanArray());
        }
    }

    @Test
    void unaryMath() {
        try (var scope = TensorScope.open()) {
            Tensor x = v(-1, 0, 0.5f, 2);
            assertArrayEquals(new float[] {1, -0f, -0.5f, -2}, x.neg().toFloatArray());
            assertArrayEquals(new float[] {1, 0, 0.5f, 2}, x.abs().toFloatArray());
            assertArrayEquals(new float[] {(float) Math.exp(-1), 1, (float) Math.exp(0.5), (float) Math.exp(2)},
                    x.exp().toFloatArray(), EPS);
            assertArrayEquals(new float[] {0, (float) Math.log(2)}, v(1, 2).log().toFloatArray(), EPS);
            assertArrayEquals(new float[] {2, 3}, v(4, 9).sqrt().toFloatArray(), EPS);
            assertArrayEquals(new float[] {0.5f, 1 / 3f}, v(4, 9).rsqrt().toFloatArray(), EPS);
            assertArrayEquals(new float[] {(float) Math.tanh(-1), 0, (float) Math.tanh(0.5), (float) Math.tanh(2)},
                    x.tanh().toFloatArray(), EPS);
            assertArrayEquals(new float[] {(float) (1 / (1 + Math.exp(1))), 0.5f}, v(-1, 0).sigmoid().toFloatArray(), EPS);
            assertArrayEquals(new float[] {0, 0, 0.5f, 2}, x.relu().toFloatArray());
            assertArrayEquals(new float[] {-0.5f, 0, 0.5f, 0.5f}, x.clamp(-0.5, 0.5).toFloatArray());
            assertArrayEquals(new float[] {0, 0, 0.5f, 2}, x.clampMin(0).toFloatArray());
            assertArrayEquals(new float[] {-1, 0, 0.5f, 1}, x.clampMax(1).toFloatArray());
            assertArrayEquals(new float[] {1, 0, 0.25f, 4}, x.square().toFloatArray());
            assertArrayEquals(new float[] {-1, 0, 1, 1}, x.sign().toFloatArray());
            assertArrayEquals(new float[] {-1, 0, 0, 2}, x.floor().toFloatArray());
            assertArrayEquals(new float[] {2, 4}, v(1, 2).lerp(v(3, 6), 0.5).toFloatArray());
        }
    }

    @Test
    void inPlaceOpsChangeTheTensor() {
        try (var scope = TensorScope.open()) {
            Tensor a = v(1, 2, 3);
            a.add_(v(1, 1, 1)).mul_(2).add_(v(1, 1, 1), 0.5).sub_(v(0.5f, 0.5f, 0.5f));
            assertArrayEquals(new float[] {4, 6, 8}, a.toFloatArray());
            a.div_(2);
            assertArrayEquals(new float[] {2, 3, 4}, a.toFloatArray());
            a.copy_(v(7, 8, 9));
            assertArrayEquals(new float[] {7, 8, 9}, a.toFloatArray());
            a.fill_(5);
            assertArrayEquals(new float[] {5, 5, 5}, a.toFloatArray());
            a.zero_();
            assertArrayEquals(new float[] {0, 0, 0}, a.toFloatArray());
            Tensor r = v(-1, 1);
            r.relu_();
            assertArrayEquals(new float[] {0, 1}, r.toFloatArray());
        }
    }

    @Test
    void topkSortsAndIndexesAlongADimension() {
        try (var scope = TensorScope.open()) {
            Tensor a = Tensor.of(new float[] {3, 1, 4, 1.5f, 9, 0, 6, 5}, 2, 4);
            try (var top = a.topk(2, 1, true)) {
                assertArrayEquals(new long[] {2, 2}, top.values().shape());
                assertArrayEquals(new float[] {4, 3, 9, 6}, top.values().toFloatArray());
                assertArrayEquals(new long[] {2, 0, 0, 2}, top.indices().toLongArray());
            }
            try (var low = a.topk(1, 0, false)) {
                assertArrayEquals(new float[] {3, 0, 4, 1.5f}, low.values().toFloatArray());
                assertArrayEquals(new long[] {0, 1, 0, 0}, low.indices().toLongArray());
            }
            try (var none = a.topk(0, -1, true)) {
                assertArrayEquals(new long[] {2, 0}, none.values().shape());
            }
            assertThrows(org.amdim.bindings.TorchException.class, () -> a.topk(5, 1, true), "k above the size");
            assertThrows(org.amdim.bindings.TorchException.class, () -> a.topk(-1, 1, true), "negative k");
            assertThrows(org.amdim.bindings.TorchException.class, () -> a.topk(1, 2, true), "dim out of range");
        }
    }

    @Test
    void reductionsWithDimsAndKeepdim() {
        try (var scope = TensorScope.open()) {
            Tensor a = Tensor.of(new float[] {1, 2, 3, 4, 5, 6}, 2, 3);
            assertEquals(21, a.sum().item());
            assertEquals(3.5, a.mean().item(), 1e-6);
            assertArrayEquals(new float[] {5, 7, 9}, a.sum(0, false).toFloatArray());
            assertArrayEquals(new long[] {2, 1}, a.sum(1, true).shape());
            assertArrayEquals(new float[] {2, 5}, a.mean(1, false).toFloatArray());
            assertEquals(6, a.max().item());
            assertEquals(1, a.min().item());
            assertArrayEquals(new float[] {3, 6}, a.amax(new long[] {1}, false).toFloatArray());
            assertEquals(5, a.argmax().itemLong());
            assertArrayEquals(new long[] {2, 2}, a.argmax(1, false).toLongArray());
            assertArrayEquals(new long[] {0, 0}, a.argmin(1, false).toLongArray());
            try (var mx = a.maxDim(0, false)) {
                assertArrayEquals(new float[] {4, 5, 6}, mx.values().toFloatArray());
                assertArrayEquals(new long[] {1, 1, 1}, mx.indices().toLongArray());
            }
            try (var mn = a.minDim(1, true)) {
                assertArrayEquals(new long[] {2, 1}, mn.values().shape());
                assertArrayEquals(new float[] {1, 4}, mn.values().toFloatArray());
            }
            double lse = Math.log(Math.exp(1) + Math.exp(2) + Math.exp(3));
            assertEquals(lse, a.logsumexp(1, false).toFloatArray()[0], 1e-5);
            assertEquals(720, a.prod().item());
            assertEquals(3.5, a.var(new long[0], true, false).item(), 1e-5);
            assertEquals(35.0 / 12, a.var(new long[0], false, false).item(), 1e-5);
            assertEquals(Math.sqrt(91), a.norm().item(), 1e-5);
            assertArrayEquals(new float[] {1, 3, 6}, v(1, 2, 3).cumsum(0).toFloatArray());
        }
    }

    @Test
    void linearAlgebra() {
        try (var scope = TensorScope.open()) {
            Tensor a = Tensor.of(new float[] {1, 2, 3, 4}, 2, 2);
            Tensor b = Tensor.of(new float[] {5, 6, 7, 8}, 2, 2);
            assertArrayEquals(new float[] {19, 22, 43, 50}, a.mm(b).toFloatArray());
            assertArrayEquals(new float[] {17, 39}, a.matmul(v(5, 6)).toFloatArray());
            Tensor ba = Tensor.stack(java.util.List.of(a, b), 0);
            Tensor bb = Tensor.stack(java.util.List.of(b, a), 0);
            assertArrayEquals(new float[] {19, 22, 43, 50, 23, 34, 31, 46}, ba.bmm(bb).toFloatArray());
            assertArrayEquals(new float[] {6, 15}, Functional.linear(v(1, 2).unsqueeze(0), a, v(1, 4)).toFloatArray());
        }
    }

    @Test
    void selectionOps() {
        try (var scope = TensorScope.open()) {
            Tensor a = v(1, 2, 3, 4);
            Tensor mask = Tensor.of(new boolean[] {true, false, true, false});
            assertArrayEquals(new float[] {1, 3}, a.maskedSelect(mask).toFloatArray());
            assertArrayEquals(new float[] {0, 2, 0, 4}, a.maskedFill(mask, 0).toFloatArray());
            assertArrayEquals(new float[] {1, 0, 3, 0}, Tensor.where(mask, a, Tensor.zeros(4)).toFloatArray());
            Tensor m = Tensor.of(new float[] {1, 2, 3, 4, 5, 6}, 2, 3);
            assertArrayEquals(new float[] {3, 1, 6, 4},
                    m.gather(1, Tensor.of(new long[] {2, 0, 2, 0}, 2, 2)).toFloatArray());
            assertArrayEquals(new float[] {3, 1, 6, 4}, m.indexSelect(1, Tensor.of(new long[] {2, 0})).toFloatArray());
            assertArrayEquals(new float[] {0, 10, 0, 20},
                    Tensor.zeros(4).indexPut(Tensor.of(new long[] {1, 3}), v(10, 20), false).toFloatArray());
            assertTrue(a.allclose(v(1, 2, 3, 4.000001f), 1e-5, 1e-8));
            assertFalse(a.allclose(v(1, 2, 3, 5), 1e-5, 1e-8));
        }
    }
}
