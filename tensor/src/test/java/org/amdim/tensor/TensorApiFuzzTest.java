package org.amdim.tensor;

import static org.junit.jupiter.api.Assertions.*;

import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;

import org.amdim.bindings.TorchException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Thousands of random tensor calls, right and wrong: random ops on random shapes (empty and 0-d included) and
 * dtypes, with bad dimensions, bad counts and closed operands. Every call must either succeed or throw one of the
 * documented exception types (see {@link Tensor}'s "Errors"), the JVM must survive, and every native handle must be
 * freed at the end.
 */
@ExtendWith(NoLeaks.class)
class TensorApiFuzzTest {
    private static final long SEED = 0x5EED_F022L;
    private static final int CALLS = 4000;
    private static final DType[] DTYPES = {DType.FLOAT32, DType.FLOAT64, DType.INT64, DType.INT32, DType.UINT8,
            DType.BOOL, DType.FLOAT16, DType.BFLOAT16};
    /** Dimensions, counts and sizes at and beyond every edge a Java or C++ check might miss. */
    private static final long[] EDGY = {0, 1, 2, 3, -1, -2, -5, 7, Integer.MAX_VALUE, Integer.MAX_VALUE + 1L,
            Integer.MIN_VALUE, Long.MAX_VALUE, Long.MIN_VALUE};

    /** One op: takes two operands and a random source, may return anything. */
    private interface Op {
        Object call(Tensor a, Tensor b, SplittableRandom r);
    }

    private static long dim(SplittableRandom r) {
        return r.nextInt(4) == 0 ? EDGY[r.nextInt(EDGY.length)] : r.nextInt(-4, 4);
    }

    private static long small(SplittableRandom r) {
        return r.nextInt(5) == 0 ? EDGY[r.nextInt(EDGY.length)] : r.nextInt(-1, 4);
    }

    /** Sizes for reshape/view/expand/repeat: small, so that no call can ask for gigabytes that happen to exist. */
    private static long[] shapeArg(SplittableRandom r) {
        long[] s = new long[r.nextInt(4)];
        for (int i = 0; i < s.length; i++) {
            s[i] = r.nextInt(-2, 4);
        }
        return s;
    }

    private static Tensor randomTensor(SplittableRandom r) {
        long[] shape = new long[r.nextInt(4)];
        for (int i = 0; i < shape.length; i++) {
            shape[i] = r.nextInt(4); // 0 makes an empty tensor
        }
        DType dtype = DTYPES[r.nextInt(DTYPES.length)];
        Tensor t;
        try {
            t = switch (r.nextInt(4)) {
                case 0 -> Tensor.zeros(dtype, Device.CPU, shape);
                case 1 -> Tensor.ones(dtype, Device.CPU, shape);
                case 2 -> Tensor.full(new double[] {Double.NaN, -3.5, 1e30, 7}[r.nextInt(4)], dtype, Device.CPU,
                        shape);
                default -> Tensor.empty(dtype, Device.CPU, shape);
            };
        } catch (TorchException e) {
            t = Tensor.zeros(dtype, Device.CPU, shape); // a fill value the dtype cannot hold (NaN as uint8)
        }
        if (r.nextInt(8) == 0 && t.dim() > 1) {
            t = t.transpose(0, t.dim() - 1); // non-contiguous
        }
        if (r.nextInt(3) == 0 && dtype == DType.FLOAT32 && t.dim() > 0 && Torch.mkldnnAvailable()) {
            t = t.toMkldnn(); // oneDNN's opaque layout: no strides, no data pointer
        }
        return t;
    }

    private static Map<String, Op> ops() {
        Map<String, Op> ops = new LinkedHashMap<>();
        ops.put("add", (a, b, r) -> a.add(b));
        ops.put("sub", (a, b, r) -> a.sub(b));
        ops.put("mul", (a, b, r) -> a.mul(b));
        ops.put("div", (a, b, r) -> a.div(b));
        ops.put("pow", (a, b, r) -> a.pow(b));
        ops.put("maximum", (a, b, r) -> a.maximum(b));
        ops.put("eq", (a, b, r) -> a.eq(b));
        ops.put("lt", (a, b, r) -> a.lt(b));
        ops.put("logicalAnd", (a, b, r) -> a.logicalAnd(b));
        ops.put("lerp", (a, b, r) -> a.lerp(b, 0.5));
        ops.put("maskedFill", (a, b, r) -> a.maskedFill(b, 1));
        ops.put("maskedSelect", (a, b, r) -> a.maskedSelect(b));
        ops.put("add_", (a, b, r) -> a.add_(b));
        ops.put("copy_", (a, b, r) -> a.copy_(b));
        ops.put("mul_scalar", (a, b, r) -> a.mul(r.nextDouble(-2, 2)));
        ops.put("remainder", (a, b, r) -> a.remainder(0));
        ops.put("neg", (a, b, r) -> a.neg());
        ops.put("exp", (a, b, r) -> a.exp());
        ops.put("log", (a, b, r) -> a.log());
        ops.put("rsqrt", (a, b, r) -> a.rsqrt());
        ops.put("sigmoid", (a, b, r) -> a.sigmoid());
        ops.put("relu_", (a, b, r) -> a.relu_());
        ops.put("round", (a, b, r) -> a.round());
        ops.put("clamp", (a, b, r) -> a.clamp(1, -1));
        ops.put("fill_", (a, b, r) -> a.fill_(Double.NaN));
        ops.put("allclose", (a, b, r) -> a.allclose(b, 1e-5, 1e-8));
        ops.put("sum", (a, b, r) -> a.sum());
        ops.put("sumDim", (a, b, r) -> a.sum(dim(r), r.nextBoolean()));
        ops.put("sumDims", (a, b, r) -> a.sum(new long[] {dim(r), dim(r)}, false));
        ops.put("mean", (a, b, r) -> a.mean());
        ops.put("meanDim", (a, b, r) -> a.mean(dim(r), true));
        ops.put("max", (a, b, r) -> a.max());
        ops.put("amax", (a, b, r) -> a.amax(new long[] {dim(r)}, false));
        ops.put("prod", (a, b, r) -> a.prod());
        ops.put("logsumexp", (a, b, r) -> a.logsumexp(dim(r), false));
        ops.put("var", (a, b, r) -> a.var(new long[] {dim(r)}, true, false));
        ops.put("norm", (a, b, r) -> a.norm());
        ops.put("maxDim", (a, b, r) -> a.maxDim(dim(r), false));
        ops.put("argmax", (a, b, r) -> a.argmax(dim(r), false));
        ops.put("cumsum", (a, b, r) -> a.cumsum(dim(r)));
        ops.put("mm", (a, b, r) -> a.mm(b));
        ops.put("matmul", (a, b, r) -> a.matmul(b));
        ops.put("bmm", (a, b, r) -> a.bmm(b));
        ops.put("softmax", (a, b, r) -> a.softmax(dim(r)));
        ops.put("logSoftmax", (a, b, r) -> a.logSoftmax(dim(r)));
        ops.put("reshape", (a, b, r) -> a.reshape(shapeArg(r)));
        ops.put("view", (a, b, r) -> a.view(shapeArg(r)));
        ops.put("permute", (a, b, r) -> a.permute(dim(r), dim(r)));
        ops.put("transpose", (a, b, r) -> a.transpose(dim(r), dim(r)));
        ops.put("t", (a, b, r) -> a.t());
        ops.put("expand", (a, b, r) -> a.expand(shapeArg(r)));
        ops.put("repeat", (a, b, r) -> a.repeat(shapeArg(r)));
        ops.put("squeeze", (a, b, r) -> a.squeeze(dim(r)));
        ops.put("unsqueeze", (a, b, r) -> a.unsqueeze(dim(r)));
        ops.put("flatten", (a, b, r) -> a.flatten(dim(r), dim(r)));
        ops.put("flip", (a, b, r) -> a.flip(dim(r)));
        ops.put("split", (a, b, r) -> a.split(small(r), dim(r)));
        ops.put("chunk", (a, b, r) -> a.chunk(small(r), dim(r)));
        ops.put("slice", (a, b, r) -> a.slice(dim(r), small(r), small(r), small(r)));
        ops.put("narrow", (a, b, r) -> a.narrow(dim(r), small(r), small(r)));
        ops.put("select", (a, b, r) -> a.select(dim(r), small(r)));
        ops.put("indexSelect", (a, b, r) -> a.indexSelect(dim(r), b));
        ops.put("gather", (a, b, r) -> a.gather(dim(r), b));
        ops.put("indexPut", (a, b, r) -> a.indexPut(b, b, r.nextBoolean()));
        ops.put("size", (a, b, r) -> a.size((int) dim(r)));
        ops.put("shape", (a, b, r) -> a.shape());
        ops.put("strides", (a, b, r) -> a.strides());
        ops.put("item", (a, b, r) -> a.item());
        ops.put("itemLong", (a, b, r) -> a.itemLong());
        ops.put("toFloatArray", (a, b, r) -> a.toFloatArray());
        ops.put("toBooleanArray", (a, b, r) -> a.toBooleanArray());
        ops.put("to", (a, b, r) -> a.to(DTYPES[r.nextInt(DTYPES.length)]));
        ops.put("contiguous", (a, b, r) -> a.contiguous(MemoryFormat.CHANNELS_LAST));
        ops.put("clone", (a, b, r) -> a.clone());
        ops.put("dataSegment", (a, b, r) -> a.dataSegment().byteSize());
        ops.put("dataSegmentAfterClose", (a, b, r) -> {
            var s = a.dataSegment();
            a.close();
            return s.byteSize() == 0 ? null : s.get(ValueLayout.JAVA_BYTE, 0);
        });
        ops.put("cat", (a, b, r) -> Tensor.cat(List.of(a, b), dim(r)));
        ops.put("stack", (a, b, r) -> Tensor.stack(List.of(a, b), dim(r)));
        ops.put("backward", (a, b, r) -> {
            Tensor leaf = a.requiresGrad(true);
            leaf.mul(2).sum().backward();
            return leaf.grad();
        });
        ops.put("backwardNonScalar", (a, b, r) -> {
            a.requiresGrad(true).backward();
            return null;
        });
        ops.put("toString", (a, b, r) -> a.toString());
        ops.put("toMkldnn", (a, b, r) -> a.toMkldnn());
        ops.put("toDense", (a, b, r) -> a.toDense());
        ops.put("layout", (a, b, r) -> a.layout());
        ops.put("copyToHeap", (a, b, r) -> {
            a.copyTo(java.lang.foreign.MemorySegment.ofArray(new byte[(int) Math.min(1 << 20,
                    a.numel() * a.dtype().byteSize())]));
            return null;
        });
        ops.put("conv2d", (a, b, r) -> Functional.conv2d(a, b, null, 1, 0));
        ops.put("avgPool2d", (a, b, r) -> Functional.avgPool2d(a, 1 + r.nextInt(2), 1));
        ops.put("batchNorm", (a, b, r) -> Functional.batchNorm(a, b, b, b, b, false, 0.1, 1e-5));
        ops.put("packConv2dWeight", (a, b, r) -> Functional.packConv2dWeight(a, new long[] {1, 1},
                new long[] {0, 0}, new long[] {1, 1}, small(r)));
        ops.put("mkldnnConv2d", (a, b, r) -> Functional.mkldnnConv2d(a, b, null, new long[] {1, 1},
                new long[] {0, 0}, new long[] {1, 1}, small(r)));
        ops.put("packedConv2d", (a, b, r) -> {
            try (PackedConv2d c = PackedConv2d.of(b, null, 1, 0)) {
                return c.apply(a);
            }
        });
        return ops;
    }

    @Test
    void randomCallsThrowOnlyDocumentedExceptionsAndLeaveNoHandles() {
        SplittableRandom r = new SplittableRandom(SEED);
        Map<String, Op> ops = ops();
        List<String> names = new ArrayList<>(ops.keySet());
        Map<String, Integer> outcomes = new TreeMap<>();
        long live = Tensor.liveHandles();
        for (int i = 0; i < CALLS; i++) {
            String name = names.get(r.nextInt(names.size()));
            try (var scope = TensorScope.open()) {
                Tensor a = randomTensor(r);
                Tensor b = r.nextInt(3) == 0 ? Tensor.randint(-2, 4, randomTensor(r).shape()) : randomTensor(r);
                if (r.nextInt(10) == 0) {
                    (r.nextBoolean() ? a : b).close();
                }
                String call = "call " + i + ": " + name + " on " + describe(a) + ", " + describe(b);
                try {
                    ops.get(name).call(a, b, r);
                    outcomes.merge("ok", 1, Integer::sum);
                } catch (TorchException | IllegalArgumentException | IllegalStateException e) {
                    outcomes.merge(e.getClass().getSimpleName(), 1, Integer::sum);
                } catch (RuntimeException | Error e) {
                    fail(call + " threw an undocumented " + e, e);
                }
            }
        }
        assertEquals(live, Tensor.liveHandles(), "every handle freed; outcomes " + outcomes);
        // The mix must exercise both sides, or the fuzzing proves little.
        assertTrue(outcomes.getOrDefault("ok", 0) > CALLS / 5, outcomes::toString);
        assertTrue(outcomes.getOrDefault("TorchException", 0) > CALLS / 20, outcomes::toString);
        assertTrue(outcomes.getOrDefault("IllegalStateException", 0) > 0, outcomes::toString);
        assertTrue(outcomes.getOrDefault("IllegalArgumentException", 0) > 0, outcomes::toString);
    }

    private static String describe(Tensor t) {
        return t.isClosed() ? "closed" : t.dtype() + java.util.Arrays.toString(t.shape())
                + (t.layout() == Layout.MKLDNN ? " mkldnn" : "");
    }
}
