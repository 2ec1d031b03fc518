// cpu_cache.cpp: a caching CPU allocator for libtorch's tensors.
//
// Why: a training step allocates and frees the same few hundred activation buffers every step, many of them
// tens of megabytes. glibc serves blocks above its mmap threshold (at most 32 MB) with fresh mmaps and returns
// freed heap tops to the kernel, so every step page-faults its activations in again and the kernel zeroes each
// page first: measured here at about 100 000 page faults per CIFAR batch-64 step, a tenth of its wall time.
// Keeping freed large blocks and handing them out again for the same size removes that work; steps repeat their
// sizes exactly, so the hit rate is essentially 100 % after the first step and the footprint stays flat at the
// step's peak. Blocks of 4 MB and more also ask for transparent huge pages (MADV_HUGEPAGE; the kernel here only
// uses them on request): fewer faults still, and fewer TLB misses in the convolution kernels.
//
// Small blocks (below kMinCached) go to c10's own aligned malloc: glibc recycles them well. Idle cached bytes are
// capped (ts_cpu_cache_configure); a freed block that would exceed the cap is unmapped at once. The allocator
// also serves oneDNN's scratch memory through raw_allocate / raw_deleter, so the deleter works from the pointer
// alone (a map from live cached blocks to their sizes).
#include "shim_internal.h"

#include <c10/core/Allocator.h>
#include <c10/core/CPUAllocator.h>
#include <c10/core/impl/alloc_cpu.h>

#include <sys/mman.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include <cstring>
#include <mutex>
#include <unordered_map>
#include <utility>

namespace {

constexpr size_t kMinCached = size_t(1) << 20;   // 1 MiB: smaller blocks stay with malloc
constexpr size_t kSmallRound = size_t(64) << 10;  // cached blocks below kHuge round up to 64 KiB
constexpr size_t kHuge = size_t(4) << 20;         // from 4 MiB: 2 MiB rounding and huge pages
constexpr size_t kHugeRound = size_t(2) << 20;

size_t round_up(size_t n, size_t to) { return (n + to - 1) / to * to; }

class CachingCpuAllocator final : public c10::Allocator {
 public:
  // c10::Allocator changed between releases: 1.13 declares `allocate(size_t) const`, newer ones (2.6 and 2.14
  // checked) a non-const `allocate(size_t)` plus a pure `copy_data`. Both allocate overloads are defined, without
  // `override`, so that whichever the base declares is overridden and the other is a plain overload; copy_data
  // is an override where it exists and an unused method in 1.13.
  c10::DataPtr allocate(size_t nbytes) const {
    void *p = nbytes < kMinCached ? c10::alloc_cpu(nbytes) : take(nbytes);
    return {p, p, &release, c10::Device(c10::DeviceType::CPU)};
  }
  c10::DataPtr allocate(size_t nbytes) { return std::as_const(*this).allocate(nbytes); }
  void copy_data(void *dest, const void *src, std::size_t count) const { std::memcpy(dest, src, count); }

  c10::DeleterFnPtr raw_deleter() const override { return &release; }

  void set_limit(int64_t bytes) {
    std::vector<std::pair<void *, size_t>> drop;
    {
      std::lock_guard<std::mutex> lock(mu_);
      idle_limit_ = bytes;
      if (idle_bytes_ > idle_limit_) drop = take_all_idle();
    }
    for (auto &b : drop) unmap(b.first, b.second);
  }

  void empty() {
    std::vector<std::pair<void *, size_t>> drop;
    {
      std::lock_guard<std::mutex> lock(mu_);
      drop = take_all_idle();
    }
    for (auto &b : drop) unmap(b.first, b.second);
  }

  void stats(int64_t *out) const {
    std::lock_guard<std::mutex> lock(mu_);
    out[0] = live_bytes_;
    out[1] = idle_bytes_;
    out[2] = hits_;
    out[3] = misses_;
    out[4] = idle_limit_;
  }

  static CachingCpuAllocator &instance() {
    // Never destroyed: tensors freed during the JVM's exit still find it.
    static auto *the = new CachingCpuAllocator();
    return *the;
  }

 private:
  static size_t block_size(size_t nbytes) {
    return nbytes >= kHuge ? round_up(nbytes, kHugeRound) : round_up(nbytes, kSmallRound);
  }

