package org.amdim.tools.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The benchmark JVM's peak resident set size, for the model-scale benchmarks to print at the end of a trial
 * (each trial runs in its own fork, so the peak belongs to that configuration).
 */
final class PeakMemory {
    private static final Path STATUS = Path.of("/proc/self/status");

    private PeakMemory() {
    }

    /** {@code VmHWM} from {@code /proc/self/status} in MiB, or -1 where that is unavailable (not Linux). */
    static long peakRssMebibytes() {
        try {
            for (String line : Files.readAllLines(STATUS)) {
                if (line.startsWith("VmHWM:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024;
                }
            }
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
        return -1;
    }

    /** Prints {@code label: peak RSS N MiB} on standard output (JMH relays a fork's output to the console). */
    static void print(String label) {
        System.out.println();
        System.out.println(label + ": peak RSS (VmHWM) of this JVM " + peakRssMebibytes() + " MiB");
    }
}
