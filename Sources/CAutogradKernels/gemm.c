// A BLIS-style GEMM: operands are packed into panels that fit the caches, and a register-blocked
// micro-kernel computes an MR x NR block of C from one A panel and one B panel.
#include "AutogradKernels.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define AG_X86 1
#endif

// Each micro-kernel has its own height and width: 6 x 16 for AVX2 and portable, whose sixteen
// registers hold no more accumulators, and 8 x 32 for AVX-512, whose thirty-two do. Eight rows
// rather than six also fit the small products of real models (a recurrent step of 16 samples on
// two threads is one tile each, not two tiles two-thirds full; a head of 32 tokens is four).
enum { MR = 6, MR_AVX512 = 8, MR_MAX = 8, KC = 256, MC = 96, NC = 2048 };

static long round_up(long x, long unit) { return (x + unit - 1) / unit * unit; }

// The answers are cached in atomics: the first calls can come from several of the pool's threads
// at once (a threaded exp), and a plain static written by two threads is a data race.
bool ag_has_avx512(void) {
#if AG_X86
  static _Atomic int cached = -1;
  int known = atomic_load_explicit(&cached, memory_order_relaxed);
  if (known < 0) {
    __builtin_cpu_init();
    known = __builtin_cpu_supports("avx512f") ? 1 : 0;
    atomic_store_explicit(&cached, known, memory_order_relaxed);
  }
  return known;
#else
  return false;
#endif
}

bool ag_has_avx2_fma(void) {
#if AG_X86
  static _Atomic int cached = -1;
  int known = atomic_load_explicit(&cached, memory_order_relaxed);
  if (known < 0) {
    __builtin_cpu_init();
    known = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") ? 1 : 0;
    atomic_store_explicit(&cached, known, memory_order_relaxed);
  }
  return known;
#else
  return false;
#endif
}

#if AG_X86
// Transposes an 8 x 8 block held as eight vectors (r[i] is row i) in registers.
__attribute__((target("avx2")))
static inline void transpose8x8(__m256 r[8]) {
  __m256 t0 = _mm256_unpacklo_ps(r[0], r[1]), t1 = _mm256_unpackhi_ps(r[0], r[1]);
  __m256 t2 = _mm256_unpacklo_ps(r[2], r[3]), t3 = _mm256_unpackhi_ps(r[2], r[3]);
  __m256 t4 = _mm256_unpacklo_ps(r[4], r[5]), t5 = _mm256_unpackhi_ps(r[4], r[5]);
  __m256 t6 = _mm256_unpacklo_ps(r[6], r[7]), t7 = _mm256_unpackhi_ps(r[6], r[7]);
  __m256 s0 = _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(1, 0, 1, 0)), s1 = _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(3, 2, 3, 2));
  __m256 s2 = _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(1, 0, 1, 0)), s3 = _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(3, 2, 3, 2));
  __m256 s4 = _mm256_shuffle_ps(t4, t6, _MM_SHUFFLE(1, 0, 1, 0)), s5 = _mm256_shuffle_ps(t4, t6, _MM_SHUFFLE(3, 2, 3, 2));
  __m256 s6 = _mm256_shuffle_ps(t5, t7, _MM_SHUFFLE(1, 0, 1, 0)), s7 = _mm256_shuffle_ps(t5, t7, _MM_SHUFFLE(3, 2, 3, 2));
  r[0] = _mm256_permute2f128_ps(s0, s4, 0x20); r[1] = _mm256_permute2f128_ps(s1, s5, 0x20);
  r[2] = _mm256_permute2f128_ps(s2, s6, 0x20); r[3] = _mm256_permute2f128_ps(s3, s7, 0x20);
  r[4] = _mm256_permute2f128_ps(s0, s4, 0x31); r[5] = _mm256_permute2f128_ps(s1, s5, 0x31);
  r[6] = _mm256_permute2f128_ps(s2, s6, 0x31); r[7] = _mm256_permute2f128_ps(s3, s7, 0x31);
}

// MR rows of a row-major A (columns one apart), eight columns at a time: each row's eight values
// are loaded as one vector and the block (two rows of zeros) transposed in registers, so that
// each column's MR values are stored at once. The plain loop moves one float at a time, and was a
// quarter of the time of a 64 x 1000 by 1000 x 100 product. Each store writes two floats past its
// column's MR, which the next store overwrites (the buffer has room for the last one). Returns
// how many columns it packed.
__attribute__((target("avx2")))
static long pack_a_rows_avx2(long kc, const float *A, long rsa, long mr, float *out) {
  long p = 0;
  for (; p + 8 <= kc; p += 8) {
    __m256 r[8];
    for (int i = 0; i < 8; i++) r[i] = i < mr ? _mm256_loadu_ps(A + i * rsa + p) : _mm256_setzero_ps();
    transpose8x8(r);
    for (int j = 0; j < 8; j++) _mm256_storeu_ps(out + j * mr, r[j]);
    out += 8 * mr;
  }
  return p;
}

