/*
 * padded.h: one image channel of a stride-1 convolution in "padded flat" form (conv_s1.c, conv2d_dw.c).
 * The plane holds `pad` zeros, then h + 2*pad rows of wp = w + pad floats (pad zero rows above and below;
 * each data row is followed by pad zeros, which also serve as the left padding of the next row), then zeros.
 * Output q = oh*wp + ow (ow < wo valid, ow in [wo, wp) garbage) under tap (i, j) reads plane[q + i*wp + j]:
 * every im2col row is the plane at a fixed offset, so no im2col is ever built. Requires pad <= k-1.
 */
#ifndef DN_PADDED_H
#define DN_PADDED_H
#include "copy.h"

INLINE size_t flat_wp(const struct dn_conv *g) { return g->w + g->pad; }
/* valid-or-garbage outputs of one image: q in [0, ho*wp) */
INLINE size_t flat_q(const struct dn_conv *g) { return g->ho * flat_wp(g); }
/* floats per plane when output columns are processed in steps of `round` (reads reach past ho*wp) */
INLINE size_t flat_plane(const struct dn_conv *g, size_t round) {
  return round_up(g->pad + (g->h + 2 * g->pad) * flat_wp(g) + round + g->kw, VL);
}

/* dst (plane floats) = the padded flat form of one h x w image channel src of input channel ci, through
 * g's input transform if any (kernels.h: the padding stays zero). */
INLINE void flat_fill(const struct dn_conv *g, size_t ci, const float *RESTRICT src, float *RESTRICT dst,
                      size_t plane) {
  size_t wp = flat_wp(g), p = g->pad, top = p + p * wp, i = 0;
  for (; i < top; i++) dst[i] = 0.0f;
  for (size_t r = 0; r < g->h; r++, src += g->w, i += wp) { /* src end src + w: exactly w floats each */
    if (g->pre_scale)
      copy_over_pre(dst + i, src, g->w, src + g->w, g->pre_scale[ci], g->pre_shift[ci], g->pre_relu);
    else
      copy_over(dst + i, src, g->w, src + g->w);
    for (size_t c = g->w; c < wp; c++) dst[i + c] = 0.0f;
  }
  for (; i < plane; i++) dst[i] = 0.0f;
}

/* dst[0, len) = plane[lo, lo + len) of flat_fill's plane (zeros past its end), built directly: a thread that
 * computes part of an image's outputs fills only the window its tiles read (conv_s1.c). */
INLINE void flat_fill_window(const struct dn_conv *g, size_t ci, const float *RESTRICT src, float *RESTRICT dst,
                             size_t lo, size_t len) {
  size_t wp = flat_wp(g), top = g->pad + g->pad * wp, hi = lo + len, p = lo;
  float a = g->pre_scale ? g->pre_scale[ci] : 1.0f, b = g->pre_scale ? g->pre_shift[ci] : 0.0f;
  int pre = g->pre_scale != 0, relu = pre && g->pre_relu;
  size_t r = p < top ? 0 : (p - top) / wp, base = top + r * wp; /* the data row at or after p, its start */
  while (p < hi) {
    float *d = dst + (p - lo); /* plane position p */
    size_t n;
    if (p < top || r >= g->h) { /* zero rows above or below the image */
      n = (p < top ? min_sz(top, hi) : hi) - p;
      for (size_t i = 0; i < n; i++) d[i] = 0.0f;
    } else if (p >= base + g->w) { /* the zeros after data row r */
      n = min_sz(base + wp, hi) - p;
      for (size_t i = 0; i < n; i++) d[i] = 0.0f;
      r++, base += wp;
    } else {
      const float *s = src + r * g->w + (p - base);
      n = min_sz(base + g->w, hi) - p;
      if (pre) /* src end s + n: exactly n floats read and written */
        copy_over_pre(d, s, n, s + n, a, b, relu);
      else
        copy_over(d, s, n, s + n);
    }
    p += n;
  }
}

/* dst (round_up(ho*wp, VL) floats) = one ho x wo output channel src in padded flat form, zeros at ow >= wo */
INLINE void flat_fill_out(const struct dn_conv *g, const float *RESTRICT src, float *RESTRICT dst) {
  size_t wp = flat_wp(g), i = 0;
  for (size_t r = 0; r < g->ho; r++, src += g->wo, i += wp) {
    size_t c = 0;
    for (; c + VL <= g->wo; c += VL) store_u(dst + i + c, load_u(src + c));
    for (; c < g->wo; c++) dst[i + c] = src[c];
    for (; c < wp; c++) dst[i + c] = 0.0f;
  }
  for (size_t e = round_up(i, VL); i < e; i++) dst[i] = 0.0f;
}

#endif
