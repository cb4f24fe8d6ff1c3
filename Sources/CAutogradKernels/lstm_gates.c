// The element-wise part of one LSTM step's backward pass, for float32: the gates' gradients from
// the gradients reaching the step's h and c. In C with restrict pointers so that it vectorizes
// (the Swift loop, whose pointers may alias as far as the compiler knows, ran one element at a
// time: an eighth of W8's LSTM).
#include "AutogradKernels.h"

#if defined(__x86_64__) || defined(__i386__)
#define AG_X86 1
#endif

// One body, compiled for the baseline and (on x86) for AVX2 with FMA.
#define AG_LSTM_GATES_BODY                                                          \
  for (long j = 0; j < n; j++) {                                                    \
    float dhj = dh[j] + dh_out[j], tc = tanh_c[j];                                  \
    float dcj = dc[j] + dc_out[j] + dhj * o[j] * (1 - tc * tc);                     \
    d_i[j] = dcj * g[j] * i[j] * (1 - i[j]);                                        \
    d_f[j] = dcj * c_previous[j] * f[j] * (1 - f[j]);                               \
    d_g[j] = dcj * i[j] * (1 - g[j] * g[j]);                                        \
    d_o[j] = dhj * tc * o[j] * (1 - o[j]);                                          \
    dc[j] = dcj * f[j];                                                             \
  }

#define AG_LSTM_GATES_PARAMETERS                                                    \
  long n, const float *restrict i, const float *restrict f, const float *restrict g, \
  const float *restrict o, const float *restrict tanh_c, const float *restrict c_previous, \
  const float *restrict dh, const float *restrict dh_out, const float *restrict dc_out,   \
  float *restrict dc, float *restrict d_i, float *restrict d_f, float *restrict d_g,      \
  float *restrict d_o

static void gates_baseline(AG_LSTM_GATES_PARAMETERS) { AG_LSTM_GATES_BODY }

#if AG_X86
__attribute__((target("avx2,fma"))) static void gates_avx2(AG_LSTM_GATES_PARAMETERS) { AG_LSTM_GATES_BODY }
#endif

void ag_lstm_gate_gradients_f32(AG_LSTM_GATES_PARAMETERS) {
#if AG_X86
  if (ag_has_avx2_fma()) return gates_avx2(n, i, f, g, o, tanh_c, c_previous, dh, dh_out, dc_out, dc, d_i, d_f, d_g, d_o);
#endif
  gates_baseline(n, i, f, g, o, tanh_c, c_previous, dh, dh_out, dc_out, dc, d_i, d_f, d_g, d_o);
}
