// mkldnn.cpp: tensors in oneDNN's opaque layout ("mkldnn" in libtorch) and convolutions with prepacked weights,
// for CPU inference.
//
// Why: a chain of oneDNN ops on opaque tensors (convolution, ReLU, addition, average pooling, eval-mode batch
// norm) converts the activations once at its start and once at its end. Strided inputs make every convolution
// reorder its input, output and weight to oneDNN's blocked formats and back.
#include "shim_internal.h"

#include <ATen/Context.h>
#include <ATen/ops/mkldnn_convolution.h>
#include <ATen/ops/mkldnn_reorder_conv2d_weight.h>
#include <c10/core/GradMode.h>

using ts::T;

namespace {

const char *layout_name(const at::Tensor &t) {
  switch (t.layout()) {
    case c10::kStrided: return "strided";
    case c10::kMkldnn: return "mkldnn";
    default: return "sparse";
  }
}

void require_mkldnn_build() {
  if (!at::hasMKLDNN()) ts::fail("this libtorch was built without oneDNN (mkldnn), so it has no mkldnn layout");
}

// Refuses anything but a 4-D conv weight (libtorch's own message for other ranks is "dimensions are invalid").
void require_conv_weight(const at::Tensor &w) {
  if (w.dim() != 4)
    ts::fail("a conv2d weight is 4-D (out, in/groups, kh, kw), got " + std::to_string(w.dim()) + "-D " +
             c10::str(w.sizes()));
}

void require_groups(int64_t groups) {
  if (groups < 1) ts::fail("groups must be positive, got " + std::to_string(groups));
}

}  // namespace

TS_API int ts_layout(ts_tensor t) {
  return ts::guard<int>(__func__, -1, [&] {
    const at::Tensor &x = T(t, "t");
    switch (x.layout()) {
      case c10::kStrided: return TS_LAYOUT_STRIDED;
      case c10::kMkldnn: return TS_LAYOUT_MKLDNN;
      default: ts::fail(std::string("unsupported tensor layout ") + layout_name(x));
    }
  });
}

TS_API bool ts_mkldnn_available(void) {
  return ts::guard<bool>(__func__, false, [&] { return at::hasMKLDNN(); });
}

TS_API ts_tensor ts_to_mkldnn(ts_tensor t) {
  return ts::guard_tensor(__func__, [&] {
    const at::Tensor &x = T(t, "t");
    require_mkldnn_build();
    if (x.is_mkldnn()) ts::fail("the tensor is already in mkldnn layout");
    if (!x.is_cpu()) ts::fail("mkldnn layout is for CPU tensors; this one is on " + x.device().str());
    // libtorch refuses other dtypes and ranks with its own message; 0-D it refuses with an opaque one.
    if (x.dim() == 0) ts::fail("a 0-dimensional tensor cannot be converted to mkldnn layout");
    return x.to_mkldnn();
  });
}

TS_API ts_tensor ts_to_dense(ts_tensor t) {
  return ts::guard_tensor(__func__, [&] {
    const at::Tensor &x = T(t, "t");
    // A strided tensor is already dense: a new handle to it, as libtorch's to_dense would give.
    return x.is_mkldnn() ? x.to_dense() : x;
  });
}

TS_API ts_tensor ts_mkldnn_pack_conv2d_weight(ts_tensor weight, const int64_t *stride, const int64_t *padding,
                                              const int64_t *dilation, int64_t groups) {
  return ts::guard_tensor(__func__, [&] {
    const at::Tensor &w = T(weight, "weight");
    require_mkldnn_build();
    require_conv_weight(w);
    require_groups(groups);
    std::vector<int64_t> s = ts::pair(stride, 1), p = ts::pair(padding, 0), d = ts::pair(dilation, 1);
    // A packed weight is a constant: it records no gradient and shares nothing with the (trainable) source.
    at::NoGradGuard no_grad;
    at::Tensor opaque = w.is_mkldnn() ? w : w.detach().contiguous().to_mkldnn();
    return at::mkldnn_reorder_conv2d_weight(opaque, p, s, d, groups);
  });
}

TS_API ts_tensor ts_mkldnn_conv2d(ts_tensor x, ts_tensor packed_weight, ts_tensor bias, const int64_t *stride,
                                  const int64_t *padding, const int64_t *dilation, int64_t groups) {
  return ts::guard_tensor(__func__, [&] {
    const at::Tensor &in = T(x, "x");
    const at::Tensor &w = T(packed_weight, "packed_weight");
    require_mkldnn_build();
    // Refused rather than converted: a strided input would give a strided output (and a reorder per call), a
    // strided weight a reorder per call; both are the slow paths this function exists to avoid.
    if (!in.is_mkldnn())
      ts::fail(std::string("x must be in mkldnn layout (convert it once with to_mkldnn), got a ") + layout_name(in) +
               " tensor");
    if (!w.is_mkldnn())
      ts::fail(std::string("packed_weight must be a packed weight (ts_mkldnn_pack_conv2d_weight), got a ") +
               layout_name(w) + " tensor");
    require_conv_weight(w);
    require_groups(groups);
    c10::optional<at::Tensor> b = ts::opt(bias);
    // oneDNN reads the bias as a dense vector: give it one.
    if (b.has_value() && b->layout() == c10::kStrided) b = b->contiguous();
    std::vector<int64_t> s = ts::pair(stride, 1), p = ts::pair(padding, 0), d = ts::pair(dilation, 1);
    at::NoGradGuard no_grad;  // inference only: see the header
    return at::mkldnn_convolution(in, w, b, p, s, d, groups);
  });
}
