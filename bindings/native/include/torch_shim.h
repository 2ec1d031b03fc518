/*
 * torch_shim.h: the C ABI over libtorch that the Java FFM bindings are generated from.
 *
 * This header is written in a deliberately small subset of C, so that both our generator
 * (bindings/src/main/java/org/amdim/bindings/generator/FfmBindingsGenerator.java) and jextract can read it:
 *   - preprocessor lines other than `#define NAME <integer literal>` are ignored by the generator;
 *   - the only types are void, bool, int, int64_t, float, double, pointers to them, `const char*`,
 *     `void*`, and the opaque handle `ts_tensor` (and `ts_tensor*` for lists and out-parameters);
 *   - one function declaration per statement, ending in `;`, with named parameters; no varargs,
 *     no structs by value, no function pointers.
 *
 * Conventions (the same everywhere, so that the Java side can check errors cheaply):
 *   - A function that returns `ts_tensor` returns a new handle the caller owns (free it with ts_free),
 *     or NULL on failure.
 *   - A function that returns `int` as a status returns 0 on success and -1 on failure.
 *   - After a failure, ts_last_error() returns the libtorch message (thread-local; valid until the
 *     next failing call on the same thread). No C++ exception ever crosses this boundary.
 *   - Optional tensor arguments are nullable handles. Lists are (pointer, length) pairs.
 *   - dtype codes are at::ScalarType codes (see TS_DTYPE_*); device is (type, index) with TS_DEVICE_*.
 */
#ifndef TORCH_SHIM_H
#define TORCH_SHIM_H

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ts_tensor_s *ts_tensor;
/* A c10d process group (see the "distributed" section); free it with ts_pg_destroy. */
typedef struct ts_pg_s *ts_pg;
/* A fused CPU inference network (see the "fused inference" section); free it with ts_fused_net_destroy. */
typedef struct ts_fused_net_s *ts_fused_net;

/* dtype codes (equal to at::ScalarType) */
#define TS_DTYPE_UINT8 0
#define TS_DTYPE_INT8 1
#define TS_DTYPE_INT16 2
#define TS_DTYPE_INT32 3
#define TS_DTYPE_INT64 4
#define TS_DTYPE_FLOAT16 5
#define TS_DTYPE_FLOAT32 6
#define TS_DTYPE_FLOAT64 7
#define TS_DTYPE_BOOL 11
#define TS_DTYPE_BFLOAT16 15

/* device types (equal to c10::DeviceType) */
#define TS_DEVICE_CPU 0
#define TS_DEVICE_CUDA 1

/* Memory formats (how the elements of a tensor are ordered in its storage). */
#define TS_MEMORY_CONTIGUOUS 0
#define TS_MEMORY_CHANNELS_LAST 1

/* Layouts (how a tensor's elements are stored): strided (sizes and strides over a storage; every ordinary
 * tensor) or oneDNN's opaque blocked layout ("mkldnn"; CPU only, see the "mkldnn layout" section). */
#define TS_LAYOUT_STRIDED 0
#define TS_LAYOUT_MKLDNN 1

/* unary ops for ts_unary / ts_unary_ */
#define TS_UNARY_NEG 0
#define TS_UNARY_ABS 1
#define TS_UNARY_EXP 2
#define TS_UNARY_LOG 3
#define TS_UNARY_SQRT 4
#define TS_UNARY_RSQRT 5
#define TS_UNARY_TANH 6
#define TS_UNARY_SIGMOID 7
#define TS_UNARY_RELU 8
#define TS_UNARY_SIN 9
#define TS_UNARY_COS 10
#define TS_UNARY_FLOOR 11
#define TS_UNARY_CEIL 12
#define TS_UNARY_ROUND 13
#define TS_UNARY_SIGN 14
#define TS_UNARY_SQUARE 15
#define TS_UNARY_LOG1P 16
#define TS_UNARY_RECIPROCAL 17
#define TS_UNARY_LOGICAL_NOT 18

/* binary ops for ts_binary / ts_binary_ / ts_binary_scalar / ts_binary_scalar_ (broadcasting) */
#define TS_BINARY_ADD 0
#define TS_BINARY_SUB 1
#define TS_BINARY_MUL 2
#define TS_BINARY_DIV 3
#define TS_BINARY_POW 4
#define TS_BINARY_MAXIMUM 5
#define TS_BINARY_MINIMUM 6
#define TS_BINARY_EQ 7
#define TS_BINARY_NE 8
#define TS_BINARY_LT 9
#define TS_BINARY_LE 10
#define TS_BINARY_GT 11
#define TS_BINARY_GE 12
#define TS_BINARY_REMAINDER 13
#define TS_BINARY_ATAN2 14
#define TS_BINARY_LOGICAL_AND 15
#define TS_BINARY_LOGICAL_OR 16

