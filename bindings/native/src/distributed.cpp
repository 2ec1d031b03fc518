// distributed.cpp: process groups over libtorch's c10d (Gloo on CPU, NCCL on CUDA), for data-parallel training.
//
// A group is a TCPStore (rank 0 serves it; every rank connects) plus a c10d backend built on it. Every collective
// here is blocking: it is started and then waited for with the group's timeout, so a dead or stuck peer ends in an
// error (Gloo: "Connection closed by peer" at once, or its I/O timeout; the wait: "timed out"), never in a hang.
// After a failed collective the ranks may disagree about how far they got, so the group refuses further
// collectives (with the first error) and must be destroyed.
//
// Many tensors are reduced/broadcast/gathered with few collectives: tensors of one dtype and device are copied into
// one flat buffer per bucket (bucket_bytes), the buckets' collectives are all started, then all waited for, and the
// results copied back. That is the gradient bucketing of DistributedDataParallel without its overlap with backward.
//
// API versions: in libtorch 1.13 the backends (ProcessGroupGloo/NCCL) derive from c10d::ProcessGroup; from 2.0 on
// they derive from c10d::Backend (ProcessGroup became a dispatcher over backends). The collective methods used here
// (allreduce, broadcast, allgather, barrier with their *Options) have the same signatures on both bases, so only the
// base type differs. The headers are guarded by USE_C10D_GLOO / USE_C10D_NCCL (set by PyTorch's own build), which
// this unit defines when the libraries' headers are present. Debian's libtorch-dev does not depend on libgloo-dev:
// without gloo headers this unit still compiles, and creating a "gloo" group fails with an install hint.
//
// Compile time: ProcessGroup.hpp / Backend.hpp include <ATen/ATen.h>, which makes this the slowest unit of the
// shim (about 20 s); nothing beyond the c10d headers that the used classes need is included.
#include "shim_internal.h"

#include <torch/version.h>

#if __has_include(<gloo/config.h>)
#ifndef USE_C10D_GLOO
#define USE_C10D_GLOO
#endif
#define TS_HAVE_GLOO 1
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#else
#define TS_HAVE_GLOO 0
#endif

#if defined(TS_WITH_CUDA) && !defined(TS_NO_CUDA_HEADERS) && !defined(TS_NO_NCCL) && __has_include(<nccl.h>) && \
    __has_include(<cuda_runtime_api.h>)
#ifndef USE_C10D_NCCL
#define USE_C10D_NCCL
#endif
#define TS_HAVE_NCCL 1
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#else
#define TS_HAVE_NCCL 0
#endif

#if TORCH_VERSION_MAJOR >= 2
#include <torch/csrc/distributed/c10d/Backend.hpp>
#else
#include <torch/csrc/distributed/c10d/ProcessGroup.hpp>
#endif
#include <torch/csrc/distributed/c10d/TCPStore.hpp>

#include <ATen/ops/cat.h>
#include <ATen/ops/empty.h>

#include <chrono>
#include <cstdlib>
#include <mutex>
#include <type_traits>
#include <utility>

namespace {

#if TORCH_VERSION_MAJOR >= 2
using Collectives = c10d::Backend;
#else
using Collectives = c10d::ProcessGroup;
#endif

using Millis = std::chrono::milliseconds;

}  // namespace

struct ts_pg_s {
  c10::intrusive_ptr<c10d::Store> store;
  c10::intrusive_ptr<Collectives> group;
  std::string backend;
  int rank = 0;
  int size = 1;
  Millis timeout{0};
  // Serialises calls: c10d requires every rank to issue its collectives in the same order, which concurrent
  // callers on one handle could not guarantee.
  std::mutex mutex;
  // The first failure of a collective; non-empty means the group is unusable.
  std::string broken;
};

