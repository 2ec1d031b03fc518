// nn_ops.cpp: linear algebra and neural-network ops (convolution, normalisation, pooling, padding,
// softmax, losses, dropout, sampling, interpolation, one-hot).
#include "shim_internal.h"

#include <ATen/Context.h>
#include <ATen/ops/adaptive_avg_pool2d.h>
#include <ATen/ops/affine_grid_generator.h>
#include <ATen/ops/avg_pool2d.h>
#include <ATen/ops/batch_norm.h>
#include <ATen/ops/bmm.h>
#include <ATen/ops/conv2d.h>
#include <ATen/ops/cross_entropy_loss.h>
#include <ATen/ops/dropout.h>
#include <ATen/ops/grid_sampler.h>
#include <ATen/ops/linear.h>
#include <ATen/ops/log_softmax.h>
#include <ATen/ops/matmul.h>
#include <ATen/ops/max_pool2d.h>
#include <ATen/ops/mm.h>
#include <ATen/ops/mse_loss.h>
#include <ATen/ops/nll_loss.h>
#include <ATen/ops/one_hot.h>
#include <ATen/ops/pad.h>
#include <ATen/ops/softmax.h>
#include <ATen/ops/upsample_bicubic2d.h>
#include <ATen/ops/upsample_bilinear2d.h>
#include <ATen/ops/upsample_nearest2d.h>

using ts::T;

namespace {

int64_t reduction(int r) {
  if (r != TS_REDUCTION_NONE && r != TS_REDUCTION_MEAN && r != TS_REDUCTION_SUM)
    ts::fail("unknown reduction code " + std::to_string(r));
  return r;  // equal to at::Reduction::Reduction
}

// A required (h, w) pair.
std::vector<int64_t> pair_req(const int64_t *p, const char *name) {
  if (p == nullptr) ts::fail(std::string("'") + name + "' is null");
  return {p[0], p[1]};
}

}  // namespace

// ---- linear algebra ----------------------------------------------------------------------------

TS_API ts_tensor ts_mm(ts_tensor a, ts_tensor b) {
  return ts::guard_tensor(__func__, [&] { return at::mm(T(a, "a"), T(b, "b")); });
}

TS_API ts_tensor ts_matmul(ts_tensor a, ts_tensor b) {
  return ts::guard_tensor(__func__, [&] { return at::matmul(T(a, "a"), T(b, "b")); });
}

TS_API ts_tensor ts_bmm(ts_tensor a, ts_tensor b) {
  return ts::guard_tensor(__func__, [&] { return at::bmm(T(a, "a"), T(b, "b")); });
}

TS_API ts_tensor ts_linear(ts_tensor x, ts_tensor weight, ts_tensor bias) {
  return ts::guard_tensor(__func__, [&] { return at::linear(T(x, "x"), T(weight, "weight"), ts::opt(bias)); });
}

// ---- neural-network ops ------------------------------------------------------------------------

TS_API ts_tensor ts_conv2d(ts_tensor x, ts_tensor weight, ts_tensor bias, const int64_t *stride,
                           const int64_t *padding, const int64_t *dilation, int64_t groups) {
  return ts::guard_tensor(__func__, [&] {
    const at::Tensor &in = T(x, "x");
    const at::Tensor &w = T(weight, "weight");
    // NULL stride / padding / dilation select PyTorch's defaults (1, 0, 1).
    std::vector<int64_t> s = ts::pair(stride, 1), p = ts::pair(padding, 0), d = ts::pair(dilation, 1);
    return at::conv2d(in, w, ts::opt(bias), s, p, d, groups);
  });
}

TS_API ts_tensor ts_batch_norm(ts_tensor x, ts_tensor weight, ts_tensor bias, ts_tensor running_mean,
                               ts_tensor running_var, bool training, double momentum, double eps) {
  return ts::guard_tensor(__func__, [&] {
    const at::Tensor &in = T(x, "x");
    return at::batch_norm(in, ts::opt(weight), ts::opt(bias), ts::opt(running_mean), ts::opt(running_var), training,
                          momentum, eps, at::globalContext().userEnabledCuDNN());
  });
}

TS_API ts_tensor ts_max_pool2d(ts_tensor x, const int64_t *kernel, const int64_t *stride, const int64_t *padding,
                               const int64_t *dilation, bool ceil_mode) {
  return ts::guard_tensor(__func__, [&] {
    const at::Tensor &in = T(x, "x");
    std::vector<int64_t> k = pair_req(kernel, "kernel");
    // NULL stride means stride = kernel (PyTorch's default); NULL padding 0, NULL dilation 1.
    std::vector<int64_t> s = stride == nullptr ? k : ts::pair(stride, 1);
    std::vector<int64_t> p = ts::pair(padding, 0), d = ts::pair(dilation, 1);
    return at::max_pool2d(in, k, s, p, d, ceil_mode);
  });
}

TS_API ts_tensor ts_avg_pool2d(ts_tensor x, const int64_t *kernel, const int64_t *stride, const int64_t *padding,
                               bool ceil_mode, bool count_include_pad) {
  return ts::guard_tensor(__func__, [&] {
    const at::Tensor &in = T(x, "x");
    std::vector<int64_t> k = pair_req(kernel, "kernel");
    std::vector<int64_t> s = stride == nullptr ? k : ts::pair(stride, 1);
    std::vector<int64_t> p = ts::pair(padding, 0);
    return at::avg_pool2d(in, k, s, p, ceil_mode, count_include_pad, c10::nullopt);
  });
}

