// One Adam step over contiguous float32 arrays, in one pass: AVX2 where the CPU has it.
//
// Every element takes the same float operations in the same order as the op-by-op form in
// Swift (each product and sum rounded on its own: no fused multiply-add), so both agree exactly,
// except that on x86 subnormal values are flushed to zero (see ag_adam_step_f32).
#include "AutogradKernels.h"

#include <math.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define AG_X86 1
#endif

#pragma clang fp contract(off)

static void adam_scalar(float *p, const float *g, float *m, float *v, long from, long n,
                        const ag_adam_constants *c) {
  for (long i = from; i < n; i++) {
    float pi = p[i];
    if (c->decoupled) pi = pi * c->decay;
    float gi = g[i];
    if (c->coupled) gi = gi + c->lambda * pi;
    float mi = m[i] * c->beta1;
    mi = mi + c->keep1 * gi;
    float vi = v[i] * c->beta2;
    float gg = c->keep2 * gi;
    vi = vi + gg * gi;
    float denominator = sqrtf(vi) * c->inv_root2;
    denominator = denominator + c->epsilon;
    float update = c->step_size * mi;
    pi = pi - update / denominator;
    p[i] = pi;
    m[i] = mi;
    v[i] = vi;
  }
}

#if AG_X86
__attribute__((target("avx2")))
static void adam_avx2(float *p, const float *g, float *m, float *v, long n, const ag_adam_constants *c) {
  const __m256 decay = _mm256_set1_ps(c->decay), lambda = _mm256_set1_ps(c->lambda);
  const __m256 beta1 = _mm256_set1_ps(c->beta1), beta2 = _mm256_set1_ps(c->beta2);
  const __m256 keep1 = _mm256_set1_ps(c->keep1), keep2 = _mm256_set1_ps(c->keep2);
  const __m256 inv_root2 = _mm256_set1_ps(c->inv_root2), epsilon = _mm256_set1_ps(c->epsilon);
  const __m256 step_size = _mm256_set1_ps(c->step_size);
  long i = 0;
  for (; i + 8 <= n; i += 8) {
    __m256 pi = _mm256_loadu_ps(p + i);
    if (c->decoupled) pi = _mm256_mul_ps(pi, decay);
    __m256 gi = _mm256_loadu_ps(g + i);
    if (c->coupled) gi = _mm256_add_ps(gi, _mm256_mul_ps(lambda, pi));
    __m256 mi = _mm256_add_ps(_mm256_mul_ps(_mm256_loadu_ps(m + i), beta1), _mm256_mul_ps(keep1, gi));
    __m256 vi = _mm256_add_ps(_mm256_mul_ps(_mm256_loadu_ps(v + i), beta2),
                              _mm256_mul_ps(_mm256_mul_ps(keep2, gi), gi));
    __m256 denominator = _mm256_add_ps(_mm256_mul_ps(_mm256_sqrt_ps(vi), inv_root2), epsilon);
    pi = _mm256_sub_ps(pi, _mm256_div_ps(_mm256_mul_ps(step_size, mi), denominator));
    _mm256_storeu_ps(p + i, pi);
    _mm256_storeu_ps(m + i, mi);
    _mm256_storeu_ps(v + i, vi);
  }
  adam_scalar(p, g, m, v, i, n, c);
}
#endif

void ag_adam_step_f32(float *p, const float *g, float *m, float *v, long n, const ag_adam_constants *c) {
#if AG_X86
  if (ag_has_avx2_fma()) {
    // Subnormal moments (a gradient that stays 0 makes m decay into them) cost about fifty times
    // the time of normal ones; flushed to zero they change nothing that matters next to epsilon.
    unsigned int mode = _mm_getcsr();
    _mm_setcsr(mode | 0x8040);  // flush-to-zero and denormals-are-zero
    adam_avx2(p, g, m, v, n, c);
    _mm_setcsr(mode);
    return;
  }
#endif
  adam_scalar(p, g, m, v, 0, n, c);
}
