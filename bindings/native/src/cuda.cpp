// cuda.cpp: CUDA / cuDNN queries and settings. Everything here also works in a CPU-only build
// (is_available false, device_count 0, the rest a clear "CUDA is not available" error).
//
// TS_WITH_CUDA is defined by build.sh when the libtorch used has libtorch_cuda. The CUDA toolkit headers
// (cuda_runtime_api.h) are optional: without them (or when build.sh found that they do not compile with
// libtorch's c10/cuda headers: TS_NO_CUDA_HEADERS) the allocator statistics are unavailable, and the two
// c10::cuda functions used otherwise are declared here (their signatures are the same in 1.13 and 2.x).
#include "shim_internal.h"

#include <ATen/Context.h>
#include <ATen/ops/empty.h>
#include <c10/core/DeviceGuard.h>

#if defined(TS_WITH_CUDA) && !defined(TS_NO_CUDA_HEADERS) && __has_include(<cuda_runtime_api.h>)
#define TS_CUDA_HEADERS 1
#include <c10/cuda/CUDACachingAllocator.h>
#include <c10/cuda/CUDAFunctions.h>
#elif defined(TS_WITH_CUDA)
namespace c10 {
namespace cuda {
__attribute__((visibility("default"))) DeviceIndex device_count() noexcept;
__attribute__((visibility("default"))) void device_synchronize();
}  // namespace cuda
}  // namespace c10
#endif

namespace {

// Checks a device index against the device count; -1 (the current device) passes.
void check_index(int device_index) {
  int n = ts_cuda_device_count();
  if (device_index < -1 || device_index >= n)
    ts::fail("CUDA device index " + std::to_string(device_index) + " is out of range (" + std::to_string(n) +
             " device(s))");
}

#ifdef TS_WITH_CUDA
void synchronize(int device_index) {
  if (device_index < 0) {
    c10::cuda::device_synchronize();
  } else {
    c10::DeviceGuard g(c10::Device(c10::kCUDA, static_cast<c10::DeviceIndex>(device_index)));
    c10::cuda::device_synchronize();
  }
}
#endif

}  // namespace

namespace ts {

void require_cuda(const char *what) {
#ifdef TS_WITH_CUDA
  if (ts_cuda_device_count() <= 0)
    throw std::runtime_error(std::string("CUDA is not available: ") + what +
                             " (libtorch has CUDA support, but found no CUDA device or driver)");
#else
  throw std::runtime_error(std::string("CUDA is not available: ") + what +
                           " (the shim was built against a libtorch without CUDA)");
#endif
}

void sync_device(const c10::Device &d) {
#ifdef TS_WITH_CUDA
  if (d.is_cuda()) synchronize(d.has_index() ? d.index() : -1);
#else
  (void)d;
#endif
}

}  // namespace ts

TS_API bool ts_cuda_is_available(void) { return ts_cuda_device_count() > 0; }

TS_API int ts_cuda_device_count(void) {
#ifdef TS_WITH_CUDA
  return static_cast<int>(c10::cuda::device_count());  // noexcept; 0 without a driver
#else
  return 0;
#endif
}

TS_API bool ts_cudnn_is_available(void) {
  return ts::guard<bool>(__func__, false, [&] { return ts_cuda_is_available() && at::globalContext().hasCuDNN(); });
}

TS_API bool ts_built_with_cuda(void) {
#ifdef TS_WITH_CUDA
  return true;
#else
  return false;
#endif
}

TS_API int ts_cuda_synchronize(int device_index) {
  return ts::guard_status(__func__, [&] {
    ts::require_cuda("cannot synchronize");
    check_index(device_index);
#ifdef TS_WITH_CUDA
    synchronize(device_index);
#endif
  });
}

TS_API int ts_cudnn_set_flags(bool enabled, bool benchmark, bool deterministic) {
  return ts::guard_status(__func__, [&] {
    at::globalContext().setUserEnabledCuDNN(enabled);
    at::globalContext().setBenchmarkCuDNN(benchmark);
    at::globalContext().setDeterministicCuDNN(deterministic);
  });
}

TS_API int ts_cudnn_flags(int *out) {
  return ts::guard_status(__func__, [&] {
    if (out == nullptr) ts::fail("'out' is null");
    out[0] = at::globalContext().userEnabledCuDNN() ? 1 : 0;
    out[1] = at::globalContext().benchmarkCuDNN() ? 1 : 0;
    out[2] = at::globalContext().deterministicCuDNN() ? 1 : 0;
  });
}

// The same two setters in 1.13, 2.6 and 2.14 (newer releases add finer per-backend float32 precision settings
// beside them). Python's torch.backends.cuda.matmul.allow_tf32 and torch.backends.cudnn.allow_tf32 are these.
TS_API int ts_tf32_set(bool matmul, bool cudnn) {
  return ts::guard_status(__func__, [&] {
    at::globalContext().setAllowTF32CuBLAS(matmul);
    at::globalContext().setAllowTF32CuDNN(cudnn);
  });
}

TS_API int ts_tf32_get(int *out) {
  return ts::guard_status(__func__, [&] {
    if (out == nullptr) ts::fail("'out' is null");
    out[0] = at::globalContext().allowTF32CuBLAS() ? 1 : 0;
    out[1] = at::globalContext().allowTF32CuDNN() ? 1 : 0;
  });
}

TS_API int ts_cuda_memory_stats(int device_index, int64_t *out) {
  return ts::guard_status(__func__, [&] {
    if (out == nullptr) ts::fail("'out' is null");
    ts::require_cuda("no memory statistics");
    check_index(device_index);
#if defined(TS_CUDA_HEADERS)
    int dev = device_index;
    if (dev < 0) {
      c10::Device cur = c10::impl::getDeviceGuardImpl(c10::kCUDA)->getDevice();
      dev = cur.index();
    }
    // make sure CUDA (and so the caching allocator) is initialised: a 0-element tensor allocates nothing
    (void)at::empty({0}, at::TensorOptions().dtype(at::kFloat).device(c10::Device(c10::kCUDA, static_cast<c10::DeviceIndex>(dev))));
    auto stats = c10::cuda::CUDACachingAllocator::getDeviceStats(static_cast<c10::DeviceIndex>(dev));
    const size_t aggregate = 0;  // StatType::AGGREGATE
    out[0] = stats.allocated_bytes[aggregate].current;
    out[1] = stats.reserved_bytes[aggregate].current;
    out[2] = stats.allocated_bytes[aggregate].peak;
#else
    throw std::runtime_error(
        "CUDA memory statistics are unavailable: the shim was built without the CUDA toolkit headers "
        "(cuda_runtime_api.h); set CUDA_HOME and rebuild");
#endif
  });
}