// Columns [0, cols) of a B whose rows are one apart (a transposed view, as x·Wᵀ in a linear
// layer), into a panel `nr` wide: eight columns by eight rows at a time, each column's run loaded
// as one vector and the block transposed, instead of gathering one float per column and row.
// Returns how many columns it packed (a multiple of 8); the rest are left to the caller.
__attribute__((target("avx2")))
static long pack_b_columns_avx2(long kc, long cols, const float *B, long csb, float *out, long nr) {
  long j0 = 0, p8 = kc / 8 * 8;
  for (; j0 + 8 <= cols; j0 += 8) {
    const float *column = B + j0 * csb;
    for (long p = 0; p < p8; p += 8) {
      __m256 r[8];
      for (int j = 0; j < 8; j++) r[j] = _mm256_loadu_ps(column + j * csb + p);
      transpose8x8(r);
      for (int i = 0; i < 8; i++) _mm256_storeu_ps(out + (p + i) * nr + j0, r[i]);
    }
    for (long p = p8; p < kc; p++) {
      for (int j = 0; j < 8; j++) out[p * nr + j0 + j] = column[j * csb + p];
    }
  }
  return j0;
}

// A B whose columns are one apart, copied into panels `nr` wide (a multiple of 8), zero-padded
// past `nc`: row by row, each row split among the panels, so that B is read in the order it lies.
// Reading one panel's columns down all kc rows at a time (a short run every rsb floats) let the
// hardware prefetchers fall behind: products of 512 on one core ran 2-8% slower.
__attribute__((target("avx2")))
static void pack_b_rows_avx2(long kc, long nc, const float *B, long rsb, float *out, long nr) {
  long full_panels = nc / nr, tail = nc - full_panels * nr;
  for (long p = 0; p < kc; p++) {
    const float *row = B + p * rsb;
    float *at = out + p * nr;
    for (long c = 0; c < full_panels; c++, row += nr, at += kc * nr) {
      for (long j = 0; j < nr; j += 8) _mm256_storeu_ps(at + j, _mm256_loadu_ps(row + j));
    }
    if (tail > 0) {
      long j = 0;
      for (; j < tail; j++) at[j] = row[j];
      for (; j < nr; j++) at[j] = 0;
    }
  }
}
#endif

// Packs rows [0, mc) x columns [0, kc) of A into panels of mr rows (the kernel's height): panel r
// holds, for each p, the mr values A[r*mr + 0..mr-1][p], zero-padded past mc.
static void pack_a(long mc, long kc, const float *A, long rsa, long csa, long mr, float *out) {
  for (long r = 0; r < mc; r += mr) {
    long rows = mc - r < mr ? mc - r : mr, p = 0;
#if AG_X86
    if (csa == 1 && rows == mr && ag_has_avx2_fma()) {
      p = pack_a_rows_avx2(kc, A + r * rsa, rsa, mr, out);
      out += p * mr;
    }
#endif
    if (rsa == 1 && rows == mr) {  // a transposed A: each column's mr values lie together
      // Loops of a fixed length, which the compiler turns into vector moves.
      if (mr == MR_AVX512) {
        for (; p < kc; p++, out += MR_AVX512) memcpy(out, A + r + p * csa, MR_AVX512 * sizeof(float));
      } else {
        for (; p < kc; p++, out += MR) memcpy(out, A + r + p * csa, MR * sizeof(float));
      }
    }
    for (; p < kc; p++) {
      for (long i = 0; i < rows; i++) out[i] = A[(r + i) * rsa + p * csa];
      for (long i = rows; i < mr; i++) out[i] = 0;
      out += mr;
    }
  }
}

