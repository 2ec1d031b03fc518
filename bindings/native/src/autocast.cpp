// autocast.cpp: automatic mixed precision — entering and leaving autocast regions, and the non-finite check
// with unscaling that a gradient scaler needs.
//
// libtorch renamed the autocast state functions in 2.4: 1.13 to 2.3 have one pair per device type
// (is_enabled/set_enabled for CUDA, is_cpu_enabled/set_cpu_enabled, get/set_autocast_{gpu,cpu}_dtype),
// 2.4 and later take the device type as an argument (is_autocast_enabled, set_autocast_enabled,
// get/set_autocast_dtype) and deprecate the old names. increment_nesting, decrement_nesting and clear_cache
// keep their names. All of this state is thread-local in libtorch.
//
// <ATen/autocast_mode.h> pulls in <ATen/ATen.h> (a few seconds of compile time); it is included anyway so that
// the compiler checks these calls against the libtorch actually used.
#include "shim_internal.h"

#include <ATen/autocast_mode.h>
#include <ATen/ops/_amp_foreach_non_finite_check_and_unscale.h>
#include <ATen/ops/full.h>
#include <ATen/ops/isfinite.h>
#include <ATen/ops/zeros.h>
#include <c10/core/GradMode.h>
#include <torch/version.h>

#include <map>

#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
#define TS_AUTOCAST_BY_DEVICE 1
#endif

namespace {

c10::DeviceType autocast_device(int device_type) {
  switch (device_type) {
    case TS_DEVICE_CPU:
      return c10::DeviceType::CPU;
    case TS_DEVICE_CUDA:
      return c10::DeviceType::CUDA;
    default:
      ts::fail("autocast supports device types CPU (" + std::to_string(TS_DEVICE_CPU) + ") and CUDA (" +
               std::to_string(TS_DEVICE_CUDA) + "), got " + std::to_string(device_type));
  }
}

c10::ScalarType lower_precision(c10::DeviceType dev, int dtype) {
  if (dtype == TS_DTYPE_BFLOAT16) return at::kBFloat16;
  if (dtype == TS_DTYPE_FLOAT16) {
#ifndef TS_AUTOCAST_BY_DEVICE
    // Older libtorch lacks float16 CPU kernels for many ops autocast casts (Python's torch.autocast of those
    // versions switches CPU autocast off for float16, with a warning); allowed here from 2.4 on, with the
    // generalised autocast API.
    if (dev == c10::DeviceType::CPU)
      ts::fail("float16 autocast on the CPU needs libtorch >= 2.4 (this is " TORCH_VERSION "); use bfloat16");
#endif
    return at::kHalf;
  }
  ts::fail("autocast dtype must be bfloat16 (" + std::to_string(TS_DTYPE_BFLOAT16) + ") or float16 (" +
           std::to_string(TS_DTYPE_FLOAT16) + "), got " + std::to_string(dtype));
}

bool is_enabled(c10::DeviceType dev) {
#ifdef TS_AUTOCAST_BY_DEVICE
  return at::autocast::is_autocast_enabled(dev);
#else
  return dev == c10::DeviceType::CPU ? at::autocast::is_cpu_enabled() : at::autocast::is_enabled();
#endif
}

void set_enabled(c10::DeviceType dev, bool enabled) {
#ifdef TS_AUTOCAST_BY_DEVICE
  at::autocast::set_autocast_enabled(dev, enabled);
#else
  if (dev == c10::DeviceType::CPU) {
    at::autocast::set_cpu_enabled(enabled);
  } else {
    at::autocast::set_enabled(enabled);
  }
#endif
}

c10::ScalarType get_dtype(c10::DeviceType dev) {
#ifdef TS_AUTOCAST_BY_DEVICE
  return at::autocast::get_autocast_dtype(dev);
#else
  return dev == c10::DeviceType::CPU ? at::autocast::get_autocast_cpu_dtype() : at::autocast::get_autocast_gpu_dtype();
#endif
}

void set_dtype(c10::DeviceType dev, c10::ScalarType dtype) {
#ifdef TS_AUTOCAST_BY_DEVICE
  at::autocast::set_autocast_dtype(dev, dtype);
#else
  if (dev == c10::DeviceType::CPU) {
    at::autocast::set_autocast_cpu_dtype(dtype);
  } else {
    at::autocast::set_autocast_gpu_dtype(dtype);
  }
#endif
}

// Whether any element of the gradients is inf or NaN, as one boolean tensor (no host synchronisation yet),
// and multiplies them by inv_scale. The per-tensor path, for devices without the fused kernel (the CPU in
// libtorch 1.13). The check looks at the values before scaling, as the fused kernel does.
at::Tensor check_and_unscale(const std::vector<at::Tensor> &grads, double inv_scale) {
  at::Tensor all_finite;
  for (const at::Tensor &g : grads) {
    at::Tensor finite = at::isfinite(g).all();
    all_finite = all_finite.defined() ? all_finite.logical_and(finite) : finite;
    if (inv_scale != 1.0) g.mul_(inv_scale);
  }
  return all_finite.logical_not();
}

}  // namespace