  void *take(size_t nbytes) const {
    const size_t size = block_size(nbytes);
    {
      std::lock_guard<std::mutex> lock(mu_);
      auto it = idle_.find(size);
      if (it != idle_.end() && !it->second.empty()) {
        void *p = it->second.back();
        it->second.pop_back();
        idle_bytes_ -= static_cast<int64_t>(size);
        live_bytes_ += static_cast<int64_t>(size);
        live_.emplace(p, size);
        hits_++;
        return p;
      }
    }
    void *p = map(size);
    std::lock_guard<std::mutex> lock(mu_);
    live_bytes_ += static_cast<int64_t>(size);
    live_.emplace(p, size);
    misses_++;
    return p;
  }

  static void release(void *p) { instance().give_back(p); }

  void give_back(void *p) const {
    if (p == nullptr) return;
    size_t size = 0;
    bool keep = false;
    {
      std::lock_guard<std::mutex> lock(mu_);
      auto it = live_.find(p);
      if (it == live_.end()) {
        // A small block from c10::alloc_cpu.
        c10::free_cpu(p);
        return;
      }
      size = it->second;
      live_.erase(it);
      live_bytes_ -= static_cast<int64_t>(size);
      keep = idle_bytes_ + static_cast<int64_t>(size) <= idle_limit_;
      if (keep) {
        idle_[size].push_back(p);
        idle_bytes_ += static_cast<int64_t>(size);
      }
    }
    if (!keep) unmap(p, size);
  }

  // Caller holds mu_.
  std::vector<std::pair<void *, size_t>> take_all_idle() const {
    std::vector<std::pair<void *, size_t>> out;
    for (auto &e : idle_)
      for (void *p : e.second) out.emplace_back(p, e.first);
    idle_.clear();
    idle_bytes_ = 0;
    return out;
  }

  static void *map(size_t size) {
    void *p = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
      throw std::runtime_error("out of memory: cannot map " + std::to_string(size) + " bytes for a CPU tensor");
    }
    // Advice only: a kernel without transparent huge pages simply ignores it.
    if (size >= kHuge) madvise(p, size, MADV_HUGEPAGE);
    return p;
  }

  static void unmap(void *p, size_t size) { munmap(p, size); }

  mutable std::mutex mu_;
  mutable std::unordered_map<void *, size_t> live_;
  mutable std::unordered_map<size_t, std::vector<void *>> idle_;
  mutable int64_t live_bytes_ = 0;
  mutable int64_t idle_bytes_ = 0;
  mutable int64_t hits_ = 0;
  mutable int64_t misses_ = 0;
  int64_t idle_limit_ = 0;
};

std::once_flag installed;

}  // namespace

TS_API int ts_cpu_cache_configure(int64_t idle_limit_bytes) {
  return ts::guard_status(__func__, [&] {
    if (idle_limit_bytes < 0) ts::fail("the idle limit must be >= 0, got " + std::to_string(idle_limit_bytes));
    auto &cache = CachingCpuAllocator::instance();
    cache.set_limit(idle_limit_bytes);
    // Installed once and for good: tensors it allocated must keep finding its deleter. A limit of 0 then only
    // stops it from keeping blocks.
    if (idle_limit_bytes > 0) std::call_once(installed, [&] { c10::SetCPUAllocator(&cache, /*priority=*/1); });
  });
}

TS_API int ts_cpu_cache_empty(void) {
  return ts::guard_status(__func__, [&] { CachingCpuAllocator::instance().empty(); });
}

TS_API bool ts_cpu_cache_installed(void) {
  return c10::GetCPUAllocator() == &CachingCpuAllocator::instance();
}

TS_API int ts_cpu_cache_stats(int64_t *out) {
  return ts::guard_status(__func__, [&] {
    if (out == nullptr) ts::fail("'out' is null");
    CachingCpuAllocator::instance().stats(out);
  });
}

// Blocks below kMinCached go to malloc. glibc gives each thread that allocates an arena of its own (up to 8 per
// core), and each arena keeps the blocks freed into it: data-loader threads, libtorch's intra-op threads and the
// JVM's own threads then hold idle memory apiece. Capping the arenas makes them share (what it saved is measured
// in CpuMemoryCache.limitMallocArenas's documentation). Only arenas created afterwards are affected.
TS_API int ts_malloc_arena_max(int arenas, int *applied) {
  return ts::guard_status(__func__, [&] {
    if (arenas <= 0) ts::fail("the number of malloc arenas must be positive, got " + std::to_string(arenas));
    if (applied == nullptr) ts::fail("'applied' is null");
#if defined(__GLIBC__)
    if (mallopt(M_ARENA_MAX, arenas) != 1) ts::fail("glibc refused mallopt(M_ARENA_MAX, " + std::to_string(arenas) + ")");
    *applied = 1;
#else
    *applied = 0;
#endif
  });
}
