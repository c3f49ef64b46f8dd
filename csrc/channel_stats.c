/*
 * channel_stats.c: mean and biased variance of each row of x [c][s] (training batch-norm statistics,
 * Ioffe & Szegedy 2015, Alg. 1). Two passes (mean, then squared deviations) for accuracy; float vector
 * partial sums over chunks of 4096, folded into double per chunk, so long rows (s = 8*112*112) stay exact
 * to float rounding. Not here: the backward (batch_norm_backward.c).
 */
#include "kernels.h"

#define CHUNK 4096

static double row_sum(const float *x, size_t s, float mean, int squares) {
  double total = 0.0;
  vf vm = splat(mean);
  for (size_t c0 = 0; c0 < s; c0 += CHUNK) {
    size_t c1 = min_sz(s, c0 + CHUNK), i = c0;
    vf a0 = (vf){0}, a1 = (vf){0};
    float tail = 0.0f;
    if (squares) {
      for (; i + 2 * VL <= c1; i += 2 * VL) {
        vf d0 = load_u(x + i) - vm, d1 = load_u(x + i + VL) - vm;
        a0 += d0 * d0;
        a1 += d1 * d1;
      }
      for (; i < c1; i++) tail += (x[i] - mean) * (x[i] - mean);
    } else {
      for (; i + 2 * VL <= c1; i += 2 * VL) {
        a0 += load_u(x + i);
        a1 += load_u(x + i + VL);
      }
      for (; i < c1; i++) tail += x[i];
    }
    vf a = a0 + a1;
    double part = tail;
    for (int l = 0; l < VL; l++) part += a[l];
    total += part;
  }
  return total;
}

void K(channel_stats)(size_t c0, size_t c1, size_t s, const float *x, float *mean, float *var) {
  for (size_t c = c0; c < c1; c++) {
    const float *xr = x + c * s;
    if (s == 0) {
      mean[c] = 0.0f;
      var[c] = 0.0f;
      continue;
    }
    float m = (float)(row_sum(xr, s, 0.0f, 0) / (double)s);
    mean[c] = m;
    var[c] = (float)(row_sum(xr, s, m, 1) / (double)s);
  }
}
