// optim.cpp: fused optimizer steps (Adam/AdamW, SGD), gradient clipping, and the Adam benchmark loop.
//
// The update math follows torch/optim/adam.py, adamw.py and sgd.py of PyTorch 1.13 (the single-tensor,
// non-foreach code paths) op for op, so that results match torch.optim bit for bit on the same device.
#include "shim_internal.h"

#include <ATen/Parallel.h>
#include <ATen/ops/maximum.h>
#include <ATen/ops/linalg_vector_norm.h>
#include <ATen/ops/stack.h>
#include <c10/core/GradMode.h>

#include <cmath>

using ts::T;

namespace {

struct AdamConfig {
  double lr, beta1, beta2, eps, weight_decay;
  bool decoupled, amsgrad;
};

// The gradient of parameter i: grads[i] when a grads array is given, else the parameter's own .grad.
// Returns an undefined tensor when there is none (the parameter is skipped).
at::Tensor grad_of(const ts_tensor *grads, const at::Tensor &p, int i) {
  if (grads == nullptr) return p.grad();
  if (grads[i] == nullptr) return at::Tensor();
  return *reinterpret_cast<at::Tensor *>(grads[i]);
}

at::Tensor &state(const ts_tensor *hs, int i, const char *name) {
  if (hs[i] == nullptr) ts::fail(std::string("tensor argument '") + name + "[" + std::to_string(i) + "]' is null");
  return *reinterpret_cast<at::Tensor *>(hs[i]);
}

void adam_one(const AdamConfig &c, const at::Tensor &param, const at::Tensor &grad_in, const at::Tensor &exp_avg,
              const at::Tensor &exp_avg_sq, at::Tensor *max_exp_avg_sq, int64_t step) {
  at::Tensor grad = grad_in;
  if (c.decoupled) {
    // adamw.py: param.mul_(1 - lr * weight_decay)
    param.mul_(1 - c.lr * c.weight_decay);
  } else if (c.weight_decay != 0) {
    // adam.py: grad = grad.add(param, alpha=weight_decay)
    grad = grad.add(param, c.weight_decay);
  }
  exp_avg.mul_(c.beta1).add_(grad, 1 - c.beta1);
  exp_avg_sq.mul_(c.beta2).addcmul_(grad, grad, 1 - c.beta2);

  const double s = static_cast<double>(step);
  const double bias_correction1 = 1 - std::pow(c.beta1, s);
  const double bias_correction2 = 1 - std::pow(c.beta2, s);
  const double step_size = c.lr / bias_correction1;
  const double bias_correction2_sqrt = std::sqrt(bias_correction2);

  at::Tensor denom;
  if (c.amsgrad) {
    // torch.maximum(max_exp_avg_sqs[i], exp_avg_sq, out=max_exp_avg_sqs[i])
    at::maximum_out(*max_exp_avg_sq, *max_exp_avg_sq, exp_avg_sq);
    denom = max_exp_avg_sq->sqrt().div(bias_correction2_sqrt).add_(c.eps);
  } else {
    // (exp_avg_sq.sqrt() / bias_correction2_sqrt).add_(eps)
    denom = exp_avg_sq.sqrt().div(bias_correction2_sqrt).add_(c.eps);
  }
  param.addcdiv_(exp_avg, denom, -step_size);
}

// ---- single-pass Adam ---------------------------------------------------------------------------------------
//
// The same update in one pass over each parameter's elements: p, g, m, v (and AMSGrad's maximum) read once and
// p, m, v (and the maximum) written once, where the composed update above makes about 8 passes and 2 temporaries.
// Every quantity is rounded to the parameter's type after each operation, in the composed update's order, with
// the hyper-parameters rounded to that type first as libtorch rounds a Scalar. It is not bit-identical to
// torch.optim: libtorch's vectorised add_ and addcmul_ fuse their multiply into the add (one rounding where this
// makes two), and whether their scalar tails do depends on how libtorch was compiled. So it is an option
// (Adam.Options.singlePass), and torch.optim's exact update stays the default.

template <class S>
struct AdamConstants {
  S weight_decay, decay, beta1, one_minus_beta1, beta2, one_minus_beta2, bias_correction2_sqrt, eps, neg_step_size;
  bool l2, decoupled, amsgrad;
};

// One span of elements. Compiled vectorised (O3; the Makefile's -fno-math-errno lets sqrt vectorise) and, for
// float, also for AVX2, chosen at load time, the loops inlined into each variant; nothing is contracted into fused
// multiply-adds, so each variant gives the same bits.
#pragma GCC push_options
#pragma GCC optimize("O3", "fp-contract=off")
// The constants are copied into locals (the compiler cannot otherwise rule out that the stores to p, m and v
// change them, and would neither vectorise nor hoist), and the three switches are template arguments, so that
// each variant's loop has no branch.
template <bool L2, bool DECOUPLED, bool AMSGRAD, class S>
__attribute__((always_inline)) inline void adam_span_loop(S *__restrict p, const S *__restrict g,
                                                           S *__restrict m, S *__restrict v, S *__restrict vmax,
                                                           int64_t n, const AdamConstants<S> &k) {
  const S weight_decay = k.weight_decay, decay = k.decay, beta1 = k.beta1, one_minus_beta1 = k.one_minus_beta1;
  const S beta2 = k.beta2, one_minus_beta2 = k.one_minus_beta2, bc2_sqrt = k.bias_correction2_sqrt;
  const S eps = k.eps, neg_step_size = k.neg_step_size;
  for (int64_t i = 0; i < n; i++) {
    S gi = g[i];
    if (L2) gi = gi + weight_decay * p[i];                     // grad.add(param, alpha=weight_decay)
    const S pi = DECOUPLED ? p[i] * decay : p[i];             // param.mul_(1 - lr * weight_decay)
    const S mi = m[i] * beta1 + one_minus_beta1 * gi;         // exp_avg.mul_(b1).add_(grad, 1 - b1)
    const S vi = v[i] * beta2 + one_minus_beta2 * gi * gi;    // exp_avg_sq.mul_(b2).addcmul_(g, g, 1 - b2)
    m[i] = mi;
    v[i] = vi;
    S vm = vi;
    if (AMSGRAD) {
      // torch.maximum propagates a NaN from either side
      vm = (vmax[i] > vi || vmax[i] != vmax[i]) ? vmax[i] : vi;
      vmax[i] = vm;
    }
    const S denom = std::sqrt(vm) / bc2_sqrt + eps;  // (sqrt(v) / bc2_sqrt).add_(eps)
    p[i] = pi + neg_step_size * mi / denom;          // param.addcdiv_(m, denom, -step_size)
  }
}

template <class S>
__attribute__((always_inline)) inline void adam_span_impl(S *p, const S *g, S *m, S *v, S *vmax, int64_t n,
                                                           const AdamConstants<S> &k) {
  if (k.amsgrad) {
    if (k.l2) adam_span_loop<true, false, true>(p, g, m, v, vmax, n, k);
    else if (k.decoupled) adam_span_loop<false, true, true>(p, g, m, v, vmax, n, k);
    else adam_span_loop<false, false, true>(p, g, m, v, vmax, n, k);
  } else {
    if (k.l2) adam_span_loop<true, false, false>(p, g, m, v, vmax, n, k);
    else if (k.decoupled) adam_span_loop<false, true, false>(p, g, m, v, vmax, n, k);
    else adam_span_loop<false, false, false>(p, g, m, v, vmax, n, k);
  }
}

__attribute__((target_clones("avx2", "default"))) void adam_span(float *p, const float *g, float *m, float *v,
                                                                   float *vmax, int64_t n,
                                                                   const AdamConstants<float> &k) {
  adam_span_impl(p, g, m, v, vmax, n, k);
}

void adam_span(double *p, const double *g, double *m, double *v, double *vmax, int64_t n,
               const AdamConstants<double> &k) {
  adam_span_impl(p, g, m, v, vmax, n, k);
}
#pragma GCC pop_options

// Whether parameter, gradient and state can take the single pass: CPU, float32 or float64 throughout, contiguous,
// of one size. Anything else takes the composed update.
bool single_pass_fits(const at::Tensor &p, const at::Tensor &g, const at::Tensor &m, const at::Tensor &v,
                      const at::Tensor *mx) {
  const at::ScalarType t = p.scalar_type();
  if (!p.is_cpu() || (t != at::kFloat && t != at::kDouble)) return false;
  for (const at::Tensor *x : {&g, &m, &v, mx}) {
    if (x == nullptr) continue;
    if (!x->is_cpu() || x->scalar_type() != t || !x->is_contiguous() || x->numel() != p.numel()) return false;
  }
  return p.is_contiguous();
}

template <class S>
void adam_single_pass(const AdamConfig &c, const at::Tensor &p, const at::Tensor &g, const at::Tensor &m,
                      const at::Tensor &v, at::Tensor *mx, int64_t step) {
  const double s = static_cast<double>(step);
  AdamConstants<S> k;
  k.weight_decay = static_cast<S>(c.weight_decay);
  k.decay = static_cast<S>(1 - c.lr * c.weight_decay);
  k.beta1 = static_cast<S>(c.beta1);
  k.one_minus_beta1 = static_cast<S>(1 - c.beta1);
  k.beta2 = static_cast<S>(c.beta2);
  k.one_minus_beta2 = static_cast<S>(1 - c.beta2);
  k.bias_correction2_sqrt = static_cast<S>(std::sqrt(1 - std::pow(c.beta2, s)));
  k.eps = static_cast<S>(c.eps);
  k.neg_step_size = static_cast<S>(-(c.lr / (1 - std::pow(c.beta1, s))));
  k.l2 = !c.decoupled && c.weight_decay != 0;
  k.decoupled = c.decoupled;
  k.amsgrad = c.amsgrad;
  S *pp = p.data_ptr<S>();
  const S *pg = g.data_ptr<S>();
  S *pm = m.data_ptr<S>();
  S *pv = v.data_ptr<S>();
  S *pmx = mx != nullptr ? mx->data_ptr<S>() : nullptr;
  // Element-wise and independent: any split gives the same bits.
  at::parallel_for(0, p.numel(), 1 << 15, [&](int64_t begin, int64_t end) {
    adam_span(pp + begin, pg + begin, pm + begin, pv + begin, pmx == nullptr ? nullptr : pmx + begin, end - begin,
              k);
  });
  // Written through raw pointers, so bump the version counters as the exact update's in-place ops do: a graph that
  // saved the parameter then refuses a backward after the step instead of using the new values silently.
  for (const at::Tensor *t : {&p, &m, &v, static_cast<const at::Tensor *>(mx)}) {
    if (t != nullptr) t->unsafeGetTensorImpl()->bump_version();
  }
}

// Adam over n parameters; single_pass takes adam_single_pass where it fits (see above), adam_one elsewhere.
void adam(const ts_tensor *params, const ts_tensor *grads, const ts_tensor *exp_avg, const ts_tensor *exp_avg_sq,
          const ts_tensor *max_exp_avg_sq, int n, const int64_t *step, int64_t step_all, const AdamConfig &c,
          bool single_pass = false) {
  if (n < 0) ts::fail("n is negative");
  if (n == 0) return;
  if (params == nullptr) ts::fail("'params' is null");
  if (exp_avg == nullptr) ts::fail("'exp_avg' is null");
  if (exp_avg_sq == nullptr) ts::fail("'exp_avg_sq' is null");
  if (c.amsgrad && max_exp_avg_sq == nullptr) ts::fail("'max_exp_avg_sq' is null but amsgrad is true");
  if (step == nullptr && step_all < 1) ts::fail("'step' is null");
  c10::AutoGradMode no_grad(false);
  for (int i = 0; i < n; i++) {
    const at::Tensor &p = state(params, i, "params");
    at::Tensor g = grad_of(grads, p, i);
    if (!g.defined()) continue;
    int64_t s = step != nullptr ? step[i] : step_all;
    if (s < 1) ts::fail("step[" + std::to_string(i) + "] is " + std::to_string(s) + " (must be >= 1)");
    const at::Tensor &m = state(exp_avg, i, "exp_avg");
    const at::Tensor &v = state(exp_avg_sq, i, "exp_avg_sq");
    at::Tensor *mx = c.amsgrad ? &state(max_exp_avg_sq, i, "max_exp_avg_sq") : nullptr;
    if (!single_pass || !single_pass_fits(p, g, m, v, mx)) {
      adam_one(c, p, g, m, v, mx, s);
    } else if (p.scalar_type() == at::kDouble) {
      adam_single_pass<double>(c, p, g, m, v, mx, s);
    } else {
      adam_single_pass<float>(c, p, g, m, v, mx, s);
    }
  }
}

}  // namespace

