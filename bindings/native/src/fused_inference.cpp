// fused_inference.cpp: a small CPU inference network run on oneDNN directly (ts_fused_net_*), for the encoder's
// r1 path.
//
// Why: libtorch 1.13's ATen exposes no fused convolutions, so its mkldnn-layout path pays a separate pass over
// memory for every ReLU and residual addition. oneDNN's own post-ops fuse them into the convolution: conv+ReLU
// (eltwise post-op) and conv+residual-add (sum post-op into a destination that already holds the shortcut).
//
// The network owns copies of its weights, reordered once into the format each convolution picks (format_tag::any).
// Primitives and activation memories are made on the first run for a batch size and input layout and cached
// (the last kPlanCacheSize of them), so a run allocates only its output tensor. libdnnl.so.2 is the library
// libtorch_cpu links, with the same OpenMP runtime: libtorch's thread setting applies (see run()).
#include "shim_internal.h"

#include <atomic>

#ifdef TS_HAVE_DNNL

#include <ATen/Parallel.h>
#include <ATen/ops/empty.h>
#include <dnnl.hpp>

#include <dlfcn.h>
#include <strings.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <list>
#include <memory>
#include <unordered_map>

using ts::T;

namespace {

using dnnl::memory;
using tag = dnnl::memory::format_tag;
using dt = dnnl::memory::data_type;

std::atomic<int64_t> live_nets{0};

// How many (batch size, input layout) plans a network keeps: alternating between two batch sizes (a training
// loop's batch and its last partial batch) costs no rebuilds.
constexpr size_t kPlanCacheSize = 2;

// Below this much work per run (multiply-adds x 2), a run uses one thread when OpenMP's idle threads sleep at
// once (OMP_WAIT_POLICY=PASSIVE without GOMP_SPINCOUNT, as scripts/env.sh sets for shared machines). Each of the
// run's ~30 primitives is its own parallel region, and waking a sleeping thread for each cost about 3.4 ms per run
// of the CIFAR encoder (2-core AMD EPYC: one image 11.4 ms on one thread, 9.1 ms on two); two threads only pay off
// when half the single-thread time exceeds that, above about 2 x 74 GFLOP/s x 3.4 ms = 500 MFLOP. Measured on
// the small preset's single image (45 MFLOP): 0.50 ms on one thread, 1.6 ms on two sleeping ones, 0.30 ms on two
// spinning ones. Half the crossover keeps a wrong guess cheap.
constexpr double kSingleThreadFlops = 256e6;

// Whether OpenMP's idle threads sleep at once: libgomp's OMP_WAIT_POLICY=PASSIVE with no GOMP_SPINCOUNT.
bool threads_sleep_at_once() {
  static const bool sleep = [] {
    const char *policy = std::getenv("OMP_WAIT_POLICY");
    const char *spin = std::getenv("GOMP_SPINCOUNT");
    return policy != nullptr && strcasecmp(policy, "passive") == 0 && (spin == nullptr || *spin == '\0');
  }();
  return sleep;
}

// Sets this thread's OpenMP thread count to 1 for its lifetime, and back after, when `single`. oneDNN sizes its
// kernels' parallelism when a primitive is created, so a plan must be built and run under the same setting.
// Looked up at run time (libtorch brings the OpenMP runtime; a pip build bundles it under another file name), and
// a no-op where it is not found.
class SingleThreadScope {
 public:
  explicit SingleThreadScope(bool single) {
    using set_fn = void (*)(int);
    using get_fn = int (*)();
    static const auto set = reinterpret_cast<set_fn>(dlsym(RTLD_DEFAULT, "omp_set_num_threads"));
    static const auto get = reinterpret_cast<get_fn>(dlsym(RTLD_DEFAULT, "omp_get_max_threads"));
    if (single && set != nullptr && get != nullptr && get() > 1) {
      set_ = set;
      previous_ = get();
      set(1);
    }
  }
  ~SingleThreadScope() {
    if (set_ != nullptr) set_(previous_);
  }
  SingleThreadScope(const SingleThreadScope &) = delete;
  SingleThreadScope &operator=(const SingleThreadScope &) = delete;

