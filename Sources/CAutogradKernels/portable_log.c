// The natural logarithm behind the library's normal draws (Random.swift), from basic arithmetic
// only: libm's `log` may differ in the last place between systems, and a seed must give the same
// numbers everywhere. Four at a time with AVX2, each lane doing the same correctly rounded
// divisions, products and sums in the same order as the one-at-a-time loop, so the width changes
// no bit. The series' twenty divisions are most of a logarithm's cost, and the divider takes four
// lanes for about the price of one.
#include "AutogradKernels.h"

#include <stdint.h>
#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define AG_X86 1
#endif

// No fused multiply-add: `2 * sum + e * ln2` rounds its product and then its sum, as the normals
// drawn from every seed so far did.
#pragma STDC FP_CONTRACT OFF

static const double sqrt2 = 1.4142135623730951, ln2 = 0.6931471805599453;

// x = m * 2^e with m in [sqrt(1/2), sqrt(2)); log(m) = 2 atanh(t), t = (m - 1) / (m + 1).
static double portable_log(double x) {
  uint64_t bits;
  memcpy(&bits, &x, sizeof bits);
  double e = (double)((int64_t)(bits >> 52) - 1023);
  bits = (bits & 0x000FFFFFFFFFFFFFull) | 0x3FF0000000000000ull;
  double m;
  memcpy(&m, &bits, sizeof m);
  if (m > sqrt2) {
    m /= 2;
    e += 1;
  }
  double t = (m - 1) / (m + 1), t2 = t * t, term = t, sum = 0;
  for (int k = 1; k <= 39; k += 2) {
    sum += term / k;
    term *= t2;
  }
  return 2 * sum + e * ln2;
}

#if AG_X86
__attribute__((target("avx2")))
static long portable_log_avx2(const double *x, double *y, long n) {
  const __m256d one = _mm256_set1_pd(1), two = _mm256_set1_pd(2);
  // A biased exponent (0-2047) placed in the low bits of 2^52's significand is that many units
  // above 2^52: subtracting 2^52 leaves it as an exact double.
  const __m256i two52_bits = _mm256_set1_epi64x(0x4330000000000000ll);
  const __m256d two52_plus_bias = _mm256_set1_pd(4503599627370496.0 + 1023);
  long i = 0;
  for (; i + 4 <= n; i += 4) {
    __m256i bits = _mm256_loadu_si256((const __m256i *)(x + i));
    __m256d e = _mm256_sub_pd(_mm256_castsi256_pd(_mm256_or_si256(_mm256_srli_epi64(bits, 52), two52_bits)),
                              two52_plus_bias);
    __m256d m = _mm256_castsi256_pd(_mm256_or_si256(
        _mm256_and_si256(bits, _mm256_set1_epi64x(0x000FFFFFFFFFFFFFll)), _mm256_set1_epi64x(0x3FF0000000000000ll)));
    __m256d above = _mm256_cmp_pd(m, _mm256_set1_pd(sqrt2), _CMP_GT_OQ);
    m = _mm256_blendv_pd(m, _mm256_div_pd(m, two), above);
    e = _mm256_blendv_pd(e, _mm256_add_pd(e, one), above);
    __m256d t = _mm256_div_pd(_mm256_sub_pd(m, one), _mm256_add_pd(m, one));
    __m256d t2 = _mm256_mul_pd(t, t), term = t, sum = _mm256_setzero_pd();
    for (int k = 1; k <= 39; k += 2) {
      sum = _mm256_add_pd(sum, _mm256_div_pd(term, _mm256_set1_pd(k)));
      term = _mm256_mul_pd(term, t2);
    }
    _mm256_storeu_pd(y + i, _mm256_add_pd(_mm256_mul_pd(two, sum), _mm256_mul_pd(e, _mm256_set1_pd(ln2))));
  }
  return i;
}
#endif

void ag_portable_log(const double *x, double *y, long n) {
  long i = 0;
#if AG_X86
  if (ag_has_avx2_fma()) i = portable_log_avx2(x, y, n);
#endif
  for (; i < n; i++) y[i] = portable_log(x[i]);
}
