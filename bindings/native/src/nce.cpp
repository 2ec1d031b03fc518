// nce.cpp: the NCE log-softmax terms of AMDIM's global-to-local objective and their score regulariser, as one
// autograd operator with a hand-written backward.
//
// Composed from single operators (mul, tanh, gather, masked_fill, logsumexp, stack, square, mean, ...), one
// direction's terms make about 12 passes over its (G, B, B, L) score tensor forward and 15 backward, with as many
// temporaries and autograd nodes. Here they take 6 forward and 3 backward, from two saved tensors. The
// mathematics is that of NceScores (amdim module) and the original code:
//
//   raw = scale · u                          u: the score product as given, scale = 1/√R
//   s   = c · tanh(raw / c)                  the soft clip
//   pos[g,i,l]  = s[g,i,i,l]
//   neg[g,i]    = log Σ_{b≠i, l'} exp(s[g,i,b,l'])
//   nce[g,i,l]  = pos − log(exp(pos) + exp(neg))
//   reg         = weight · mean(raw²)
//
// Since |s| ≤ c, the negatives' sum is taken as exp(s − c) summed, plus c: every term lies in [e^(−2c), 1], so
// nothing overflows and, for c ≤ 43 (2c below −ln FLT_MIN ≈ 87.3), nothing underflows to a subnormal either.
// Above that the row maxima are subtracted instead, as a log-sum-exp does. The saved exp(s − shift) then gives
// the negatives' softmax weights in backward without another exp: exp(s − neg) = e / Σe.
//
// The regulariser's sum of squares is accumulated in double in fixed chunks, so it does not depend on the thread
// count. Backward is not differentiable again (it refuses create_graph).
#include "shim_internal.h"

#include <ATen/Parallel.h>
#include <ATen/ops/exp.h>
#include <ATen/ops/logaddexp.h>
#include <ATen/ops/scalar_tensor.h>
#include <ATen/ops/tanh.h>
#include <ATen/ops/tanh_backward.h>
#include <c10/core/GradMode.h>
#include <torch/csrc/autograd/custom_function.h>

#include <cmath>
#include <limits>
#include <vector>

namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

// 2c must stay below −ln(FLT_MIN) ≈ 87.3 for exp(s − c) ≥ exp(−2c) to be a normal float32 (see above).
constexpr double kMaxShiftByClip = 43.0;

// Σ x² of a contiguous CPU tensor in double, summed per fixed chunk and then in order: the same result for any
// number of threads.
template <class S>
double sum_of_squares_of(const at::Tensor &x) {
  constexpr int64_t kChunk = 1 << 16;
  const S *p = x.data_ptr<S>();
  const int64_t n = x.numel();
  const int64_t chunks = (n + kChunk - 1) / kChunk;
  std::vector<double> partial(static_cast<size_t>(chunks), 0.0);
  at::parallel_for(0, chunks, 1, [&](int64_t begin, int64_t end) {
    for (int64_t c = begin; c < end; c++) {
      double acc = 0;
      const int64_t stop = std::min(n, (c + 1) * kChunk);
      for (int64_t k = c * kChunk; k < stop; k++) acc += static_cast<double>(p[k]) * p[k];
      partial[static_cast<size_t>(c)] = acc;
    }
  });
  double total = 0;
  for (double v : partial) total += v;
  return total;
}

double sum_of_squares(const at::Tensor &x) {
  return x.scalar_type() == at::kDouble ? sum_of_squares_of<double>(x) : sum_of_squares_of<float>(x);
}

// The diagonal s[g, i, i, l] of a (G, B, B, L) tensor as a (G, B, L) view.
at::Tensor diagonal_gbl(const at::Tensor &t) { return t.diagonal(0, 1, 2).permute({0, 2, 1}); }

struct NceTermsFunction : public torch::autograd::Function<NceTermsFunction> {
  static variable_list forward(AutogradContext *ctx, const at::Tensor &u, double scale, double tclip,
                               double reg_weight) {
    const int64_t g = u.size(0), b = u.size(1);
    // th = tanh(raw / c), computed in place on the one temporary.
    at::Tensor th = u.mul(scale / tclip);
    th.tanh_();
    // The negatives' exponentials, shifted by c (or by each row's maximum for a large c; see the file's comment).
    at::Tensor e = th.mul(tclip);
    at::Tensor shift;
    if (tclip <= kMaxShiftByClip) {
      e.sub_(tclip);
    } else {
      at::Tensor masked = e.clone();
      diagonal_gbl(masked).fill_(-std::numeric_limits<double>::infinity());
      shift = masked.amax({2, 3}, /*keepdim=*/true);
      // A row without negatives (B = 1) has a maximum of −inf; shifting by 0 keeps its exponentials finite.
      shift.masked_fill_(shift.isinf(), 0);
      e.sub_(shift);
    }
    e.exp_();
    diagonal_gbl(e).zero_();
    at::Tensor row_sum = e.sum({2, 3}, /*keepdim=*/true);  // (G, B, 1, 1)
    at::Tensor neg = row_sum.log();                         // −inf where a row has no negatives
    neg = shift.defined() ? neg.add_(shift) : neg.add_(tclip);
    at::Tensor pos = diagonal_gbl(th).mul(tclip);            // (G, B, L)
    at::Tensor neg_gb1 = neg.view({g, b, 1});
    at::Tensor denom = at::logaddexp(pos, neg_gb1);          // log(exp(pos) + exp(neg)), −inf safe
    at::Tensor nce = pos.sub(denom);
    const double n = static_cast<double>(u.numel());
    const double reg = reg_weight * scale * scale * sum_of_squares(u) / n;
    at::Tensor lgt = at::scalar_tensor(reg, u.options());

    ctx->save_for_backward({u});
    ctx->saved_data["th"] = th;
    ctx->saved_data["e"] = e;
    ctx->saved_data["row_sum"] = row_sum;
    // The positive's and the negatives' shares of the denominator, for backward.
    ctx->saved_data["w_neg"] = at::exp(neg_gb1.sub(denom));
    ctx->saved_data["scale"] = scale;
    ctx->saved_data["reg_factor"] = 2 * reg_weight * scale * scale / n;
    return {nce, lgt};
  }