 private:
  void (*set_)(int) = nullptr;
  int previous_ = 0;
};

// Every primitive of a plan takes its scratchpad from the plan (scratchpad_mode::user). In oneDNN's default
// (library) mode a primitive keeps the scratchpad of the thread that created it, which is freed when that thread
// ends: a plan built on one thread and run on another after the first had exited read freed memory (a SIGSEGV in
// libdnnl under the SSE4.1 cap, whose kernels use scratchpads, when an ImageEmbedder served a thread pool).
dnnl::primitive_attr plan_attr() {
  dnnl::primitive_attr attr;
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  return attr;
}

dnnl::engine &cpu_engine() {
  static dnnl::engine e(dnnl::engine::kind::cpu, 0);
  return e;
}

// A float32 CPU tensor of the given shape, checked, as a contiguous copy in a oneDNN memory in `t` format.
memory copy_in(const at::Tensor &src, const memory::dims &dims, tag t, const char *name) {
  if (!src.defined()) ts::fail(std::string(name) + " is undefined");
  if (!src.is_cpu() || src.layout() != c10::kStrided)
    ts::fail(std::string(name) + " must be a strided CPU tensor, got one on " + src.device().str());
  if (src.scalar_type() != at::kFloat)
    ts::fail(std::string(name) + " must be float32, got " + std::string(c10::toString(src.scalar_type())));
  std::vector<int64_t> want(dims.begin(), dims.end());
  if (src.sizes() != at::IntArrayRef(want))
    ts::fail(std::string(name) + " must have shape " + c10::str(at::IntArrayRef(want)) + ", got " +
             c10::str(src.sizes()));
  at::Tensor c = src.contiguous();
  memory m({dims, dt::f32, t}, cpu_engine());
  std::memcpy(m.get_data_handle(), c.data_ptr(), static_cast<size_t>(c.numel()) * sizeof(float));
  return m;
}

// The activations' format for `channels`: oneDNN's channel blocks of the width its kernels use on this CPU (16
// floats with AVX-512, 8 below, as in libtorch's mkldnn tensors) where they fit. Left to the primitives
// (format_tag::any), oneDNN 2.6 picks channels-last with its brgemm kernels on AVX-512, which measured slower here
// than the blocked format's jit kernels. A block width the kernels do not have falls back to oneDNN's reference
// convolution: 16-channel blocks under an AVX2 cap made the encoder tests 50x slower.
tag activation_tag(int64_t channels) {
  static const bool any = std::getenv("TS_FUSED_ANY_FORMAT") != nullptr;
  static const int64_t block = [] {
    auto isa = dnnl::get_effective_cpu_isa();
    return isa == dnnl::cpu_isa::avx512_core || isa == dnnl::cpu_isa::avx512_core_vnni ||
                   isa == dnnl::cpu_isa::avx512_core_bf16 || isa == dnnl::cpu_isa::avx512_core_amx ||
                   isa == dnnl::cpu_isa::avx512_mic || isa == dnnl::cpu_isa::avx512_mic_4ops
               ? 16
               : 8;
  }();
  if (any || channels % block != 0) return tag::any;
  return block == 16 ? tag::aBcd16b : tag::aBcd8b;
}

// A convolution (zero padding, square kernel and stride) with its weights in every format a plan asked for.
struct Conv {
  memory::dims wdims;  // out, in, k, k
  int64_t stride = 1, pad = 0;
  memory bias;         // empty without bias
  memory plain;        // oihw until the first packing, then released
  std::vector<memory> packed;

  Conv(const at::Tensor &w, const at::Tensor *b, int64_t in, int64_t stride_, int64_t pad_)
      : stride(stride_), pad(pad_) {
    if (w.dim() != 4) ts::fail("a conv weight is 4-D (out, in, k, k), got " + c10::str(w.sizes()));
    if (w.size(1) != in)
      ts::fail("the conv weight " + c10::str(w.sizes()) + " takes " + std::to_string(w.size(1)) +
               " input channels, the network has " + std::to_string(in) + " here");
    if (w.size(2) != w.size(3)) ts::fail("only square kernels are supported, got " + c10::str(w.sizes()));
    if (stride < 1 || pad < 0) ts::fail("stride must be positive and padding non-negative");
    wdims = {w.size(0), w.size(1), w.size(2), w.size(3)};
    plain = copy_in(w, wdims, tag::oihw, "weight");
    if (b != nullptr) bias = copy_in(*b, {w.size(0)}, tag::x, "bias");
  }

  int64_t out() const { return wdims[0]; }
  int64_t k() const { return wdims[2]; }
  int64_t out_size(int64_t s) const { return (s + 2 * pad - k()) / stride + 1; }