/* reductions for ts_reduce (ndims == 0 reduces over all dimensions) */
#define TS_REDUCE_SUM 0
#define TS_REDUCE_MEAN 1
#define TS_REDUCE_AMAX 2
#define TS_REDUCE_AMIN 3
#define TS_REDUCE_LOGSUMEXP 4
#define TS_REDUCE_PROD 5
#define TS_REDUCE_VAR_UNBIASED 6
#define TS_REDUCE_VAR_BIASED 7
#define TS_REDUCE_STD_UNBIASED 8
#define TS_REDUCE_NORM2 9

/* loss reductions (equal to at::Reduction) */
#define TS_REDUCTION_NONE 0
#define TS_REDUCTION_MEAN 1
#define TS_REDUCTION_SUM 2

/* padding modes for ts_pad */
#define TS_PAD_CONSTANT 0
#define TS_PAD_REFLECT 1
#define TS_PAD_REPLICATE 2

/* grid_sample / interpolation modes */
#define TS_SAMPLE_BILINEAR 0
#define TS_SAMPLE_NEAREST 1
#define TS_SAMPLE_BICUBIC 2
#define TS_GRID_PAD_ZEROS 0
#define TS_GRID_PAD_BORDER 1
#define TS_GRID_PAD_REFLECTION 2

/* ---- errors, library, runtime ---------------------------------------------------------------- */

/* The message of the last failure on this thread, or "" if none. Owned by the shim. */
const char *ts_last_error(void);
/* Clears this thread's last error. */
void ts_clear_error(void);
/* The libtorch version the shim was compiled against, e.g. "1.13.1". Owned by the shim. */
const char *ts_torch_version(void);
/* The ATen CPU kernels in use, as libtorch's build summary names them ("AVX512", "AVX2", "NO AVX"), or "" if it
 * does not say. ATEN_CPU_CAPABILITY lowers it. Owned by the shim. */
const char *ts_cpu_capability(void);
/* oneDNN's effective instruction set ("avx512_core_bf16", "avx2", ...), or "" where oneDNN's C API is not
 * visible (a libtorch that links it statically). ONEDNN_MAX_CPU_ISA lowers it. Owned by the shim. */
const char *ts_onednn_isa(void);
/* Number of tensor handles currently alive (created and not yet freed); for leak tests. */
int64_t ts_live_handles(void);
int ts_set_num_threads(int n);
int ts_get_num_threads(void);
int ts_set_num_interop_threads(int n);
int ts_get_num_interop_threads(void);
/* Seeds libtorch's default CPU generator (and CUDA generators when present). */
int ts_manual_seed(int64_t seed);
/* Does nothing; for measuring the cost of a downcall. */
void ts_noop(void);
/* Runs `iterations` times { t = at::add(a, b); destroy t } inside C++; for the per-op overhead benchmark. */
int ts_bench_add_loop(ts_tensor a, ts_tensor b, int64_t iterations);

/* ---- CUDA / cuDNN ---------------------------------------------------------------------------- */

bool ts_cuda_is_available(void);
int ts_cuda_device_count(void);
bool ts_cudnn_is_available(void);
/* Whether the shim was linked with libtorch_cuda. */
bool ts_built_with_cuda(void);
int ts_cuda_synchronize(int device_index);
int ts_cudnn_set_flags(bool enabled, bool benchmark, bool deterministic);
/* Writes [enabled, benchmark, deterministic] of cuDNN (0/1) into out (3 values). */
int ts_cudnn_flags(int *out);
/* Whether float32 matrix products (cuBLAS) and convolutions (cuDNN) may run in TF32 on CUDA devices that have it
 * (libtorch's defaults: products no, convolutions yes). Only flags: also settable without CUDA. */
int ts_tf32_set(bool matmul, bool cudnn);
/* Writes [matmul, cudnn] (0/1) into out (2 values). */
int ts_tf32_get(int *out);
/* Writes [allocated, reserved, max_allocated] bytes for the device into out (3 values). */
int ts_cuda_memory_stats(int device_index, int64_t *out);

/* ---- CPU memory cache ------------------------------------------------------------------------ */

/* Keeps freed CPU tensor blocks of 1 MiB and more for reuse, up to idle_limit_bytes of idle blocks (0: keep none
 * and free every block at once). The first call with a positive limit makes it libtorch's CPU allocator for good. */
int ts_cpu_cache_configure(int64_t idle_limit_bytes);
/* Frees every idle block. */
int ts_cpu_cache_empty(void);
/* Whether the cache is libtorch's CPU allocator. */
bool ts_cpu_cache_installed(void);
/* Writes [live bytes, idle bytes, hits, misses, idle limit] of the cached (>= 1 MiB) blocks into out (5 values). */
int ts_cpu_cache_stats(int64_t *out);
/* Caps the number of glibc malloc arenas (mallopt M_ARENA_MAX) for arenas created from now on; writes 1 to
 * applied when it took effect, 0 where the C library is not glibc (nothing changed). */