namespace {

ts_pg_s &G(ts_pg h) {
  if (h == nullptr) ts::fail("process group argument 'pg' is null");
  return *h;
}

bool is_loopback(const std::string &addr) {
  return addr == "localhost" || addr.rfind("127.", 0) == 0 || addr == "::1";
}

#if TS_HAVE_GLOO
// The Gloo transport device: loopback when the master is on this machine's loopback (single-machine runs);
// otherwise the interface named by GLOO_SOCKET_IFNAME, as torch.distributed does, or the address this host's
// name resolves to.
std::shared_ptr<::gloo::transport::Device> gloo_device(const std::string &master_addr) {
  if (is_loopback(master_addr)) return c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1");
  const char *ifname = std::getenv("GLOO_SOCKET_IFNAME");
  if (ifname != nullptr && *ifname != '\0') return c10d::ProcessGroupGloo::createDeviceForInterface(ifname);
  return c10d::ProcessGroupGloo::createDefaultDevice();
}
#endif

c10::intrusive_ptr<Collectives> make_group(const std::string &backend, const std::string &master_addr,
                                           const c10::intrusive_ptr<c10d::Store> &store, int rank, int size,
                                           Millis timeout) {
  if (backend == "gloo") {
#if TS_HAVE_GLOO
    auto options = c10d::ProcessGroupGloo::Options::create(timeout);
    options->devices.push_back(gloo_device(master_addr));
    return c10::make_intrusive<c10d::ProcessGroupGloo>(store, rank, size, options);
#else
    throw std::runtime_error(
        "the Gloo backend is not available: the shim was built without the gloo headers (install them with "
        "'apt-get install libgloo-dev' and rebuild)");
#endif
  }
  if (backend == "nccl") {
#if TS_HAVE_NCCL
    auto options = c10d::ProcessGroupNCCL::Options::create();
    options->timeout = timeout;
    return c10::make_intrusive<c10d::ProcessGroupNCCL>(store, rank, size, options);
#else
    throw std::runtime_error(
        "the NCCL backend is not available: the shim was built without CUDA, CUDA headers or nccl.h");
#endif
  }
  ts::fail("unknown backend '" + backend + "' (expected \"gloo\" or \"nccl\")");
}

// Runs one collective step on a usable group; a failure marks the group broken.
template <class F>
void collective(ts_pg_s &g, const char *what, F &&f) {
  std::lock_guard<std::mutex> lock(g.mutex);
  if (!g.broken.empty())
    throw std::runtime_error(std::string(what) + ": the process group is unusable after an earlier failure: " +
                             g.broken);
  try {
    f();
  } catch (const c10::Error &e) {
    g.broken = e.what_without_backtrace();
    throw std::runtime_error(std::string(what) + " failed (rank " + std::to_string(g.rank) + " of " +
                             std::to_string(g.size) + ", " + g.backend + "): " + g.broken);
  } catch (const std::exception &e) {
    g.broken = e.what();
    throw std::runtime_error(std::string(what) + " failed (rank " + std::to_string(g.rank) + " of " +
                             std::to_string(g.size) + ", " + g.backend + "): " + g.broken);
  }
}

void wait(ts_pg_s &g, const c10::intrusive_ptr<c10d::Work> &work) {
  work->wait(g.timeout);
  // NCCL's wait only orders the current CUDA stream after the collective; the host waits here so that "done"
  // means done on every backend.
  if (g.backend == "nccl") {
    for (const auto &t : work->result())
      if (t.defined()) ts::sync_device(t.device());
  }
}

// Tensors of one dtype and device packed into one flat buffer (or used in place when it is a single contiguous
// tensor); `index` holds their positions in the caller's list.
struct Bucket {
  std::vector<at::Tensor> tensors;
  std::vector<size_t> index;
  at::Tensor flat;
  bool in_place = false;
};

// Groups the tensors by dtype and device (groups in order of first appearance, tensors in list order within a
// group, so that every rank packs identically), then cuts each group into buckets of at most bucket_bytes (a
// tensor larger than that gets a bucket of its own; bucket_bytes <= 0: one bucket per group).
std::vector<Bucket> buckets(const std::vector<at::Tensor> &ts, int64_t bucket_bytes) {
  std::vector<std::vector<size_t>> groups;
  for (size_t i = 0; i < ts.size(); i++) {
    const at::Tensor &t = ts[i];
    if (!t.defined()) ts::fail("an undefined tensor cannot take part in a collective");
    if (t.layout() != c10::kStrided) ts::fail("collectives need dense (strided) tensors");
    bool placed = false;
    for (auto &g : groups) {
      const at::Tensor &first = ts[g.front()];
      if (first.scalar_type() == t.scalar_type() && first.device() == t.device()) {
        g.push_back(i);
        placed = true;
        break;
      }
    }
    if (!placed) groups.push_back({i});
  }
  std::vector<Bucket> out;
  for (const auto &g : groups) {
    int64_t bytes = 0;
    bool open = false;
    for (size_t i : g) {
      const at::Tensor &t = ts[i];
      const int64_t nb = t.numel() * static_cast<int64_t>(t.element_size());
      if (!open || (bucket_bytes > 0 && bytes + nb > bucket_bytes && bytes > 0)) {
        out.emplace_back();
        bytes = 0;
        open = true;
      }
      out.back().tensors.push_back(t);
      out.back().index.push_back(i);
      bytes += nb;
    }
  }
  for (auto &b : out) {
    if (b.tensors.size() == 1 && b.tensors.front().is_contiguous()) {
      b.flat = b.tensors.front().view({-1});  // shares the storage: in-place collectives write the tensor itself
      b.in_place = true;
    } else {
      std::vector<at::Tensor> flat;
      flat.reserve(b.tensors.size());
      for (const auto &t : b.tensors) flat.push_back(t.reshape({-1}));
      b.flat = at::cat(flat, 0);
    }
  }
  return out;
}

void unpack(const Bucket &b) {
  if (b.in_place) return;
  int64_t offset = 0;
  for (const auto &t : b.tensors) {
    const int64_t n = t.numel();
    t.copy_(b.flat.narrow(0, offset, n).view(t.sizes()));
    offset += n;
  }
}

// libtorch 2.4 and later serve the store with libuv by default (TCPStoreOptions::useLibUV, a field 1.13 lacks),
// and refuse to start when they were built without it, as Debian's 2.x packages are. The store then starts on
// the classic backend: it speaks the same protocol to the clients, so ranks may differ in which one they have.
template <typename O, typename = void>
struct HasUseLibUV : std::false_type {};
template <typename O>
struct HasUseLibUV<O, std::void_t<decltype(std::declval<O &>().useLibUV)>> : std::true_type {};

// A template so that the discarded branch, which names useLibUV, is not compiled against 1.13.
template <typename O>
c10::intrusive_ptr<c10d::TCPStore> open_store(const std::string &addr, O options) {
  try {
    return c10::make_intrusive<c10d::TCPStore>(addr, options);
  } catch (const c10::Error &e) {
    if constexpr (HasUseLibUV<O>::value) {
      const std::string message = e.what_without_backtrace();
      if (options.useLibUV && message.find("libuv") != std::string::npos) {
        options.useLibUV = false;
        return c10::make_intrusive<c10d::TCPStore>(addr, options);
      }
    }
    throw;
  }
}

std::vector<at::Tensor> tensors_of(const ts_tensor *hs, int n) {
  if (n < 0) ts::fail("n is negative");
  if (n > 0 && hs == nullptr) ts::fail("'tensors' is null");
  return ts::tensor_list(hs, n, "tensors");
}

}  // namespace

