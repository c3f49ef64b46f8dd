/*
 * pool_backward.c: backward of max, average and global average pooling on CNHW maps (specs: the reference's
 * max-pool-backward.ts, avg-pool-backward.ts, global-avg-pool-backward.ts). Max: each dy goes to the first
 * maximum of its window in row-major order (NaN wins, as PyTorch); average (count_include_pad=True):
 * dy/(k*k) to every real cell of its window; global: dx[c][n][:] = dy[n][c] / hw. dx overwritten. Split by
 * channels [c0, c1).
 */
#include "kernels.h"

/* Window [o*s - pad, o*s - pad + k) clipped to [0, size). */
static void window(size_t o, const struct dn_pool *g, size_t size, size_t *lo, size_t *hi) {
  ptrdiff_t a = (ptrdiff_t)(o * g->stride) - (ptrdiff_t)g->pad, b = a + (ptrdiff_t)g->k;
  *lo = a < 0 ? 0 : (size_t)a;
  *hi = b > (ptrdiff_t)size ? size : (b < 0 ? 0 : (size_t)b);
  if (*hi < *lo) *hi = *lo;
}

static void zero(float *d, size_t n) {
  for (size_t i = 0; i < n; i++) d[i] = 0.0f;
}

void K(max_pool_backward)(const struct dn_pool *g, size_t c0, size_t c1, const float *x, const float *dy, float *dx) {
  size_t hw = g->h * g->w, ohw = g->ho * g->wo;
  for (size_t cb = c0 * g->n; cb < c1 * g->n; cb++) {
    const float *xp = x + cb * hw, *dyp = dy + cb * ohw;
    float *dxp = dx + cb * hw;
    zero(dxp, hw);
    for (size_t oh = 0; oh < g->ho; oh++) {
      size_t h0, h1;
      window(oh, g, g->h, &h0, &h1);
      for (size_t ow = 0; ow < g->wo; ow++) {
        size_t w0, w1, at = (size_t)-1;
        window(ow, g, g->w, &w0, &w1);
        float best = -__builtin_inff();
        for (size_t ih = h0; ih < h1 && !(best != best); ih++)
          for (size_t iw = w0; iw < w1; iw++) {
            float v = xp[ih * g->w + iw];
            if (at == (size_t)-1 || v > best || v != v) {
              best = v;
              at = ih * g->w + iw;
              if (v != v) break;
            }
          }
        if (at != (size_t)-1) dxp[at] += dyp[oh * g->wo + ow];
      }
    }
  }
}

void K(avg_pool_backward)(const struct dn_pool *g, size_t c0, size_t c1, const float *dy, float *dx) {
  size_t hw = g->h * g->w, ohw = g->ho * g->wo;
  float kk = (float)(g->k * g->k);
  int halve = g->k == 2 && g->stride == 2 && g->pad == 0; /* DenseNet's transitions: one dy per dx cell */
  for (size_t cb = c0 * g->n; cb < c1 * g->n; cb++) {
    const float *dyp = dy + cb * ohw;
    float *dxp = dx + cb * hw;
    zero(dxp, hw);
    if (halve) {
      for (size_t oh = 0; oh < g->ho; oh++) {
        float *r0 = dxp + 2 * oh * g->w, *r1 = r0 + g->w;
        for (size_t ow = 0; ow < g->wo; ow++) {
          float v = dyp[oh * g->wo + ow] * 0.25f;
          r0[2 * ow] = v, r0[2 * ow + 1] = v, r1[2 * ow] = v, r1[2 * ow + 1] = v;
        }
      }
      continue;
    }
    for (size_t oh = 0; oh < g->ho; oh++) {
      size_t h0, h1;
      window(oh, g, g->h, &h0, &h1);
      for (size_t ow = 0; ow < g->wo; ow++) {
        size_t w0, w1;
        window(ow, g, g->w, &w0, &w1);
        float v = dyp[oh * g->wo + ow] / kk;
        for (size_t ih = h0; ih < h1; ih++)
          for (size_t iw = w0; iw < w1; iw++) dxp[ih * g->w + iw] += v;
      }
    }
  }
}

void K(global_avg_pool_backward)(size_t c, size_t n, size_t hw, size_t c0, size_t c1, const float *dy, float *dx) {
  for (size_t ch = c0; ch < c1; ch++)
    for (size_t b = 0; b < n; b++) {
      float v = (float)((double)dy[b * c + ch] / (double)hw), *d = dx + (ch * n + b) * hw;
      vf vv = splat(v);
      size_t i = 0;
      for (; i + VL <= hw; i += VL) store_u(d + i, vv);
      for (; i < hw; i++) d[i] = v;
    }
}
