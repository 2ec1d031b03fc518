// elementwise.cpp: unary / binary / scalar elementwise ops, clamp, where, masks, reductions.
#include "shim_internal.h"

#include <ATen/ops/linalg_vector_norm.h>
#include <ATen/ops/scalar_tensor.h>

#include <algorithm>

using ts::T;

namespace {

// A Python-number-like scalar tensor (a "wrapped number"), so that type promotion treats it like a
// Python scalar, as PyTorch does for `tensor op number`.
at::Tensor wrapped(double v) {
  at::Tensor w = at::scalar_tensor(at::Scalar(v), at::TensorOptions().dtype(at::kDouble));
  w.unsafeGetTensorImpl()->set_wrapped_number(true);
  return w;
}

[[noreturn]] void bad_op(const char *kind, int op) { ts::fail(std::string("unknown ") + kind + " op code " + std::to_string(op)); }

at::Tensor unary(int op, const at::Tensor &a) {
  switch (op) {
    case TS_UNARY_NEG: return a.neg();
    case TS_UNARY_ABS: return a.abs();
    case TS_UNARY_EXP: return a.exp();
    case TS_UNARY_LOG: return a.log();
    case TS_UNARY_SQRT: return a.sqrt();
    case TS_UNARY_RSQRT: return a.rsqrt();
    case TS_UNARY_TANH: return a.tanh();
    case TS_UNARY_SIGMOID: return a.sigmoid();
    case TS_UNARY_RELU: return a.relu();
    case TS_UNARY_SIN: return a.sin();
    case TS_UNARY_COS: return a.cos();
    case TS_UNARY_FLOOR: return a.floor();
    case TS_UNARY_CEIL: return a.ceil();
    case TS_UNARY_ROUND: return a.round();
    case TS_UNARY_SIGN: return a.sign();
    case TS_UNARY_SQUARE: return a.square();
    case TS_UNARY_LOG1P: return a.log1p();
    case TS_UNARY_RECIPROCAL: return a.reciprocal();
    case TS_UNARY_LOGICAL_NOT: return a.logical_not();
    default: bad_op("unary", op);
  }
}

void unary_(int op, const at::Tensor &a) {
  switch (op) {
    case TS_UNARY_NEG: a.neg_(); return;
    case TS_UNARY_ABS: a.abs_(); return;
    case TS_UNARY_EXP: a.exp_(); return;
    case TS_UNARY_LOG: a.log_(); return;
    case TS_UNARY_SQRT: a.sqrt_(); return;
    case TS_UNARY_RSQRT: a.rsqrt_(); return;
    case TS_UNARY_TANH: a.tanh_(); return;
    case TS_UNARY_SIGMOID: a.sigmoid_(); return;
    case TS_UNARY_RELU: a.relu_(); return;
    case TS_UNARY_SIN: a.sin_(); return;
    case TS_UNARY_COS: a.cos_(); return;
    case TS_UNARY_FLOOR: a.floor_(); return;
    case TS_UNARY_CEIL: a.ceil_(); return;
    case TS_UNARY_ROUND: a.round_(); return;
    case TS_UNARY_SIGN: a.sign_(); return;
    case TS_UNARY_SQUARE: a.square_(); return;
    case TS_UNARY_LOG1P: a.log1p_(); return;
    case TS_UNARY_RECIPROCAL: a.reciprocal_(); return;
    case TS_UNARY_LOGICAL_NOT: a.logical_not_(); return;
    default: bad_op("unary", op);
  }
}

at::Tensor binary(int op, const at::Tensor &a, const at::Tensor &b) {
  switch (op) {
    case TS_BINARY_ADD: return a.add(b);
    case TS_BINARY_SUB: return a.sub(b);
    case TS_BINARY_MUL: return a.mul(b);
    case TS_BINARY_DIV: return a.div(b);
    case TS_BINARY_POW: return a.pow(b);
    case TS_BINARY_MAXIMUM: return a.maximum(b);
    case TS_BINARY_MINIMUM: return a.minimum(b);
    case TS_BINARY_EQ: return a.eq(b);
    case TS_BINARY_NE: return a.ne(b);
    case TS_BINARY_LT: return a.lt(b);
    case TS_BINARY_LE: return a.le(b);
    case TS_BINARY_GT: return a.gt(b);
    case TS_BINARY_GE: return a.ge(b);
    case TS_BINARY_REMAINDER: return a.remainder(b);
    case TS_BINARY_ATAN2: return a.atan2(b);
    case TS_BINARY_LOGICAL_AND: return a.logical_and(b);
    case TS_BINARY_LOGICAL_OR: return a.logical_or(b);
    default: bad_op("binary", op);
  }
}

void binary_(int op, const at::Tensor &a, const at::Tensor &b) {
  switch (op) {
    case TS_BINARY_ADD: a.add_(b); return;
    case TS_BINARY_SUB: a.sub_(b); return;
    case TS_BINARY_MUL: a.mul_(b); return;
    case TS_BINARY_DIV: a.div_(b); return;
    case TS_BINARY_POW: a.pow_(b); return;
    // no in-place maximum/minimum in ATen: compute, then copy back (broadcasting rules as for in-place ops)
    case TS_BINARY_MAXIMUM: a.copy_(a.maximum(b)); return;
    case TS_BINARY_MINIMUM: a.copy_(a.minimum(b)); return;
    case TS_BINARY_EQ: a.eq_(b); return;
    case TS_BINARY_NE: a.ne_(b); return;
    case TS_BINARY_LT: a.lt_(b); return;
    case TS_BINARY_LE: a.le_(b); return;
    case TS_BINARY_GT: a.gt_(b); return;
    case TS_BINARY_GE: a.ge_(b); return;
    case TS_BINARY_REMAINDER: a.remainder_(b); return;
    case TS_BINARY_ATAN2: a.atan2_(b); return;
    case TS_BINARY_LOGICAL_AND: a.logical_and_(b); return;
    case TS_BINARY_LOGICAL_OR: a.logical_or_(b); return;
    default: bad_op("binary", op);
  }
}

at::Tensor binary_scalar(int op, const at::Tensor &a, double v) {
  const at::Scalar b(v);
  switch (op) {
    case TS_BINARY_ADD: return a.add(b);
    case TS_BINARY_SUB: return a.sub(b);
    case TS_BINARY_MUL: return a.mul(b);
    case TS_BINARY_DIV: return a.div(b);
    case TS_BINARY_POW: return a.pow(b);
    case TS_BINARY_EQ: return a.eq(b);
    case TS_BINARY_NE: return a.ne(b);
    case TS_BINARY_LT: return a.lt(b);
    case TS_BINARY_LE: return a.le(b);
    case TS_BINARY_GT: return a.gt(b);
    case TS_BINARY_GE: return a.ge(b);
    case TS_BINARY_REMAINDER: return a.remainder(b);
    case TS_BINARY_MAXIMUM:
    case TS_BINARY_MINIMUM:
    case TS_BINARY_ATAN2:
    case TS_BINARY_LOGICAL_AND:
    case TS_BINARY_LOGICAL_OR:
      return binary(op, a, wrapped(v));
    default: bad_op("binary", op);
  }
}

void binary_scalar_(int op, const at::Tensor &a, double v) {
  const at::Scalar b(v);
  switch (op) {
    case TS_BINARY_ADD: a.add_(b); return;
    case TS_BINARY_SUB: a.sub_(b); return;
    case TS_BINARY_MUL: a.mul_(b); return;
    case TS_BINARY_DIV: a.div_(b); return;
    case TS_BINARY_POW: a.pow_(b); return;
    case TS_BINARY_EQ: a.eq_(b); return;
    case TS_BINARY_NE: a.ne_(b); return;
    case TS_BINARY_LT: a.lt_(b); return;
    case TS_BINARY_LE: a.le_(b); return;
    case TS_BINARY_GT: a.gt_(b); return;
    case TS_BINARY_GE: a.ge_(b); return;
    case TS_BINARY_REMAINDER: a.remainder_(b); return;
    case TS_BINARY_MAXIMUM:
    case TS_BINARY_MINIMUM:
    case TS_BINARY_ATAN2:
    case TS_BINARY_LOGICAL_AND:
    case TS_BINARY_LOGICAL_OR:
      binary_(op, a, wrapped(v));
      return;
    default: bad_op("binary", op);
  }
}

c10::optional<at::Scalar> opt_scalar(bool has, double v) {
  if (!has) return c10::nullopt;
  return at::Scalar(v);
}

// The dimensions a reduction runs over: the given ones, or all of them when ndims == 0.
// Empty means "everything, without keepdim" (the whole-tensor overloads, as x.sum() in PyTorch).
std::vector<int64_t> reduce_dims(const at::Tensor &a, const int64_t *dims, int ndims, bool keepdim) {
  at::IntArrayRef d = ts::ints(dims, ndims, "dims");
  if (!d.empty()) return d.vec();
  std::vector<int64_t> all;
  if (keepdim)
    for (int64_t i = 0; i < a.dim(); i++) all.push_back(i);
  return all;
}

at::Tensor reduce(int op, const at::Tensor &a, const int64_t *dims, int ndims, bool keepdim) {
  std::vector<int64_t> dv = reduce_dims(a, dims, ndims, keepdim);
  // (a 0-dim tensor has no dimension to name either: the whole-tensor overloads handle it)
  const bool whole = dv.empty();
  at::IntArrayRef d(dv);
  switch (op) {
    case TS_REDUCE_SUM: return whole ? a.sum() : a.sum(d, keepdim);
    case TS_REDUCE_MEAN: return whole ? a.mean() : a.mean(d, keepdim);
    case TS_REDUCE_AMAX: return a.amax(d, keepdim);
    case TS_REDUCE_AMIN: return a.amin(d, keepdim);
    case TS_REDUCE_LOGSUMEXP: {
      if (!whole) return a.logsumexp(d, keepdim);
      // logsumexp needs the dimensions named (a 0-dim tensor takes dimension 0)
      std::vector<int64_t> all = {0};
      for (int64_t i = 1; i < a.dim(); i++) all.push_back(i);
      return a.logsumexp(all, false);
    }
    case TS_REDUCE_PROD: {
      if (whole) return a.prod();
      if (dv.size() == 1) return a.prod(dv[0], keepdim);
      // prod has no multi-dimension overload: reduce one dimension at a time, highest first so the
      // lower indices stay valid when keepdim is false.
      std::vector<int64_t> w;
      for (int64_t x : dv) w.push_back(c10::maybe_wrap_dim(x, a.dim()));
      std::sort(w.begin(), w.end());
      if (std::adjacent_find(w.begin(), w.end()) != w.end()) ts::fail("a dimension appears more than once in dims");
      at::Tensor r = a;
      for (auto it = w.rbegin(); it != w.rend(); ++it) r = r.prod(*it, keepdim);
      return r;
    }
    case TS_REDUCE_VAR_UNBIASED: return whole ? a.var(true) : a.var(d, true, keepdim);
    case TS_REDUCE_VAR_BIASED: return whole ? a.var(false) : a.var(d, false, keepdim);
    case TS_REDUCE_STD_UNBIASED: return whole ? a.std(true) : a.std(d, true, keepdim);
    // torch.norm(x, 2) runs torch.linalg.vector_norm
    case TS_REDUCE_NORM2:
      return whole ? at::linalg_vector_norm(a, 2) : at::linalg_vector_norm(a, 2, d, keepdim, c10::nullopt);
    default: bad_op("reduce", op);
  }
}

int minmax_dim(const char *fn, bool is_max, ts_tensor a, int64_t dim, bool keepdim, ts_tensor *values,
               ts_tensor *indices) {
  if (values != nullptr) *values = nullptr;
  if (indices != nullptr) *indices = nullptr;
  return ts::guard_status(fn, [&] {
    const at::Tensor &x = T(a, "a");
    if (values == nullptr) ts::fail("'values' is null");
    if (indices == nullptr) ts::fail("'indices' is null");
    auto r = is_max ? x.max(dim, keepdim) : x.min(dim, keepdim);
    ts_tensor v = ts::wrap(std::get<0>(r));
    try {
      *indices = ts::wrap(std::get<1>(r));
    } catch (...) {
      ts_free(v);
      throw;
    }
    *values = v;
  });
}

}  // namespace

