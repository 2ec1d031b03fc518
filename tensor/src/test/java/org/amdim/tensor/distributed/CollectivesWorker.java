package org.amdim.tensor.distributed;

import java.time.Duration;
import java.util.Arrays;
import java.util.List;

import org.amdim.bindings.TorchException;
import org.amdim.tensor.DType;
import org.amdim.tensor.Device;
import org.amdim.tensor.Tensor;
import org.amdim.tensor.TensorScope;

/**
 * One rank of {@link TwoProcessCollectivesTest}: checks every collective against values it can compute itself, then
 * (with the argument {@code kill}) rank 1 dies abruptly and rank 0 checks that its next collective fails in time.
 * Prints {@code OK <check>} per passed check; exits 0 only when all passed.
 */
public final class CollectivesWorker {
    private CollectivesWorker() {
    }

    /** Runs the checks; see the class comment. */
    public static void main(String[] args) {
        WorkerExit.runThenHalt(() -> {
            boolean kill = args.length > 0 && args[0].equals("kill");
            long timeoutMs = 10_000;
            try (ProcessGroup pg = ProcessGroup.fromEnvironment(Backend.GLOO, Duration.ofMillis(timeoutMs))) {
                int r = pg.rank();
                int w = pg.worldSize();
                expect(w == 2, "world size " + w);
                try (var scope = TensorScope.open()) {
                    allReduce(pg, r);
                    broadcast(pg, r);
                    allGather(pg, r);
                    gradientOfReplicatedLoss(pg, r);
                    pg.barrier();
                    ok("barrier");
                }
                if (kill) {
                    killPeer(pg, r, timeoutMs);
                }
            }
        });
    }

    private static void allReduce(ProcessGroup pg, int r) {
        // float32 sum of small integers is exact; one rank contributes (r + 1) * base
        Tensor a = Tensor.of(new float[] {1, 2, 3, 4}, 4).mul(r + 1);
        pg.allReduceSum(a);
        same(a.toDoubleArray(), new double[] {3, 6, 9, 12}, "allReduceSum float32");
        Tensor m = Tensor.of(new double[] {r, 10 * r}, 2);
        pg.allReduceMean(m);
        same(m.toDoubleArray(), new double[] {0.5, 5}, "allReduceMean float64");
        // mixed dtypes, a non-contiguous view and buckets smaller than one tensor: packed and copied back in place
        Tensor f = Tensor.arange(0, 6, 1, DType.FLOAT32, Device.CPU).reshape(2, 3).add(r);
        Tensor ft = f.transpose(0, 1);
        Tensor i = Tensor.of(new long[] {r, 100 + r}, 2);
        Tensor d = Tensor.full(r + 0.25, DType.FLOAT64, Device.CPU, 3);
        pg.allReduce(List.of(ft, i, d), ReduceOp.SUM, 16);
        same(f.toDoubleArray(), new double[] {1, 3, 5, 7, 9, 11}, "allReduce packed float32 (transposed view)");
        same(i.toDoubleArray(), new double[] {1, 201}, "allReduce packed int64");
        same(d.toDoubleArray(), new double[] {1.5, 1.5, 1.5}, "allReduce packed float64");
        ok("allReduce");
    }

    private static void broadcast(ProcessGroup pg, int r) {
        Tensor a = Tensor.full(r * 7.0, 2, 2);
        Tensor b = Tensor.of(new long[] {r, r}, 2);
        pg.broadcast(List.of(a, b), 1);
        same(a.toDoubleArray(), new double[] {7, 7, 7, 7}, "broadcast from 1 (float)");
        same(b.toDoubleArray(), new double[] {1, 1}, "broadcast from 1 (int64)");
        Tensor c = Tensor.full(r + 1.0, 3);
        pg.broadcast(c, 0);
        same(c.toDoubleArray(), new double[] {1, 1, 1}, "broadcast from 0");
        ok("broadcast");
    }

    private static void allGather(ProcessGroup pg, int r) {
        Tensor x = Tensor.arange(0, 6, 1, DType.FLOAT32, Device.CPU).reshape(2, 3).add(10 * r);
        Tensor g = pg.allGather(x);
        expect(Arrays.equals(g.shape(), new long[] {4, 3}), "allGather shape " + Arrays.toString(g.shape()));
        same(g.toDoubleArray(), new double[] {0, 1, 2, 3, 4, 5, 10, 11, 12, 13, 14, 15}, "allGather values");
        List<Tensor> two = pg.allGather(List.of(Tensor.of(new long[] {r}, 1), x.transpose(0, 1)));
        same(two.get(0).toDoubleArray(), new double[] {0, 1}, "allGather int64");
        expect(Arrays.equals(two.get(1).shape(), new long[] {6, 2}), "allGather of a view: shape");
        same(two.get(1).toDoubleArray(), new double[] {0, 3, 1, 4, 2, 5, 10, 13, 11, 14, 12, 15}, "allGather view");
        List<Tensor> list = pg.allGatherList(Tensor.of(new double[] {r, -r}, 2));
        expect(list.size() == 2, "allGatherList size");
        same(list.get(0).toDoubleArray(), new double[] {0, 0}, "allGatherList rank 0");
        same(list.get(1).toDoubleArray(), new double[] {1, -1}, "allGatherList rank 1");
        ok("allGather");
    }