int ts_malloc_arena_max(int arenas, int *applied);

/* ---- AMDIM's NCE terms ------------------------------------------------------------------------ */

/* The NCE log-softmax terms of one direction of AMDIM's global-to-local objective and its score regulariser, as
 * one autograd operator (CPU, float32/float64). scores is the (G, B, B, L) product of sources and targets before
 * scaling; raw = scale * scores, s = tclip * tanh(raw / tclip); nce[g,i,l] = s[g,i,i,l] - log(exp(s[g,i,i,l]) +
 * sum over b != i and all l' of exp(s[g,i,b,l'])) is written to nce (G, B, L), reg_weight * mean(raw^2) to reg
 * (a scalar). */
int ts_nce_terms(ts_tensor scores, double scale, double tclip, double reg_weight, ts_tensor *nce, ts_tensor *reg);

/* ---- operator profiler ------------------------------------------------------------------------ */

/* Starts libtorch's operator profiler on the calling thread (with input shapes when record_shapes); one recording
 * at a time per process. */
int ts_profiler_start(bool record_shapes);
/* Stops the recording (on the thread that started it) and writes it as a Chrome trace to trace_path (NULL: discards
 * it). The profiler is off afterwards even when writing fails. */
int ts_profiler_stop(const char *trace_path);
/* Whether a recording is running. */
bool ts_profiler_recording(void);

/* ---- lifetime and metadata ------------------------------------------------------------------- */

/* Frees a handle (NULL is ignored). The storage is released when its last user goes. */
void ts_free(ts_tensor t);
/* A new handle to the same tensor (shares storage and autograd identity). */
ts_tensor ts_shallow_clone(ts_tensor t);
int ts_dim(ts_tensor t);
/* Writes dim() sizes into out; returns dim() or -1. */
int ts_sizes(ts_tensor t, int64_t *out);
/* Writes dim() strides into out; returns dim() or -1 (mkldnn-layout tensors have none). */
int ts_strides(ts_tensor t, int64_t *out);
int64_t ts_numel(ts_tensor t);
int ts_dtype(ts_tensor t);
int ts_device_type(ts_tensor t);
/* The device index; -1 for CPU tensors (as libtorch reports it), and -1 on failure. */
int ts_device_index(ts_tensor t);
/* Whether the tensor is strided and row-major without gaps (false for mkldnn-layout tensors). */
bool ts_is_contiguous(ts_tensor t);
/* Whether the tensor is dense in the memory format (TS_MEMORY_*): row-major as ts_is_contiguous, or channels-last
 * (the NHWC order of a 4-D NCHW tensor). False for mkldnn-layout tensors. */
bool ts_is_contiguous_format(ts_tensor t, int memory_format);
/* False for NULL (no error is recorded) and for a handle holding an undefined tensor. */
bool ts_defined(ts_tensor t);
/* Address of the first element (CPU tensors only; NULL otherwise). */
void *ts_data_ptr(ts_tensor t);

/* ---- creation -------------------------------------------------------------------------------- */

ts_tensor ts_empty(const int64_t *shape, int ndim, int dtype, int device_type, int device_index);
ts_tensor ts_zeros(const int64_t *shape, int ndim, int dtype, int device_type, int device_index);
ts_tensor ts_ones(const int64_t *shape, int ndim, int dtype, int device_type, int device_index);
ts_tensor ts_full(const int64_t *shape, int ndim, double value, int dtype, int device_type, int device_index);
/* Uniform [0, 1). */
ts_tensor ts_rand(const int64_t *shape, int ndim, int dtype, int device_type, int device_index);
/* Standard normal. */
ts_tensor ts_randn(const int64_t *shape, int ndim, int dtype, int device_type, int device_index);
/* Uniform integers in [low, high). */
ts_tensor ts_randint(int64_t low, int64_t high, const int64_t *shape, int ndim, int dtype, int device_type, int device_index);
/* A random permutation of 0..n-1 (int64). */
ts_tensor ts_randperm(int64_t n, int device_type, int device_index);
ts_tensor ts_arange(double start, double end, double step, int dtype, int device_type, int device_index);
/* n x m identity; m < 0 means m = n. */
ts_tensor ts_eye(int64_t n, int64_t m, int dtype, int device_type, int device_index);
/* A new CPU tensor holding a copy of `nbytes` bytes at `data` (nbytes must equal numel * element size). */
ts_tensor ts_from_data(const void *data, int64_t nbytes, const int64_t *shape, int ndim, int dtype);
/* Copies the tensor's elements (any device, strided or mkldnn layout) into dst, row-major; nbytes must match
 * exactly. */