TS_API bool ts_pg_backend_available(const char *backend) {
  if (backend == nullptr) return false;
  std::string b(backend);
  if (b == "gloo") return TS_HAVE_GLOO != 0;
  if (b == "nccl") {
#if TS_HAVE_NCCL
    return ts_cuda_device_count() > 0;
#else
    return false;
#endif
  }
  return false;
}

TS_API ts_pg ts_pg_create(const char *backend, const char *master_addr, int master_port, int rank, int world_size,
                          int64_t timeout_ms) {
  return ts::guard<ts_pg>(__func__, nullptr, [&]() -> ts_pg {
    if (backend == nullptr) ts::fail("'backend' is null");
    if (master_addr == nullptr || *master_addr == '\0') ts::fail("'master_addr' is null or empty");
    if (master_port < 1 || master_port > 65535) ts::fail("master_port must be in [1, 65535], got " + std::to_string(master_port));
    if (world_size < 1) ts::fail("world_size must be >= 1, got " + std::to_string(world_size));
    if (rank < 0 || rank >= world_size)
      ts::fail("rank must be in [0, " + std::to_string(world_size) + "), got " + std::to_string(rank));
    if (timeout_ms < 1) ts::fail("timeout_ms must be >= 1, got " + std::to_string(timeout_ms));
    std::string b(backend);
    if (b != "gloo" && b != "nccl") ts::fail("unknown backend '" + b + "' (expected \"gloo\" or \"nccl\")");
    auto g = std::make_unique<ts_pg_s>();
    g->backend = b;
    g->rank = rank;
    g->size = world_size;
    g->timeout = Millis(timeout_ms);
    c10d::TCPStoreOptions so;
    so.port = static_cast<std::uint16_t>(master_port);
    so.isServer = rank == 0;
    so.numWorkers = static_cast<std::size_t>(world_size);
    // Waiting for the workers happens in the backend's rendezvous, under the same timeout; the store's own
    // wait-for-workers loop would add a second, longer wait on rank 0.
    so.waitWorkers = false;
    so.timeout = g->timeout;
    try {
      g->store = open_store(master_addr, so);
      g->group = make_group(b, master_addr, g->store, rank, world_size, g->timeout);
    } catch (const c10::Error &e) {
      throw std::runtime_error("cannot create the " + b + " process group (rank " + std::to_string(rank) + " of " +
                               std::to_string(world_size) + ", master " + master_addr + ":" +
                               std::to_string(master_port) + ", timeout " + std::to_string(timeout_ms) +
                               " ms): " + e.what_without_backtrace());
    } catch (const std::exception &e) {
      throw std::runtime_error("cannot create the " + b + " process group (rank " + std::to_string(rank) + " of " +
                               std::to_string(world_size) + ", master " + master_addr + ":" +
                               std::to_string(master_port) + ", timeout " + std::to_string(timeout_ms) +
                               " ms): " + e.what());
    }
    return g.release();
  });
}