// ---- elementwise -------------------------------------------------------------------------------

TS_API ts_tensor ts_unary(int op, ts_tensor a) {
  return ts::guard_tensor(__func__, [&] { return unary(op, T(a, "a")); });
}

TS_API int ts_unary_(int op, ts_tensor a) {
  return ts::guard_status(__func__, [&] { unary_(op, T(a, "a")); });
}

TS_API ts_tensor ts_binary(int op, ts_tensor a, ts_tensor b) {
  return ts::guard_tensor(__func__, [&] { return binary(op, T(a, "a"), T(b, "b")); });
}

TS_API int ts_binary_(int op, ts_tensor a, ts_tensor b) {
  return ts::guard_status(__func__, [&] { binary_(op, T(a, "a"), T(b, "b")); });
}

TS_API ts_tensor ts_binary_scalar(int op, ts_tensor a, double b) {
  return ts::guard_tensor(__func__, [&] { return binary_scalar(op, T(a, "a"), b); });
}

TS_API int ts_binary_scalar_(int op, ts_tensor a, double b) {
  return ts::guard_status(__func__, [&] { binary_scalar_(op, T(a, "a"), b); });
}

TS_API ts_tensor ts_add_scaled(ts_tensor a, ts_tensor b, double alpha) {
  return ts::guard_tensor(__func__, [&] { return T(a, "a").add(T(b, "b"), at::Scalar(alpha)); });
}

