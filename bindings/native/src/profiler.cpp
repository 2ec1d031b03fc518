// profiler.cpp: libtorch's operator profiler (the legacy, Kineto-free one that every libtorch build has), recording
// each operator's start and end on the threads that run it, written as a Chrome trace (chrome://tracing, Perfetto).
//
// The profiler's state is thread-local in libtorch: it records on the thread that starts it, the autograd engine's
// work for that thread's backward passes and at::launch tasks (which inherit it), not on unrelated threads. One
// recording at a time in the process, enforced here, because the event lists are consolidated process-wide when
// it stops.
#include "shim_internal.h"

#if __has_include(<torch/csrc/autograd/profiler_legacy.h>)
#include <torch/csrc/autograd/profiler_legacy.h>
#define TS_HAS_LEGACY_PROFILER 1
#endif

#include <atomic>
#include <fstream>
#include <thread>

namespace {

std::atomic<bool> recording{false};
std::thread::id recording_thread;

}  // namespace

TS_API int ts_profiler_start(bool record_shapes) {
  return ts::guard_status(__func__, [&] {
#ifdef TS_HAS_LEGACY_PROFILER
    bool expected = false;
    if (!recording.compare_exchange_strong(expected, true)) ts::fail("the profiler is already recording");
    try {
      torch::profiler::impl::ProfilerConfig config(torch::profiler::impl::ProfilerState::CPU, record_shapes,
                                                   /*profile_memory=*/false);
      torch::autograd::profiler::enableProfilerLegacy(config);
      recording_thread = std::this_thread::get_id();
    } catch (...) {
      recording = false;
      throw;
    }
#else
    (void)record_shapes;
    ts::fail("this libtorch has no legacy profiler (torch/csrc/autograd/profiler_legacy.h)");
#endif
  });
}

TS_API int ts_profiler_stop(const char *trace_path) {
  return ts::guard_status(__func__, [&] {
#ifdef TS_HAS_LEGACY_PROFILER
    if (!recording) ts::fail("the profiler is not recording");
    if (std::this_thread::get_id() != recording_thread)
      ts::fail("the profiler must be stopped on the thread that started it");
    // Stopping comes first, whatever happens to the file: a recording left on would slow every later op.
    auto lists = torch::autograd::profiler::disableProfilerLegacy();
    recording = false;
    if (trace_path == nullptr) return;  // discard
    std::vector<torch::autograd::profiler::LegacyEvent *> events;
    for (auto &list : lists)
      for (auto &event : list) events.push_back(&event);
    std::ofstream out(trace_path);
    if (!out) ts::fail(std::string("cannot open '") + trace_path + "' for writing");
    torch::autograd::profiler::writeProfilerEventsToStream(out, events);
    out.close();
    if (!out) ts::fail(std::string("could not write the trace to '") + trace_path + "'");
#else
    (void)trace_path;
    ts::fail("this libtorch has no legacy profiler (torch/csrc/autograd/profiler_legacy.h)");
#endif
  });
}

TS_API bool ts_profiler_recording(void) { return recording; }
