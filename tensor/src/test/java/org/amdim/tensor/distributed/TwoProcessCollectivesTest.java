package org.amdim.tensor.distributed;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two real processes (JVMs) on 127.0.0.1 with Gloo: every collective exact, the all-gather's gradient equal to the
 * single-process gradient, and a killed rank ending its peer's next collective with an error within the timeout.
 */
class TwoProcessCollectivesTest {
    @Test
    void collectivesAreExactAndADeadPeerFailsTheOtherInTime(@TempDir Path dir) throws Exception {
        List<RankProcesses.Result> rs = RankProcesses.run(CollectivesWorker.class, 2, 60, dir, "kill");
        RankProcesses.Result r0 = rs.get(0);
        RankProcesses.Result r1 = rs.get(1);
        assertEquals(0, r0.exitCode(), r0::toString);
        assertEquals(3, r1.exitCode(), () -> "rank 1 should die on purpose (exit 3): " + r1);
        for (RankProcesses.Result r : rs) {
            for (String check : List.of("OK allReduce", "OK broadcast", "OK allGather",
                    "OK allGatherWithGrad gradient equals single-process gradient", "OK barrier")) {
                assertTrue(r.output().contains(check), () -> "missing '" + check + "' in " + r);
            }
        }
        assertTrue(r0.output().contains("OK dead peer detected"), r0::toString);
    }
}