TS_API int ts_add_scaled_(ts_tensor a, ts_tensor b, double alpha) {
  return ts::guard_status(__func__, [&] { T(a, "a").add_(T(b, "b"), at::Scalar(alpha)); });
}

TS_API ts_tensor ts_clamp(ts_tensor a, bool has_min, double min, bool has_max, double max) {
  return ts::guard_tensor(__func__, [&] {
    const at::Tensor &x = T(a, "a");
    if (!has_min && !has_max) return x.clone();  // nothing to clamp (libtorch refuses both open)
    return x.clamp(opt_scalar(has_min, min), opt_scalar(has_max, max));
  });
}

TS_API int ts_clamp_(ts_tensor a, bool has_min, double min, bool has_max, double max) {
  return ts::guard_status(__func__, [&] {
    const at::Tensor &x = T(a, "a");
    if (!has_min && !has_max) return;
    x.clamp_(opt_scalar(has_min, min), opt_scalar(has_max, max));
  });
}

TS_API ts_tensor ts_where(ts_tensor condition, ts_tensor a, ts_tensor b) {
  return ts::guard_tensor(__func__, [&] { return T(a, "a").where(T(condition, "condition"), T(b, "b")); });
}

TS_API ts_tensor ts_masked_fill(ts_tensor a, ts_tensor mask, double value) {
  return ts::guard_tensor(__func__, [&] { return T(a, "a").masked_fill(T(mask, "mask"), at::Scalar(value)); });
}