TS_API int ts_pg_destroy(ts_pg pg) {
  return ts::guard_status(__func__, [&] {
    if (pg == nullptr) return;
    std::unique_ptr<ts_pg_s> owned(pg);
    std::lock_guard<std::mutex> lock(owned->mutex);
    // The backend first (its worker threads finish or fail their queued work), then the store it uses.
    owned->group.reset();
    owned->store.reset();
  });
}

TS_API int ts_pg_rank(ts_pg pg) {
  return ts::guard<int>(__func__, -1, [&] { return G(pg).rank; });
}

TS_API int ts_pg_world_size(ts_pg pg) {
  return ts::guard<int>(__func__, -1, [&] { return G(pg).size; });
}

TS_API int ts_pg_all_reduce(ts_pg pg, const ts_tensor *tensors, int n, int op, int64_t bucket_bytes) {
  return ts::guard_status(__func__, [&] {
    ts_pg_s &g = G(pg);
    if (op != TS_PG_REDUCE_SUM && op != TS_PG_REDUCE_AVG) ts::fail("unknown reduce op " + std::to_string(op));
    auto ts = tensors_of(tensors, n);
    if (op == TS_PG_REDUCE_AVG)
      for (const auto &t : ts)
        if (!at::isFloatingType(t.scalar_type())) ts::fail("averaging needs floating-point tensors");
    c10::AutoGradMode no_grad(false);
    collective(g, "all_reduce", [&] {
      auto bs = buckets(ts, bucket_bytes);
      std::vector<c10::intrusive_ptr<c10d::Work>> works;
      c10d::AllreduceOptions opts;
      opts.reduceOp = c10d::ReduceOp::SUM;
      opts.timeout = g.timeout;
      for (auto &b : bs) {
        std::vector<at::Tensor> one{b.flat};
        works.push_back(g.group->allreduce(one, opts));
      }
      for (auto &w : works) wait(g, w);
      for (auto &b : bs) {
        // Gloo 1.13 has no AVG reduction; sum then divide, as torch.distributed's users do.
        if (op == TS_PG_REDUCE_AVG) b.flat.div_(static_cast<double>(g.size));
        unpack(b);
      }
    });
  });
}

