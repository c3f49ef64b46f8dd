/*
 * eltwise.c: the small elementwise ops. relu: y = max(0, x). dropout: inverted dropout with a caller-made
 * keep mask, y = keep ? x / (1-p) : 0 (Srivastava et al. 2014; PyTorch's F.dropout). relu backward:
 * dx = y > 0 ? dy : 0 (torch's threshold_backward). Outputs may alias inputs. Ranges [i0, i1) so threads can split.
 */
#include "kernels.h"

void K(relu)(size_t i0, size_t i1, const float *x, float *y) {
  size_t i = i0;
  for (; i + VL <= i1; i += VL) store_u(y + i, relu_v(load_u(x + i)));
  for (; i < i1; i++) y[i] = x[i] > 0.0f ? x[i] : 0.0f;
}

/* x / (1 - p) in double, rounded once: bit-identical to the reference (and to PyTorch's float64 scale) */
void K(dropout)(size_t i0, size_t i1, const float *x, const u8 *keep, double q, float *y) {
  for (size_t i = i0; i < i1; i++) y[i] = keep[i] ? (float)((double)x[i] / q) : 0.0f;
}

void K(relu_backward)(size_t i0, size_t i1, const float *y, const float *dy, float *dx) {
  size_t i = i0;
  for (; i + VL <= i1; i += VL) store_u(dx + i, (vf)((vi)load_u(dy + i) & (load_u(y + i) > (vf){0})));
  for (; i < i1; i++) dx[i] = y[i] > 0.0f ? dy[i] : 0.0f;
}
