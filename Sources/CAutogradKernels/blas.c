// An opt-in system BLAS for float32 products, loaded at run time (no link-time dependency):
// OpenBLAS on Linux, Accelerate on macOS, or any library that exports cblas_sgemm.
#include "AutogradKernels.h"

#include <dlfcn.h>
#include <stdatomic.h>
#include <stddef.h>

// The CBLAS constants, fixed by the CBLAS interface.
enum { CBLAS_ROW_MAJOR = 101, CBLAS_NO_TRANS = 111, CBLAS_TRANS = 112 };

typedef void (*cblas_sgemm_fn)(int layout, int trans_a, int trans_b, int m, int n, int k, float alpha,
                               const float *a, int lda, const float *b, int ldb, float beta, float *c, int ldc);

typedef void (*set_threads_fn)(int);

// Atomic: one thread may enable the library while another sets its thread count.
static _Atomic(cblas_sgemm_fn) loaded_sgemm = NULL;
static _Atomic(set_threads_fn) set_threads = NULL;

bool ag_blas_load(const char *path) {
  void *library = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  if (!library) return false;
  cblas_sgemm_fn sgemm = (cblas_sgemm_fn)dlsym(library, "cblas_sgemm");
  if (!sgemm) {
    dlclose(library);
    return false;
  }
  // OpenBLAS has its own thread count; other libraries manage theirs.
  atomic_store(&set_threads, (set_threads_fn)dlsym(library, "openblas_set_num_threads"));
  // The library stays loaded for the life of the process: products may be running on it.
  atomic_store(&loaded_sgemm, sgemm);
  return true;
}

void ag_blas_set_threads(int count) {
  set_threads_fn set = atomic_load(&set_threads);
  if (set && atomic_load(&loaded_sgemm)) set(count);
}

void ag_blas_unload(void) { atomic_store(&loaded_sgemm, NULL); }

bool ag_blas_active(void) { return atomic_load(&loaded_sgemm) != NULL; }

// BLAS reads a matrix with unit stride along rows (as stored) or along columns (transposed), with
// a leading dimension of at least the row length; anything else is left to our kernel.
static bool blas_layout(long rows, long cols, long rs, long cs, int *trans, long *ld) {
  // A single row or column has no leading dimension to speak of: give BLAS the smallest valid one.
  long row_ld = rows == 1 ? (cols > 1 ? cols : 1) : rs, col_ld = cols == 1 ? (rows > 1 ? rows : 1) : cs;
  if ((cs == 1 || cols == 1) && row_ld >= (cols > 1 ? cols : 1)) {
    *trans = CBLAS_NO_TRANS;
    *ld = row_ld;
    return true;
  }
  if ((rs == 1 || rows == 1) && col_ld >= (rows > 1 ? rows : 1)) {
    *trans = CBLAS_TRANS;
    *ld = col_ld;
    return true;
  }
  return false;
}

bool ag_blas_sgemm(long m, long n, long k, const float *A, long rsa, long csa, const float *B, long rsb,
                   long csb, float *C, long ldc) {
  cblas_sgemm_fn sgemm = atomic_load(&loaded_sgemm);
  if (!sgemm || m <= 0 || n <= 0 || k <= 0) return false;
  const long int_max = 2147483647;
  int trans_a, trans_b;
  long lda, ldb;
  if (!blas_layout(m, k, rsa, csa, &trans_a, &lda) || !blas_layout(k, n, rsb, csb, &trans_b, &ldb)) return false;
  if (m > int_max || n > int_max || k > int_max || lda > int_max || ldb > int_max || ldc > int_max) return false;
  sgemm(CBLAS_ROW_MAJOR, trans_a, trans_b, (int)m, (int)n, (int)k, 1.0f, A, (int)lda, B, (int)ldb,
        0.0f, C, (int)ldc);
  return true;
}
