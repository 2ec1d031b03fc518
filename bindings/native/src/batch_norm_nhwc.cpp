// batch_norm_nhwc.cpp: training-mode batch normalisation of channels-last CPU tensors with double sums, as one
// autograd operator with a hand-written backward.
//
// libtorch's channels-last CPU kernels sum each channel's statistics, and backward's two channel sums, in float;
// its row-major kernels sum in double. With few values per channel the float sums lose the digits a channel's
// mean has over its spread (BatchNormPrecisionTest), so the nn layer used to copy channels-last input to
// row-major, normalise there and copy the result back: two strided copies forward and two backward, more than the
// kernel itself. This operator works on the channels-last data where it lies, viewed as an (M, C) matrix with
// M = N·H·W, and sums in double, so it is as accurate as the row-major kernels without a copy.
//
// The arithmetic follows libtorch's row-major kernels (batch_norm_kernel.cpp of 1.13): the mean and the inverse
// standard deviation are rounded to the input's type, the output is x·α + β with α = invstd·w and β = b − mean·α,
// and backward computes dx = ((dy − Σdy/M) − (x − mean)·k)·invstd·w with k = Σ(x − mean)·dy · invstd² / M.
// The sums run over fixed blocks of rows, each into its own double accumulators, and the blocks are added in
// order: the result does not depend on the number of threads. Backward is not differentiable again.
#include "shim_internal.h"

#include <ATen/Parallel.h>
#include <c10/core/GradMode.h>
#include <torch/csrc/autograd/custom_function.h>

#include <cmath>
#include <vector>

