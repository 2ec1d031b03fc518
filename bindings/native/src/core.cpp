// core.cpp: errors, runtime settings, handle lifetime and metadata, creation, conversion.
#include "shim_internal.h"

#include <ATen/Context.h>
#include <ATen/Parallel.h>
#include <ATen/ops/arange.h>
#include <ATen/ops/empty.h>
#include <ATen/ops/eye.h>
#include <ATen/ops/full.h>
#include <ATen/ops/ones.h>
#include <ATen/ops/rand.h>
#include <ATen/ops/randint.h>
#include <ATen/ops/randn.h>
#include <ATen/ops/randperm.h>
#include <ATen/ops/zeros.h>
#include <torch/version.h>

#include <cstring>
#include <limits>

namespace ts {

std::atomic<int64_t> live_handles{0};

namespace {
thread_local std::string last_error;
}

void set_error(const char *fn, const char *msg) noexcept {
  try {
    last_error.assign(fn).append(": ").append(msg);
  } catch (...) {
  }
}

void set_error(const char *msg) noexcept {
  try {
    last_error.assign(msg);
  } catch (...) {
  }
}

std::vector<at::Tensor> tensor_list(const ts_tensor *hs, int n, const char *name) {
  if (n < 0) fail(std::string("'") + name + "' has negative length " + std::to_string(n));
  if (n > 0 && hs == nullptr) fail(std::string("'") + name + "' is null but its length is " + std::to_string(n));
  std::vector<at::Tensor> v;
  v.reserve(static_cast<size_t>(n));
  for (int i = 0; i < n; i++) {
    if (hs[i] == nullptr) fail(std::string("tensor argument '") + name + "[" + std::to_string(i) + "]' is null");
    v.push_back(*reinterpret_cast<at::Tensor *>(hs[i]));
  }
  return v;
}

c10::ScalarType scalar_type(int dtype) {
  switch (dtype) {
    case TS_DTYPE_UINT8:
    case TS_DTYPE_INT8:
    case TS_DTYPE_INT16:
    case TS_DTYPE_INT32:
    case TS_DTYPE_INT64:
    case TS_DTYPE_FLOAT16:
    case TS_DTYPE_FLOAT32:
    case TS_DTYPE_FLOAT64:
    case TS_DTYPE_BOOL:
    case TS_DTYPE_BFLOAT16:
      return static_cast<c10::ScalarType>(dtype);
    default:
      break;
  }
  // Other at::ScalarType codes (complex, quantized, ...) pass through when libtorch knows them.
  if (dtype >= 0 && dtype < static_cast<int>(c10::ScalarType::NumOptions)) return static_cast<c10::ScalarType>(dtype);
  fail("invalid dtype code " + std::to_string(dtype));
}

c10::Device device(int device_type, int device_index) {
  if (device_type == TS_DEVICE_CPU) return c10::Device(c10::kCPU);
  if (device_type == TS_DEVICE_CUDA) {
    require_cuda("cannot use a CUDA device");
    if (device_index < -1) fail("invalid CUDA device index " + std::to_string(device_index));
    int n = ts_cuda_device_count();
    if (device_index >= n)
      fail("CUDA device index " + std::to_string(device_index) + " is out of range (" + std::to_string(n) +
           " device(s))");
    return c10::Device(c10::kCUDA, static_cast<c10::DeviceIndex>(device_index));
  }
  fail("unsupported device type " + std::to_string(device_type) + " (expected TS_DEVICE_CPU or TS_DEVICE_CUDA)");
}

c10::MemoryFormat memory_format(int code) {
  switch (code) {
    case TS_MEMORY_CONTIGUOUS:
      return c10::MemoryFormat::Contiguous;
    case TS_MEMORY_CHANNELS_LAST:
      return c10::MemoryFormat::ChannelsLast;
    default:
      fail("invalid memory format code " + std::to_string(code) +
           " (expected TS_MEMORY_CONTIGUOUS or TS_MEMORY_CHANNELS_LAST)");
  }
}

at::TensorOptions options(int dtype, int device_type, int device_index) {
  return at::TensorOptions().dtype(scalar_type(dtype)).device(device(device_type, device_index));
}

}  // namespace ts

using ts::T;

// ---- errors, library, runtime ------------------------------------------------------------------

TS_API const char *ts_last_error(void) { return ts::last_error.c_str(); }