int ts_copy_to_host(ts_tensor t, void *dst, int64_t nbytes);
/* The single element as a double / int64 (any dtype that converts). */
int ts_item_double(ts_tensor t, double *out);
int ts_item_int64(ts_tensor t, int64_t *out);

/* ---- conversion ------------------------------------------------------------------------------ */

ts_tensor ts_to_device(ts_tensor t, int device_type, int device_index, bool non_blocking);
ts_tensor ts_to_dtype(ts_tensor t, int dtype);
ts_tensor ts_pin_memory(ts_tensor t);
ts_tensor ts_contiguous(ts_tensor t);
/* A copy laid out densely in the memory format (TS_MEMORY_*; channels-last needs 4-D), or a new handle to the
 * same data when it already is. Differentiable. */
ts_tensor ts_contiguous_format(ts_tensor t, int memory_format);
ts_tensor ts_clone(ts_tensor t);
ts_tensor ts_detach(ts_tensor t);

/* ---- elementwise ----------------------------------------------------------------------------- */

ts_tensor ts_unary(int op, ts_tensor a);
int ts_unary_(int op, ts_tensor a);
ts_tensor ts_binary(int op, ts_tensor a, ts_tensor b);
int ts_binary_(int op, ts_tensor a, ts_tensor b);
ts_tensor ts_binary_scalar(int op, ts_tensor a, double b);
int ts_binary_scalar_(int op, ts_tensor a, double b);
/* a + alpha * b */
ts_tensor ts_add_scaled(ts_tensor a, ts_tensor b, double alpha);
/* a += alpha * b */
int ts_add_scaled_(ts_tensor a, ts_tensor b, double alpha);
/* clamp to [min, max]; use has_min/has_max to leave a side open */
ts_tensor ts_clamp(ts_tensor a, bool has_min, double min, bool has_max, double max);
int ts_clamp_(ts_tensor a, bool has_min, double min, bool has_max, double max);
ts_tensor ts_where(ts_tensor condition, ts_tensor a, ts_tensor b);
ts_tensor ts_masked_fill(ts_tensor a, ts_tensor mask, double value);
ts_tensor ts_masked_select(ts_tensor a, ts_tensor mask);
/* a * (1 - w) + b * w, elementwise */
ts_tensor ts_lerp(ts_tensor a, ts_tensor b, double w);
int ts_zero_(ts_tensor a);
int ts_fill_(ts_tensor a, double value);
int ts_copy_(ts_tensor dst, ts_tensor src);
/* true when every element of a and b is within atol + rtol * |b| */
int ts_allclose(ts_tensor a, ts_tensor b, double rtol, double atol, bool *out);

/* ---- reductions ------------------------------------------------------------------------------ */

ts_tensor ts_reduce(int op, ts_tensor a, const int64_t *dims, int ndims, bool keepdim);
/* max/min along one dimension: values and indices */
int ts_max_dim(ts_tensor a, int64_t dim, bool keepdim, ts_tensor *values, ts_tensor *indices);
int ts_min_dim(ts_tensor a, int64_t dim, bool keepdim, ts_tensor *values, ts_tensor *indices);
/* the k largest (or smallest) values along dim, sorted descending (ascending), and their indices */
int ts_topk(ts_tensor a, int64_t k, int64_t dim, bool largest, ts_tensor *values, ts_tensor *indices);
/* argmax/argmin along dim; has_dim false flattens first */
ts_tensor ts_argmax(ts_tensor a, bool has_dim, int64_t dim, bool keepdim);
ts_tensor ts_argmin(ts_tensor a, bool has_dim, int64_t dim, bool keepdim);
ts_tensor ts_cumsum(ts_tensor a, int64_t dim);

/* ---- linear algebra -------------------------------------------------------------------------- */

ts_tensor ts_mm(ts_tensor a, ts_tensor b);
ts_tensor ts_matmul(ts_tensor a, ts_tensor b);
ts_tensor ts_bmm(ts_tensor a, ts_tensor b);
/* x @ weight^T + bias (bias nullable) */
ts_tensor ts_linear(ts_tensor x, ts_tensor weight, ts_tensor bias);

/* ---- neural-network ops ---------------------------------------------------------------------- */

/* stride, padding, dilation: 2 values each (h, w), or NULL for PyTorch's default (1, 0, 1); bias nullable */
ts_tensor ts_conv2d(ts_tensor x, ts_tensor weight, ts_tensor bias, const int64_t *stride, const int64_t *padding, const int64_t *dilation, int64_t groups);
/* weight, bias, running_mean, running_var nullable; in training mode the running stats (if given) are updated in place */
ts_tensor ts_batch_norm(ts_tensor x, ts_tensor weight, ts_tensor bias, ts_tensor running_mean, ts_tensor running_var, bool training, double momentum, double eps);
/* Training-mode batch norm of a 4-D float32/float64 CPU tensor, computed channels-last (the input is made
 * channels-last if it is not; so is the output) with every channel sum in double, as libtorch's row-major kernels
 * sum, where its channels-last ones sum in float. weight, bias, running_mean, running_var nullable; the running
 * stats (if given) are updated in place. Differentiable once with respect to x, weight and bias. */
