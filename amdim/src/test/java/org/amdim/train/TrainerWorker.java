package org.amdim.train;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;

import org.amdim.tensor.distributed.WorkerExit;

/**
 * One rank of {@link DistributedTrainerTest}: {@link Trainer#run} as a process of a data-parallel run configured from
 * the environment. Arguments: the run directory (rank r writes to {@code <dir>/rank<r>}), the number of steps, and a
 * checkpoint to resume from or {@code -}. Exits 0 on success.
 */
public final class TrainerWorker {
    private TrainerWorker() {
    }

    /** See the class comment. */
    public static void main(String[] args) {
        WorkerExit.runThenHalt(() -> {
            DistributedConfig dc = DistributedConfig.fromEnvironment(System.getenv())
                    .withTimeout(Duration.ofSeconds(30));
            Path out = Path.of(args[0]).resolve("rank" + dc.rank());
            TrainConfig c = DistributedTrainerTest.tiny(out, DistributedTrainerTest.IMAGES, Long.parseLong(args[1]));
            Path resume = args[2].equals("-") ? null : Path.of(args[2]);
            var progress = new ProgressReporter(new PrintStream(new ByteArrayOutputStream()), false, 1000);
            Trainer.TrainResult r = new Trainer(c, progress, dc).run(resume);
            System.out.println("rank " + dc.rank() + " steps " + r.steps() + " checkpoint " + r.checkpoint()
                    + " img/s " + r.imgPerSec());
        });
    }
}