TS_API void ts_clear_error(void) { ts::last_error.clear(); }

TS_API const char *ts_torch_version(void) { return TORCH_VERSION; }

TS_API int64_t ts_live_handles(void) { return ts::live_handles.load(std::memory_order_relaxed); }

TS_API int ts_set_num_threads(int n) {
  return ts::guard_status(__func__, [&] {
    if (n <= 0) ts::fail("the number of threads must be positive, got " + std::to_string(n));
    at::set_num_threads(n);
  });
}

TS_API int ts_get_num_threads(void) {
  return ts::guard<int>(__func__, -1, [&] { return at::get_num_threads(); });
}

TS_API int ts_set_num_interop_threads(int n) {
  return ts::guard_status(__func__, [&] {
    if (n <= 0) ts::fail("the number of threads must be positive, got " + std::to_string(n));
    at::set_num_interop_threads(n);
  });
}

TS_API int ts_get_num_interop_threads(void) {
  return ts::guard<int>(__func__, -1, [&] { return at::get_num_interop_threads(); });
}

TS_API int ts_manual_seed(int64_t seed) {
  // at::manual_seed seeds the default CPU generator and, when CUDA is present, every CUDA device's.
  // A negative seed is reinterpreted as unsigned (two's complement), as torch.manual_seed does.
  return ts::guard_status(__func__, [&] { at::manual_seed(static_cast<uint64_t>(seed)); });
}

TS_API void ts_noop(void) {}

// ---- lifetime and metadata ---------------------------------------------------------------------

TS_API void ts_free(ts_tensor t) {
  if (t == nullptr) return;
  delete reinterpret_cast<at::Tensor *>(t);
  ts::live_handles.fetch_sub(1, std::memory_order_relaxed);
}

TS_API ts_tensor ts_shallow_clone(ts_tensor t) {
  return ts::guard_tensor(__func__, [&] { return T(t, "t"); });
}

TS_API int ts_dim(ts_tensor t) {
  return ts::guard<int>(__func__, -1, [&] { return static_cast<int>(T(t, "t").dim()); });
}

TS_API int ts_sizes(ts_tensor t, int64_t *out) {
  return ts::guard<int>(__func__, -1, [&] {
    const at::Tensor &x = T(t, "t");
    auto s = x.sizes();
    if (!s.empty() && out == nullptr) ts::fail("'out' is null");
    for (size_t i = 0; i < s.size(); i++) out[i] = s[i];
    return static_cast<int>(s.size());
  });
}

TS_API int ts_strides(ts_tensor t, int64_t *out) {
  return ts::guard<int>(__func__, -1, [&] {
    const at::Tensor &x = T(t, "t");
    // libtorch hands out meaningless strides for mkldnn tensors instead of refusing.
    if (x.is_mkldnn()) ts::fail("mkldnn-layout tensors have no strides (their layout is oneDNN's own)");
    if (x.layout() != c10::kStrided) ts::fail("only strided tensors have strides");
    auto s = x.strides();
    if (!s.empty() && out == nullptr) ts::fail("'out' is null");
    for (size_t i = 0; i < s.size(); i++) out[i] = s[i];
    return static_cast<int>(s.size());
  });
}

TS_API int64_t ts_numel(ts_tensor t) {
  return ts::guard<int64_t>(__func__, -1, [&] { return static_cast<int64_t>(T(t, "t").numel()); });
}

TS_API int ts_dtype(ts_tensor t) {
  return ts::guard<int>(__func__, -1, [&] { return static_cast<int>(T(t, "t").scalar_type()); });
}

TS_API int ts_device_type(ts_tensor t) {
  return ts::guard<int>(__func__, -1, [&] { return static_cast<int>(T(t, "t").device().type()); });
}

TS_API int ts_device_index(ts_tensor t) {
  return ts::guard<int>(__func__, -1, [&] { return static_cast<int>(T(t, "t").device().index()); });
}

TS_API bool ts_is_contiguous(ts_tensor t) {
  // Only strided tensors can be: libtorch answers true for mkldnn tensors, which have no data pointer.
  return ts::guard<bool>(__func__, false, [&] {
    const at::Tensor &x = T(t, "t");
    return x.layout() == c10::kStrided && x.is_contiguous();
  });
}

