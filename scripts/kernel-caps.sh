# Sourced, never run: the CPU kernel caps that CI's test stages and the benchmark scripts run under, in one place.
#
#   source scripts/kernel-caps.sh
#   env "${KERNEL_CAPS_AVX2[@]}" cmd ...
#
# Each array holds NAME=VALUE words for `env`: ATen's dispatch level, oneDNN's ISA (both of its variable names),
# and the kernels of Debian's OpenBLAS (built for every x86-64 core type; OPENBLAS_CORETYPE picks one).
# It only sets variables.

# As on a CPU with AVX2 and no AVX-512.
KERNEL_CAPS_AVX2=(ATEN_CPU_CAPABILITY=avx2 ONEDNN_MAX_CPU_ISA=AVX2 DNNL_MAX_CPU_ISA=AVX2 OPENBLAS_CORETYPE=Haswell)
# The oldest kernels: ATen's scalar fallback ("NO AVX"), oneDNN's SSE4.1, OpenBLAS's Nehalem (SSE4.2).
KERNEL_CAPS_OLDEST=(ATEN_CPU_CAPABILITY=default ONEDNN_MAX_CPU_ISA=SSE41 DNNL_MAX_CPU_ISA=SSE41
  OPENBLAS_CORETYPE=Nehalem)
# The variables the arrays set; `env -u` each of them runs on the CPU's own (native) kernels.
KERNEL_CAP_NAMES=(ATEN_CPU_CAPABILITY ONEDNN_MAX_CPU_ISA DNNL_MAX_CPU_ISA OPENBLAS_CORETYPE)