    /**
     * The gradient of a loss over the gathered batch, averaged over ranks, equals the gradient of one process that
     * holds the whole batch. Each rank maps its rows with a shared parameter, gathers with gradient and computes
     * the same nonlinear loss that couples all rows (like the NCE's negatives); float64.
     */
    private static void gradientOfReplicatedLoss(ProcessGroup pg, int r) {
        // different initial parameters per rank: broadcast makes them rank 0's
        Tensor theta = Tensor.of(new double[] {0.3 + r, -0.2, 0.5, 0.1, 0.4 - r, -0.3}, 3, 2).requiresGrad(true);
        pg.broadcast(theta, 0);
        Tensor[] inputs = {input(0), input(1)};
        Tensor g = pg.allGatherWithGrad(inputs[r].matmul(theta));
        Tensor loss = loss(g);
        loss.backward();
        Tensor grad = theta.grad();
        pg.allReduceMean(grad);

        Tensor ref = Tensor.of(new double[] {0.3, -0.2, 0.5, 0.1, 0.4, -0.3}, 3, 2).requiresGrad(true);
        Tensor refLoss = loss(Tensor.cat(List.of(inputs[0], inputs[1]), 0).matmul(ref));
        refLoss.backward();
        expect(Math.abs(loss.item() - refLoss.item()) == 0, "the gathered loss equals the single-process loss: "
                + loss.item() + " vs " + refLoss.item());
        close(grad.toDoubleArray(), ref.grad().toDoubleArray(), 1e-12, "gradient vs single process");
        // control: gathering with the local rows live but unscaled (the cross-rank terms missing) is measurably off
        Tensor theta2 = ref.detach().requiresGrad(true);
        Tensor mine = inputs[r].matmul(theta2);
        Tensor others = pg.allGather(mine.detach());
        Tensor naive = r == 0 ? Tensor.cat(List.of(mine, others.narrow(0, 4, 4)), 0)
                : Tensor.cat(List.of(others.narrow(0, 0, 4), mine), 0);
        loss(naive).backward();
        Tensor naiveGrad = theta2.grad();
        pg.allReduceMean(naiveGrad);
        double diff = naiveGrad.sub(ref.grad()).abs().max().item();
        expect(diff > 1e-3, "the unscaled gather should differ from the reference, max diff " + diff);
        ok("allGatherWithGrad gradient equals single-process gradient");
    }

    private static Tensor input(int rank) {
        double[] v = new double[4 * 3];
        for (int i = 0; i < v.length; i++) {
            v[i] = Math.sin(1.7 * i + 3.1 * rank) + 0.1 * rank;
        }
        return Tensor.of(v, 4, 3);
    }

    /** log-sum-exp over all pairwise scores minus the diagonal: every row's gradient depends on every other row. */
    private static Tensor loss(Tensor z) {
        Tensor s = z.matmul(z.transpose(0, 1));
        Tensor lse = s.logsumexp(new long[] {1}, false);
        Tensor diag = s.mul(Tensor.eye(z.size(0), z.size(0), DType.FLOAT64, Device.CPU)).sum(new long[] {1}, false);
        return lse.sub(diag).mean().add(z.tanh().square().sum().mul(0.1));
    }

    private static void killPeer(ProcessGroup pg, int r, long timeoutMs) {
        if (r == 1) {
            System.out.println("rank 1 dies now");
            System.out.flush();
            Runtime.getRuntime().halt(3);
        }
        long t0 = System.nanoTime();
        try (var scope = TensorScope.open()) {
            Tensor a = Tensor.ones(1000);
            pg.allReduceSum(a);
            throw new AssertionError("all-reduce with a dead peer did not fail");
        } catch (TorchException e) {
            long ms = (System.nanoTime() - t0) / 1_000_000;
            System.out.println("failed after " + ms + " ms: " + e.getMessage());
            expect(ms < timeoutMs + 5_000, "the failure took " + ms + " ms, timeout " + timeoutMs);
        }
        try (var scope = TensorScope.open()) {
            pg.allReduceSum(Tensor.ones(2));
            throw new AssertionError("a broken group accepted another collective");
        } catch (TorchException e) {
            expect(e.getMessage().contains("unusable"), "second failure message: " + e.getMessage());
        }
        ok("dead peer detected");
    }

    private static void same(double[] got, double[] want, String what) {
        expect(Arrays.equals(got, want), what + ": got " + Arrays.toString(got) + ", want " + Arrays.toString(want));
    }

    private static void close(double[] got, double[] want, double tol, String what) {
        expect(got.length == want.length, what + ": lengths");
        for (int i = 0; i < got.length; i++) {
            expect(Math.abs(got[i] - want[i]) <= tol * (1 + Math.abs(want[i])),
                    what + ": got " + Arrays.toString(got) + ", want " + Arrays.toString(want));
        }
    }

    private static void expect(boolean cond, String what) {
        if (!cond) {
            throw new AssertionError(what);
        }
    }

    private static void ok(String what) {
        System.out.println("OK " + what);
    }
}
