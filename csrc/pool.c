/*
 * pool.c: max, average and global average pooling on CNHW maps, PyTorch semantics: max pooling ignores
 * padding (padded cells are -inf), average pooling counts padded cells in the divisor
 * (count_include_pad=True), global pooling writes row-major y [n][c] for the classifier. Forward only.
 * Plain loops: these ops move little data next to the convolutions (DenseNet: 2 pools + 3 transitions).
 */
#include "kernels.h"

/* Clip window [o*s - pad, o*s - pad + k) to [0, size): first and one-past-last input index. */
static void window(size_t o, const struct dn_pool *g, size_t size, size_t *lo, size_t *hi) {
  ptrdiff_t a = (ptrdiff_t)(o * g->stride) - (ptrdiff_t)g->pad, b = a + (ptrdiff_t)g->k;
  *lo = a < 0 ? 0 : (size_t)a;
  *hi = b > (ptrdiff_t)size ? size : (b < 0 ? 0 : (size_t)b);
  if (*hi < *lo) *hi = *lo;
}

void K(max_pool)(const struct dn_pool *g, size_t c0, size_t c1, const float *x, float *y) {
  size_t hw = g->h * g->w, ohw = g->ho * g->wo;
  for (size_t cb = c0 * g->n; cb < c1 * g->n; cb++) { /* one (channel, image) plane at a time */
    const float *xp = x + cb * hw;
    float *yp = y + cb * ohw;
    for (size_t oh = 0; oh < g->ho; oh++) {
      size_t h0, h1;
      window(oh, g, g->h, &h0, &h1);
      for (size_t ow = 0; ow < g->wo; ow++) {
        size_t w0, w1;
        window(ow, g, g->w, &w0, &w1);
        float m = -__builtin_inff();
        for (size_t ih = h0; ih < h1; ih++)
          for (size_t iw = w0; iw < w1; iw++) {
            float v = xp[ih * g->w + iw];
            if (v > m || v != v) m = v; /* NaN propagates, as in PyTorch */
          }
        yp[oh * g->wo + ow] = m;
      }
    }
  }
}

void K(avg_pool)(const struct dn_pool *g, size_t c0, size_t c1, const float *x, float *y) {
  size_t hw = g->h * g->w, ohw = g->ho * g->wo;
  /* 2x2 stride 2 (DenseNet's transitions): 1.4 vs 11.7 ms for the generic loop at [108][64][32][32] */
  int halve = g->k == 2 && g->stride == 2 && g->pad == 0;
  for (size_t cb = c0 * g->n; cb < c1 * g->n; cb++) {
    const float *xp = x + cb * hw;
    float *yp = y + cb * ohw;
    if (halve) {
      for (size_t oh = 0; oh < g->ho; oh++) {
        const float *r0 = xp + 2 * oh * g->w, *r1 = r0 + g->w;
        for (size_t ow = 0; ow < g->wo; ow++)
          yp[oh * g->wo + ow] = (r0[2 * ow] + r0[2 * ow + 1] + r1[2 * ow] + r1[2 * ow + 1]) / 4.0f;
      }
      continue;
    }
    for (size_t oh = 0; oh < g->ho; oh++) {
      size_t h0, h1;
      window(oh, g, g->h, &h0, &h1);
      /* divisor: the window clipped to the padded image (count_include_pad=True) */
      ptrdiff_t ph0 = (ptrdiff_t)(oh * g->stride) - (ptrdiff_t)g->pad;
      ptrdiff_t ph1 = ph0 + (ptrdiff_t)g->k, hmax = (ptrdiff_t)(g->h + g->pad);
      size_t dh = (size_t)((ph1 < hmax ? ph1 : hmax) - ph0);
      for (size_t ow = 0; ow < g->wo; ow++) {
        size_t w0, w1;
        window(ow, g, g->w, &w0, &w1);
        ptrdiff_t pw0 = (ptrdiff_t)(ow * g->stride) - (ptrdiff_t)g->pad;
        ptrdiff_t pw1 = pw0 + (ptrdiff_t)g->k, wmax = (ptrdiff_t)(g->w + g->pad);
        size_t dw = (size_t)((pw1 < wmax ? pw1 : wmax) - pw0);
        float s = 0.0f;
        for (size_t ih = h0; ih < h1; ih++)
          for (size_t iw = w0; iw < w1; iw++) s += xp[ih * g->w + iw];
        yp[oh * g->wo + ow] = s / (float)(dh * dw);
      }
    }
  }
}

void K(global_avg_pool)(size_t c, size_t n, size_t hw, size_t c0, size_t c1, const float *x, float *y) {
  for (size_t ch = c0; ch < c1; ch++)
    for (size_t b = 0; b < n; b++) {
      const float *xp = x + (ch * n + b) * hw;
      vf acc = (vf){0};
      size_t i = 0;
      for (; i + VL <= hw; i += VL) acc += load_u(xp + i);
      float s = 0.0f;
      for (int l = 0; l < VL; l++) s += acc[l];
      for (; i < hw; i++) s += xp[i];
      y[b * c + ch] = s / (float)hw;
    }
}
