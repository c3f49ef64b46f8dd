/*
 * pool.c: max, average and global average pooling on CNHW maps, PyTorch semantics: max pooling ignores
 * padding (padded cells are -inf) and propagates NaN, average pooling counts padded cells in the divisor
 * (count_include_pad=True), global pooling writes row-major y [n][c] for the classifier. Forward only.
 * Max and average pooling may read x through a per-channel BN-ReLU (dn_pool.pre_scale), so a transition's
 * normalised copy of its block never exists. Each output row is two passes: the window's rows reduced
 * vertically (vectorised, transform applied) into a stack buffer, then the horizontal window over it.
 * Measured (2 threads, avx512, shared machine, medians of A/B runs): the stem's 3x3/2 pad 1 max pool on
 * [64][1][112][112] 0.12 ms vs 6.3 ms for the former per-pixel window() loop; a transition's BN-ReLU + 2x2/2
 * average on [256][1][56][56] fused 0.17 ms vs 0.42 ms for scaleShift then pool (batch 8: 1.6 vs 7.5-12 ms).
 */
#include "kernels.h"

#define POOL_BUF 512 /* floats of one vertically reduced row chunk (on the stack) */

/* Clip window [o*s - pad, o*s - pad + k) to [0, size): first and one-past-last input index. */
static void window(size_t o, const struct dn_pool *g, size_t size, size_t *lo, size_t *hi) {
  ptrdiff_t a = (ptrdiff_t)(o * g->stride) - (ptrdiff_t)g->pad, b = a + (ptrdiff_t)g->k;
  *lo = a < 0 ? 0 : (size_t)a;
  *hi = b > (ptrdiff_t)size ? size : (b < 0 ? 0 : (size_t)b);
  if (*hi < *lo) *hi = *lo;
}

/* NaN-propagating max, as PyTorch: a when a > b or a is NaN, else b (so a NaN b also wins) */
INLINE float maxn(float a, float b) { return a > b || a != a ? a : b; }
INLINE vf maxn_v(vf a, vf b) { return select_v((a > b) | (a != a), a, b); }

/* the input transform (pre_apply's math; ReLU maps NaN to 0 like scale_shift.c); identity when !pre */
INLINE float tf(int pre, float v, float a, float b, int relu) {
  if (!pre) return v;
  v = v * a + b;
  return relu && !(v > 0.0f) ? 0.0f : v;
}
INLINE vf tf_v(int pre, vf v, vf a, vf b, int relu) {
  if (!pre) return v;
  v = v * a + b;
  return relu ? relu_v(v) : v;
}

/* d[j] = max or sum over rows [h0, h1) of x'[row][j], j < len; xp points at column 0 of the chunk */
INLINE void reduce_rows(int is_max, int pre, const float *xp, size_t w, size_t h0, size_t h1, size_t len, float a,
                        float b, int relu, float *d) {
  vf av = splat(a), bv = splat(b);
  size_t j = 0;
  for (; j + VL <= len; j += VL) {
    const float *p = xp + h0 * w + j;
    vf m = tf_v(pre, load_u(p), av, bv, relu);
    for (size_t r = h0 + 1; r < h1; r++) {
      vf v = tf_v(pre, load_u(p += w), av, bv, relu);
      m = is_max ? maxn_v(m, v) : m + v;
    }
    store_u(d + j, m);
  }
  for (; j < len; j++) {
    const float *p = xp + h0 * w + j;
    float m = tf(pre, *p, a, b, relu);
    for (size_t r = h0 + 1; r < h1; r++) {
      float v = tf(pre, *(p += w), a, b, relu);
      m = is_max ? maxn(m, v) : m + v;
    }
    d[j] = m;
  }
}

/* One (channel, image) plane. Windows wider than POOL_BUF / 2 take a plain per-pixel loop. */
INLINE void pool_plane(const struct dn_pool *g, int is_max, int pre, float a, float b, const float *xp, float *yp) {
  const size_t k = g->k, s = g->stride, w = g->w;
  const float fill = is_max ? -__builtin_inff() : 0.0f, div = (float)(k * k);
  const int relu = g->pre_relu;
  float buf[POOL_BUF];
  for (size_t oh = 0; oh < g->ho; oh++) {
    size_t h0, h1;
    window(oh, g, g->h, &h0, &h1);
    float *yr = yp + oh * g->wo;
    if (2 * k > POOL_BUF) {
      for (size_t ow = 0; ow < g->wo; ow++) {
        size_t w0, w1;
        window(ow, g, w, &w0, &w1);
        float m = fill;
        for (size_t ih = h0; ih < h1; ih++)
          for (size_t iw = w0; iw < w1; iw++) {
            float v = tf(pre, xp[ih * w + iw], a, b, relu);
            m = is_max ? maxn(v, m) : m + v;
          }
        yr[ow] = is_max ? m : m / div;
      }
      continue;
    }
    const size_t chunk = (POOL_BUF - k) / s + 1; /* outputs per buffer: (chunk - 1) * s + k <= POOL_BUF */
    for (size_t ow0 = 0; ow0 < g->wo; ow0 += chunk) {
      size_t nout = min_sz(chunk, g->wo - ow0), len = (nout - 1) * s + k;
      ptrdiff_t c0 = (ptrdiff_t)(ow0 * s) - (ptrdiff_t)g->pad; /* buf[j] is input column c0 + j */
      size_t lo = c0 < 0 ? (size_t)-c0 : 0, hi = min_sz(len, (size_t)((ptrdiff_t)w - c0));
      for (size_t j = 0; j < lo; j++) buf[j] = fill; /* padding: never the max, zero in the sum */
      for (size_t j = hi; j < len; j++) buf[j] = fill;
      reduce_rows(is_max, pre, xp + c0 + (ptrdiff_t)lo, w, h0, h1, hi - lo, a, b, relu, buf + lo);
      float *yo = yr + ow0;
      if (is_max && k == 3 && s == 2) { /* DenseNet's and ResNet's stem */
        for (size_t i = 0; i < nout; i++) yo[i] = maxn(maxn(buf[2 * i], buf[2 * i + 1]), buf[2 * i + 2]);
      } else {
        for (size_t i = 0; i < nout; i++) {
          const float *q = buf + i * s;
          float m = q[0];
          for (size_t t = 1; t < k; t++) m = is_max ? maxn(m, q[t]) : m + q[t];
          yo[i] = is_max ? m : m / div;
        }
      }
    }
  }
}