namespace {

// The loops over one row's channels, vectorised (O3). Each is written once, as a template that is inlined into
// its callers; float32 calls go through a wrapper compiled also for AVX2 and chosen at load time by the CPU
// (target_clones), float64 (the tests' reference type, not a training one) calls the template directly.
// Vectorising runs across channels, so each channel's sum still adds its rows in order, and nothing is contracted
// into fused multiply-adds: every variant gives the same bits.
#pragma GCC push_options
#pragma GCC optimize("O3", "fp-contract=off")
namespace rows {

#define TS_ROW_LOOP template <class S> __attribute__((always_inline)) inline void
#define TS_ROW_CLONES __attribute__((target_clones("avx2", "default"))) void

TS_ROW_LOOP add(const S *x, double *acc, int64_t c) {
  for (int64_t k = 0; k < c; k++) acc[k] += static_cast<double>(x[k]);
}
TS_ROW_LOOP add_squares(const S *x, const S *mean, double *acc, int64_t c) {
  for (int64_t k = 0; k < c; k++) {
    const double d = static_cast<double>(x[k] - mean[k]);
    acc[k] += d * d;
  }
}
TS_ROW_LOOP affine(const S *x, const S *alpha, const S *beta, S *out, int64_t c) {
  for (int64_t k = 0; k < c; k++) out[k] = x[k] * alpha[k] + beta[k];
}
TS_ROW_LOOP add_grad_sums(const S *x, const S *dy, const S *mean, double *sum, double *dot, int64_t c) {
  for (int64_t k = 0; k < c; k++) {
    sum[k] += static_cast<double>(dy[k]);
    dot[k] += static_cast<double>(x[k] - mean[k]) * static_cast<double>(dy[k]);
  }
}
TS_ROW_LOOP grad_input(const S *x, const S *dy, const S *mean, const S *grad_mean, const S *proj, const S *scale,
                       S *out, int64_t c) {
  for (int64_t k = 0; k < c; k++) out[k] = ((dy[k] - grad_mean[k]) - (x[k] - mean[k]) * proj[k]) * scale[k];
}

// The float32 entry points (overloads: a float argument picks these, a double one the templates).
TS_ROW_CLONES add(const float *x, double *acc, int64_t c) { add<float>(x, acc, c); }
TS_ROW_CLONES add_squares(const float *x, const float *mean, double *acc, int64_t c) {
  add_squares<float>(x, mean, acc, c);
}
TS_ROW_CLONES affine(const float *x, const float *alpha, const float *beta, float *out, int64_t c) {
  affine<float>(x, alpha, beta, out, c);
}
TS_ROW_CLONES add_grad_sums(const float *x, const float *dy, const float *mean, double *sum, double *dot, int64_t c) {
  add_grad_sums<float>(x, dy, mean, sum, dot, c);
}
TS_ROW_CLONES grad_input(const float *x, const float *dy, const float *mean, const float *grad_mean,
                         const float *proj, const float *scale, float *out, int64_t c) {
  grad_input<float>(x, dy, mean, grad_mean, proj, scale, out, c);
}

#undef TS_ROW_CLONES
#undef TS_ROW_LOOP

}  // namespace rows
#pragma GCC pop_options


using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

// Rows per block of the channel sums. Fixed (not derived from the thread count) so that sums are reproducible.
constexpr int64_t kRowsPerBlock = 256;

int64_t blocks_of(int64_t rows) { return (rows + kRowsPerBlock - 1) / kRowsPerBlock; }

// Per-channel sums over the rows of an (M, C) layout, in double: f(row, acc) adds one row into the `sums` arrays
// of C accumulators at acc. Each block of rows has its own accumulators, filled in parallel; the blocks are then
// added in order.
template <class F>
std::vector<double> channel_sums(int64_t rows, int64_t channels, int sums, const F &f) {
  const int64_t blocks = blocks_of(rows);
  std::vector<double> partial(static_cast<size_t>(blocks * channels * sums), 0.0);
  at::parallel_for(0, blocks, 1, [&](int64_t begin, int64_t end) {
    for (int64_t blk = begin; blk < end; blk++) {
      double *acc = partial.data() + blk * channels * sums;
      const int64_t stop = std::min(rows, (blk + 1) * kRowsPerBlock);
      for (int64_t m = blk * kRowsPerBlock; m < stop; m++) f(m, acc);
    }
  });
  std::vector<double> total(static_cast<size_t>(channels * sums), 0.0);
  for (int64_t blk = 0; blk < blocks; blk++) {
    const double *acc = partial.data() + blk * channels * sums;
    for (int64_t k = 0; k < channels * sums; k++) total[static_cast<size_t>(k)] += acc[k];
  }
  return total;
}

// A per-channel parameter as values of type S (ones or zeros where it is undefined).
template <class S>
std::vector<S> per_channel(const at::Tensor &t, int64_t channels, S fallback) {
  std::vector<S> out(static_cast<size_t>(channels), fallback);
  if (t.defined()) {
    at::Tensor c = t.detach().to(c10::CppTypeToScalarType<S>::value).contiguous();
    const S *p = c.data_ptr<S>();
    for (int64_t k = 0; k < channels; k++) out[static_cast<size_t>(k)] = p[k];
  }
  return out;
}

template <class S>
at::Tensor forward_impl(const at::Tensor &x, const at::Tensor &weight, const at::Tensor &bias,
                        const at::Tensor &running_mean, const at::Tensor &running_var, double momentum, double eps,
                        at::Tensor &save_mean, at::Tensor &save_invstd) {
  const int64_t c = x.size(1);
  const int64_t m = x.numel() / c;
  const S *px = x.data_ptr<S>();
  std::vector<double> sum =
      channel_sums(m, c, 1, [&](int64_t row, double *acc) { rows::add(px + row * c, acc, c); });
  save_mean = at::empty({c}, x.options());
  S *mean = save_mean.data_ptr<S>();
  for (int64_t k = 0; k < c; k++) mean[k] = static_cast<S>(sum[static_cast<size_t>(k)] / static_cast<double>(m));
  std::vector<double> var_sum =
      channel_sums(m, c, 1, [&](int64_t row, double *acc) { rows::add_squares(px + row * c, mean, acc, c); });
  save_invstd = at::empty({c}, x.options());
  S *invstd = save_invstd.data_ptr<S>();
  for (int64_t k = 0; k < c; k++)
    invstd[k] = static_cast<S>(1.0 / std::sqrt(var_sum[static_cast<size_t>(k)] / static_cast<double>(m) + eps));

  std::vector<S> w = per_channel<S>(weight, c, S(1));
  std::vector<S> b = per_channel<S>(bias, c, S(0));
  std::vector<S> alpha(static_cast<size_t>(c)), beta(static_cast<size_t>(c));
  for (int64_t k = 0; k < c; k++) {
    alpha[static_cast<size_t>(k)] = invstd[k] * w[static_cast<size_t>(k)];
    beta[static_cast<size_t>(k)] = b[static_cast<size_t>(k)] - mean[k] * alpha[static_cast<size_t>(k)];
  }
  at::Tensor y = at::empty_like(x, at::MemoryFormat::ChannelsLast);
  S *py = y.data_ptr<S>();
  const S *pa = alpha.data();
  const S *pb = beta.data();
  at::parallel_for(0, m, kRowsPerBlock, [&](int64_t begin, int64_t end) {
    for (int64_t row = begin; row < end; row++) rows::affine(px + row * c, pa, pb, py + row * c, c);
  });

  // The running statistics, as libtorch updates them: the unbiased variance, blended with the momentum.
  if (running_mean.defined() || running_var.defined()) {
    at::NoGradGuard no_grad;
    std::vector<double> mean_d(static_cast<size_t>(c)), var_d(static_cast<size_t>(c));
    for (int64_t k = 0; k < c; k++) {
      mean_d[static_cast<size_t>(k)] = static_cast<double>(mean[k]);
      var_d[static_cast<size_t>(k)] = var_sum[static_cast<size_t>(k)] / static_cast<double>(m - 1);
    }
    at::TensorOptions dopt = at::TensorOptions().dtype(at::kDouble);
    if (running_mean.defined()) {
      at::Tensor batch = at::from_blob(mean_d.data(), {c}, dopt).to(running_mean.scalar_type());
      running_mean.mul_(1 - momentum).add_(batch, momentum);
    }
    if (running_var.defined()) {
      at::Tensor batch = at::from_blob(var_d.data(), {c}, dopt).to(running_var.scalar_type());
      running_var.mul_(1 - momentum).add_(batch, momentum);
    }
  }
  return y;
}

template <class S>
void backward_impl(const at::Tensor &x, const at::Tensor &dy, const at::Tensor &weight, const at::Tensor &save_mean,
                   const at::Tensor &save_invstd, at::Tensor &dx, at::Tensor &dw, at::Tensor &db) {
  const int64_t c = x.size(1);
  const int64_t m = x.numel() / c;
  const S *px = x.data_ptr<S>();
  const S *pdy = dy.data_ptr<S>();
  const S *mean = save_mean.data_ptr<S>();
  const S *invstd = save_invstd.data_ptr<S>();
  // Per channel: [k] Σ dy, [C + k] Σ (x − mean)·dy.
  std::vector<double> sums = channel_sums(m, c, 2, [&](int64_t row, double *acc) {
    rows::add_grad_sums(px + row * c, pdy + row * c, mean, acc, acc + c, c);
  });
  std::vector<S> w = per_channel<S>(weight, c, S(1));
  std::vector<S> grad_mean(static_cast<size_t>(c)), proj(static_cast<size_t>(c)), scale(static_cast<size_t>(c));
  for (int64_t k = 0; k < c; k++) {
    const double s = sums[static_cast<size_t>(k)];
    const double dot = sums[static_cast<size_t>(c + k)];
    grad_mean[static_cast<size_t>(k)] = static_cast<S>(s / static_cast<double>(m));
    proj[static_cast<size_t>(k)] = static_cast<S>(dot) * invstd[k] * invstd[k] / static_cast<S>(m);
    scale[static_cast<size_t>(k)] = invstd[k] * w[static_cast<size_t>(k)];
  }
  dx = at::empty_like(x, at::MemoryFormat::ChannelsLast);
  S *pdx = dx.data_ptr<S>();
  const S *gm = grad_mean.data();
  const S *pj = proj.data();
  const S *sc = scale.data();
  at::parallel_for(0, m, kRowsPerBlock, [&](int64_t begin, int64_t end) {
    for (int64_t row = begin; row < end; row++)
      rows::grad_input(px + row * c, pdy + row * c, mean, gm, pj, sc, pdx + row * c, c);
  });
  dw = at::empty({c}, x.options());
  db = at::empty({c}, x.options());
  S *pdw = dw.data_ptr<S>();
  S *pdb = db.data_ptr<S>();
  for (int64_t k = 0; k < c; k++) {
    pdw[k] = static_cast<S>(sums[static_cast<size_t>(c + k)]) * invstd[k];
    pdb[k] = static_cast<S>(sums[static_cast<size_t>(k)]);
  }
}

// The running statistics to update (either may be undefined).
struct RunningStats {
  at::Tensor mean, var;
};

struct BatchNormNhwcFunction : public torch::autograd::Function<BatchNormNhwcFunction> {
  // weight and bias are empty (0-element) tensors where absent: libtorch's custom functions take no undefined
  // tensor inputs. The running statistics are not inputs (nothing differentiates through them).
  static variable_list forward(AutogradContext *ctx, const at::Tensor &x, const at::Tensor &weight_or_empty,
                               const at::Tensor &bias_or_empty, const RunningStats *running, double momentum,
                               double eps) {
    const at::Tensor weight = weight_or_empty.numel() > 0 ? weight_or_empty : at::Tensor();
    const at::Tensor bias = bias_or_empty.numel() > 0 ? bias_or_empty : at::Tensor();
    const at::Tensor &running_mean = running->mean;
    const at::Tensor &running_var = running->var;
    at::Tensor mean, invstd, y;
    if (x.scalar_type() == at::kDouble) {
      y = forward_impl<double>(x, weight, bias, running_mean, running_var, momentum, eps, mean, invstd);
    } else {
      y = forward_impl<float>(x, weight, bias, running_mean, running_var, momentum, eps, mean, invstd);
    }
    ctx->save_for_backward({x, weight_or_empty});
    ctx->saved_data["mean"] = mean;
    ctx->saved_data["invstd"] = invstd;
    ctx->saved_data["has_bias"] = bias.defined();
    return {y};
  }

