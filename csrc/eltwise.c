/*
 * eltwise.c: the small elementwise ops. relu: y = max(0, x). dropout: inverted dropout with a caller-made
 * keep mask, y = keep ? x / (1-p) : 0 (Srivastava et al. 2014; PyTorch's F.dropout).
 * y may alias x in both. Ranges [i0, i1) so threads can split.
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
