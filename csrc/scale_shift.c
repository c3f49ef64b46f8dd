/*
 * scale_shift.c: per-channel affine plus optional ReLU on rows of a CNHW map, y[c][i] = x[c][i]*scale[c] +
 * shift[c] (max 0). This is inference batch norm folded to scale = gamma/sqrt(var+eps), shift = beta -
 * mean*scale (Ioffe & Szegedy 2015, Alg. 1) fused with the ReLU of every DenseNet layer. y may alias x.
 */
#include "kernels.h"

void K(scale_shift)(size_t c0, size_t c1, size_t s, const float *x, const float *scale, const float *shift,
                    int relu, float *y) {
  for (size_t c = c0; c < c1; c++) {
    const float *xr = x + c * s;
    float *yr = y + c * s;
    float a = scale[c], b = shift[c];
    vf va = splat(a), vb = splat(b);
    size_t i = 0;
    if (relu) {
      for (; i + VL <= s; i += VL) {
        store_u(yr + i, relu_v(load_u(xr + i) * va + vb));
      }
      for (; i < s; i++) yr[i] = max_f(xr[i] * a + b, 0.0f);
    } else {
      for (; i + VL <= s; i += VL) store_u(yr + i, load_u(xr + i) * va + vb);
      for (; i < s; i++) yr[i] = xr[i] * a + b;
    }
  }
}
