// bench.cpp: the pure-C++ loops the Java benchmarks compare against (same work, no downcalls).
// Each loop waits for the device at the end, so that its wall time covers the work done.
#include "shim_internal.h"

#include <ATen/ops/add.h>
#include <ATen/ops/conv2d.h>
#include <ATen/ops/convolution_backward.h>
#include <ATen/ops/ones_like.h>
#include <c10/core/GradMode.h>

using ts::T;

TS_API int ts_bench_add_loop(ts_tensor a, ts_tensor b, int64_t iterations) {
  return ts::guard_status(__func__, [&] {
    const at::Tensor &x = T(a, "a");
    const at::Tensor &y = T(b, "b");
    if (iterations < 0) ts::fail("iterations is negative");
    for (int64_t i = 0; i < iterations; i++) {
      at::Tensor t = at::add(x, y);
      (void)t;
    }
    ts::sync_device(x.device());
  });
}

// forward: at::conv2d(x, w, {}, 1, 1) (stride 1, padding 1).
// backward: when x or weight requires grad, y.sum().backward() through autograd, as a Java loop of
// ts_ calls would do (gradients accumulate into .grad); otherwise the convolution's backward kernel is
// called directly (at::convolution_backward) for the gradients of x and weight.
TS_API int ts_bench_conv_loop(ts_tensor x, ts_tensor weight, int64_t iterations, bool backward) {
  return ts::guard_status(__func__, [&] {
    const at::Tensor &in = T(x, "x");
    const at::Tensor &w = T(weight, "weight");
    if (iterations < 0) ts::fail("iterations is negative");
    const bool autograd = backward && c10::GradMode::is_enabled() && (in.requires_grad() || w.requires_grad());
    const std::vector<int64_t> one = {1, 1}, zero = {0, 0};
    for (int64_t i = 0; i < iterations; i++) {
      at::Tensor y = at::conv2d(in, w, {}, 1, 1);
      if (!backward) continue;
      if (autograd) {
        y.sum().backward();
      } else {
        c10::AutoGradMode no_grad(false);
        at::Tensor gy = at::ones_like(y);
        auto grads = at::convolution_backward(gy, in, w, c10::nullopt, one, one, one, false, zero, 1,
                                              {true, true, false});
        (void)grads;
      }
    }
    ts::sync_device(in.device());
  });
}
