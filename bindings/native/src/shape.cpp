// shape.cpp: views, reshaping, joining, splitting and indexing.
#include "shim_internal.h"

#include <ATen/core/List.h>
#include <ATen/ops/cat.h>
#include <ATen/ops/stack.h>

using ts::T;

namespace {

// Hands out the pieces of a split/chunk: all of them, or none (and an error) when they do not fit.
// out == NULL with capacity 0 only asks for the count.
int hand_out(const std::vector<at::Tensor> &pieces, ts_tensor *out, int capacity) {
  const int n = static_cast<int>(pieces.size());
  if (out == nullptr && capacity == 0) return n;
  if (out == nullptr) ts::fail("'out' is null");
  if (n > capacity)
    ts::fail("the result has " + std::to_string(n) + " pieces but 'out' has room for " + std::to_string(capacity));
  std::vector<ts_tensor> made;
  made.reserve(pieces.size());
  try {
    for (const at::Tensor &p : pieces) made.push_back(ts::wrap(p));
  } catch (...) {
    for (ts_tensor h : made) ts_free(h);
    throw;
  }
  for (int i = 0; i < n; i++) out[i] = made[static_cast<size_t>(i)];
  return n;
}

}  // namespace

TS_API ts_tensor ts_reshape(ts_tensor a, const int64_t *shape, int ndim) {
  return ts::guard_tensor(__func__, [&] { return T(a, "a").reshape(ts::ints(shape, ndim, "shape")); });
}

TS_API ts_tensor ts_view(ts_tensor a, const int64_t *shape, int ndim) {
  return ts::guard_tensor(__func__, [&] { return T(a, "a").view(ts::ints(shape, ndim, "shape")); });
}

TS_API ts_tensor ts_permute(ts_tensor a, const int64_t *dims, int ndim) {
  return ts::guard_tensor(__func__, [&] { return T(a, "a").permute(ts::ints(dims, ndim, "dims")); });
}

TS_API ts_tensor ts_transpose(ts_tensor a, int64_t dim0, int64_t dim1) {
  return ts::guard_tensor(__func__, [&] { return T(a, "a").transpose(dim0, dim1); });
}

TS_API ts_tensor ts_expand(ts_tensor a, const int64_t *shape, int ndim) {
  return ts::guard_tensor(__func__, [&] { return T(a, "a").expand(ts::ints(shape, ndim, "shape"), false); });
}

TS_API ts_tensor ts_repeat(ts_tensor a, const int64_t *repeats, int ndim) {
  return ts::guard_tensor(__func__, [&] { return T(a, "a").repeat(ts::ints(repeats, ndim, "repeats")); });
}

TS_API ts_tensor ts_squeeze(ts_tensor a, bool all, int64_t dim) {
  return ts::guard_tensor(__func__, [&] {
    const at::Tensor &x = T(a, "a");
    return all ? x.squeeze() : x.squeeze(dim);
  });
}

TS_API ts_tensor ts_unsqueeze(ts_tensor a, int64_t dim) {
  return ts::guard_tensor(__func__, [&] { return T(a, "a").unsqueeze(dim); });
}

TS_API ts_tensor ts_flatten(ts_tensor a, int64_t start_dim, int64_t end_dim) {
  return ts::guard_tensor(__func__, [&] { return T(a, "a").flatten(start_dim, end_dim); });
}

TS_API ts_tensor ts_flip(ts_tensor a, const int64_t *dims, int ndims) {
  return ts::guard_tensor(__func__, [&] { return T(a, "a").flip(ts::ints(dims, ndims, "dims")); });
}

TS_API ts_tensor ts_cat(const ts_tensor *tensors, int n, int64_t dim) {
  return ts::guard_tensor(__func__, [&] {
    std::vector<at::Tensor> v = ts::tensor_list(tensors, n, "tensors");
    return at::cat(at::TensorList(v), dim);
  });
}

TS_API ts_tensor ts_stack(const ts_tensor *tensors, int n, int64_t dim) {
  return ts::guard_tensor(__func__, [&] {
    std::vector<at::Tensor> v = ts::tensor_list(tensors, n, "tensors");
    return at::stack(at::TensorList(v), dim);
  });
}

TS_API int ts_split(ts_tensor a, int64_t split_size, int64_t dim, ts_tensor *out, int capacity) {
  return ts::guard<int>(__func__, -1, [&] {
    const at::Tensor &x = T(a, "a");
    if (split_size <= 0) ts::fail("split_size must be positive, got " + std::to_string(split_size));
    return hand_out(x.split(split_size, dim), out, capacity);
  });
}

TS_API int ts_chunk(ts_tensor a, int64_t chunks, int64_t dim, ts_tensor *out, int capacity) {
  return ts::guard<int>(__func__, -1, [&] { return hand_out(T(a, "a").chunk(chunks, dim), out, capacity); });
}

TS_API ts_tensor ts_slice(ts_tensor a, int64_t dim, int64_t start, int64_t end, int64_t step) {
  return ts::guard_tensor(__func__, [&] {
    return T(a, "a").slice(dim, c10::optional<int64_t>(start), c10::optional<int64_t>(end), step);
  });
}

TS_API ts_tensor ts_narrow(ts_tensor a, int64_t dim, int64_t start, int64_t length) {
  return ts::guard_tensor(__func__, [&] { return T(a, "a").narrow(dim, start, length); });
}

TS_API ts_tensor ts_select(ts_tensor a, int64_t dim, int64_t index) {
  return ts::guard_tensor(__func__, [&] { return T(a, "a").select(dim, index); });
}

TS_API ts_tensor ts_index_select(ts_tensor a, int64_t dim, ts_tensor index) {
  return ts::guard_tensor(__func__, [&] { return T(a, "a").index_select(dim, T(index, "index")); });
}

TS_API ts_tensor ts_gather(ts_tensor a, int64_t dim, ts_tensor index) {
  return ts::guard_tensor(__func__, [&] { return T(a, "a").gather(dim, T(index, "index"), false); });
}

TS_API ts_tensor ts_index_put(ts_tensor a, ts_tensor index, ts_tensor values, bool accumulate) {
  return ts::guard_tensor(__func__, [&] {
    const at::Tensor &x = T(a, "a");
    c10::List<c10::optional<at::Tensor>> indices;
    indices.push_back(c10::optional<at::Tensor>(T(index, "index")));
    return x.index_put(indices, T(values, "values"), accumulate);
  });
}