// Packs rows [0, kc) x columns [0, nc) of B into panels of nr columns, zero-padded past nc.
static void pack_b(long kc, long nc, const float *B, long rsb, long csb, float *out, long nr) {
#if AG_X86
  if (csb == 1 && ag_has_avx2_fma()) {
    pack_b_rows_avx2(kc, nc, B, rsb, out, nr);
    return;
  }
#endif
  for (long c = 0; c < nc; c += nr) {
    long cols = nc - c < nr ? nc - c : nr, done = 0;
#if AG_X86
    if (rsb == 1 && csb != 1 && ag_has_avx2_fma()) done = pack_b_columns_avx2(kc, cols, B + c * csb, csb, out, nr);
#endif
    for (long p = 0; p < kc; p++) {
      const float *row = B + p * rsb + c * csb;
      if (csb == 1) {
        for (long j = done; j < cols; j++) out[j] = row[j];  // a loop, not memcpy: the runs are short
      } else {
        for (long j = done; j < cols; j++) out[j] = row[j * csb];
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
    // Twelve accumulators and two B vectors leave two of the sixteen registers: with the
    // broadcasts of A loaded ahead, as the compiler scheduled them, one accumulator was spilled
    // and reloaded every iteration, which chained the loop through memory (35 GFLOP/s on one
    // Zen 3 core, against 60 now). An empty asm that clobbers memory keeps each broadcast after the
    // FMAs of the last one, so that only one is live.
#define AG_AVX2_ROW(i, ci0, ci1)                   \
    {                                              \
      __m256 ai = _mm256_broadcast_ss(a + i);      \
      ci0 = _mm256_fmadd_ps(ai, b0, ci0);          \
      ci1 = _mm256_fmadd_ps(ai, b1, ci1);          \
      __asm__ volatile("" ::: "memory");           \
    }
    AG_AVX2_ROW(0, c00, c01)
    AG_AVX2_ROW(1, c10, c11)
    AG_AVX2_ROW(2, c20, c21)
    AG_AVX2_ROW(3, c30, c31)
    AG_AVX2_ROW(4, c40, c41)
    AG_AVX2_ROW(5, c50, c51)
#undef AG_AVX2_ROW
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

// Writes the mr x nr part of an 8 x 32 tile of results into C (added to it with `add`), through
// masks where fewer than 32 columns exist.
__attribute__((target("avx512f")))
static inline void store_tile_avx512(__m512 rows[MR_AVX512][2], float *C, long ldc, long mr, long nr, bool add) {
  __mmask16 first = (__mmask16)(nr >= 16 ? 0xFFFF : (1u << nr) - 1);
  __mmask16 second = (__mmask16)(nr >= 32 ? 0xFFFF : nr > 16 ? (1u << (nr - 16)) - 1 : 0);
  for (long i = 0; i < mr; i++) {
    float *c = C + i * ldc;
    if (add) {
      rows[i][0] = _mm512_add_ps(rows[i][0], _mm512_maskz_loadu_ps(first, c));
      rows[i][1] = _mm512_add_ps(rows[i][1], _mm512_maskz_loadu_ps(second, c + 16));
    }
    _mm512_mask_storeu_ps(c, first, rows[i][0]);
    _mm512_mask_storeu_ps(c + 16, second, rows[i][1]);
  }
}

// 8 x 32: sixteen 16-wide accumulators, two B vectors and one broadcast A value per FMA pair.
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
  __m512 c60 = _mm512_setzero_ps(), c61 = _mm512_setzero_ps();
  __m512 c70 = _mm512_setzero_ps(), c71 = _mm512_setzero_ps();
  for (long p = 0; p < kc; p++) {
    __m512 b0 = _mm512_loadu_ps(b), b1 = _mm512_loadu_ps(b + 16);
#define AG_AVX512_ROW(i, ci0, ci1)             \
    {                                          \
      __m512 ai = _mm512_set1_ps(a[i]);        \
      ci0 = _mm512_fmadd_ps(ai, b0, ci0);      \
      ci1 = _mm512_fmadd_ps(ai, b1, ci1);      \
    }
    AG_AVX512_ROW(0, c00, c01)
    AG_AVX512_ROW(1, c10, c11)
    AG_AVX512_ROW(2, c20, c21)
    AG_AVX512_ROW(3, c30, c31)
    AG_AVX512_ROW(4, c40, c41)
    AG_AVX512_ROW(5, c50, c51)
    AG_AVX512_ROW(6, c60, c61)
    AG_AVX512_ROW(7, c70, c71)
#undef AG_AVX512_ROW
    a += MR_AVX512;
    b += 32;
  }
  __m512 rows[MR_AVX512][2] = {{c00, c01}, {c10, c11}, {c20, c21}, {c30, c31},
                               {c40, c41}, {c50, c51}, {c60, c61}, {c70, c71}};
  store_tile_avx512(rows, C, ldc, mr, nr, add);
}

// The AVX-512 kernels again, reading A where it lies (element (i, p) at a[i * rsa + p * csa])
// instead of from a packed panel. A panel of A is packed to be read once per 32 columns of B; a
// product of 64 columns or fewer (a head's attention, a linear layer of 64 outputs) reads it once
// or twice, and packing it cost a third of the product. Rows past mr read row 0 again, and their
// results are dropped.
__attribute__((target("avx512f")))
static void kernel_avx512_direct(long kc, const float *a, long rsa, long csa, const float *b, float *C, long ldc,
                                 long mr, long nr, bool add) {
  const float *r[MR_AVX512];
  for (int i = 0; i < MR_AVX512; i++) r[i] = a + (i < mr ? i : 0) * rsa;
  __m512 c[MR_AVX512][2];
  for (int i = 0; i < MR_AVX512; i++) c[i][0] = c[i][1] = _mm512_setzero_ps();
  for (long p = 0, at = 0; p < kc; p++, at += csa, b += 32) {
    __m512 b0 = _mm512_loadu_ps(b), b1 = _mm512_loadu_ps(b + 16);
    for (int i = 0; i < MR_AVX512; i++) {
      __m512 ai = _mm512_set1_ps(r[i][at]);
      c[i][0] = _mm512_fmadd_ps(ai, b0, c[i][0]);
      c[i][1] = _mm512_fmadd_ps(ai, b1, c[i][1]);
    }
  }
  store_tile_avx512(c, C, ldc, mr, nr, add);
}

// kernel_avx512_direct for a panel's last columns when at most 16 exist: one 16-wide accumulator
// per row (two, for even and odd p, so that each FMA does not wait for the last one into the same
// register), reading the first half of each packed row of B.
__attribute__((target("avx512f")))
static void kernel_avx512_direct_narrow(long kc, const float *a, long rsa, long csa, const float *b, float *C,
                                        long ldc, long mr, long nr, bool add) {
  const float *r[MR_AVX512];
  for (int i = 0; i < MR_AVX512; i++) r[i] = a + (i < mr ? i : 0) * rsa;
  __m512 c[MR_AVX512], d[MR_AVX512];
  for (int i = 0; i < MR_AVX512; i++) c[i] = d[i] = _mm512_setzero_ps();
  long p = 0, at = 0;
  for (; p + 2 <= kc; p += 2, at += 2 * csa, b += 64) {
    __m512 b0 = _mm512_loadu_ps(b), b1 = _mm512_loadu_ps(b + 32);
    for (int i = 0; i < MR_AVX512; i++) {
      c[i] = _mm512_fmadd_ps(_mm512_set1_ps(r[i][at]), b0, c[i]);
      d[i] = _mm512_fmadd_ps(_mm512_set1_ps(r[i][at + csa]), b1, d[i]);
    }
  }
  if (p < kc) {
    __m512 b0 = _mm512_loadu_ps(b);
    for (int i = 0; i < MR_AVX512; i++) c[i] = _mm512_fmadd_ps(_mm512_set1_ps(r[i][at]), b0, c[i]);
  }
  __mmask16 columns = (__mmask16)((1u << nr) - 1);
  for (long i = 0; i < mr; i++) {
    float *out = C + i * ldc;
    __m512 value = _mm512_add_ps(c[i], d[i]);
    if (add) value = _mm512_add_ps(value, _mm512_maskz_loadu_ps(columns, out));
    _mm512_mask_storeu_ps(out, columns, value);
  }
}

// The right edge of a 32-wide panel when at most 16 of its columns exist (n = 100 leaves 4): one
// 16-wide accumulator per row, reading the first half of each packed row, so the edge costs half a
// tile instead of a whole one. A packed panel of A is A with its rows one apart and its columns
// MR_AVX512 apart.
__attribute__((target("avx512f")))
static void kernel_avx512_narrow(long kc, const float *a, const float *b, float *C, long ldc,
                                 long mr, long nr, bool add) {
  kernel_avx512_direct_narrow(kc, a, 1, MR_AVX512, b, C, ldc, mr, nr, add);
}

// The right edge of a panel when at most four of its columns exist (n = 100 leaves 4): the eight
// rows of each step of the packed A panel lie together, so they fill one vector and each of the
// four columns' B values is broadcast, four multiply-adds a step instead of the eight of
// kernel_avx512_narrow (which puts columns in the vector and broadcasts rows). Even and odd steps
// accumulate apart and are added at the end, as in kernel_avx512_narrow: the same bits. B's packed
// rows are zero past nr, so the columns past it are computed and dropped.
__attribute__((target("avx512f")))
static void kernel_avx512_thin(long kc, const float *a, const float *b, float *C, long ldc,
                               long mr, long nr, bool add) {
  __m256 even[4], odd[4];
  for (int j = 0; j < 4; j++) even[j] = odd[j] = _mm256_setzero_ps();
  long p = 0;
  for (; p + 2 <= kc; p += 2, a += 2 * MR_AVX512, b += 64) {
    __m256 a0 = _mm256_loadu_ps(a), a1 = _mm256_loadu_ps(a + MR_AVX512);
    for (int j = 0; j < 4; j++) {
      even[j] = _mm256_fmadd_ps(a0, _mm256_broadcast_ss(b + j), even[j]);
      odd[j] = _mm256_fmadd_ps(a1, _mm256_broadcast_ss(b + 32 + j), odd[j]);
    }
  }
  if (p < kc) {
    __m256 a0 = _mm256_loadu_ps(a);
    for (int j = 0; j < 4; j++) even[j] = _mm256_fmadd_ps(a0, _mm256_broadcast_ss(b + j), even[j]);
  }
  float columns[4][MR_AVX512];
  for (int j = 0; j < 4; j++) _mm256_storeu_ps(columns[j], _mm256_add_ps(even[j], odd[j]));
  for (long i = 0; i < mr; i++) {
    float *c = C + i * ldc;
    for (long j = 0; j < nr; j++) c[j] = add ? columns[j][i] + c[j] : columns[j][i];
  }
}
#endif

// The packing buffers of the calling thread, kept between products (at most 2 MiB for B and
// 96 KiB for A): allocating them per call cost an mmap and a page fault per 4 KiB on every
// product above glibc's mmap threshold, a large share of a small product's time.
typedef struct {
  float *data;
  size_t capacity;
} panel_buffer;

typedef struct {
  panel_buffer a, b;
} thread_panels;

// A thread-specific key frees a thread's buffers when the thread exits: the pool's worker threads
// come and go, and a plain thread-local pointer leaked both buffers with each (LeakSanitizer).
static pthread_key_t panels_key;
static pthread_once_t panels_key_once = PTHREAD_ONCE_INIT;
static _Thread_local thread_panels *my_panels;

static void free_panels(void *pointer) {
  thread_panels *panels = pointer;
  free(panels->a.data);
  free(panels->b.data);
  free(panels);
}

static void make_panels_key(void) {
  if (pthread_key_create(&panels_key, free_panels) != 0) abort();
}

static thread_panels *panels_of_this_thread(void) {
  if (!my_panels) {
    pthread_once(&panels_key_once, make_panels_key);
    my_panels = calloc(1, sizeof(thread_panels));
    if (!my_panels || pthread_setspecific(panels_key, my_panels) != 0) abort();
  }
  return my_panels;
}

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
// A micro-kernel that reads A through its strides, unpacked.
typedef void (*direct_kernel)(long, const float *, long, long, const float *, float *, long, long, long, bool);

// One product, and where its loops stand: the workers of one B panel share it.
typedef struct {
  long m, n, k;
  const float *A;
  long rsa, csa;
  const float *B;
  long rsb, csb;
  float *C;
  long ldc;
  micro_kernel kernel;
  // The kernel's height and width.
  long mrk, nrk;
  // For a panel's last columns when at most half of its width exists, and when at most four do,
  // or NULL.
  micro_kernel narrow_kernel, thin_kernel;
  // The kernels that read A unpacked (NULL where there are none), and whether this product uses
  // them.
  direct_kernel direct, direct_narrow;
  bool direct_a;
  // The current B panel: columns jc..jc+nc, depth pc..pc+kc, packed in bp.
  long jc, nc, pc, kc;
  float *bp;
  // How the panel's work is cut for threads: B is packed in groups of `pack_nb` columns (a
  // multiple of nrk), then C in row blocks; `next` is the next group, or the next row, to take.
  long threads, pack_nb, pack_groups;
  atomic_long next;
  // Whether C's values are kept and the product added to them (a prepacked product asks for it).
  bool accumulate;
} gemm_state;

// Packs rows ic..ic+mc of A for the current depth (into the calling thread's buffer) and computes
// that block of C against the whole packed B panel.
static void row_block(gemm_state *g, long ic, long mc) {
  bool add = g->pc > 0 || g->accumulate;
  if (g->direct_a) {
    const float *a = g->A + ic * g->rsa + g->pc * g->csa;
    for (long jr = 0; jr < g->nc; jr += g->nrk) {
      long nr = g->nc - jr < g->nrk ? g->nc - jr : g->nrk;
      direct_kernel kernel = 2 * nr <= g->nrk ? g->direct_narrow : g->direct;
      for (long ir = 0; ir < mc; ir += g->mrk) {
        long mr = mc - ir < g->mrk ? mc - ir : g->mrk;
        kernel(g->kc, a + ir * g->rsa, g->rsa, g->csa, g->bp + jr * g->kc, g->C + (ic + ir) * g->ldc + g->jc + jr,
               g->ldc, mr, nr, add);
      }
    }
    return;
  }
  float *ap = panel(&panels_of_this_thread()->a, (MC + MR - 1) / MR * MR_MAX * KC + 8);  // 8: room for pack_a's last store
  pack_a(mc, g->kc, g->A + ic * g->rsa + g->pc * g->csa, g->rsa, g->csa, g->mrk, ap);
  for (long jr = 0; jr < g->nc; jr += g->nrk) {
    long nr = g->nc - jr < g->nrk ? g->nc - jr : g->nrk;
    micro_kernel kernel = g->thin_kernel && nr <= 4                ? g->thin_kernel
                          : g->narrow_kernel && 2 * nr <= g->nrk ? g->narrow_kernel
                                                                 : g->kernel;
    for (long ir = 0; ir < mc; ir += g->mrk) {
      long mr = mc - ir < g->mrk ? mc - ir : g->mrk;
      kernel(g->kc, ap + ir * g->kc, g->bp + jr * g->kc, g->C + (ic + ir) * g->ldc + g->jc + jr, g->ldc,
                mr, nr, add);
    }
  }
}

// One thread's share of packing the panel: groups of column panels taken one at a time.
static void take_b_columns(void *context, long thread) {
  (void)thread;
  gemm_state *g = context;
  for (long c; (c = atomic_fetch_add_explicit(&g->next, 1, memory_order_relaxed)) < g->pack_groups;) {
    long j0 = c * g->pack_nb, cols = g->nc - j0 < g->pack_nb ? g->nc - j0 : g->pack_nb;
    pack_b(g->kc, cols, g->B + g->pc * g->rsb + (g->jc + j0) * g->csb, g->rsb, g->csb, g->bp + j0 * g->kc, g->nrk);
  }
}

// One thread's share of computing against the panel: row blocks taken one at a time, so that a
// thread slowed down by something else on the machine takes fewer rather than holding the others
// up. Blocks shrink as the rows run out (down to the kernel's height), so that the threads finish
// together.
static void take_row_blocks(void *context, long thread) {
  (void)thread;
  gemm_state *g = context;
  long start = atomic_load_explicit(&g->next, memory_order_relaxed);
  while (start < g->m) {
    long rows_left = g->m - start;
    long size = round_up(rows_left / (2 * g->threads), g->mrk);
    if (size > MC) size = MC;
    if (size < g->mrk) size = g->mrk;
    if (size > rows_left) size = rows_left;
    if (!atomic_compare_exchange_weak_explicit(&g->next, &start, start + size, memory_order_relaxed,
                                               memory_order_relaxed)) {
      continue;  // another thread took rows first; `start` now holds where they ended
    }
    row_block(g, start, size);
    start = atomic_load_explicit(&g->next, memory_order_relaxed);
  }
}

// A product cut into one independent block of C per thread, along C's longer side (rows in
// multiples of the kernel's height, columns in multiples of the widest kernel), each packing its
// own operands.
typedef struct {
  const gemm_state *g;
  bool by_rows;
  long block;
} split_product;

static void sgemm(long m, long n, long k, const float *A, long rsa, long csa, const float *B, long rsb, long csb,
                  float *C, long ldc, long threads, ag_parallel_for parallel_for,
                  bool may_split_depth, bool accumulate);

// The micro-kernels for this CPU: the widest it runs.
static void choose_kernels(gemm_state *g) {
  g->kernel = kernel_portable;
  g->narrow_kernel = g->thin_kernel = NULL;
  g->direct = g->direct_narrow = NULL;
  g->mrk = MR;
  g->nrk = PORTABLE_NR;
#if AG_X86
  if (ag_has_avx512()) {
    g->kernel = kernel_avx512;
    g->narrow_kernel = kernel_avx512_narrow;
    g->thin_kernel = kernel_avx512_thin;
    g->direct = kernel_avx512_direct;
    g->direct_narrow = kernel_avx512_direct_narrow;
    g->mrk = MR_AVX512;
    g->nrk = 32;
  } else if (ag_has_avx2_fma()) {
    g->kernel = kernel_avx2;
    g->nrk = 16;
  }
#endif
}

// Each block is computed as the whole product would be on one thread, never cut along its depth
// on its own (a block can qualify where the whole did not): one thread and several sum alike.
static void run_block(void *context, long t) {
  split_product *p = context;
  const gemm_state *g = p->g;
  long length = p->by_rows ? g->m : g->n, start = t * p->block;
  if (start >= length) return;
  long size = length - start < p->block ? length - start : p->block;
  if (p->by_rows) {
    sgemm(size, g->n, g->k, g->A + start * g->rsa, g->rsa, g->csa, g->B, g->rsb, g->csb, g->C + start * g->ldc,
          g->ldc, 1, NULL, false, g->accumulate);
  } else {
    sgemm(g->m, size, g->k, g->A, g->rsa, g->csa, g->B + start * g->csb, g->rsb, g->csb, g->C + start, g->ldc,
          1, NULL, false, g->accumulate);
  }
}

// A product much deeper than it is wide or tall (x·w1 in the two-layer net: 64 x 100 from a depth
// of 1000) is cut into two halves along the depth, each a product of its own, summed
// at the end. Cutting C instead would have each thread pack all of the operand it shares (A or B,
// the bulk of the data); cutting the depth, each packs only its half of both.
typedef struct {
  const gemm_state *g;
  long k0;                // where the second half starts
  float *second;          // the second half's product, m x n
  long threads_per_half;
  ag_parallel_for parallel_for;
} depth_split;

static void run_depth_half(void *context, long half) {
  depth_split *d = context;
  const gemm_state *g = d->g;
  if (half == 0) {
    sgemm(g->m, g->n, d->k0, g->A, g->rsa, g->csa, g->B, g->rsb, g->csb, g->C, g->ldc,
          d->threads_per_half, d->parallel_for, false, g->accumulate);
  } else {
    sgemm(g->m, g->n, g->k - d->k0, g->A + d->k0 * g->csa, g->rsa, g->csa, g->B + d->k0 * g->rsb, g->rsb, g->csb,
          d->second, g->n, d->threads_per_half, d->parallel_for, false, false);
  }
}

// Whether a product is cut along its depth. It depends on the shape alone, never on the thread
// count, so that one thread sums in the same order as several and gets the same bits.
static bool splits_depth(long m, long n, long k) {
  double flops = 2.0 * m * n * k;
  long side = m > n ? m : n;
  return flops >= 4e6 && flops < 64e6 && k >= 2 * KC && k >= 4 * side;
}

// Up to this many columns, A is read where it lies rather than packed (where the CPU has kernels
// for it): each row panel of A is then read at most twice.
#ifndef DIRECT_A_MAX_COLUMNS
#define DIRECT_A_MAX_COLUMNS 64
#endif

// Below this many flops, threads split C in independent blocks (one wake-up per product); above
// it they share packed panels (two wake-ups per panel, which pay off only on larger products).
#define SHARED_PANELS_MIN_FLOPS 64e6

void ag_sgemm_threaded(long m, long n, long k,
                       const float *A, long rsa, long csa,
                       const float *B, long rsb, long csb,
                       float *C, long ldc,
                       long threads, ag_parallel_for parallel_for) {
  sgemm(m, n, k, A, rsa, csa, B, rsb, csb, C, ldc, threads, parallel_for, true, false);
}

void ag_sgemm_threaded_add(long m, long n, long k,
                           const float *A, long rsa, long csa,
                           const float *B, long rsb, long csb,
                           float *C, long ldc,
                           long threads, ag_parallel_for parallel_for) {
  sgemm(m, n, k, A, rsa, csa, B, rsb, csb, C, ldc, threads, parallel_for, true, true);
}

static void sgemm(long m, long n, long k, const float *A, long rsa, long csa, const float *B, long rsb, long csb,
                  float *C, long ldc, long threads, ag_parallel_for parallel_for,
                  bool may_split_depth, bool accumulate) {
  if (m <= 0 || n <= 0) return;
  if (k <= 0) {
    if (!accumulate) for (long i = 0; i < m; i++) memset(C + i * ldc, 0, (size_t)n * sizeof(float));
    return;
  }
  if (!parallel_for) threads = 1;
  gemm_state g = {.m = m, .n = n, .k = k, .A = A, .rsa = rsa, .csa = csa, .B = B, .rsb = rsb, .csb = csb,
                  .C = C, .ldc = ldc, .threads = threads, .accumulate = accumulate};
  choose_kernels(&g);
  g.direct_a = g.direct && n <= DIRECT_A_MAX_COLUMNS;
  if (may_split_depth && splits_depth(m, n, k)) {
    depth_split d = {.g = &g, .k0 = k / 2, .threads_per_half = threads > 1 ? threads / 2 : 1,
                     .parallel_for = parallel_for};
    d.second = malloc((size_t)m * (size_t)n * sizeof(float));
    if (!d.second) abort();
    if (threads > 1) {
      parallel_for(2, &d, run_depth_half);
    } else {
      run_depth_half(&d, 0);
      run_depth_half(&d, 1);
    }
    for (long i = 0; i < m; i++) {
      float *c = C + i * ldc;
      const float *s = d.second + i * n;
      for (long j = 0; j < n; j++) c[j] += s[j];
    }
    free(d.second);
    return;
  }
  if (threads > 1 && 2.0 * m * n * k < SHARED_PANELS_MIN_FLOPS) {
    split_product p = {.g = &g, .by_rows = m >= n};
    p.block = round_up(((p.by_rows ? m : n) + threads - 1) / threads, p.by_rows ? g.mrk : 32);
    parallel_for(threads, &p, run_block);
    return;
  }
  long ncMax = n < NC ? n : NC, kcMax = k < KC ? k : KC;
  // The panel is packed once and read by every thread.
  g.bp = panel(&panels_of_this_thread()->b, round_up(ncMax, g.nrk) * kcMax);
  for (g.jc = 0; g.jc < n; g.jc += NC) {
    g.nc = n - g.jc < NC ? n - g.jc : NC;
    // Two groups of B's columns a thread to pack.
    g.pack_nb = round_up((g.nc + 2 * threads - 1) / (2 * threads), g.nrk);
    g.pack_groups = (g.nc + g.pack_nb - 1) / g.pack_nb;
    for (g.pc = 0; g.pc < k; g.pc += KC) {
      g.kc = k - g.pc < KC ? k - g.pc : KC;
      if (threads > 1) {
        atomic_store_explicit(&g.next, 0, memory_order_relaxed);
        parallel_for(threads, &g, take_b_columns);
        atomic_store_explicit(&g.next, 0, memory_order_relaxed);
        parallel_for(threads, &g, take_row_blocks);
      } else {
        pack_b(g.kc, g.nc, B + g.pc * rsb + g.jc * csb, rsb, csb, g.bp, g.nrk);
        for (long ic = 0; ic < m; ic += MC) row_block(&g, ic, m - ic < MC ? m - ic : MC);
      }
    }
  }
}

// A prepacked B is the panels sgemm would pack, one after another: for each NC-wide block of
// columns, for each KC-deep block of rows, the columns in groups of the kernel's width.
long ag_sgemm_packed_count(long k, long n) {
  gemm_state g = {0};
  choose_kernels(&g);
  long total = 0;
  for (long jc = 0; jc < n; jc += NC) total += round_up(n - jc < NC ? n - jc : NC, g.nrk) * k;
  return total;
}

void ag_sgemm_pack(long k, long n, const float *B, long rsb, long csb, float *packed) {
  gemm_state g = {0};
  choose_kernels(&g);
  for (long jc = 0; jc < n; jc += NC) {
    long nc = n - jc < NC ? n - jc : NC;
    for (long pc = 0; pc < k; pc += KC) {
      long kc = k - pc < KC ? k - pc : KC;
      pack_b(kc, nc, B + pc * rsb + jc * csb, rsb, csb, packed, g.nrk);
      packed += round_up(nc, g.nrk) * kc;
    }
  }
}

void ag_sgemm_prepacked(long m, long n, long k, const float *A, long rsa, long csa, const float *packed,
                        float *C, long ldc, bool accumulate) {
  if (m <= 0 || n <= 0) return;
  if (k <= 0) {
    if (!accumulate) for (long i = 0; i < m; i++) memset(C + i * ldc, 0, (size_t)n * sizeof(float));
    return;
  }
  gemm_state g = {.m = m, .n = n, .k = k, .A = A, .rsa = rsa, .csa = csa, .C = C, .ldc = ldc, .threads = 1,
                  .accumulate = accumulate};
  choose_kernels(&g);
  for (g.jc = 0; g.jc < n; g.jc += NC) {
    g.nc = n - g.jc < NC ? n - g.jc : NC;
    for (g.pc = 0; g.pc < k; g.pc += KC) {
      g.kc = k - g.pc < KC ? k - g.pc : KC;
      g.bp = (float *)packed;
      for (long ic = 0; ic < m; ic += MC) row_block(&g, ic, m - ic < MC ? m - ic : MC);
      packed += round_up(g.nc, g.nrk) * g.kc;
    }
  }
}

// float64 is for gradient checks and science, where sizes are small: a cache-friendly i-p-j loop.
void ag_dgemm(long m, long n, long k,
              const double *A, long rsa, long csa,
              const double *B, long rsb, long csb,
              double *C, long ldc) {
  for (long i = 0; i < m; i++) {
    double *c = C + i * ldc;
    memset(c, 0, (size_t)n * sizeof(double));
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
