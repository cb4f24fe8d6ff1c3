// A BLIS-style GEMM: operands are packed into panels that fit the caches, and a register-blocked
// micro-kernel computes an MR x NR block of C from one A panel and one B panel.
#include "AutogradKernels.h"

#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define AG_X86 1
#endif

// Each micro-kernel is MR rows by its own width (16 for AVX2 and portable, 32 for AVX-512).
enum { MR = 6, KC = 256, MC = 96, NC = 2048 };

bool ag_has_avx512(void) {
#if AG_X86
  static int cached = -1;
  if (cached < 0) {
    __builtin_cpu_init();
    cached = __builtin_cpu_supports("avx512f");
  }
  return cached;
#else
  return false;
#endif
}

bool ag_has_avx2_fma(void) {
#if AG_X86
  static int cached = -1;
  if (cached < 0) {
    __builtin_cpu_init();
    cached = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  }
  return cached;
#else
  return false;
#endif
}

// Packs rows [0, mc) x columns [0, kc) of A into panels of MR rows: panel r holds, for each p, the
// MR values A[r*MR + 0..MR-1][p], zero-padded past mc.
static void pack_a(long mc, long kc, const float *A, long rsa, long csa, float *out) {
  for (long r = 0; r < mc; r += MR) {
    long rows = mc - r < MR ? mc - r : MR;
    for (long p = 0; p < kc; p++) {
      for (long i = 0; i < rows; i++) out[i] = A[(r + i) * rsa + p * csa];
      for (long i = rows; i < MR; i++) out[i] = 0;
      out += MR;
    }
  }
}

// Packs rows [0, kc) x columns [0, nc) of B into panels of nr columns, zero-padded past nc.
static void pack_b(long kc, long nc, const float *B, long rsb, long csb, float *out, long nr) {
  for (long c = 0; c < nc; c += nr) {
    long cols = nc - c < nr ? nc - c : nr;
    for (long p = 0; p < kc; p++) {
      const float *row = B + p * rsb + c * csb;
      if (csb == 1) {
        memcpy(out, row, (size_t)cols * sizeof(float));
      } else {
        for (long j = 0; j < cols; j++) out[j] = row[j * csb];
      }
      for (long j = cols; j < nr; j++) out[j] = 0;
      out += nr;
    }
  }
}

// Writes an MR x width block of results into C, only the mr x nr part that exists.
static void store_block(const float *acc, long width, float *C, long ldc, long mr, long nr, bool add) {
  for (long i = 0; i < mr; i++) {
    float *c = C + i * ldc;
    const float *a = acc + i * width;
    if (add) {
      for (long j = 0; j < nr; j++) c[j] += a[j];
    } else {
      for (long j = 0; j < nr; j++) c[j] = a[j];
    }
  }
}

enum { PORTABLE_NR = 16 };

static void kernel_portable(long kc, const float *a, const float *b, float *C, long ldc,
                            long mr, long nr, bool add) {
  float acc[MR * PORTABLE_NR] = {0};
  for (long p = 0; p < kc; p++) {
    for (long i = 0; i < MR; i++) {
      float ai = a[i];
      for (long j = 0; j < PORTABLE_NR; j++) acc[i * PORTABLE_NR + j] += ai * b[j];
    }
    a += MR;
    b += PORTABLE_NR;
  }
  store_block(acc, PORTABLE_NR, C, ldc, mr, nr, add);
}

