package org.amdim.tools.bench;

import org.amdim.tools.PeakRss;

/**
 * The benchmark JVM's peak resident set size, for the model-scale benchmarks to print at the end of a trial
 * (each trial runs in its own fork, so the peak belongs to that configuration).
 */
final class PeakMemory {
    private PeakMemory() {
    }

    /** Prints {@code label: peak RSS N MiB} on standard output (JMH relays a fork's output to the console). */
    static void print(String label) {
        System.out.println();
        System.out.println(label + ": peak RSS (VmHWM) of this JVM " + PeakRss.mebibytes() + " MiB");
    }
}
