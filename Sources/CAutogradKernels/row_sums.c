// Column totals of a block of rows: a bias's gradient, the sum of the output gradient over the
// batch. In C with restrict pointers so that the adds vectorize (the Swift loop, whose pointers
// may alias as far as the compiler knows, added one element at a time: 6% of W8's transformer).
// Totals are in double, as every sum in the library.
#include "AutogradKernels.h"

#if defined(__x86_64__) || defined(__i386__)
#define AG_X86 1
#endif

#define AG_ROW_SUMS_BODY                                                  \
  for (long r = 0; r < rows; r++) {                                       \
    const ELEMENT *restrict row = src + r * width;                        \
    for (long j = 0; j < width; j++) total[j] += (double)row[j];          \
  }

#define ELEMENT float
static void sums_f32_baseline(const float *restrict src, long rows, long width, double *restrict total) {
  AG_ROW_SUMS_BODY
}
#if AG_X86
__attribute__((target("avx2"))) static void sums_f32_avx2(const float *restrict src, long rows, long width,
                                                           double *restrict total) {
  AG_ROW_SUMS_BODY
}
#endif
#undef ELEMENT

#define ELEMENT double
static void sums_f64_baseline(const double *restrict src, long rows, long width, double *restrict total) {
  AG_ROW_SUMS_BODY
}
#if AG_X86
__attribute__((target("avx2"))) static void sums_f64_avx2(const double *restrict src, long rows, long width,
                                                           double *restrict total) {
  AG_ROW_SUMS_BODY
}
#endif
#undef ELEMENT

void ag_add_rows_f32(const float *src, long rows, long width, double *total) {
#if AG_X86
  if (ag_has_avx2_fma()) return sums_f32_avx2(src, rows, width, total);
#endif
  sums_f32_baseline(src, rows, width, total);
}

void ag_add_rows_f64(const double *src, long rows, long width, double *total) {
#if AG_X86
  if (ag_has_avx2_fma()) return sums_f64_avx2(src, rows, width, total);
#endif
  sums_f64_baseline(src, rows, width, total);
}
