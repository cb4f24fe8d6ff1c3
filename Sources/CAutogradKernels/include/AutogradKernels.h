#ifndef AUTOGRAD_KERNELS_H
#define AUTOGRAD_KERNELS_H

#include <stdbool.h>

/// Runs `body(context, t)` for t in 0..<count, on as many threads as it likes, and returns when
/// all have finished.
typedef void (*ag_parallel_body)(void *context, long index);
typedef void (*ag_parallel_for)(long count, void *context, ag_parallel_body body);

/// An ag_parallel_for on the library's own workers: runs body(context, t) for t in 0..<count on
/// the calling thread and up to count - 1 workers, and returns when all have finished. Workers
/// spin for a moment after each job before they sleep, so that jobs that follow each other start
/// without a wake-up. One job runs at a time: a call made while another runs (from another
/// thread, or from inside a body) runs its indices on the calling thread.
void ag_pool_parallel_for(long count, void *context, ag_parallel_body body);

/// C = A * B for float32, on up to `threads` threads started through `parallel_for` (NULL: the
/// calling thread alone).
///
/// A is m x k with element (i, p) at A[i * rsa + p * csa]; B is k x n with element (p, j) at
/// B[p * rsb + j * csb]; C is m x n, row-major with leading dimension ldc. Any strides work
/// (transposed and broadcast operands need no copy): the kernel packs both operands. Each packed
/// panel of B is shared, and the threads take the row blocks of A against it one at a time.
void ag_sgemm_threaded(long m, long n, long k,
                       const float *A, long rsa, long csa,
                       const float *B, long rsb, long csb,
                       float *C, long ldc,
                       long threads, ag_parallel_for parallel_for);

/// ag_sgemm_threaded that adds the product to C's values (C += A·B) instead of replacing them.
void ag_sgemm_threaded_add(long m, long n, long k,
                           const float *A, long rsa, long csa,
                           const float *B, long rsb, long csb,
                           float *C, long ldc,
                           long threads, ag_parallel_for parallel_for);

/// How many floats B (k x n) takes once packed for ag_sgemm_prepacked.
long ag_sgemm_packed_count(long k, long n);

/// Packs B (k x n, element (p, j) at B[p * rsb + j * csb]) into `packed` (ag_sgemm_packed_count
/// floats), once for many products against it: a recurrent layer multiplies by the same weight
/// at every step, and packing it each time cost as much as the product.
void ag_sgemm_pack(long k, long n, const float *B, long rsb, long csb, float *packed);

/// C = A * B, or C += A * B when `accumulate`, on the calling thread, for B packed by
/// ag_sgemm_pack with the same k and n. A and C are as in ag_sgemm_threaded.
void ag_sgemm_prepacked(long m, long n, long k, const float *A, long rsa, long csa, const float *packed,
                        float *C, long ldc, bool accumulate);

/// The float64 counterpart of ag_sgemm_threaded, on the calling thread.
void ag_dgemm(long m, long n, long k,
              const double *A, long rsa, long csa,
              const double *B, long rsb, long csb,
              double *C, long ldc);

/// Whether the AVX2/FMA kernels can run on this CPU.
bool ag_has_avx2_fma(void);

/// Whether the AVX-512 kernels can run on this CPU (they are preferred when they can).
bool ag_has_avx512(void);

/// y[i] = ln x[i] for normal doubles x[i] in (0, 1], by the series of Random.swift's normals: the
/// same bits on every platform and at every vector width (y may be x).
void ag_portable_log(const double *x, double *y, long n);

/// y[i] = e^x[i] for float32, vectorized where the CPU allows (y may be x).
void ag_exp_f32(const float *x, float *y, long n);

/// y[i] = tanh(x[i]) for float32, vectorized where the CPU allows (y may be x).
void ag_tanh_f32(const float *x, float *y, long n);

/// y[i] = 1 / (1 + e^-x[i]) for float32, vectorized where the CPU allows (y may be x).
void ag_sigmoid_f32(const float *x, float *y, long n);

/// One LSTM step's gate gradients for n hidden units of one sample, float32: from the forward
/// gates i, f, g, o (after their nonlinearities), tanh(c), the previous cell, and the gradients
/// reaching h (dh from the next step plus dh_out from the output) and c (dc, updated in place to
/// the previous cell's share, plus dc_out), writes d_i, d_f, d_g and d_o. No two arrays overlap.
void ag_lstm_gate_gradients_f32(long n, const float *i, const float *f, const float *g, const float *o,
                                const float *tanh_c, const float *c_previous, const float *dh,
                                const float *dh_out, const float *dc_out, float *dc, float *d_i, float *d_f,
                                float *d_g, float *d_o);

/// total[j] += Σ_r src[r * width + j] for j < width, over `rows` consecutive rows of float32,
/// accumulated in double (total does not overlap src).
void ag_add_rows_f32(const float *src, long rows, long width, double *total);

/// ag_add_rows_f32 for float64 rows.
void ag_add_rows_f64(const double *src, long rows, long width, double *total);

