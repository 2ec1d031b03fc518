// cpu_kernels.cpp: which CPU kernels libtorch runs: ATen's vectorised kernels and oneDNN's instruction set.
//
// Both can be capped below what the CPU offers (ATEN_CPU_CAPABILITY, ONEDNN_MAX_CPU_ISA / DNNL_MAX_CPU_ISA), and
// float32 results differ in their last bits between kernels, so bug reports and benchmark headers need to say
// which ones ran.
#include "shim_internal.h"

#include <ATen/Version.h>

#include <dlfcn.h>

#include <sstream>
#include <string>

namespace {

// ATen has no exported query for its dispatch level in every release; its build summary ends with the one it
// chose ("CPU capability usage: AVX2"), which 1.13 and 2.x both print.
std::string aten_capability() {
  std::istringstream summary(at::show_config());
  const std::string key = "CPU capability usage:";
  for (std::string line; std::getline(summary, line);) {
    auto at = line.find(key);
    if (at == std::string::npos) continue;
    auto value = line.substr(at + key.size());
    auto first = value.find_first_not_of(' ');
    return first == std::string::npos ? std::string() : value.substr(first);
  }
  return {};
}

// oneDNN's C API, looked up at run time: Debian's libtorch links the system's libdnnl.so.2 and exports its
// symbols; PyTorch's own builds link oneDNN statically and hide them, and then the ISA is unknown ("").
std::string onednn_isa() {
  using effective_isa_fn = int (*)();
  using isa_name_fn = const char *(*)(int);
  auto effective = reinterpret_cast<effective_isa_fn>(dlsym(RTLD_DEFAULT, "dnnl_get_effective_cpu_isa"));
  auto name = reinterpret_cast<isa_name_fn>(dlsym(RTLD_DEFAULT, "dnnl_cpu_isa2str"));
  if (effective == nullptr || name == nullptr) return {};
  const char *isa = name(effective());
  if (isa == nullptr) return {};
  std::string s(isa);
  const std::string prefix = "cpu_isa_";
  return s.rfind(prefix, 0) == 0 ? s.substr(prefix.size()) : s;
}

}  // namespace

TS_API const char *ts_cpu_capability(void) {
  // Fixed for the process once libtorch has read the environment; computed once (thread-safe static).
  static const std::string value = [] {
    try {
      return aten_capability();
    } catch (...) {
      return std::string();
    }
  }();
  return value.c_str();
}

TS_API const char *ts_onednn_isa(void) {
  static const std::string value = [] {
    try {
      return onednn_isa();
    } catch (...) {
      return std::string();
    }
  }();
  return value.c_str();
}