TS_API ts_tensor ts_adaptive_avg_pool2d(ts_tensor x, const int64_t *output_size) {
  return ts::guard_tensor(__func__, [&] {
    const at::Tensor &in = T(x, "x");
    std::vector<int64_t> o = pair_req(output_size, "output_size");
    return at::adaptive_avg_pool2d(in, o);
  });
}

TS_API ts_tensor ts_pad(ts_tensor x, const int64_t *pads, int npads, int mode, double value) {
  return ts::guard_tensor(__func__, [&] {
    const at::Tensor &in = T(x, "x");
    at::IntArrayRef p = ts::ints(pads, npads, "pads");
    if (npads % 2 != 0) ts::fail("'pads' must have an even length, got " + std::to_string(npads));
    switch (mode) {
      case TS_PAD_CONSTANT: return at::pad(in, p, "constant", c10::optional<double>(value));
      case TS_PAD_REFLECT: return at::pad(in, p, "reflect", c10::nullopt);
      case TS_PAD_REPLICATE: return at::pad(in, p, "replicate", c10::nullopt);
      default: ts::fail("unknown padding mode " + std::to_string(mode));
    }
  });
}

TS_API ts_tensor ts_softmax(ts_tensor x, int64_t dim) {
  return ts::guard_tensor(__func__, [&] { return at::softmax(T(x, "x"), dim, c10::nullopt); });
}

TS_API ts_tensor ts_log_softmax(ts_tensor x, int64_t dim) {
  return ts::guard_tensor(__func__, [&] { return at::log_softmax(T(x, "x"), dim, c10::nullopt); });
}

TS_API ts_tensor ts_cross_entropy(ts_tensor logits, ts_tensor target, ts_tensor weight, int reduction_code,
                                  int64_t ignore_index, double label_smoothing) {
  return ts::guard_tensor(__func__, [&] {
    const at::Tensor &l = T(logits, "logits");
    const at::Tensor &t = T(target, "target");
    return at::cross_entropy_loss(l, t, ts::opt(weight), reduction(reduction_code), ignore_index, label_smoothing);
  });
}

TS_API ts_tensor ts_nll_loss(ts_tensor log_probs, ts_tensor target, int reduction_code, int64_t ignore_index) {
  return ts::guard_tensor(__func__, [&] {
    const at::Tensor &l = T(log_probs, "log_probs");
    const at::Tensor &t = T(target, "target");
    return at::nll_loss(l, t, c10::nullopt, reduction(reduction_code), ignore_index);
  });
}

TS_API ts_tensor ts_mse_loss(ts_tensor a, ts_tensor b, int reduction_code) {
  return ts::guard_tensor(__func__, [&] { return at::mse_loss(T(a, "a"), T(b, "b"), reduction(reduction_code)); });
}

TS_API ts_tensor ts_dropout(ts_tensor x, double p, bool training) {
  return ts::guard_tensor(__func__, [&] {
    const at::Tensor &in = T(x, "x");
    if (p < 0.0 || p > 1.0) ts::fail("dropout probability has to be between 0 and 1, but got " + std::to_string(p));
    return at::dropout(in, p, training);
  });
}

TS_API ts_tensor ts_affine_grid(ts_tensor theta, const int64_t *size, int nsize, bool align_corners) {
  return ts::guard_tensor(__func__, [&] {
    const at::Tensor &th = T(theta, "theta");
    at::IntArrayRef s = ts::ints(size, nsize, "size");
    return at::affine_grid_generator(th, s, align_corners);
  });
}

TS_API ts_tensor ts_grid_sample(ts_tensor x, ts_tensor grid, int mode, int padding_mode, bool align_corners) {
  return ts::guard_tensor(__func__, [&] {
    const at::Tensor &in = T(x, "x");
    const at::Tensor &g = T(grid, "grid");
    if (mode != TS_SAMPLE_BILINEAR && mode != TS_SAMPLE_NEAREST && mode != TS_SAMPLE_BICUBIC)
      ts::fail("unknown sampling mode " + std::to_string(mode));
    if (padding_mode != TS_GRID_PAD_ZEROS && padding_mode != TS_GRID_PAD_BORDER &&
        padding_mode != TS_GRID_PAD_REFLECTION)
      ts::fail("unknown grid padding mode " + std::to_string(padding_mode));
    // the TS_ codes equal GridSamplerInterpolation / GridSamplerPadding, as torch.nn.functional.grid_sample passes them
    return at::grid_sampler(in, g, mode, padding_mode, align_corners);
  });
}

TS_API ts_tensor ts_interpolate(ts_tensor x, int64_t out_h, int64_t out_w, int mode, bool align_corners) {
  return ts::guard_tensor(__func__, [&] {
    const at::Tensor &in = T(x, "x");
    if (in.dim() != 4) ts::fail("expected a 4-dimensional (N, C, H, W) input, got " + std::to_string(in.dim()) + " dimensions");
    std::vector<int64_t> size = {out_h, out_w};
    at::IntArrayRef os(size);
    const c10::optional<double> none = c10::nullopt;
    switch (mode) {
      case TS_SAMPLE_BILINEAR: return at::upsample_bilinear2d(in, os, align_corners, none, none);
      case TS_SAMPLE_NEAREST: return at::upsample_nearest2d(in, os, none, none);
      case TS_SAMPLE_BICUBIC: return at::upsample_bicubic2d(in, os, align_corners, none, none);
      default: ts::fail("unknown interpolation mode " + std::to_string(mode));
    }
  });
}

TS_API ts_tensor ts_one_hot(ts_tensor labels, int64_t num_classes) {
  return ts::guard_tensor(__func__, [&] { return at::one_hot(T(labels, "labels"), num_classes); });
}