TS_API bool ts_is_contiguous_format(ts_tensor t, int memory_format) {
  return ts::guard<bool>(__func__, false, [&] {
    const at::Tensor &x = T(t, "t");
    const c10::MemoryFormat format = ts::memory_format(memory_format);
    return x.layout() == c10::kStrided && x.is_contiguous(format);
  });
}

TS_API bool ts_defined(ts_tensor t) {
  return t != nullptr && reinterpret_cast<at::Tensor *>(t)->defined();
}

TS_API void *ts_data_ptr(ts_tensor t) {
  return ts::guard<void *>(__func__, nullptr, [&]() -> void * {
    const at::Tensor &x = T(t, "t");
    if (!x.defined()) ts::fail("the tensor is undefined");
    if (!x.is_cpu()) ts::fail("the tensor is on " + x.device().str() + ", not on the CPU");
    return x.data_ptr();
  });
}

// ---- creation ----------------------------------------------------------------------------------

TS_API ts_tensor ts_empty(const int64_t *shape, int ndim, int dtype, int device_type, int device_index) {
  return ts::guard_tensor(__func__, [&] {
    return at::empty(ts::ints(shape, ndim, "shape"), ts::options(dtype, device_type, device_index));
  });
}

TS_API ts_tensor ts_zeros(const int64_t *shape, int ndim, int dtype, int device_type, int device_index) {
  return ts::guard_tensor(__func__, [&] {
    return at::zeros(ts::ints(shape, ndim, "shape"), ts::options(dtype, device_type, device_index));
  });
}

TS_API ts_tensor ts_ones(const int64_t *shape, int ndim, int dtype, int device_type, int device_index) {
  return ts::guard_tensor(__func__, [&] {
    return at::ones(ts::ints(shape, ndim, "shape"), ts::options(dtype, device_type, device_index));
  });
}

TS_API ts_tensor ts_full(const int64_t *shape, int ndim, double value, int dtype, int device_type,
                         int device_index) {
  return ts::guard_tensor(__func__, [&] {
    return at::full(ts::ints(shape, ndim, "shape"), at::Scalar(value), ts::options(dtype, device_type, device_index));
  });
}

TS_API ts_tensor ts_rand(const int64_t *shape, int ndim, int dtype, int device_type, int device_index) {
  return ts::guard_tensor(__func__, [&] {
    return at::rand(ts::ints(shape, ndim, "shape"), ts::options(dtype, device_type, device_index));
  });
}

TS_API ts_tensor ts_randn(const int64_t *shape, int ndim, int dtype, int device_type, int device_index) {
  return ts::guard_tensor(__func__, [&] {
    return at::randn(ts::ints(shape, ndim, "shape"), ts::options(dtype, device_type, device_index));
  });
}

TS_API ts_tensor ts_randint(int64_t low, int64_t high, const int64_t *shape, int ndim, int dtype, int device_type,
                            int device_index) {
  return ts::guard_tensor(__func__, [&] {
    return at::randint(low, high, ts::ints(shape, ndim, "shape"), ts::options(dtype, device_type, device_index));
  });
}

TS_API ts_tensor ts_randperm(int64_t n, int device_type, int device_index) {
  return ts::guard_tensor(__func__, [&] {
    return at::randperm(n, ts::options(TS_DTYPE_INT64, device_type, device_index));
  });
}

TS_API ts_tensor ts_arange(double start, double end, double step, int dtype, int device_type, int device_index) {
  return ts::guard_tensor(__func__, [&] {
    return at::arange(at::Scalar(start), at::Scalar(end), at::Scalar(step),
                      ts::options(dtype, device_type, device_index));
  });
}

TS_API ts_tensor ts_eye(int64_t n, int64_t m, int dtype, int device_type, int device_index) {
  return ts::guard_tensor(__func__, [&] {
    return at::eye(n, m < 0 ? n : m, ts::options(dtype, device_type, device_index));
  });
}

namespace {

int64_t checked_numel(at::IntArrayRef shape) {
  int64_t n = 1;
  for (int64_t d : shape) {
    if (d < 0) ts::fail("negative dimension " + std::to_string(d) + " in shape");
    if (d != 0 && n > std::numeric_limits<int64_t>::max() / d) ts::fail("shape has too many elements");
    n *= d;
  }
  return n;
}

}  // namespace