TS_API int ts_adam_step(const ts_tensor *params, const ts_tensor *grads, const ts_tensor *exp_avg,
                        const ts_tensor *exp_avg_sq, const ts_tensor *max_exp_avg_sq, int n, const int64_t *step,
                        double lr, double beta1, double beta2, double eps, double weight_decay, bool decoupled,
                        bool amsgrad) {
  return ts::guard_status(__func__, [&] {
    if (n > 0 && step == nullptr) ts::fail("'step' is null");
    AdamConfig c{lr, beta1, beta2, eps, weight_decay, decoupled, amsgrad};
    adam(params, grads, exp_avg, exp_avg_sq, max_exp_avg_sq, n, step, 0, c);
  });
}

TS_API int ts_adam_step_single_pass(const ts_tensor *params, const ts_tensor *exp_avg, const ts_tensor *exp_avg_sq,
                                    const ts_tensor *max_exp_avg_sq, int n, const int64_t *step, double lr,
                                    double beta1, double beta2, double eps, double weight_decay, bool decoupled,
                                    bool amsgrad) {
  return ts::guard_status(__func__, [&] {
    if (n > 0 && step == nullptr) ts::fail("'step' is null");
    AdamConfig c{lr, beta1, beta2, eps, weight_decay, decoupled, amsgrad};
    adam(params, nullptr, exp_avg, exp_avg_sq, max_exp_avg_sq, n, step, 0, c, /*single_pass=*/true);
  });
}

