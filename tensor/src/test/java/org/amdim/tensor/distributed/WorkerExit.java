package org.amdim.tensor.distributed;

/**
 * How every worker process of a multi-process test ends: its {@code main} runs the body through {@link #runThenHalt},
 * and the parent test reads the outcome from the exit status and the worker's standard output.
 */
public final class WorkerExit {
    private WorkerExit() {
    }

    /** A worker's work; may throw anything, which fails the worker. */
    @FunctionalInterface
    public interface Body {
        /** Does the work. */
        void run() throws Exception;
    }

    /**
     * Runs {@code body}, then halts the JVM with status 0, or with 1 after printing the failure's stack trace to
     * standard output (which the parent shows). Halts rather than exits, so that the status is the body's outcome
     * whatever shutdown hooks or threads still holding native process groups would do at exit.
     */
    public static void runThenHalt(Body body) {
        try {
            body.run();
        } catch (Throwable t) {
            t.printStackTrace(System.out);
            System.out.flush();
            Runtime.getRuntime().halt(1);
        }
        System.out.flush();
        Runtime.getRuntime().halt(0);
    }
}