  static variable_list backward(AutogradContext *ctx, variable_list grads) {
    if (c10::GradMode::is_enabled())
      ts::fail("the channels-last batch norm cannot be differentiated twice (create_graph)");
    variable_list saved = ctx->get_saved_variables();
    const at::Tensor &x = saved[0];
    const at::Tensor weight = saved[1].numel() > 0 ? saved[1] : at::Tensor();
    at::Tensor mean = ctx->saved_data["mean"].toTensor();
    at::Tensor invstd = ctx->saved_data["invstd"].toTensor();
    at::Tensor dx, dw, db;
    if (grads[0].defined()) {
      at::Tensor dy = grads[0].contiguous(at::MemoryFormat::ChannelsLast);
      if (x.scalar_type() == at::kDouble) {
        backward_impl<double>(x, dy, weight, mean, invstd, dx, dw, db);
      } else {
        backward_impl<float>(x, dy, weight, mean, invstd, dx, dw, db);
      }
    }
    if (!weight.defined()) dw = at::Tensor();
    if (!ctx->saved_data["has_bias"].toBool()) db = at::Tensor();
    return {dx, dw, db, at::Tensor(), at::Tensor(), at::Tensor()};
  }
};

void check_per_channel(const at::Tensor &t, const char *name, const at::Tensor &x) {
  if (!t.defined()) return;
  if (t.dim() != 1 || t.size(0) != x.size(1))
    ts::fail(std::string(name) + " must be (" + std::to_string(x.size(1)) + ",), got " + c10::str(t.sizes()));
  if (!t.is_cpu()) ts::fail(std::string(name) + " must be on the CPU, got " + t.device().str());
  if (!at::isFloatingType(t.scalar_type()))
    ts::fail(std::string(name) + " must be floating point, got " + c10::toString(t.scalar_type()));
}

}  // namespace

