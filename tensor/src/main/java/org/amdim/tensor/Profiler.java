package org.amdim.tensor;

import static org.amdim.bindings.ffm.TorchShim.ts_profiler_recording;
import static org.amdim.bindings.ffm.TorchShim.ts_profiler_start;
import static org.amdim.bindings.ffm.TorchShim.ts_profiler_stop;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

import org.amdim.bindings.TorchException;

/**
 * libtorch's operator profiler, the counterpart of {@code torch.autograd.profiler.profile()}: it records the start and
 * end of every libtorch operator that the starting thread runs, its backward passes included, and writes them as a
 * Chrome trace (open it in {@code chrome://tracing} or Perfetto; {@code scripts/bench/trace_summary.py} sums the
 * time per operator).
 *
 * <pre>{@code
 * try (Profiler profiler = Profiler.start(false)) {
 *     trainStep();
 *     profiler.stop(Path.of("step.trace.json"));
 * }
 * }</pre>
 *
 * <p>One recording at a time per process, started and stopped on the same thread. Recording costs a few
 * microseconds per operator, so profile a few steps, not a run.
 */
public final class Profiler implements AutoCloseable {
    private final Thread owner;
    private boolean recording = true;

    private Profiler(Thread owner) {
        this.owner = owner;
    }

    /**
     * Starts recording on the calling thread.
     *
     * @param recordShapes whether each event also records its inputs' shapes (slower)
     * @throws TorchException if a recording is already running, or this libtorch has no profiler
     */
    public static Profiler start(boolean recordShapes) {
        ShimCalls.ensureLoaded(); // before the bindings are touched: this may be the program's first call
        ShimCalls.check(ts_profiler_start(recordShapes));
        return new Profiler(Thread.currentThread());
    }

    /** Whether any recording is running in this process. */
    public static boolean isRecording() {
        ShimCalls.ensureLoaded();
        return ts_profiler_recording();
    }

    /**
     * Stops the recording and writes the trace to {@code trace}, through a temporary file beside it that is then
     * renamed, so that the trace is never half-written. The recording is stopped even when writing fails.
     *
     * @throws IllegalStateException if this recording was stopped already or is stopped from another thread
     * @throws UncheckedIOException  if the trace cannot be written
     */
    public void stop(Path trace) {
        checkRecording();
        Path target = trace.toAbsolutePath();
        Path temp;
        try {
            temp = Files.createTempFile(target.getParent(), target.getFileName() + ".", ".tmp");
        } catch (IOException e) {
            discard();
            throw new UncheckedIOException("cannot create the trace file beside " + target, e);
        }
        try (Arena arena = Arena.ofConfined()) {
            recording = false;
            ShimCalls.check(ts_profiler_stop(arena.allocateFrom(temp.toString())));
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the trace to " + target, e);
        } finally {
            try {
                Files.deleteIfExists(temp);
            } catch (IOException ignored) {
                // The rename has happened or the trace is lost either way; a stray temporary file is all that is left.
            }
        }
    }

    /** Stops the recording, if {@link #stop} has not, and discards what it recorded. */
    @Override
    public void close() {
        if (recording) {
            checkRecording();
            discard();
        }
    }

    private void discard() {
        recording = false;
        ShimCalls.check(ts_profiler_stop(MemorySegment.NULL));
    }

    private void checkRecording() {
        if (!recording) {
            throw new IllegalStateException("this recording is stopped");
        }
        if (Thread.currentThread() != owner) {
            throw new IllegalStateException("a recording must be stopped on the thread that started it (" + owner
                    + ")");
        }
    }
}