TS_API ts_tensor ts_masked_select(ts_tensor a, ts_tensor mask) {
  return ts::guard_tensor(__func__, [&] { return T(a, "a").masked_select(T(mask, "mask")); });
}

TS_API ts_tensor ts_lerp(ts_tensor a, ts_tensor b, double w) {
  return ts::guard_tensor(__func__, [&] { return T(a, "a").lerp(T(b, "b"), at::Scalar(w)); });
}

TS_API int ts_zero_(ts_tensor a) {
  return ts::guard_status(__func__, [&] { T(a, "a").zero_(); });
}

TS_API int ts_fill_(ts_tensor a, double value) {
  return ts::guard_status(__func__, [&] { T(a, "a").fill_(at::Scalar(value)); });
}

TS_API int ts_copy_(ts_tensor dst, ts_tensor src) {
  return ts::guard_status(__func__, [&] { T(dst, "dst").copy_(T(src, "src")); });
}

TS_API int ts_allclose(ts_tensor a, ts_tensor b, double rtol, double atol, bool *out) {
  return ts::guard_status(__func__, [&] {
    const at::Tensor &x = T(a, "a");
    const at::Tensor &y = T(b, "b");
    if (out == nullptr) ts::fail("'out' is null");
    *out = x.allclose(y, rtol, atol, false);
  });
}

// ---- reductions --------------------------------------------------------------------------------

TS_API ts_tensor ts_reduce(int op, ts_tensor a, const int64_t *dims, int ndims, bool keepdim) {
  return ts::guard_tensor(__func__, [&] { return reduce(op, T(a, "a"), dims, ndims, keepdim); });
}

TS_API int ts_topk(ts_tensor a, int64_t k, int64_t dim, bool largest, ts_tensor *values, ts_tensor *indices) {
  if (values != nullptr) *values = nullptr;
  if (indices != nullptr) *indices = nullptr;
  return ts::guard_status(__func__, [&] {
    const at::Tensor &x = T(a, "a");
    if (values == nullptr) ts::fail("'values' is null");
    if (indices == nullptr) ts::fail("'indices' is null");
    // libtorch checks k against the dimension's size and dim against the rank, and throws (caught here).
    auto r = x.topk(k, dim, largest, /*sorted=*/true);
    ts_tensor v = ts::wrap(std::get<0>(r));
    try {
      *indices = ts::wrap(std::get<1>(r));
    } catch (...) {
      ts_free(v);
      throw;
    }
    *values = v;
  });
}

TS_API int ts_max_dim(ts_tensor a, int64_t dim, bool keepdim, ts_tensor *values, ts_tensor *indices) {
  return minmax_dim(__func__, true, a, dim, keepdim, values, indices);
}

TS_API int ts_min_dim(ts_tensor a, int64_t dim, bool keepdim, ts_tensor *values, ts_tensor *indices) {
  return minmax_dim(__func__, false, a, dim, keepdim, values, indices);
}

TS_API ts_tensor ts_argmax(ts_tensor a, bool has_dim, int64_t dim, bool keepdim) {
  return ts::guard_tensor(__func__, [&] {
    return T(a, "a").argmax(has_dim ? c10::optional<int64_t>(dim) : c10::nullopt, keepdim);
  });
}

TS_API ts_tensor ts_argmin(ts_tensor a, bool has_dim, int64_t dim, bool keepdim) {
  return ts::guard_tensor(__func__, [&] {
    return T(a, "a").argmin(has_dim ? c10::optional<int64_t>(dim) : c10::nullopt, keepdim);
  });
}

TS_API ts_tensor ts_cumsum(ts_tensor a, int64_t dim) {
  return ts::guard_tensor(__func__, [&] { return T(a, "a").cumsum(dim); });
}