#if AG_X86
__attribute__((target("avx2,fma")))
static void kernel_avx2(long kc, const float *a, const float *b, float *C, long ldc,
                        long mr, long nr, bool add) {
  for (long i = 0; i < mr; i++) _mm_prefetch((const char *)(C + i * ldc), _MM_HINT_T0);  // see kernel_avx512
  __m256 c00 = _mm256_setzero_ps(), c01 = _mm256_setzero_ps();
  __m256 c10 = _mm256_setzero_ps(), c11 = _mm256_setzero_ps();
  __m256 c20 = _mm256_setzero_ps(), c21 = _mm256_setzero_ps();
  __m256 c30 = _mm256_setzero_ps(), c31 = _mm256_setzero_ps();
  __m256 c40 = _mm256_setzero_ps(), c41 = _mm256_setzero_ps();
  __m256 c50 = _mm256_setzero_ps(), c51 = _mm256_setzero_ps();
  for (long p = 0; p < kc; p++) {
    __m256 b0 = _mm256_loadu_ps(b), b1 = _mm256_loadu_ps(b + 8);
    __m256 a0 = _mm256_broadcast_ss(a + 0), a1 = _mm256_broadcast_ss(a + 1);
    c00 = _mm256_fmadd_ps(a0, b0, c00); c01 = _mm256_fmadd_ps(a0, b1, c01);
    c10 = _mm256_fmadd_ps(a1, b0, c10); c11 = _mm256_fmadd_ps(a1, b1, c11);
    __m256 a2 = _mm256_broadcast_ss(a + 2), a3 = _mm256_broadcast_ss(a + 3);
    c20 = _mm256_fmadd_ps(a2, b0, c20); c21 = _mm256_fmadd_ps(a2, b1, c21);
    c30 = _mm256_fmadd_ps(a3, b0, c30); c31 = _mm256_fmadd_ps(a3, b1, c31);
    __m256 a4 = _mm256_broadcast_ss(a + 4), a5 = _mm256_broadcast_ss(a + 5);
    c40 = _mm256_fmadd_ps(a4, b0, c40); c41 = _mm256_fmadd_ps(a4, b1, c41);
    c50 = _mm256_fmadd_ps(a5, b0, c50); c51 = _mm256_fmadd_ps(a5, b1, c51);
    a += MR;
    b += 16;
  }
  if (mr == MR && nr == 16) {
    __m256 rows[MR][2] = {{c00, c01}, {c10, c11}, {c20, c21}, {c30, c31}, {c40, c41}, {c50, c51}};
    for (int i = 0; i < MR; i++) {
      float *c = C + i * ldc;
      if (add) {
        rows[i][0] = _mm256_add_ps(rows[i][0], _mm256_loadu_ps(c));
        rows[i][1] = _mm256_add_ps(rows[i][1], _mm256_loadu_ps(c + 8));
      }
      _mm256_storeu_ps(c, rows[i][0]);
      _mm256_storeu_ps(c + 8, rows[i][1]);
    }
    return;
  }
  float acc[MR * 16] __attribute__((aligned(32)));
  _mm256_store_ps(acc + 0, c00);  _mm256_store_ps(acc + 8, c01);
  _mm256_store_ps(acc + 16, c10); _mm256_store_ps(acc + 24, c11);
  _mm256_store_ps(acc + 32, c20); _mm256_store_ps(acc + 40, c21);
  _mm256_store_ps(acc + 48, c30); _mm256_store_ps(acc + 56, c31);
  _mm256_store_ps(acc + 64, c40); _mm256_store_ps(acc + 72, c41);
  _mm256_store_ps(acc + 80, c50); _mm256_store_ps(acc + 88, c51);
  store_block(acc, 16, C, ldc, mr, nr, add);
}

// 6 x 32: twelve 16-wide accumulators, two B vectors and one broadcast A value per FMA pair.
__attribute__((target("avx512f")))
static void kernel_avx512(long kc, const float *a, const float *b, float *C, long ldc,
                          long mr, long nr, bool add) {
  // C's tile is read (to accumulate) and written after the loop; asking for it now hides the
  // wait for memory behind the loop: C is re-read once per KC block and rarely in cache
  // (measured: 2048 x 2048 products 10-15% faster).
  for (long i = 0; i < mr; i++) {
    _mm_prefetch((const char *)(C + i * ldc), _MM_HINT_T0);
    _mm_prefetch((const char *)(C + i * ldc + 16), _MM_HINT_T0);
  }
  __m512 c00 = _mm512_setzero_ps(), c01 = _mm512_setzero_ps();
  __m512 c10 = _mm512_setzero_ps(), c11 = _mm512_setzero_ps();
  __m512 c20 = _mm512_setzero_ps(), c21 = _mm512_setzero_ps();
  __m512 c30 = _mm512_setzero_ps(), c31 = _mm512_setzero_ps();
  __m512 c40 = _mm512_setzero_ps(), c41 = _mm512_setzero_ps();
  __m512 c50 = _mm512_setzero_ps(), c51 = _mm512_setzero_ps();
  for (long p = 0; p < kc; p++) {
    __m512 b0 = _mm512_loadu_ps(b), b1 = _mm512_loadu_ps(b + 16);
    __m512 a0 = _mm512_set1_ps(a[0]), a1 = _mm512_set1_ps(a[1]);
    c00 = _mm512_fmadd_ps(a0, b0, c00); c01 = _mm512_fmadd_ps(a0, b1, c01);
    c10 = _mm512_fmadd_ps(a1, b0, c10); c11 = _mm512_fmadd_ps(a1, b1, c11);
    __m512 a2 = _mm512_set1_ps(a[2]), a3 = _mm512_set1_ps(a[3]);
    c20 = _mm512_fmadd_ps(a2, b0, c20); c21 = _mm512_fmadd_ps(a2, b1, c21);
    c30 = _mm512_fmadd_ps(a3, b0, c30); c31 = _mm512_fmadd_ps(a3, b1, c31);
    __m512 a4 = _mm512_set1_ps(a[4]), a5 = _mm512_set1_ps(a[5]);
    c40 = _mm512_fmadd_ps(a4, b0, c40); c41 = _mm512_fmadd_ps(a4, b1, c41);
    c50 = _mm512_fmadd_ps(a5, b0, c50); c51 = _mm512_fmadd_ps(a5, b1, c51);
    a += MR;
    b += 32;
  }
  if (mr == MR && nr == 32) {
    // A whole tile goes straight to C; only edge tiles take the trip through a buffer.
    __m512 rows[MR][2] = {{c00, c01}, {c10, c11}, {c20, c21}, {c30, c31}, {c40, c41}, {c50, c51}};
    for (int i = 0; i < MR; i++) {
      float *c = C + i * ldc;
      if (add) {
        rows[i][0] = _mm512_add_ps(rows[i][0], _mm512_loadu_ps(c));
        rows[i][1] = _mm512_add_ps(rows[i][1], _mm512_loadu_ps(c + 16));
      }
      _mm512_storeu_ps(c, rows[i][0]);
      _mm512_storeu_ps(c + 16, rows[i][1]);
    }
    return;
  }
  float acc[MR * 32] __attribute__((aligned(64)));
  _mm512_store_ps(acc + 0, c00);   _mm512_store_ps(acc + 16, c01);
  _mm512_store_ps(acc + 32, c10);  _mm512_store_ps(acc + 48, c11);
  _mm512_store_ps(acc + 64, c20);  _mm512_store_ps(acc + 80, c21);
  _mm512_store_ps(acc + 96, c30);  _mm512_store_ps(acc + 112, c31);
  _mm512_store_ps(acc + 128, c40); _mm512_store_ps(acc + 144, c41);
  _mm512_store_ps(acc + 160, c50); _mm512_store_ps(acc + 176, c51);
  store_block(acc, 32, C, ldc, mr, nr, add);
}
#endif