  // The weights in the format `want`: reordered once per format, kept for the network's life.
  memory weights(const memory::desc &want, dnnl::stream &s) {
    for (auto &m : packed)
      if (m.get_desc() == want) return m;
    memory from = plain;
    if (!from) {
      // Back to oihw first: oneDNN reorders between two packed formats only for some pairs (not into Winograd's,
      // for one), from the plain format into every one.
      from = memory({wdims, dt::f32, tag::oihw}, cpu_engine());
      dnnl::reorder(packed.front(), from).execute(s, packed.front(), from);
    }
    memory to(want, cpu_engine());
    dnnl::reorder(from, to).execute(s, from, to);
    s.wait();
    packed.push_back(to);
    plain = memory();  // the packed copy is the source from now on
    return to;
  }

  dnnl::convolution_forward::primitive_desc pd(int64_t batch, int64_t h, int64_t w, const dnnl::post_ops &ops) const {
    memory::dims src{batch, wdims[1], h, w}, dst{batch, out(), out_size(h), out_size(w)};
    memory::desc src_md(src, dt::f32, activation_tag(wdims[1])), dst_md(dst, dt::f32, activation_tag(out())),
        w_md(wdims, dt::f32, tag::any);
    memory::dims strides{stride, stride}, pads{pad, pad};
    dnnl::primitive_attr attr = plan_attr();
    attr.set_post_ops(ops);
    if (bias) {
      dnnl::convolution_forward::desc d(dnnl::prop_kind::forward_inference, dnnl::algorithm::convolution_direct,
                                        src_md, w_md, bias.get_desc(), dst_md, strides, pads, pads);
      return {d, attr, cpu_engine()};
    }
    dnnl::convolution_forward::desc d(dnnl::prop_kind::forward_inference, dnnl::algorithm::convolution_direct,
                                      src_md, w_md, dst_md, strides, pads, pads);
    return {d, attr, cpu_engine()};
  }
};

enum class Kind { kConv, kResidual, kBatchNorm };

struct Layer {
  Kind kind;
  std::unique_ptr<Conv> c1, c2;
  bool relu = false;                       // kConv
  int64_t pool_k = 1, pool_s = 1, in = 0;  // kResidual
  memory mean, var, scale, shift;          // kBatchNorm
  float eps = 0;
};

// One primitive execution (or, without a primitive, zeroing `zero`).
struct Step {
  dnnl::primitive prim;
  std::unordered_map<int, memory> args;
  memory zero;
};

// The activations' storage of a plan. Only the current activation outlives a layer (the layers form a chain), so
// buffers are handed out again once their layer is done: a plan holds a few activations, not one per op.
struct Arena {
  struct Buffer {
    size_t size;
    std::unique_ptr<void, decltype(&std::free)> data;
    bool busy;
  };
  std::vector<Buffer> buffers;

  // A memory of `d` over the smallest free buffer that holds it, or a new one.
  memory take(const memory::desc &d) {
    size_t need = d.get_size();
    Buffer *best = nullptr;
    for (Buffer &b : buffers)
      if (!b.busy && b.size >= need && (best == nullptr || b.size < best->size)) best = &b;
    if (best == nullptr) {
      size_t size = (need + 63) / 64 * 64;  // aligned_alloc wants a multiple of the alignment
      void *p = std::aligned_alloc(64, size == 0 ? 64 : size);
      if (p == nullptr) throw std::bad_alloc();
      buffers.push_back(Buffer{size, {p, &std::free}, false});
      best = &buffers.back();
    }
    best->busy = true;
    return memory(d, cpu_engine(), best->data.get());
  }

  // Frees every buffer but the one under `keep` (the activation the next layer reads).
  void keep_only(const memory &keep) {
    void *h = keep.get_data_handle();
    for (Buffer &b : buffers) b.busy = b.data.get() == h;
  }
};

// Everything one (batch, layout) needs: primitives and the activations between them.
struct Plan {
  int64_t batch;
  bool nhwc;
  memory in, out;  // user buffers: their data handles are set per run
  std::vector<Step> steps;
  Arena arena;
  memory scratchpad;  // shared by the steps that need one: they run one after another
};

dnnl::post_ops relu_ops(bool relu) {
  dnnl::post_ops ops;
  if (relu) ops.append_eltwise(1.f, dnnl::algorithm::eltwise_relu, 0.f, 0.f);
  return ops;
}

struct Net {
  int64_t c0, h0, w0;  // input
  int64_t c, h, w;     // after the layers added so far
  std::vector<Layer> layers;
  double flops_per_image = 0;  // of the convolutions: 2 x multiply-adds
  std::list<Plan> plans;  // most recently used first
  dnnl::stream stream{cpu_engine()};

