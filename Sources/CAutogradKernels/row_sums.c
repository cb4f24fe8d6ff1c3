// Column totals of a block of rows: a bias's gradient, the sum of the output gradient over the
// batch. In C with restrict pointers so that the adds vectorize (the Swift loop, whose pointers
// may alias as far as the compiler knows, added one element at a time: 6% of W8's transformer).
// Totals are in double, as every sum in the library.
#include "AutogradKernels.h"

#if defined(__x86_64__) || defined(__i386__)
#define AG_X86 1
#endif

#define AG_ROW_SUMS_LOOP(ELEMENT)                                         \
  for (long r = 0; r < rows; r++) {                                       \
    const ELEMENT *restrict row = src + r * width;                        \
    for (long j = 0; j < width; j++) total[j] += (double)row[j];          \
  }

// One loop per element type, compiled for the baseline and (on x86) for AVX2.
#if AG_X86
#define AG_ROW_SUMS(ELEMENT, NAME)                                                                        \
  static void NAME##_baseline(const ELEMENT *restrict src, long rows, long width, double *restrict total) { \
    AG_ROW_SUMS_LOOP(ELEMENT)                                                                             \
  }                                                                                                       \
  __attribute__((target("avx2"))) static void NAME##_avx2(const ELEMENT *restrict src, long rows, long width, \
                                                          double *restrict total) {                       \
    AG_ROW_SUMS_LOOP(ELEMENT)                                                                             \
  }                                                                                                       \
  static void NAME(const ELEMENT *src, long rows, long width, double *total) {                            \
    if (ag_has_avx2_fma()) return NAME##_avx2(src, rows, width, total);                                   \
    NAME##_baseline(src, rows, width, total);                                                             \
  }
#else
#define AG_ROW_SUMS(ELEMENT, NAME)                                                                        \
  static void NAME(const ELEMENT *restrict src, long rows, long width, double *restrict total) {          \
    AG_ROW_SUMS_LOOP(ELEMENT)                                                                             \
  }
#endif

AG_ROW_SUMS(float, sums_f32)
AG_ROW_SUMS(double, sums_f64)

void ag_add_rows_f32(const float *src, long rows, long width, double *total) { sums_f32(src, rows, width, total); }

void ag_add_rows_f64(const double *src, long rows, long width, double *total) { sums_f64(src, rows, width, total); }