TS_API int ts_pg_broadcast(ts_pg pg, const ts_tensor *tensors, int n, int root, int64_t bucket_bytes) {
  return ts::guard_status(__func__, [&] {
    ts_pg_s &g = G(pg);
    if (root < 0 || root >= g.size)
      ts::fail("root must be in [0, " + std::to_string(g.size) + "), got " + std::to_string(root));
    auto ts = tensors_of(tensors, n);
    c10::AutoGradMode no_grad(false);
    collective(g, "broadcast", [&] {
      auto bs = buckets(ts, bucket_bytes);
      std::vector<c10::intrusive_ptr<c10d::Work>> works;
      c10d::BroadcastOptions opts;
      opts.rootRank = root;
      opts.rootTensor = 0;
      opts.timeout = g.timeout;
      for (auto &b : bs) {
        std::vector<at::Tensor> one{b.flat};
        works.push_back(g.group->broadcast(one, opts));
      }
      for (auto &w : works) wait(g, w);
      if (g.rank != root)
        for (auto &b : bs) unpack(b);
    });
  });
}

TS_API int ts_pg_all_gather(ts_pg pg, const ts_tensor *inputs, int n, ts_tensor *outputs) {
  return ts::guard_status(__func__, [&] {
    ts_pg_s &g = G(pg);
    auto ts = tensors_of(inputs, n);
    if (n > 0 && outputs == nullptr) ts::fail("'outputs' is null");
    for (const auto &t : ts)
      if (t.dim() < 1) ts::fail("all_gather concatenates along dimension 0: inputs need at least one dimension");
    c10::AutoGradMode no_grad(false);
    std::vector<at::Tensor> results(ts.size());
    collective(g, "all_gather", [&] {
      // One collective per dtype and device: every rank's packed inputs arrive as one flat tensor per rank.
      auto bs = buckets(ts, 0);
      std::vector<std::vector<at::Tensor>> gathered(bs.size());
      std::vector<c10::intrusive_ptr<c10d::Work>> works;
      c10d::AllgatherOptions opts;
      opts.timeout = g.timeout;
      for (size_t i = 0; i < bs.size(); i++) {
        std::vector<std::vector<at::Tensor>> outs(1);
        for (int r = 0; r < g.size; r++) outs[0].push_back(at::empty_like(bs[i].flat));
        std::vector<at::Tensor> in{bs[i].flat};
        works.push_back(g.group->allgather(outs, in, opts));
        gathered[i] = outs[0];
      }
      for (auto &w : works) wait(g, w);
      for (size_t i = 0; i < bs.size(); i++) {
        int64_t offset = 0;
        for (size_t j = 0; j < bs[i].tensors.size(); j++) {
          const at::Tensor &t = bs[i].tensors[j];
          const int64_t numel = t.numel();
          std::vector<at::Tensor> parts;
          parts.reserve(gathered[i].size());
          for (const auto &flat : gathered[i]) parts.push_back(flat.narrow(0, offset, numel).view(t.sizes()));
          results[bs[i].index[j]] = at::cat(parts, 0);
          offset += numel;
        }
      }
    });
    for (size_t i = 0; i < results.size(); i++) outputs[i] = ts::wrap(std::move(results[i]));
  });
}

TS_API int ts_pg_all_gather_list(ts_pg pg, ts_tensor input, ts_tensor *outputs, int capacity) {
  return ts::guard<int>(__func__, -1, [&]() -> int {
    ts_pg_s &g = G(pg);
    const at::Tensor &t = ts::T(input, "input");
    if (outputs == nullptr || capacity < g.size)
      ts::fail("'outputs' needs room for " + std::to_string(g.size) + " handles, got " + std::to_string(capacity));
    c10::AutoGradMode no_grad(false);
    std::vector<at::Tensor> outs;
    collective(g, "all_gather", [&] {
      at::Tensor in = t.contiguous();
      std::vector<std::vector<at::Tensor>> o(1);
      for (int r = 0; r < g.size; r++) o[0].push_back(at::empty_like(in));
      std::vector<at::Tensor> ins{in};
      c10d::AllgatherOptions opts;
      opts.timeout = g.timeout;
      wait(g, g.group->allgather(o, ins, opts));
      outs = o[0];
    });
    for (int r = 0; r < g.size; r++) outputs[r] = ts::wrap(std::move(outs[r]));
    return g.size;
  });
}

TS_API int ts_pg_barrier(ts_pg pg) {
  return ts::guard_status(__func__, [&] {
    ts_pg_s &g = G(pg);
    collective(g, "barrier", [&] {
      c10d::BarrierOptions opts;
      opts.timeout = g.timeout;
      wait(g, g.group->barrier(opts));
    });
  });
}