  Net(int64_t c_, int64_t h_, int64_t w_) : c0(c_), h0(h_), w0(w_), c(c_), h(h_), w(w_) {}

  void check_size(int64_t oh, int64_t ow) const {
    if (oh < 1 || ow < 1)
      ts::fail("the layer's output would be empty for its " + std::to_string(h) + "x" + std::to_string(w) + " input");
  }

  void add_conv(const at::Tensor &wt, const at::Tensor *b, int64_t stride, int64_t pad, bool relu) {
    Layer l{Kind::kConv};
    l.c1 = std::make_unique<Conv>(wt, b, c, stride, pad);
    l.relu = relu;
    int64_t oh = l.c1->out_size(h), ow = l.c1->out_size(w);
    check_size(oh, ow);
    flops_per_image += 2.0 * l.c1->out() * c * l.c1->k() * l.c1->k() * oh * ow;
    c = l.c1->out(), h = oh, w = ow;
    layers.push_back(std::move(l));
  }

  void add_residual(const at::Tensor &w1, const at::Tensor *b1, int64_t k, int64_t stride, const at::Tensor &w2,
                    const at::Tensor *b2) {
    Layer l{Kind::kResidual};
    l.c1 = std::make_unique<Conv>(w1, b1, c, stride, 0);
    if (l.c1->k() != k) ts::fail("conv1's kernel must equal the shortcut's window " + std::to_string(k));
    l.c2 = std::make_unique<Conv>(w2, b2, l.c1->out(), 1, 0);
    if (l.c2->k() != 1) ts::fail("conv2 of a residual unit must be 1x1, got " + c10::str(w2.sizes()));
    if (l.c2->out() < c)
      ts::fail("a residual unit cannot shrink channels (" + std::to_string(c) + " -> " +
               std::to_string(l.c2->out()) + ")");
    l.pool_k = k, l.pool_s = stride, l.in = c;
    int64_t oh = l.c1->out_size(h), ow = l.c1->out_size(w);
    check_size(oh, ow);
    flops_per_image += 2.0 * oh * ow * l.c1->out() * (c * k * k + l.c2->out());
    c = l.c2->out(), h = oh, w = ow;
    layers.push_back(std::move(l));
  }

  void add_batch_norm(const at::Tensor &mean, const at::Tensor &var, const at::Tensor &weight,
                      const at::Tensor &bias, double eps) {
    if (!(eps >= 0)) ts::fail("eps must be non-negative");
    Layer l{Kind::kBatchNorm};
    l.mean = copy_in(mean, {c}, tag::x, "mean");
    l.var = copy_in(var, {c}, tag::x, "var");
    l.scale = copy_in(weight, {c}, tag::x, "weight");
    l.shift = copy_in(bias, {c}, tag::x, "bias");
    l.eps = static_cast<float>(eps);
    layers.push_back(std::move(l));
  }

  Plan &plan(int64_t batch, bool nhwc) {
    for (auto it = plans.begin(); it != plans.end(); ++it) {
      if (it->batch == batch && it->nhwc == nhwc) {
        plans.splice(plans.begin(), plans, it);
        return plans.front();
      }
    }
    Plan p = build(batch, nhwc);
    plans.push_front(std::move(p));
    while (plans.size() > kPlanCacheSize) plans.pop_back();
    return plans.front();
  }