/* 4-float vectors whatever VL is: DenseNet's transition maps are narrow (56, 28, 14 wide) */
typedef float v4 __attribute__((vector_size(16)));
typedef float v4u __attribute__((vector_size(16), aligned(4), __may_alias__));
typedef int v4i __attribute__((vector_size(16)));
INLINE v4 tf4(int pre, const float *p, v4 a, v4 b, int relu) {
  v4 v = *(const v4u *)p;
  if (!pre) return v;
  v = v * a + b;
  return relu ? (v4)((v4i)v & (v > (v4){0})) : v;
}

/*
 * Average 2x2 stride 2 (DenseNet's transitions) straight from the two input rows, 4 outputs at a time
 * (column pairs split by shuffles). Through the row buffer the narrow rows are mostly scalar tails:
 * [1024][1][14][14] with BN-ReLU took 0.145 ms there, 0.075 here (unfused scaleShift + pool: 0.099).
 */
INLINE void avg_halve(const struct dn_pool *g, int pre, float a, float b, const float *xp, float *yp) {
  const int relu = g->pre_relu;
  const v4 a4 = a - (v4){0}, b4 = b - (v4){0};
  for (size_t oh = 0; oh < g->ho; oh++) {
    const float *r0 = xp + 2 * oh * g->w, *r1 = r0 + g->w;
    float *yr = yp + oh * g->wo;
    size_t ow = 0;
    for (; ow + 4 <= g->wo; ow += 4) { /* reads columns [2ow, 2ow + 8) <= 2wo <= w */
      v4 s0 = tf4(pre, r0 + 2 * ow, a4, b4, relu) + tf4(pre, r1 + 2 * ow, a4, b4, relu);
      v4 s1 = tf4(pre, r0 + 2 * ow + 4, a4, b4, relu) + tf4(pre, r1 + 2 * ow + 4, a4, b4, relu);
      v4 e = __builtin_shufflevector(s0, s1, 0, 2, 4, 6), o = __builtin_shufflevector(s0, s1, 1, 3, 5, 7);
      *(v4u *)(yr + ow) = (e + o) * 0.25f;
    }
    for (; ow < g->wo; ow++)
      yr[ow] = (tf(pre, r0[2 * ow], a, b, relu) + tf(pre, r1[2 * ow], a, b, relu) + tf(pre, r0[2 * ow + 1], a, b, relu) +
                tf(pre, r1[2 * ow + 1], a, b, relu)) * 0.25f;
  }
}

INLINE void pool_channels(const struct dn_pool *g, int is_max, size_t c0, size_t c1, const float *x, float *y) {
  size_t hw = g->h * g->w, ohw = g->ho * g->wo;
  int halve = !is_max && g->k == 2 && g->stride == 2 && g->pad == 0;
  for (size_t cb = c0 * g->n; cb < c1 * g->n; cb++) { /* one (channel, image) plane at a time */
    const float *xp = x + cb * hw;
    float *yp = y + cb * ohw;
    int pre = g->pre_scale != 0;
    float a = pre ? g->pre_scale[cb / g->n] : 1.0f, b = pre ? g->pre_shift[cb / g->n] : 0.0f;
    if (halve && pre) avg_halve(g, 1, a, b, xp, yp);
    else if (halve) avg_halve(g, 0, a, b, xp, yp);
    else if (pre) pool_plane(g, is_max, 1, a, b, xp, yp);
    else pool_plane(g, is_max, 0, a, b, xp, yp);
  }
}

void K(max_pool)(const struct dn_pool *g, size_t c0, size_t c1, const float *x, float *y) {
  pool_channels(g, 1, c0, c1, x, y);
}

void K(avg_pool)(const struct dn_pool *g, size_t c0, size_t c1, const float *x, float *y) {
  pool_channels(g, 0, c0, c1, x, y);
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