// The packing buffers of the calling thread, kept between products (at most 2 MiB for B and
// 96 KiB for A): allocating them per call cost an mmap and a page fault per 4 KiB on every
// product above glibc's mmap threshold, a large share of a small product's time.
typedef struct {
  float *data;
  size_t capacity;
} panel_buffer;

static _Thread_local panel_buffer a_panels, b_panels;

static float *panel(panel_buffer *buffer, long count) {
  size_t bytes = ((size_t)count * sizeof(float) + 63) / 64 * 64;  // aligned_alloc wants a multiple
  if (bytes > buffer->capacity) {
    free(buffer->data);
    buffer->data = aligned_alloc(64, bytes);
    buffer->capacity = buffer->data ? bytes : 0;
    if (!buffer->data) abort();
  }
  return buffer->data;
}

typedef void (*micro_kernel)(long, const float *, const float *, float *, long, long, long, bool);

void ag_sgemm(long m, long n, long k,
              const float *A, long rsa, long csa,
              const float *B, long rsb, long csb,
              float *C, long ldc, bool accumulate) {
  if (m <= 0 || n <= 0) return;
  if (k <= 0) {
    if (!accumulate) {
      for (long i = 0; i < m; i++) memset(C + i * ldc, 0, (size_t)n * sizeof(float));
    }
    return;
  }
  micro_kernel kernel = kernel_portable;
  long nrk = PORTABLE_NR;
#if AG_X86
  if (ag_has_avx512()) {
    kernel = kernel_avx512;
    nrk = 32;
  } else if (ag_has_avx2_fma()) {
    kernel = kernel_avx2;
    nrk = 16;
  }
#endif
  long ncMax = n < NC ? n : NC, kcMax = k < KC ? k : KC, mcMax = m < MC ? m : MC;
  float *bp = panel(&b_panels, (ncMax + nrk - 1) / nrk * nrk * kcMax);
  float *ap = panel(&a_panels, (mcMax + MR - 1) / MR * MR * kcMax);
  for (long jc = 0; jc < n; jc += NC) {
    long nc = n - jc < NC ? n - jc : NC;
    for (long pc = 0; pc < k; pc += KC) {
      long kc = k - pc < KC ? k - pc : KC;
      bool add = accumulate || pc > 0;
      pack_b(kc, nc, B + pc * rsb + jc * csb, rsb, csb, bp, nrk);
      for (long ic = 0; ic < m; ic += MC) {
        long mc = m - ic < MC ? m - ic : MC;
        pack_a(mc, kc, A + ic * rsa + pc * csa, rsa, csa, ap);
        for (long jr = 0; jr < nc; jr += nrk) {
          long nr = nc - jr < nrk ? nc - jr : nrk;
          for (long ir = 0; ir < mc; ir += MR) {
            long mr = mc - ir < MR ? mc - ir : MR;
            kernel(kc, ap + ir * kc, bp + jr * kc, C + (ic + ir) * ldc + jc + jr, ldc, mr, nr, add);
          }
        }
      }
    }
  }
}

// float64 is for gradient checks and science, where sizes are small: a cache-friendly i-p-j loop.
void ag_dgemm(long m, long n, long k,
              const double *A, long rsa, long csa,
              const double *B, long rsb, long csb,
              double *C, long ldc, bool accumulate) {
  for (long i = 0; i < m; i++) {
    double *c = C + i * ldc;
    if (!accumulate) memset(c, 0, (size_t)n * sizeof(double));
    for (long p = 0; p < k; p++) {
      double a = A[i * rsa + p * csa];
      const double *b = B + p * rsb;
      if (csb == 1) {
        for (long j = 0; j < n; j++) c[j] += a * b[j];
      } else {
        for (long j = 0; j < n; j++) c[j] += a * b[j * csb];
      }
    }
  }
}