  Plan build(int64_t batch, bool nhwc) {
    if (layers.empty()) ts::fail("the network has no layers");
    Plan p{batch, nhwc, memory(), memory(), {}, {}};
    p.in = memory({{batch, c0, h0, w0}, dt::f32, nhwc ? tag::nhwc : tag::nchw}, cpu_engine(), DNNL_MEMORY_NONE);
    p.out = memory({{batch, c, h, w}, dt::f32, tag::nchw}, cpu_engine(), DNNL_MEMORY_NONE);
    auto &steps = p.steps;
    size_t scratch_bytes = 0;
    std::vector<size_t> needs_scratch;  // indices of the steps that take the scratchpad
    auto add = [&](dnnl::primitive prim, std::unordered_map<int, memory> args, const memory::desc &scratch) {
      if (scratch.get_size() > 0) {
        scratch_bytes = std::max(scratch_bytes, scratch.get_size());
        needs_scratch.push_back(steps.size());
      }
      steps.push_back(Step{std::move(prim), std::move(args), memory()});
    };
    auto add_reorder = [&](const memory &from, const memory &to) {
      dnnl::reorder::primitive_desc rpd(from, to, plan_attr());
      add(dnnl::reorder(rpd), {{DNNL_ARG_FROM, from}, {DNNL_ARG_TO, to}}, rpd.scratchpad_desc());
    };
    auto add_conv = [&](Conv &conv, const dnnl::convolution_forward::primitive_desc &pd, const memory &src,
                        const memory &dst) {
      std::unordered_map<int, memory> args{
          {DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, conv.weights(pd.weights_desc(), stream)}, {DNNL_ARG_DST, dst}};
      if (conv.bias) args[DNNL_ARG_BIAS] = conv.bias;
      add(dnnl::convolution_forward(pd), std::move(args), pd.scratchpad_desc());
    };
    // `m` in the format `want`: itself, or a reorder into a new memory.
    auto ensure = [&](const memory &m, const memory::desc &want) {
      if (m.get_desc() == want) return m;
      memory to = p.arena.take(want);
      add_reorder(m, to);
      return to;
    };
    memory cur = p.in;
    bool owned = false;  // whether cur is the plan's own (may be overwritten), not the caller's input
    int64_t ch = c0, hh = h0, ww = w0;
    for (Layer &l : layers) {
      switch (l.kind) {
        case Kind::kConv: {
          auto pd = l.c1->pd(batch, hh, ww, relu_ops(l.relu));
          memory src = ensure(cur, pd.src_desc());
          memory dst = p.arena.take(pd.dst_desc());
          add_conv(*l.c1, pd, src, dst);
          cur = dst, owned = true;
          ch = l.c1->out(), hh = l.c1->out_size(hh), ww = l.c1->out_size(ww);
          break;
        }
        case Kind::kResidual: {
          int64_t oh = l.c1->out_size(hh), ow = l.c1->out_size(ww), out = l.c2->out();
          auto pd1 = l.c1->pd(batch, hh, ww, relu_ops(true));
          dnnl::post_ops sum;
          sum.append_sum(1.f);
          auto pd2 = l.c2->pd(batch, oh, ow, sum);
          bool identity = l.pool_k == 1 && l.pool_s == 1 && out == l.in;
          // dst starts as the shortcut; conv2 adds into it. An identity shortcut of the plan's own activation
          // in conv2's format is its own destination: conv1 has read it before conv2 writes.
          memory dst;
          std::vector<Step> shortcut;
          if (identity && owned && cur.get_desc() == pd2.dst_desc()) {
            dst = cur;
          } else {
            dst = p.arena.take(pd2.dst_desc());
            memory pooled = cur;
            if (!(l.pool_k == 1 && l.pool_s == 1)) {
              memory::desc pmd({batch, l.in, oh, ow}, dt::f32, activation_tag(l.in));
              dnnl::pooling_forward::desc d(dnnl::prop_kind::forward_inference,
                                            dnnl::algorithm::pooling_avg_exclude_padding, cur.get_desc(), pmd,
                                            {l.pool_s, l.pool_s}, {l.pool_k, l.pool_k}, {0, 0}, {0, 0});
              dnnl::pooling_forward::primitive_desc ppd(d, plan_attr(), cpu_engine());
              if (out == l.in && ppd.dst_desc() == pd2.dst_desc()) {
                pooled = dst;  // pool straight into the destination
              } else {
                pooled = p.arena.take(ppd.dst_desc());
              }
              add(dnnl::pooling_forward(ppd), {{DNNL_ARG_SRC, cur}, {DNNL_ARG_DST, pooled}}, ppd.scratchpad_desc());
            }
            if (pooled != dst) {
              memory target = dst;
              if (out > l.in) {
                // the channels beyond `in` stay zero: the shortcut appends them
                steps.push_back(Step{dnnl::primitive(), {}, dst});
                target = memory(dst.get_desc().submemory_desc({batch, l.in, oh, ow}, {0, 0, 0, 0}), cpu_engine(),
                                dst.get_data_handle());
              }
              add_reorder(pooled, target);
            }
          }
          memory src1 = ensure(cur, pd1.src_desc());
          memory mid = p.arena.take(pd1.dst_desc());
          add_conv(*l.c1, pd1, src1, mid);
          memory src2 = ensure(mid, pd2.src_desc());
          add_conv(*l.c2, pd2, src2, dst);
          cur = dst, owned = true;
          ch = out, hh = oh, ww = ow;
          break;
        }
        case Kind::kBatchNorm: {
          auto flags = dnnl::normalization_flags::use_global_stats | dnnl::normalization_flags::use_scale |
                       dnnl::normalization_flags::use_shift;
          dnnl::batch_normalization_forward::desc d(dnnl::prop_kind::forward_inference, cur.get_desc(), l.eps, flags);
          dnnl::batch_normalization_forward::primitive_desc pd(d, plan_attr(), cpu_engine());
          memory dst = owned ? cur : p.arena.take(pd.dst_desc());  // in place on the plan's own
          add(dnnl::batch_normalization_forward(pd), {{DNNL_ARG_SRC, cur},
                                                      {DNNL_ARG_DST, dst},
                                                      {DNNL_ARG_MEAN, l.mean},
                                                      {DNNL_ARG_VARIANCE, l.var},
                                                      {DNNL_ARG_SCALE, l.scale},
                                                      {DNNL_ARG_SHIFT, l.shift}},
              pd.scratchpad_desc());
          cur = dst, owned = true;
          break;
        }
      }
      p.arena.keep_only(cur);
    }
    (void)ch;
    add_reorder(cur, p.out);
    if (scratch_bytes > 0) {
      p.scratchpad = memory({{static_cast<int64_t>(scratch_bytes)}, dt::u8, tag::x}, cpu_engine());
      for (size_t i : needs_scratch) steps[i].args[DNNL_ARG_SCRATCHPAD] = p.scratchpad;
    }
    return p;
  }