TS_API int ts_sgd_step(const ts_tensor *params, const ts_tensor *grads, const ts_tensor *momentum_buf, int n,
                       double lr, double momentum, double dampening, double weight_decay, bool nesterov,
                       bool first_step) {
  return ts::guard_status(__func__, [&] {
    if (n < 0) ts::fail("n is negative");
    if (n == 0) return;
    if (params == nullptr) ts::fail("'params' is null");
    if (momentum != 0 && momentum_buf == nullptr) ts::fail("'momentum_buf' is null but momentum is not 0");
    if (nesterov && (momentum <= 0 || dampening != 0))
      ts::fail("Nesterov momentum requires a momentum and zero dampening");
    c10::AutoGradMode no_grad(false);
    for (int i = 0; i < n; i++) {
      const at::Tensor &p = state(params, i, "params");
      at::Tensor d_p = grad_of(grads, p, i);
      if (!d_p.defined()) continue;
      // sgd.py (_single_tensor_sgd)
      if (weight_decay != 0) d_p = d_p.add(p, weight_decay);
      if (momentum != 0) {
        const at::Tensor &buf = state(momentum_buf, i, "momentum_buf");
        if (first_step) {
          // buf = torch.clone(d_p).detach(): the Java side owns the buffer, so copy into it
          buf.copy_(d_p);
        } else {
          buf.mul_(momentum).add_(d_p, 1 - dampening);
        }
        if (nesterov) {
          d_p = d_p.add(buf, momentum);
        } else {
          d_p = buf;
        }
      }
      p.add_(d_p, -lr);
    }
  });
}