TS_API int ts_autocast_is_enabled(int device_type) {
  return ts::guard<int>(__func__, -1, [&] { return is_enabled(autocast_device(device_type)) ? 1 : 0; });
}

TS_API int ts_autocast_dtype(int device_type) {
  return ts::guard<int>(__func__, -1, [&] { return static_cast<int>(get_dtype(autocast_device(device_type))); });
}

TS_API int ts_autocast_enter(int device_type, bool enabled, int dtype, bool *prev_enabled, int *prev_dtype) {
  return ts::guard_status(__func__, [&] {
    if (prev_enabled == nullptr || prev_dtype == nullptr) ts::fail("'prev_enabled' and 'prev_dtype' must not be null");
    c10::DeviceType dev = autocast_device(device_type);
    // Validate before changing anything, so that a refused region leaves the state as it was.
    c10::ScalarType previous = get_dtype(dev);
    c10::ScalarType next = enabled ? lower_precision(dev, dtype) : previous;
    *prev_enabled = is_enabled(dev);
    *prev_dtype = static_cast<int>(previous);
    set_enabled(dev, enabled);
    set_dtype(dev, next);
    at::autocast::increment_nesting();
  });
}

TS_API int ts_autocast_exit(int device_type, bool prev_enabled, int prev_dtype) {
  return ts::guard_status(__func__, [&] {
    c10::DeviceType dev = autocast_device(device_type);
    c10::ScalarType restored = ts::scalar_type(prev_dtype);
    // The cache holds the lower-precision copies of weights made in this region; it lives until the outermost
    // region ends, so that a weight used several times in one forward is cast once.
    if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
    set_enabled(dev, prev_enabled);
    set_dtype(dev, restored);
  });
}

TS_API int ts_amp_unscale_(const ts_tensor *params, int n, double inv_scale, bool *found_inf) {
  if (found_inf != nullptr) *found_inf = false;
  return ts::guard_status(__func__, [&] {
    if (found_inf == nullptr) ts::fail("'found_inf' is null");
    std::vector<at::Tensor> ps = ts::tensor_list(params, n, "params");
    c10::AutoGradMode no_grad(false);
    // Gradients grouped by device: the fused kernel wants one device per call.
    std::map<std::pair<int, int>, std::vector<at::Tensor>> by_device;
    for (const at::Tensor &p : ps) {
      at::Tensor g = p.grad();
      if (!g.defined()) continue;
      by_device[{static_cast<int>(g.device().type()), static_cast<int>(g.device().index())}].push_back(g);
    }
    bool any = false;
    for (auto &entry : by_device) {
      std::vector<at::Tensor> &grads = entry.second;
      const c10::Device dev = grads[0].device();
      bool found;
      if (dev.is_cuda()) {
        // The fused kernel computes in float32: inv_scale is a float32 tensor, as GradScaler makes it.
        at::Tensor flag = at::zeros({1}, at::TensorOptions().dtype(at::kFloat).device(dev));
        at::Tensor inv = at::full({1}, inv_scale, at::TensorOptions().dtype(at::kFloat).device(dev));
        at::_amp_foreach_non_finite_check_and_unscale_(grads, flag, inv);
        found = flag.item<float>() != 0.0f;
      } else {
        found = check_and_unscale(grads, inv_scale).item<bool>();
      }
      // One host synchronisation per device (the item() above); a model lives on one device.
      any = any || found;
    }
    *found_inf = any;
  });
}