  at::Tensor run(const at::Tensor &x) {
    if (!x.defined()) ts::fail("x is undefined");
    if (!x.is_cpu() || x.layout() != c10::kStrided)
      ts::fail("x must be a strided CPU tensor, got one on " + x.device().str());
    if (x.scalar_type() != at::kFloat)
      ts::fail("x must be float32, got " + std::string(c10::toString(x.scalar_type())));
    if (x.dim() != 4 || x.size(1) != c0 || x.size(2) != h0 || x.size(3) != w0 || x.size(0) < 1)
      ts::fail("x must have shape (B, " + std::to_string(c0) + ", " + std::to_string(h0) + ", " +
               std::to_string(w0) + ") with B >= 1, got " + c10::str(x.sizes()));
    bool nhwc = !x.is_contiguous() && x.is_contiguous(at::MemoryFormat::ChannelsLast);
    at::Tensor in = nhwc || x.is_contiguous() ? x : x.contiguous();
    // OpenMP's thread count is per calling thread: take libtorch's setting once per thread, as its own ops do
    // (at::init_num_threads on every run would also rebuild libtorch's pthreadpool, its threads included).
    at::internal::lazy_init_num_threads();
    // A small run on one thread (see kSingleThreadFlops); the same for the plan's build and every run of it.
    SingleThreadScope threads(threads_sleep_at_once() && flops_per_image * x.size(0) < kSingleThreadFlops);
    Plan &p = plan(x.size(0), nhwc);
    at::Tensor out = at::empty({x.size(0), c, h, w}, in.options());
    p.in.set_data_handle(in.data_ptr());
    p.out.set_data_handle(out.data_ptr());
    for (Step &s : p.steps) {
      if (s.zero) {
        std::memset(s.zero.get_data_handle(), 0, s.zero.get_desc().get_size());
      } else {
        s.prim.execute(stream, s.args);
      }
    }
    stream.wait();
    return out;
  }
};

Net &N(ts_fused_net h) {
  if (h == nullptr) ts::fail("the network handle is null");
  return *reinterpret_cast<Net *>(h);
}

const at::Tensor *opt_ptr(ts_tensor h) {
  if (h == nullptr) return nullptr;
  const at::Tensor &t = *reinterpret_cast<at::Tensor *>(h);
  return t.defined() ? &t : nullptr;
}

}  // namespace