TS_API ts_tensor ts_batch_norm_nhwc(ts_tensor x, ts_tensor weight, ts_tensor bias, ts_tensor running_mean,
                                    ts_tensor running_var, double momentum, double eps) {
  return ts::guard_tensor(__func__, [&] {
    const at::Tensor &in = ts::T(x, "x");
    if (in.dim() != 4) ts::fail("x must be (N, C, H, W), got " + std::string(c10::str(in.sizes())));
    if (!in.is_cpu()) ts::fail("the channels-last batch norm runs on the CPU; got a tensor on " + in.device().str());
    if (in.scalar_type() != at::kFloat && in.scalar_type() != at::kDouble)
      ts::fail(std::string("x must be float32 or float64, got ") + c10::toString(in.scalar_type()));
    if (in.size(1) == 0 || in.numel() / in.size(1) < 2)
      ts::fail("expected more than 1 value per channel when training, got input size " +
               std::string(c10::str(in.sizes())));
    at::Tensor w = ts::opt(weight).value_or(at::Tensor());
    at::Tensor b = ts::opt(bias).value_or(at::Tensor());
    at::Tensor rm = ts::opt(running_mean).value_or(at::Tensor());
    at::Tensor rv = ts::opt(running_var).value_or(at::Tensor());
    check_per_channel(w, "weight", in);
    check_per_channel(b, "bias", in);
    check_per_channel(rm, "running_mean", in);
    check_per_channel(rv, "running_var", in);
    if (!std::isfinite(momentum)) ts::fail("momentum must be finite, got " + std::to_string(momentum));
    if (!(eps >= 0) || !std::isfinite(eps)) ts::fail("eps must be finite and >= 0, got " + std::to_string(eps));
    at::Tensor none = at::empty({0}, in.options());
    RunningStats running{rm, rv};
    return BatchNormNhwcFunction::apply(in.contiguous(at::MemoryFormat::ChannelsLast), w.defined() ? w : none,
                                        b.defined() ? b : none, &running, momentum, eps)[0];
  });
}