ts_tensor ts_batch_norm_nhwc(ts_tensor x, ts_tensor weight, ts_tensor bias, ts_tensor running_mean, ts_tensor running_var, double momentum, double eps);
/* kernel, stride, padding, dilation: 2 values each; NULL stride means stride = kernel, NULL padding 0, NULL dilation 1 */
ts_tensor ts_max_pool2d(ts_tensor x, const int64_t *kernel, const int64_t *stride, const int64_t *padding, const int64_t *dilation, bool ceil_mode);
ts_tensor ts_avg_pool2d(ts_tensor x, const int64_t *kernel, const int64_t *stride, const int64_t *padding, bool ceil_mode, bool count_include_pad);
ts_tensor ts_adaptive_avg_pool2d(ts_tensor x, const int64_t *output_size);
/* pads: (left, right, top, bottom, ...) as torch.nn.functional.pad; mode TS_PAD_* */
ts_tensor ts_pad(ts_tensor x, const int64_t *pads, int npads, int mode, double value);
ts_tensor ts_softmax(ts_tensor x, int64_t dim);
ts_tensor ts_log_softmax(ts_tensor x, int64_t dim);
/* logits (N, C), target int64 (N); weight nullable; reduction TS_REDUCTION_* */
ts_tensor ts_cross_entropy(ts_tensor logits, ts_tensor target, ts_tensor weight, int reduction, int64_t ignore_index, double label_smoothing);
ts_tensor ts_nll_loss(ts_tensor log_probs, ts_tensor target, int reduction, int64_t ignore_index);
ts_tensor ts_mse_loss(ts_tensor a, ts_tensor b, int reduction);
ts_tensor ts_dropout(ts_tensor x, double p, bool training);
/* theta (N, 2, 3); size (N, C, H, W) */
ts_tensor ts_affine_grid(ts_tensor theta, const int64_t *size, int nsize, bool align_corners);
ts_tensor ts_grid_sample(ts_tensor x, ts_tensor grid, int mode, int padding_mode, bool align_corners);
/* resize (N, C, H, W) to (out_h, out_w) with TS_SAMPLE_* (bilinear/bicubic honour align_corners) */
ts_tensor ts_interpolate(ts_tensor x, int64_t out_h, int64_t out_w, int mode, bool align_corners);
ts_tensor ts_one_hot(ts_tensor labels, int64_t num_classes);

/* ---- mkldnn layout (CPU inference) ------------------------------------------------------------ */

/* oneDNN's opaque layout: a chain of oneDNN ops on such tensors converts the activations once at its start and
 * once at its end, instead of each convolution reordering its input, output and weight. Ops that work on
 * mkldnn-layout tensors: ts_mkldnn_conv2d (and ts_conv2d), ts_unary_ RELU, ts_binary / ts_binary_ ADD and MUL on
 * equal shapes, ts_avg_pool2d, ts_max_pool2d, ts_adaptive_avg_pool2d, ts_batch_norm (affine), ts_clone,
 * ts_reshape, ts_to_dense, ts_copy_to_host; metadata: sizes, dim, numel, dtype, device. Most other ops refuse them
 * with libtorch's message; none has strides or a data pointer. */

/* The tensor's layout (TS_LAYOUT_*); -1 for another (sparse) layout or on failure. */
int ts_layout(ts_tensor t);
/* Whether this libtorch was built with oneDNN, which the functions below need. */
bool ts_mkldnn_available(void);
/* A copy of a float32 or bfloat16 CPU tensor (1 to 5 dimensions, any strides) in mkldnn layout. */
ts_tensor ts_to_mkldnn(ts_tensor t);
/* A row-major strided copy of an mkldnn-layout tensor; a new handle to the same tensor when it is strided. */
ts_tensor ts_to_dense(ts_tensor t);
/* A conv2d weight (out, in/groups, kh, kw), strided or mkldnn, reordered once into the blocked format oneDNN's
 * convolution wants for this stride, padding, dilation and groups (NULL pairs: 1, 0, 1). The result is an
 * mkldnn-layout copy that records no gradient. */
ts_tensor ts_mkldnn_pack_conv2d_weight(ts_tensor weight, const int64_t *stride, const int64_t *padding, const int64_t *dilation, int64_t groups);
/* conv2d of an mkldnn-layout input x (N, C, H, W) with a weight from ts_mkldnn_pack_conv2d_weight and a nullable
 * strided bias; stride, padding, dilation as ts_conv2d. The output is in mkldnn layout. Inference only: it records
 * no gradient. A strided x or weight is refused (each would cost a reorder per call). */
