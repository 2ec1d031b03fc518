package org.amdim.tensor;

import static org.junit.jupiter.api.Assertions.*;

import org.amdim.bindings.TorchException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * {@link Functional#batchNormChannelsLast}: the same function, running statistics and gradients as libtorch's
 * row-major training-mode batch norm (whose double sums it shares), in float64 to float64's rounding and in float32
 * to a bound derived from float32's; the same bits for any thread count; and its argument checks.
 */
@ExtendWith(NoLeaks.class)
class BatchNormChannelsLastTest {
    private static final double MOMENTUM = 0.1;
    private static final double EPS = 1e-5;
    /** float32's unit roundoff, 2^-24. */
    private static final double U32 = 0x1p-24;

    /** What one training-mode batch norm produced: the output, the running statistics and the three gradients. */
    private record Run(Tensor y, Tensor runningMean, Tensor runningVar, Tensor dx, Tensor dw, Tensor db) {
    }

    /**
     * One forward and backward of {@code y·dy} summed, through this operator ({@code nhwc}) or libtorch's row-major
     * kernel on a row-major copy. Inputs are copied, so both routes start from the same values.
     */
    private static Run run(boolean nhwc, Tensor x, Tensor w, Tensor b, Tensor rm, Tensor rv, Tensor dy) {
        Tensor xi = (nhwc ? x.contiguous(MemoryFormat.CHANNELS_LAST) : x.contiguous()).detach().requiresGrad(true);
        Tensor wi = w == null ? null : w.detach().clone().requiresGrad(true);
        Tensor bi = b == null ? null : b.detach().clone().requiresGrad(true);
        Tensor rmi = rm == null ? null : rm.clone();
        Tensor rvi = rv == null ? null : rv.clone();
        Tensor y = nhwc
                ? Functional.batchNormChannelsLast(xi, rmi, rvi, wi, bi, MOMENTUM, EPS)
                : Functional.batchNorm(xi, rmi, rvi, wi, bi, true, MOMENTUM, EPS);
        y.mul(dy).sum().backward();
        return new Run(y.detach(), rmi, rvi, xi.grad(), wi == null ? null : wi.grad(), bi == null ? null : bi.grad());
    }

    private static double maxAbs(Tensor t) {
        return t.abs().max().item();
    }

    @Test
    void float64MatchesLibtorchsRowMajorKernel() {
        Torch.manualSeed(21);
        try (var scope = TensorScope.open()) {
            // Channel means away from 0 and spreads away from 1, so that neither is trivially right.
            Tensor x = Tensor.randn(DType.FLOAT64, Device.CPU, 5, 7, 3, 4).mul(3).add(2);
            Tensor w = Tensor.randn(DType.FLOAT64, Device.CPU, 7);
            Tensor b = Tensor.randn(DType.FLOAT64, Device.CPU, 7);
            Tensor rm = Tensor.randn(DType.FLOAT64, Device.CPU, 7);
            Tensor rv = Tensor.rand(DType.FLOAT64, Device.CPU, 7).add(0.5);
            Tensor dy = Tensor.randn(DType.FLOAT64, Device.CPU, 5, 7, 3, 4);
            Run got = run(true, x, w, b, rm, rv, dy);
            Run want = run(false, x, w, b, rm, rv, dy);
            assertTrue(got.y().isContiguous(MemoryFormat.CHANNELS_LAST), "the output is channels-last");
            // Both sum M = 60 values per channel in double and differ in summation order only: at most M·u64
            // (≈ 7e-15) of the terms' scale apart. 1e-12 of each tensor's largest value leaves a wide margin and
            // still fails any error of the formula.
            for (String name : new String[] {"y", "running_mean", "running_var", "dx", "dw", "db"}) {
                Tensor a = pick(got, name);
                Tensor e = pick(want, name);
                Closeness.assertWithin("float64 " + name, a, e, 1e-12 * maxAbs(e), 0);
            }
        }
    }

    private static Tensor pick(Run r, String name) {
        return switch (name) {
            case "y" -> r.y();
            case "running_mean" -> r.runningMean();
            case "running_var" -> r.runningVar();
            case "dx" -> r.dx();
            case "dw" -> r.dw();
            default -> r.db();
        };
    }

    @Test
    void float32MatchesFloat64WithinItsRounding() {
        Torch.manualSeed(22);
        try (var scope = TensorScope.open()) {
            long n = 6;
            long c = 16;
            long h = 9;
            long m = n * h * h;
            Tensor x64 = Tensor.randn(DType.FLOAT64, Device.CPU, n, c, h, h).mul(2).add(5).to(DType.FLOAT32)
                    .to(DType.FLOAT64);
            Tensor w64 = Tensor.randn(DType.FLOAT64, Device.CPU, c).to(DType.FLOAT32).to(DType.FLOAT64);
            Tensor b64 = Tensor.randn(DType.FLOAT64, Device.CPU, c).to(DType.FLOAT32).to(DType.FLOAT64);
            Tensor dy64 = Tensor.randn(DType.FLOAT64, Device.CPU, n, c, h, h).to(DType.FLOAT32).to(DType.FLOAT64);
            Tensor ones = Tensor.ones(DType.FLOAT64, Device.CPU, c);
            Run want = run(false, x64, w64, b64, ones.mul(0), ones, dy64);
            Run got = run(true, x64.to(DType.FLOAT32), w64.to(DType.FLOAT32), b64.to(DType.FLOAT32),
                    ones.mul(0).to(DType.FLOAT32), ones.to(DType.FLOAT32), dy64.to(DType.FLOAT32));
            // The inputs are float32 values, so only the operator's own rounding differs. Every float32 result is
            // at most a few roundings (u = 2^-24 each) away from its terms: y = x·α + β after rounding the mean,
            // invstd, α and β (≈ 6 roundings of |x|·|α| + |β|); dx = ((dy − ḡ) − (x − mean)·k)·s after rounding ḡ, k
            // and s (≈ 7 of |s|·(|dy| + |ḡ| + |x − mean|·|k|)); dw and db are double sums rounded once, of
            // Σ|x − mean|·|dy|·invstd and Σ|dy| at most, plus (x − mean)'s own rounding in each term. 16u of the
            // terms' scale covers all of them with a factor of 2; the scales below are upper bounds of it (largest
            // factors multiplied), so the check is looser than that, never tighter.
            Tensor mean = x64.mean(new long[] {0, 2, 3}, false);
            Tensor invstd = x64.var(new long[] {0, 2, 3}, false, false).add(EPS).rsqrt();
            double alpha = maxAbs(invstd.mul(w64));
            double beta = maxAbs(b64) + maxAbs(mean) * alpha;
            double centred = maxAbs(x64.sub(mean.reshape(1, c, 1, 1)));
            double k = maxAbs(want.dw()) * maxAbs(invstd) / m;
            double gradMean = maxAbs(want.db()) / m;
            double sumAbsDy = maxAbs(dy64.abs().sum(new long[] {0, 2, 3}, false));
            check("y", got.y(), want.y(), 16 * U32 * (maxAbs(x64) * alpha + beta));
            check("dx", got.dx(), want.dx(), 16 * U32 * alpha * (maxAbs(dy64) + gradMean + centred * k));
            check("dw", got.dw(), want.dw(), 16 * U32 * centred * sumAbsDy * maxAbs(invstd));
            check("db", got.db(), want.db(), 16 * U32 * sumAbsDy);
            // Running statistics: a blend of the batch's, each rounded a few times relative to its size.
            check("running_mean", got.runningMean(), want.runningMean(), 16 * U32 * maxAbs(mean));
            check("running_var", got.runningVar(), want.runningVar(), 16 * U32 * maxAbs(want.runningVar()));
        }
    }

    private static void check(String what, Tensor float32, Tensor float64, double atol) {
        Closeness.assertWithin("float32 " + what, float32.to(DType.FLOAT64), float64, atol, 0);
    }

    @Test
    void givesTheSameBitsForAnyThreadCount() {
        int threads = Torch.getNumThreads();
        Torch.manualSeed(23);
        try (var scope = TensorScope.open()) {
            // M = 4·12·12 = 576 rows: three blocks of the channel sums.
            Tensor x = Tensor.randn(4, 16, 12, 12).mul(3).add(1);
            Tensor w = Tensor.randn(16);
            Tensor b = Tensor.randn(16);
            Tensor dy = Tensor.randn(4, 16, 12, 12);
            Torch.setNumThreads(1);
            Run one = run(true, x, w, b, null, null, dy);
            Torch.setNumThreads(2);
            Run two = run(true, x, w, b, null, null, dy);
            assertArrayEquals(one.y().toDoubleArray(), two.y().toDoubleArray());
            assertArrayEquals(one.dx().toDoubleArray(), two.dx().toDoubleArray());
            assertArrayEquals(one.dw().toDoubleArray(), two.dw().toDoubleArray());
            assertArrayEquals(one.db().toDoubleArray(), two.db().toDoubleArray());
        } finally {
            Torch.setNumThreads(threads);
        }
    }

    @Test
    void rowMajorInputGivesTheSameAsItsChannelsLastCopy() {
        Torch.manualSeed(24);
        try (var scope = TensorScope.open()) {
            Tensor x = Tensor.randn(3, 5, 4, 4);
            Tensor rowMajor = Functional.batchNormChannelsLast(x, null, null, null, null, MOMENTUM, EPS);
            Tensor nhwc = Functional.batchNormChannelsLast(x.contiguous(MemoryFormat.CHANNELS_LAST), null, null, null,
                    null, MOMENTUM, EPS);
            assertTrue(rowMajor.isContiguous(MemoryFormat.CHANNELS_LAST));
            assertArrayEquals(nhwc.toDoubleArray(), rowMajor.toDoubleArray());
        }
    }

    @Test
    void withoutAffineParametersOnlyTheInputHasAGradient() {
        Torch.manualSeed(25);
        try (var scope = TensorScope.open()) {
            Tensor x = Tensor.randn(DType.FLOAT64, Device.CPU, 4, 3, 2, 5);
            Tensor dy = Tensor.randn(DType.FLOAT64, Device.CPU, 4, 3, 2, 5);
            Run got = run(true, x, null, null, null, null, dy);
            Run want = run(false, x, null, null, null, null, dy);
            Closeness.assertWithin("y without weight and bias", got.y(), want.y(), 1e-12 * maxAbs(want.y()), 0);
            Closeness.assertWithin("dx without weight and bias", got.dx(), want.dx(), 1e-12 * maxAbs(want.dx()), 0);
        }
    }

    @Test
    void refusesWhatItCannotNormalise() {
        try (var scope = TensorScope.open()) {
            assertMessage("(N, C, H, W)", () -> Functional.batchNormChannelsLast(Tensor.randn(4, 3, 5), null, null,
                    null, null, MOMENTUM, EPS));
            assertMessage("float32 or float64", () -> Functional.batchNormChannelsLast(
                    Tensor.zeros(DType.INT64, Device.CPU, 2, 3, 2, 2), null, null, null, null, MOMENTUM, EPS));
            assertMessage("more than 1 value per channel", () -> Functional.batchNormChannelsLast(
                    Tensor.randn(1, 3, 1, 1), null, null, null, null, MOMENTUM, EPS));
            assertMessage("weight must be (3,)", () -> Functional.batchNormChannelsLast(Tensor.randn(2, 3, 2, 2),
                    null, null, Tensor.ones(4), null, MOMENTUM, EPS));
            assertMessage("running_var must be (3,)", () -> Functional.batchNormChannelsLast(
                    Tensor.randn(2, 3, 2, 2), null, Tensor.ones(2), null, null, MOMENTUM, EPS));
            assertMessage("eps must be", () -> Functional.batchNormChannelsLast(Tensor.randn(2, 3, 2, 2), null,
                    null, null, null, MOMENTUM, -1));
            Tensor closed = Tensor.randn(2, 3, 2, 2);
            closed.close();
            assertThrows(IllegalStateException.class,
                    () -> Functional.batchNormChannelsLast(closed, null, null, null, null, MOMENTUM, EPS));
        }
    }

    private static void assertMessage(String expected, org.junit.jupiter.api.function.Executable call) {
        TorchException e = assertThrows(TorchException.class, call);
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }
}
