// autograd.cpp: requires_grad, backward, gradients, grad mode.
#include "shim_internal.h"

#include <c10/core/GradMode.h>

using ts::T;

TS_API int ts_set_requires_grad(ts_tensor t, bool requires_grad) {
  return ts::guard_status(__func__, [&] { T(t, "t").set_requires_grad(requires_grad); });
}

TS_API bool ts_requires_grad(ts_tensor t) {
  return ts::guard<bool>(__func__, false, [&] { return T(t, "t").requires_grad(); });
}

TS_API bool ts_is_leaf(ts_tensor t) {
  return ts::guard<bool>(__func__, false, [&] { return T(t, "t").is_leaf(); });
}

TS_API int ts_backward(ts_tensor t, ts_tensor grad, bool retain_graph) {
  return ts::guard_status(__func__, [&] {
    const at::Tensor &x = T(t, "t");
    c10::optional<at::Tensor> g = ts::opt(grad);
    x.backward(g.has_value() ? *g : at::Tensor(), c10::optional<bool>(retain_graph), false);
  });
}

TS_API int ts_grad(ts_tensor t, ts_tensor *out) {
  if (out != nullptr) *out = nullptr;
  return ts::guard_status(__func__, [&] {
    const at::Tensor &x = T(t, "t");
    if (out == nullptr) ts::fail("'out' is null");
    const at::Tensor &g = x.grad();
    if (g.defined()) *out = ts::wrap(g);
  });
}

TS_API int ts_grad_reset(ts_tensor t) {
  return ts::guard_status(__func__, [&] { T(t, "t").mutable_grad().reset(); });
}

TS_API int ts_set_grad(ts_tensor t, ts_tensor g) {
  return ts::guard_status(__func__, [&] {
    const at::Tensor &x = T(t, "t");
    c10::optional<at::Tensor> ng = ts::opt(g);
    if (!ng.has_value()) {
      x.mutable_grad().reset();
      return;
    }
    // the checks torch.Tensor.grad's setter makes
    const at::Tensor &v = *ng;
    if (v.scalar_type() != x.scalar_type())
      ts::fail(std::string("assigned grad has data type ") + c10::toString(v.scalar_type()) +
               ", but the tensor has " + c10::toString(x.scalar_type()));
    if (v.device() != x.device())
      ts::fail("assigned grad is on " + v.device().str() + ", but the tensor is on " + x.device().str());
    if (!v.sizes().equals(x.sizes()))
      ts::fail("assigned grad has size " + c10::str(v.sizes()) + ", but the tensor has size " + c10::str(x.sizes()));
    x.mutable_grad() = v;
  });
}

TS_API int ts_set_grad_enabled(bool enabled) {
  return ts::guard<int>(__func__, -1, [&] {
    bool prev = c10::GradMode::is_enabled();
    c10::GradMode::set_enabled(enabled);
    return prev ? 1 : 0;
  });
}

TS_API bool ts_is_grad_enabled(void) { return c10::GradMode::is_enabled(); }