ts_tensor ts_mkldnn_conv2d(ts_tensor x, ts_tensor packed_weight, ts_tensor bias, const int64_t *stride, const int64_t *padding, const int64_t *dilation, int64_t groups);

/* ---- fused inference (CPU, oneDNN directly) ------------------------------------------------- */

/* A small inference network run on oneDNN's own primitives, with ReLU and residual additions fused into the
 * convolutions (libtorch 1.13 exposes no fused convolutions). It is described layer by layer on a (C, H, W) input;
 * every layer copies its tensors (float32 CPU, any strides), so the caller may free them at once. Weights are
 * reordered once into the format each convolution picks; primitives and activations are made on the first run for
 * a batch size and input layout and cached (the last 2), so a run allocates only its output. One run at a time
 * per network (the caller serialises); networks are independent. Needs a shim built with oneDNN's headers
 * (libdnnl-dev): otherwise ts_fused_inference_available is false and the other functions fail saying so. */
bool ts_fused_inference_available(void);
/* An empty network for inputs (B, channels, height, width); NULL on failure. */
ts_fused_net ts_fused_net_create(int64_t channels, int64_t height, int64_t width);
/* Appends a convolution: weight (out, C, k, k), nullable bias (out), square stride, zero padding, then ReLU when
 * relu is true. */
int ts_fused_net_add_conv(ts_fused_net net, ts_tensor weight, ts_tensor bias, int64_t stride, int64_t padding, bool relu);
/* Appends a residual unit y = conv2(relu(conv1(x))) + shortcut(x): conv1 weight1 (out, C, kernel, kernel) with
 * the given stride, no padding; conv2 weight2 (out, out, 1, 1); nullable biases; the shortcut is the kernel x
 * kernel, stride average pool of x with out - C zero channels appended (out >= C; the identity for a 1x1 window,
 * stride 1 and out == C). The addition is fused into conv2. */
int ts_fused_net_add_residual(ts_fused_net net, ts_tensor weight1, ts_tensor bias1, int64_t kernel, int64_t stride, ts_tensor weight2, ts_tensor bias2);
/* Appends an evaluation-mode batch norm over the current channels: (x - mean) / sqrt(var + eps) * weight + bias. */
int ts_fused_net_add_batch_norm(ts_fused_net net, ts_tensor mean, ts_tensor var, ts_tensor weight, ts_tensor bias, double eps);
/* Runs the network on x (B, C, H, W) float32 CPU, contiguous or channels-last (other strides are copied first);
 * returns a new contiguous (B, C', H', W') float32 tensor. Records no gradient. */
ts_tensor ts_fused_net_run(ts_fused_net net, ts_tensor x);
/* How many (batch size, input layout) plans the network holds now (at most 2); -1 on failure. */
int64_t ts_fused_net_plan_count(ts_fused_net net);
/* Frees the network and everything it owns; NULL is ignored. */
int ts_fused_net_destroy(ts_fused_net net);
/* Number of networks alive in this process (for leak tests). */
int64_t ts_fused_live_nets(void);

/* ---- shape and indexing ---------------------------------------------------------------------- */

ts_tensor ts_reshape(ts_tensor a, const int64_t *shape, int ndim);
ts_tensor ts_view(ts_tensor a, const int64_t *shape, int ndim);
ts_tensor ts_permute(ts_tensor a, const int64_t *dims, int ndim);
ts_tensor ts_transpose(ts_tensor a, int64_t dim0, int64_t dim1);
ts_tensor ts_expand(ts_tensor a, const int64_t *shape, int ndim);
ts_tensor ts_repeat(ts_tensor a, const int64_t *repeats, int ndim);
/* squeeze one dimension, or all size-1 dimensions when all is true */
ts_tensor ts_squeeze(ts_tensor a, bool all, int64_t dim);
ts_tensor ts_unsqueeze(ts_tensor a, int64_t dim);
ts_tensor ts_flatten(ts_tensor a, int64_t start_dim, int64_t end_dim);
ts_tensor ts_flip(ts_tensor a, const int64_t *dims, int ndims);
ts_tensor ts_cat(const ts_tensor *tensors, int n, int64_t dim);
ts_tensor ts_stack(const ts_tensor *tensors, int n, int64_t dim);
/* Splits into pieces of split_size (the last may be smaller); writes up to capacity handles to out; returns the count or -1.
 * When there are more pieces than capacity, nothing is written and -1 is returned (the error names the count);
 * out == NULL with capacity == 0 only returns the count. The same holds for ts_chunk. */