TS_API int ts_clip_grad_norm(const ts_tensor *grads, int n, double max_norm, double *total_norm) {
  if (total_norm != nullptr) *total_norm = 0.0;
  return ts::guard_status(__func__, [&] {
    if (total_norm == nullptr) ts::fail("'total_norm' is null");
    if (n < 0) ts::fail("n is negative");
    if (n > 0 && grads == nullptr) ts::fail("'grads' is null");
    c10::AutoGradMode no_grad(false);
    // torch.nn.utils.clip_grad_norm_ (1.13, norm_type 2): NULL / undefined gradients are left out
    std::vector<at::Tensor> gs;
    for (int i = 0; i < n; i++) {
      if (grads[i] == nullptr) continue;
      const at::Tensor &g = *reinterpret_cast<at::Tensor *>(grads[i]);
      if (g.defined()) gs.push_back(g);
    }
    if (gs.empty()) return;
    const c10::Device dev = gs[0].device();
    std::vector<at::Tensor> norms;
    norms.reserve(gs.size());
    // (torch.norm(g, 2) runs torch.linalg.vector_norm)
    for (const at::Tensor &g : gs) norms.push_back(at::linalg_vector_norm(g.detach(), 2).to(dev));
    at::Tensor total = at::linalg_vector_norm(at::stack(at::TensorList(norms)), 2);
    *total_norm = total.item().toDouble();
    // clip_coef = max_norm / (total_norm + 1e-6), computed as PyTorch's __rtruediv__ does
    at::Tensor clip_coef = total.add(1e-6).reciprocal().mul(max_norm);
    at::Tensor clamped = clip_coef.clamp(c10::nullopt, at::Scalar(1.0));
    if (clip_coef.item().toDouble() < 1.0) {
      for (const at::Tensor &g : gs) g.detach().mul_(clamped.to(g.device()));
    }
  });
}

TS_API int ts_bench_adam_loop(const ts_tensor *params, const ts_tensor *grads, const ts_tensor *exp_avg,
                              const ts_tensor *exp_avg_sq, int n, int64_t iterations) {
  return ts::guard_status(__func__, [&] {
    if (iterations < 0) ts::fail("iterations is negative");
    // torch.optim.Adam's defaults
    AdamConfig c{1e-3, 0.9, 0.999, 1e-8, 0.0, false, false};
    for (int64_t it = 1; it <= iterations; it++) adam(params, grads, exp_avg, exp_avg_sq, nullptr, n, nullptr, it, c);
    if (n > 0 && params != nullptr && params[0] != nullptr) ts::sync_device(T(params[0], "params[0]").device());
  });
}
