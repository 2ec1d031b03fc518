// shim_internal.h: private helpers shared by the shim's translation units.
//
// Compile-time budget: never include <torch/torch.h> or <ATen/ATen.h> here. <ATen/core/Tensor.h>
// brings at::Tensor with all its methods; units add the per-operator headers (<ATen/ops/xxx.h>) they
// need for namespace-level functions.
#pragma once

#include <ATen/core/Tensor.h>
#include <c10/core/ScalarType.h>
#include <c10/util/Exception.h>

#include <atomic>
#include <cstdint>
#include <exception>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "torch_shim.h"

// Every exported entry point is marked with TS_API; everything else stays hidden (-fvisibility=hidden).
#define TS_API extern "C" __attribute__((visibility("default")))

namespace ts {

// ---- errors ------------------------------------------------------------------------------------

// An error in the arguments given to the shim (as opposed to one raised by libtorch); its message gets
// the entry point's name as a prefix.
struct ArgError : std::invalid_argument {
  using std::invalid_argument::invalid_argument;
};

void set_error(const char *fn, const char *msg) noexcept;
void set_error(const char *msg) noexcept;

[[noreturn]] inline void fail(const std::string &msg) { throw ArgError(msg); }

// Runs f, turning every exception into the thread's last error and the return value `on_error`.
template <class R, class F>
inline R guard(const char *fn, R on_error, F &&f) noexcept {
  try {
    return f();
  } catch (const ArgError &e) {
    set_error(fn, e.what());
  } catch (const c10::Error &e) {
    set_error(e.what_without_backtrace());
  } catch (const std::exception &e) {
    set_error(e.what());
  } catch (...) {
    set_error(fn, "unknown C++ exception");
  }
  return on_error;
}

// For functions that return 0 / -1: f returns void.
template <class F>
inline int guard_status(const char *fn, F &&f) noexcept {
  return guard<int>(fn, -1, [&]() -> int {
    f();
    return 0;
  });
}

// ---- handles -----------------------------------------------------------------------------------

extern std::atomic<int64_t> live_handles;

inline ts_tensor wrap(at::Tensor t) {
  auto *p = new at::Tensor(std::move(t));
  live_handles.fetch_add(1, std::memory_order_relaxed);
  return reinterpret_cast<ts_tensor>(p);
}

// For functions that return a new handle: f returns an at::Tensor.
template <class F>
inline ts_tensor guard_tensor(const char *fn, F &&f) noexcept {
  return guard<ts_tensor>(fn, nullptr, [&]() -> ts_tensor { return wrap(f()); });
}

// The tensor behind a handle that must not be NULL; `name` is the parameter's name for the error.
inline at::Tensor &T(ts_tensor h, const char *name) {
  if (h == nullptr) fail(std::string("tensor argument '") + name + "' is null");
  return *reinterpret_cast<at::Tensor *>(h);
}

// A nullable handle as an optional tensor (NULL or an undefined tensor give nullopt).
inline c10::optional<at::Tensor> opt(ts_tensor h) {
  if (h == nullptr) return c10::nullopt;
  const at::Tensor &t = *reinterpret_cast<at::Tensor *>(h);
  if (!t.defined()) return c10::nullopt;
  return t;
}

// (pointer, length) lists of tensors; NULL entries are refused.
std::vector<at::Tensor> tensor_list(const ts_tensor *hs, int n, const char *name);

// ---- argument conversion -----------------------------------------------------------------------

// An int64 list given as (pointer, length); the pointer may be NULL only when the length is 0.
inline at::IntArrayRef ints(const int64_t *p, int n, const char *name) {
  if (n < 0) fail(std::string("'") + name + "' has negative length " + std::to_string(n));
  if (n > 0 && p == nullptr) fail(std::string("'") + name + "' is null but its length is " + std::to_string(n));
  return at::IntArrayRef(p, static_cast<size_t>(n));
}

// A fixed-size (h, w) pair; NULL selects `dflt` for both.
inline std::vector<int64_t> pair(const int64_t *p, int64_t dflt) {
  if (p == nullptr) return {dflt, dflt};
  return {p[0], p[1]};
}

c10::ScalarType scalar_type(int dtype);
c10::Device device(int device_type, int device_index);
at::TensorOptions options(int dtype, int device_type, int device_index);
// A memory-format code of the header (0 row-major, 1 channels-last); others are refused.
c10::MemoryFormat memory_format(int code);

// Throws a clear "CUDA is not available: ..." error unless CUDA can be used (defined in cuda.cpp).
void require_cuda(const char *what);
// Waits for the device's queued work (no-op for CPU; defined in cuda.cpp).
void sync_device(const c10::Device &d);

}  // namespace ts