/// y[i] = x[i] Φ(x[i]) (GELU, Φ the standard normal distribution function) for float32,
/// vectorized where the CPU allows (y may be x).
void ag_gelu_f32(const float *x, float *y, long n);

/// y[i] = Φ(x[i]) + x[i] φ(x[i]), GELU's derivative, for float32 (y may be x).
void ag_gelu_derivative_f32(const float *x, float *y, long n);

/// The constants of one Adam step, converted to float32 (see `Kernels.adamStep`).
typedef struct {
  float decay, lambda, beta1, beta2, keep1, keep2, inv_root2, epsilon, step_size;
  bool decoupled, coupled;
} ag_adam_constants;

/// One Adam step over n contiguous float32 elements: updates the parameter p and the moment
/// estimates m and v in place from the gradient g. The four arrays must not overlap.
void ag_adam_step_f32(float *p, const float *g, float *m, float *v, long n, const ag_adam_constants *c);

/// Loads a CBLAS library (a path or a name for dlopen) and uses its cblas_sgemm for float32
/// products from then on. Returns false, changing nothing, if it cannot be loaded or lacks cblas_sgemm.
bool ag_blas_load(const char *path);

/// Sets the loaded BLAS's thread count, where it has a setting for it (OpenBLAS).
void ag_blas_set_threads(int count);

/// Goes back to the built-in kernel.
void ag_blas_unload(void);

/// Whether a loaded BLAS computes float32 products.
bool ag_blas_active(void);

/// Computes the product as ag_sgemm_threaded does, with the loaded BLAS. Returns false, touching
/// nothing, when no BLAS is loaded or the strides are not ones BLAS reads (then use ag_sgemm_threaded).
bool ag_blas_sgemm(long m, long n, long k, const float *A, long rsa, long csa, const float *B, long rsb,
                   long csb, float *C, long ldc);

/// The number of size classes in the per-thread pool of small storages: class c holds storages
/// of c + 1 eight-byte units.
#define AG_STORAGE_POOL_CLASSES 8

/// Releases one object (a retained Swift object: a storage, a node or a ready list) that a pool
/// held, when its thread exits or the pool is emptied. Every caller passes the same function.
typedef void (*ag_storage_release)(void *object);

/// Takes a storage of size class `size_class` from the calling thread's pool, or NULL when it
/// has none. The caller receives the pool's reference.
void *ag_storage_pool_take(long size_class);

/// Puts `storage` into the calling thread's pool and returns true, or returns false (the pool is
/// full) and leaves it with the caller. On true the caller must add the reference the pool
/// keeps. `release` gives a storage back when the thread exits.
bool ag_storage_pool_give(long size_class, void *storage, ag_storage_release release);

/// Takes a graph node (a retained Swift object) from the calling thread's pool of nodes that
/// backward passes freed, or NULL when it has none. The caller receives the pool's reference.
void *ag_node_pool_take(void);

/// Puts `node` into the calling thread's pool of nodes and returns true, or returns false (the
/// pool is full) and leaves it with the caller; as `ag_storage_pool_give`.
bool ag_node_pool_give(void *node, ag_storage_release release);

/// Whether the calling thread's pool of nodes can take another.
bool ag_node_pool_has_room(void);

/// How many nodes the calling thread's pool holds.
long ag_node_pool_count(void);

/// Releases every node the calling thread's pool holds, and the pool's list of them.
void ag_node_pool_empty(void);

/// Takes the calling thread's spare list of ready nodes (a retained Swift object), or NULL when
/// it has none; the caller receives the pool's reference.
void *ag_ready_list_take(void);

/// Keeps `list` as the calling thread's spare list of ready nodes and returns true, or returns
/// false (the thread keeps one already) and leaves it with the caller; as `ag_node_pool_give`.
bool ag_ready_list_give(void *list, ag_storage_release release);

/// Counts how deeply the calling thread is nested in freeing graph nodes: `ag_teardown_enter`
/// adds one and returns the new depth, `ag_teardown_leave` takes one away. A node frees the nodes
/// behind it by plain recursion up to a bound and with an explicit work list beyond it: a work
/// list for every graph cost allocations, and recursion alone overflows the stack near 10^5 nodes.
long ag_teardown_enter(void);
void ag_teardown_leave(void);

/// Counts how deeply the calling thread is nested in backward passes (a hook may run one), so
/// that a callback queued during a pass runs when that pass ends: `ag_backward_enter` adds one and
/// returns the new depth, `ag_backward_leave` takes one away, `ag_backward_depth` reads it.
long ag_backward_enter(void);
void ag_backward_leave(void);
long ag_backward_depth(void);

/// Hands memory that the allocator keeps after frees back to the system (glibc's `malloc_trim`;
/// nothing elsewhere). A freed graph of many small nodes otherwise stays resident for good.
void ag_return_free_memory(void);

/// The grad mode the calling thread is held in by a running backward pass: 0 for none (the
/// task-local grad mode applies), 1 for off, 2 for on. `ag_set_grad_override` returns the old value.
int ag_grad_override(void);
int ag_set_grad_override(int value);

#endif