int ts_split(ts_tensor a, int64_t split_size, int64_t dim, ts_tensor *out, int capacity);
/* Splits into `chunks` pieces as torch.chunk; writes up to capacity handles to out; returns the count or -1. */
int ts_chunk(ts_tensor a, int64_t chunks, int64_t dim, ts_tensor *out, int capacity);
/* a[..., start:end:step, ...] along dim (a view) */
ts_tensor ts_slice(ts_tensor a, int64_t dim, int64_t start, int64_t end, int64_t step);
ts_tensor ts_narrow(ts_tensor a, int64_t dim, int64_t start, int64_t length);
ts_tensor ts_select(ts_tensor a, int64_t dim, int64_t index);
ts_tensor ts_index_select(ts_tensor a, int64_t dim, ts_tensor index);
ts_tensor ts_gather(ts_tensor a, int64_t dim, ts_tensor index);
/* copy of a with index_put along dim 0 rows: a[index] = values */
ts_tensor ts_index_put(ts_tensor a, ts_tensor index, ts_tensor values, bool accumulate);

/* ---- autograd -------------------------------------------------------------------------------- */

int ts_set_requires_grad(ts_tensor t, bool requires_grad);
bool ts_requires_grad(ts_tensor t);
bool ts_is_leaf(ts_tensor t);
/* Backpropagates from t; grad nullable (required for non-scalars). */
int ts_backward(ts_tensor t, ts_tensor grad, bool retain_graph);
/* Writes t's accumulated gradient to *out, or NULL to *out when it has none. */
int ts_grad(ts_tensor t, ts_tensor *out);
/* Drops t's gradient (as optimizer.zero_grad(set_to_none=True)). */
int ts_grad_reset(ts_tensor t);
/* Replaces t's gradient by a copy-free reference to g (NULL drops it). */
int ts_set_grad(ts_tensor t, ts_tensor g);
/* Turns gradient recording on or off for this thread; returns the previous state (0 or 1). */
int ts_set_grad_enabled(bool enabled);
bool ts_is_grad_enabled(void);

/* ---- fused optimizer steps (one downcall per step for all parameters) ------------------------ */

/* Adam / AdamW over n parameters. params, grads, exp_avg, exp_avg_sq: n handles each
 * (grads may hold NULL: that parameter is skipped); max_exp_avg_sq: n handles when amsgrad, else NULL.
 * step: the step number after this update (>= 1), per parameter (n values).
 * decoupled: true for AdamW (p *= 1 - lr*wd), false for L2 (g += wd*p).
 * grads == NULL (the array itself) uses each parameter's own accumulated gradient (.grad); the same in ts_sgd_step. */
int ts_adam_step(const ts_tensor *params, const ts_tensor *grads, const ts_tensor *exp_avg, const ts_tensor *exp_avg_sq, const ts_tensor *max_exp_avg_sq, int n, const int64_t *step, double lr, double beta1, double beta2, double eps, double weight_decay, bool decoupled, bool amsgrad);
/* ts_adam_step (each parameter's own gradient) in one pass over the elements of every float32/float64 contiguous
 * CPU parameter whose gradient and state match it; others take ts_adam_step's update. Each operation rounds as in
 * ts_adam_step but multiply-adds are not fused, so results differ from torch.optim's in the last bits. */
int ts_adam_step_single_pass(const ts_tensor *params, const ts_tensor *exp_avg, const ts_tensor *exp_avg_sq, const ts_tensor *max_exp_avg_sq, int n, const int64_t *step, double lr, double beta1, double beta2, double eps, double weight_decay, bool decoupled, bool amsgrad);
/* SGD over n parameters; momentum_buf: n handles (created on first use by the Java side) or NULL when momentum == 0.
 * first_step: true on the first step (the momentum buffer is initialised to the gradient, as PyTorch does). */
int ts_sgd_step(const ts_tensor *params, const ts_tensor *grads, const ts_tensor *momentum_buf, int n, double lr, double momentum, double dampening, double weight_decay, bool nesterov, bool first_step);
/* Scales all gradients so that their global L2 norm is at most max_norm; writes the norm before clipping to *total_norm. */
int ts_clip_grad_norm(const ts_tensor *grads, int n, double max_norm, double *total_norm);
/* For the optimizer benchmark: runs the same Adam update `iterations` times entirely in C++. */
int ts_bench_adam_loop(const ts_tensor *params, const ts_tensor *grads, const ts_tensor *exp_avg, const ts_tensor *exp_avg_sq, int n, int64_t iterations);
/* For the conv benchmark: `iterations` conv2d forwards (and backwards when backward is true) in C++. */
int ts_bench_conv_loop(ts_tensor x, ts_tensor weight, int64_t iterations, bool backward);

/* ---- distributed (c10d) ---------------------------------------------------------------------- */