  static variable_list backward(AutogradContext *ctx, variable_list grads) {
    if (c10::GradMode::is_enabled())
      ts::fail("the fused NCE terms cannot be differentiated twice (create_graph)");
    const at::Tensor u = ctx->get_saved_variables()[0];
    const at::Tensor &dnce = grads[0];
    const at::Tensor &dlgt = grads[1];
    const double scale = ctx->saved_data["scale"].toDouble();
    at::Tensor du;
    if (dnce.defined()) {
      at::Tensor th = ctx->saved_data["th"].toTensor();
      at::Tensor e = ctx->saved_data["e"].toTensor();
      at::Tensor row_sum = ctx->saved_data["row_sum"].toTensor();
      at::Tensor w_neg = ctx->saved_data["w_neg"].toTensor();
      const int64_t g = u.size(0), b = u.size(1);
      // nce = pos − logaddexp(pos, neg): ∂/∂pos = w_neg (= 1 − w_pos, taken directly), ∂/∂neg = −w_neg.
      at::Tensor dnce_w = dnce.mul(w_neg);                                // (G, B, L)
      at::Tensor dneg = dnce_w.sum(2).neg_().view({g, b, 1, 1});             // (G, B, 1, 1)
      // ∂neg/∂s[b≠i] = exp(s − neg) = e / Σe; the 1/scale of raw → u folds into the same row factor. A row
      // without negatives has Σe = 0 and e = 0: its factor is never used, so 0/0 is avoided by dividing safely.
      at::Tensor factor = dneg.mul(scale).div_(row_sum.clamp_min(std::numeric_limits<float>::min()));
      at::Tensor ds = e.mul(factor);
      diagonal_gbl(ds).copy_(dnce_w.mul_(scale));
      // s = c·tanh(raw/c): ∂s/∂raw = 1 − th².
      du = at::tanh_backward(ds, th);
    }
    if (dlgt.defined()) {
      const double k = dlgt.item<double>() * ctx->saved_data["reg_factor"].toDouble();
      du = du.defined() ? du.add_(u, k) : u.mul(k);
    }
    return {du, at::Tensor(), at::Tensor(), at::Tensor()};
  }
};

}  // namespace

TS_API int ts_nce_terms(ts_tensor scores, double scale, double tclip, double reg_weight, ts_tensor *nce,
                        ts_tensor *reg) {
  if (nce != nullptr) *nce = nullptr;
  if (reg != nullptr) *reg = nullptr;
  return ts::guard_status(__func__, [&] {
    const at::Tensor &u = ts::T(scores, "scores");
    if (nce == nullptr) ts::fail("'nce' is null");
    if (reg == nullptr) ts::fail("'reg' is null");
    if (u.dim() != 4 || u.size(1) != u.size(2))
      ts::fail("scores must be (G, B, B, L), got " + std::string(c10::str(u.sizes())));
    if (u.size(0) == 0 || u.size(1) == 0 || u.size(3) == 0) ts::fail("scores must not be empty");
    if (u.scalar_type() != at::kFloat && u.scalar_type() != at::kDouble)
      ts::fail(std::string("scores must be float32 or float64, got ") + c10::toString(u.scalar_type()));
    if (!u.is_cpu()) ts::fail("the fused NCE terms run on the CPU; got a tensor on " + u.device().str());
    if (!(tclip > 0) || !std::isfinite(tclip))
      ts::fail("tclip must be positive and finite, got " + std::to_string(tclip));
    if (!(scale > 0) || !std::isfinite(scale))
      ts::fail("scale must be positive and finite, got " + std::to_string(scale));
    if (!std::isfinite(reg_weight)) ts::fail("reg_weight must be finite, got " + std::to_string(reg_weight));
    auto out = NceTermsFunction::apply(u.contiguous(), scale, tclip, reg_weight);
    ts_tensor n = ts::wrap(out[0]);
    try {
      *reg = ts::wrap(out[1]);
    } catch (...) {
      ts_free(n);
      throw;
    }
    *nce = n;
  });
}