TS_API ts_tensor ts_from_data(const void *data, int64_t nbytes, const int64_t *shape, int ndim, int dtype) {
  return ts::guard_tensor(__func__, [&] {
    at::IntArrayRef s = ts::ints(shape, ndim, "shape");
    c10::ScalarType st = ts::scalar_type(dtype);
    int64_t itemsize = static_cast<int64_t>(c10::elementSize(st));
    int64_t numel = checked_numel(s);
    if (numel > std::numeric_limits<int64_t>::max() / itemsize) ts::fail("shape has too many elements");
    if (nbytes != numel * itemsize)
      ts::fail("nbytes is " + std::to_string(nbytes) + " but the shape needs " + std::to_string(numel) + " x " +
               std::to_string(itemsize) + " = " + std::to_string(numel * itemsize) + " bytes");
    if (nbytes > 0 && data == nullptr) ts::fail("'data' is null");
    at::Tensor t = at::empty(s, at::TensorOptions().dtype(st).device(c10::kCPU));
    if (nbytes > 0) std::memcpy(t.data_ptr(), data, static_cast<size_t>(nbytes));
    return t;
  });
}

TS_API int ts_copy_to_host(ts_tensor t, void *dst, int64_t nbytes) {
  return ts::guard_status(__func__, [&] {
    const at::Tensor &x = T(t, "t");
    if (!x.defined()) ts::fail("the tensor is undefined");
    int64_t need = static_cast<int64_t>(x.numel()) * static_cast<int64_t>(x.element_size());
    if (nbytes != need)
      ts::fail("nbytes is " + std::to_string(nbytes) + " but the tensor holds " + std::to_string(need) + " bytes");
    if (need == 0) return;
    if (dst == nullptr) ts::fail("'dst' is null");
    at::Tensor d = x.is_mkldnn() ? x.to_dense() : x;  // values of an opaque tensor: through a dense copy
    at::Tensor c = d.detach().to(c10::kCPU).resolve_conj().resolve_neg().contiguous();
    std::memcpy(dst, c.data_ptr(), static_cast<size_t>(need));
  });
}

TS_API int ts_item_double(ts_tensor t, double *out) {
  return ts::guard_status(__func__, [&] {
    const at::Tensor &x = T(t, "t");
    if (out == nullptr) ts::fail("'out' is null");
    *out = x.item().toDouble();
  });
}

TS_API int ts_item_int64(ts_tensor t, int64_t *out) {
  return ts::guard_status(__func__, [&] {
    const at::Tensor &x = T(t, "t");
    if (out == nullptr) ts::fail("'out' is null");
    *out = x.item().toLong();
  });
}

// ---- conversion --------------------------------------------------------------------------------

TS_API ts_tensor ts_to_device(ts_tensor t, int device_type, int device_index, bool non_blocking) {
  return ts::guard_tensor(__func__, [&] {
    const at::Tensor &x = T(t, "t");
    return x.to(at::TensorOptions().device(ts::device(device_type, device_index)), non_blocking);
  });
}

TS_API ts_tensor ts_to_dtype(ts_tensor t, int dtype) {
  return ts::guard_tensor(__func__, [&] {
    const at::Tensor &x = T(t, "t");
    return x.to(ts::scalar_type(dtype));
  });
}

TS_API ts_tensor ts_pin_memory(ts_tensor t) {
  return ts::guard_tensor(__func__, [&] {
    const at::Tensor &x = T(t, "t");
    ts::require_cuda("pinned memory needs CUDA");
    return x.pin_memory();
  });
}

TS_API ts_tensor ts_contiguous(ts_tensor t) {
  return ts::guard_tensor(__func__, [&] { return T(t, "t").contiguous(); });
}

TS_API ts_tensor ts_contiguous_format(ts_tensor t, int memory_format) {
  return ts::guard_tensor(__func__, [&] {
    const at::Tensor &x = T(t, "t");
    const c10::MemoryFormat format = ts::memory_format(memory_format);
    if (format == c10::MemoryFormat::ChannelsLast && x.dim() != 4) {
      ts::fail("channels-last needs a 4-D (N, C, H, W) tensor, got " + std::to_string(x.dim()) + " dimensions");
    }
    return x.contiguous(format);
  });
}

TS_API ts_tensor ts_clone(ts_tensor t) {
  return ts::guard_tensor(__func__, [&] { return T(t, "t").clone(); });
}

TS_API ts_tensor ts_detach(ts_tensor t) {
  return ts::guard_tensor(__func__, [&] { return T(t, "t").detach(); });
}