TS_API bool ts_fused_inference_available(void) { return true; }

TS_API ts_fused_net ts_fused_net_create(int64_t channels, int64_t height, int64_t width) {
  return ts::guard<ts_fused_net>(__func__, nullptr, [&] {
    if (channels < 1 || height < 1 || width < 1) ts::fail("the input's channels, height and width must be positive");
    auto *n = new Net(channels, height, width);
    live_nets.fetch_add(1, std::memory_order_relaxed);
    return reinterpret_cast<ts_fused_net>(n);
  });
}

TS_API int ts_fused_net_add_conv(ts_fused_net net, ts_tensor weight, ts_tensor bias, int64_t stride, int64_t padding,
                                 bool relu) {
  return ts::guard_status(__func__, [&] { N(net).add_conv(T(weight, "weight"), opt_ptr(bias), stride, padding, relu); });
}

TS_API int ts_fused_net_add_residual(ts_fused_net net, ts_tensor weight1, ts_tensor bias1, int64_t kernel,
                                     int64_t stride, ts_tensor weight2, ts_tensor bias2) {
  return ts::guard_status(__func__, [&] {
    N(net).add_residual(T(weight1, "weight1"), opt_ptr(bias1), kernel, stride, T(weight2, "weight2"), opt_ptr(bias2));
  });
}

TS_API int ts_fused_net_add_batch_norm(ts_fused_net net, ts_tensor mean, ts_tensor var, ts_tensor weight,
                                       ts_tensor bias, double eps) {
  return ts::guard_status(__func__, [&] {
    N(net).add_batch_norm(T(mean, "mean"), T(var, "var"), T(weight, "weight"), T(bias, "bias"), eps);
  });
}

TS_API ts_tensor ts_fused_net_run(ts_fused_net net, ts_tensor x) {
  return ts::guard_tensor(__func__, [&] { return N(net).run(T(x, "x")); });
}

TS_API int64_t ts_fused_net_plan_count(ts_fused_net net) {
  return ts::guard<int64_t>(__func__, -1, [&] { return static_cast<int64_t>(N(net).plans.size()); });
}

TS_API int ts_fused_net_destroy(ts_fused_net net) {
  return ts::guard_status(__func__, [&] {
    if (net == nullptr) return;
    delete reinterpret_cast<Net *>(net);
    live_nets.fetch_sub(1, std::memory_order_relaxed);
  });
}

TS_API int64_t ts_fused_live_nets(void) { return live_nets.load(std::memory_order_relaxed); }

#else  // !TS_HAVE_DNNL: the entry points exist and say why they cannot work

namespace {
constexpr const char *kNoDnnl =
    "this shim was built without oneDNN's headers (dnnl.hpp), so it has no fused inference network; install "
    "libdnnl-dev and rebuild the bindings";
}

TS_API bool ts_fused_inference_available(void) { return false; }

TS_API ts_fused_net ts_fused_net_create(int64_t, int64_t, int64_t) {
  ts::set_error("ts_fused_net_create", kNoDnnl);
  return nullptr;
}

TS_API int ts_fused_net_add_conv(ts_fused_net, ts_tensor, ts_tensor, int64_t, int64_t, bool) {
  ts::set_error("ts_fused_net_add_conv", kNoDnnl);
  return -1;
}

TS_API int ts_fused_net_add_residual(ts_fused_net, ts_tensor, ts_tensor, int64_t, int64_t, ts_tensor, ts_tensor) {
  ts::set_error("ts_fused_net_add_residual", kNoDnnl);
  return -1;
}

TS_API int ts_fused_net_add_batch_norm(ts_fused_net, ts_tensor, ts_tensor, ts_tensor, ts_tensor, double) {
  ts::set_error("ts_fused_net_add_batch_norm", kNoDnnl);
  return -1;
}

TS_API ts_tensor ts_fused_net_run(ts_fused_net, ts_tensor) {
  ts::set_error("ts_fused_net_run", kNoDnnl);
  return nullptr;
}

TS_API int64_t ts_fused_net_plan_count(ts_fused_net) {
  ts::set_error("ts_fused_net_plan_count", kNoDnnl);
  return -1;
}

TS_API int ts_fused_net_destroy(ts_fused_net net) { return 0; }  // nothing can have been created

TS_API int64_t ts_fused_live_nets(void) { return 0; }

#endif
