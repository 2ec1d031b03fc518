// Records libtorch's operator profile of a few training steps as TrainStepBench runs them, for
// scripts/bench/trace_summary.py. Run with the built jar on the class path (a single-file source program):
//
//   java --enable-native-access=ALL-UNNAMED -cp tools/target/amdim.jar scripts/bench/ProfileStep.java \
//       PRESET BATCH TRACE [FORMAT [STEPS]]
//
// e.g. `small 100 /tmp/small.json`, then `scripts/bench/trace_summary.py /tmp/small.json --steps 3`. PRESET is a
// BenchPreset name (cifar10, small, stl10, imagenet), FORMAT channels-last (default) or contiguous, STEPS the
// profiled steps (3), after 5 unprofiled ones that warm up the allocator cache and the JIT.
import java.nio.file.Path;

import org.amdim.tensor.Profiler;
import org.amdim.tools.bench.TrainStepBench;

public class ProfileStep {
    public static void main(String[] args) {
        if (args.length < 3) {
            System.err.println("usage: ProfileStep PRESET BATCH TRACE [FORMAT [STEPS]]");
            System.exit(2);
        }
        TrainStepBench bench = new TrainStepBench();
        bench.threads = 2;
        bench.preset = args[0];
        bench.batch = Integer.parseInt(args[1]);
        bench.device = "cpu";
        bench.amp = "none";
        bench.format = args.length > 3 ? args[3] : "channels-last";
        int steps = args.length > 4 ? Integer.parseInt(args[4]) : 3;
        bench.setup();
        for (int i = 0; i < 5; i++) {
            bench.step();
        }
        long start = System.nanoTime();
        for (int i = 0; i < steps; i++) {
            bench.step();
        }
        System.out.printf("unprofiled: %.1f ms per step%n", (System.nanoTime() - start) / 1e6 / steps);
        try (Profiler profiler = Profiler.start(false)) {
            start = System.nanoTime();
            for (int i = 0; i < steps; i++) {
                bench.step();
            }
            System.out.printf("profiled: %.1f ms per step%n", (System.nanoTime() - start) / 1e6 / steps);
            profiler.stop(Path.of(args[2]));
        }
        bench.tearDown();
    }
}