/* Collectives over a c10d process group: "gloo" (CPU tensors) or "nccl" (CUDA tensors, CUDA builds only).
 * Every rank must make the same calls in the same order with tensors of the same shapes and dtypes.
 * Each call blocks until the collective is complete, at most about the group's timeout: a dead or stuck
 * peer gives -1 and an error naming the rank and the cause, never a hang. After such a failure the group
 * refuses further collectives and must be destroyed. A handle may be used from several threads (calls are
 * serialised), but the ranks' call order is the caller's business. */

/* reduce ops for ts_pg_all_reduce (AVG: sum, then divide by the world size; floating-point tensors only) */
#define TS_PG_REDUCE_SUM 0
#define TS_PG_REDUCE_AVG 1

/* Whether the shim was built with the backend ("gloo", "nccl"; nccl also needs a CUDA device). */
bool ts_pg_backend_available(const char *backend);
/* Joins the group: rank 0 serves a TCPStore on master_addr:master_port, every rank connects to it, then
 * the backend connects all ranks. Fails after timeout_ms when the others do not arrive. The timeout also
 * bounds every later collective. Returns NULL on failure. */
ts_pg ts_pg_create(const char *backend, const char *master_addr, int master_port, int rank, int world_size, int64_t timeout_ms);
/* Leaves the group and frees the handle (NULL is ignored). */
int ts_pg_destroy(ts_pg pg);
int ts_pg_rank(ts_pg pg);
int ts_pg_world_size(ts_pg pg);
/* In place over n tensors; the tensors of each dtype and device are packed, in list order, into flat
 * buffers of at most bucket_bytes (<= 0: one buffer per dtype and device), one collective per buffer. */
int ts_pg_all_reduce(ts_pg pg, const ts_tensor *tensors, int n, int op, int64_t bucket_bytes);
/* In place: every rank's n tensors get root's values (packed as in ts_pg_all_reduce). */
int ts_pg_broadcast(ts_pg pg, const ts_tensor *tensors, int n, int root, int64_t bucket_bytes);
/* For each of the n inputs (at least 1-D, the same shape on every rank) writes a new handle to outputs[i]:
 * all ranks' inputs concatenated along dim 0 in rank order (world_size * d0 rows). Not differentiable. */
int ts_pg_all_gather(ts_pg pg, const ts_tensor *inputs, int n, ts_tensor *outputs);
/* Writes world_size new handles to outputs (capacity must be at least world_size): rank r's input in
 * outputs[r]. Returns world_size or -1. */
int ts_pg_all_gather_list(ts_pg pg, ts_tensor input, ts_tensor *outputs, int capacity);
int ts_pg_barrier(ts_pg pg);

/* ---- autocast (mixed precision) -------------------------------------------------------------- */

/* Autocast is libtorch's per-thread automatic mixed precision: inside an enabled region, ops on the region's
 * device type run in a lower-precision dtype where libtorch deems that safe (matmul, conv in bf16/fp16) and in
 * float32 where it does not (softmax, losses). device_type is TS_DEVICE_CPU or TS_DEVICE_CUDA; the state is
 * per thread and per device type. */

/* 1 when autocast is enabled on this thread for the device type, 0 when not, -1 on failure. */
int ts_autocast_is_enabled(int device_type);
/* The lower-precision dtype (TS_DTYPE_*) autocast uses for the device type on this thread, or -1. */
int ts_autocast_dtype(int device_type);
/* Enters an autocast region, as torch.autocast's __enter__: writes the current state to *prev_enabled and
 * *prev_dtype (pass them to ts_autocast_exit), sets the state to (enabled, dtype) and increments the nesting
 * count. dtype is TS_DTYPE_BFLOAT16 or TS_DTYPE_FLOAT16 (float16 on the CPU needs libtorch >= 2.4); with
 * enabled false (a region with autocast off) dtype is ignored and the current one kept. */
int ts_autocast_enter(int device_type, bool enabled, int dtype, bool *prev_enabled, int *prev_dtype);
/* Leaves the innermost region, as __exit__: decrements the nesting count, clears the cast cache when it reaches
 * zero, and restores (prev_enabled, prev_dtype) from the matching ts_autocast_enter. */
int ts_autocast_exit(int device_type, bool prev_enabled, int prev_dtype);
/* For gradient scaling: multiplies the accumulated gradient (.grad) of each of the n parameters by inv_scale in
 * place (parameters without a gradient are skipped) and writes to *found_inf whether any of those gradients held
 * an inf or NaN before scaling. CUDA gradients use libtorch's fused kernel, one launch per device; one host
 * synchronisation in all. */
int ts_amp_unscale_(const ts_tensor *params, int n, double inv_scale, bool *found_inf);

#ifdef __cplusplus
}
#endif

#endif /* TORCH_SHIM_H */
