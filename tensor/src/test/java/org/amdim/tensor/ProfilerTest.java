package org.amdim.tensor;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicReference;

import org.amdim.bindings.TorchException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

@ExtendWith(NoLeaks.class)
class ProfilerTest {
    @TempDir
    Path dir;

    @AfterEach
    void nothingLeftRecording() {
        assertFalse(Profiler.isRecording(), "a test left the profiler on");
    }

    @Test
    void recordsForwardAndBackwardOperatorsAsAChromeTrace() throws Exception {
        Path trace = dir.resolve("step.trace.json");
        try (Profiler profiler = Profiler.start(false)) {
            assertTrue(Profiler.isRecording());
            try (Tensor x = Tensor.ones(4, 3).requiresGrad(true); var scope = TensorScope.open()) {
                x.mul(x).sum().backward();
            }
            profiler.stop(trace);
            assertFalse(Profiler.isRecording(), "stop ends the recording");
        }
        String text = Files.readString(trace).strip();
        assertTrue(text.startsWith("[") && text.endsWith("]"), "a JSON array of events");
        assertTrue(text.contains("\"name\": \"aten::mul\""), "the forward operator is recorded");
        assertTrue(text.contains("MulBackward0"), "so is the backward pass, run by the autograd engine");
        assertTrue(text.contains("\"ph\": \"X\""), "complete events, with a duration each");
        try (var files = Files.list(dir)) {
            assertEquals(1, files.count(), "no temporary file is left beside the trace");
        }
    }

    @Test
    void oneRecordingAtATime() {
        try (Profiler first = Profiler.start(false)) {
            TorchException e = assertThrows(TorchException.class, () -> Profiler.start(true));
            assertTrue(e.getMessage().contains("already recording"), e.getMessage());
        }
        Profiler.start(true).close(); // the first one's close ended it: a new one may start
    }

    @Test
    void closeDiscardsAndAStoppedRecordingCannotStopAgain() {
        Profiler profiler = Profiler.start(false);
        profiler.close();
        assertFalse(Profiler.isRecording());
        profiler.close(); // idempotent
        assertThrows(IllegalStateException.class, () -> profiler.stop(dir.resolve("late.json")));
        assertFalse(Files.exists(dir.resolve("late.json")));
    }

    @Test
    void onlyTheStartingThreadStopsIt() throws Exception {
        try (Profiler profiler = Profiler.start(false)) {
            AtomicReference<Throwable> thrown = new AtomicReference<>();
            Thread other = new Thread(() -> {
                try {
                    profiler.stop(dir.resolve("other.json"));
                } catch (Throwable t) {
                    thrown.set(t);
                }
            });
            other.start();
            other.join();
            assertInstanceOf(IllegalStateException.class, thrown.get());
            assertTrue(Profiler.isRecording(), "the failed stop left it recording");
        }
    }

    @Test
    void anUnwritablePathFailsClearlyAndStillStopsTheRecording() {
        Path missing = dir.resolve("no-such-dir").resolve("trace.json");
        try (Profiler profiler = Profiler.start(false)) {
            var e = assertThrows(java.io.UncheckedIOException.class, () -> profiler.stop(missing));
            assertTrue(e.getMessage().contains(missing.toString()), e.getMessage());
            assertFalse(Profiler.isRecording());
        }
    }
}
