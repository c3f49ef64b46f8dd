/*
 * im2col.c: the implicit im2col of a convolution input, built row by row where the GEMM packs it (gemm.c) and
 * where the weight gradient reads it (conv2d_dw.c); no im2col matrix is ever materialised. Two ways to build a
 * row: a segment walk over output rows (im2col_row), and for small maps an offset table built once per column
 * block and gathered through (im2col_table, im2col_gather). Both apply a convolution's input transform (pre)
 * to the copied pixels only, so the padding stays zero.
 */
#include "copy.h"

/* d[u] = src[2u] for u < n, in whole vectors (two loads, one even-lane shuffle) while the second load stays below
 * src_end, then one by one; writes only d[0, n). A stride-2 convolution's im2col row (the 7x7/2 stem), where the
 * scalar gather was ~1/4 of the stem. DenseNet-121 stem conv 3->64 at 224x224, 1 thread, process CPU time, min of
 * 11, three alternating runs each (bench/infer-shapes.ts --filter "stem 7x7" --threads 1 --cpu): batch 1 3.12-3.89 ->
 * 2.63-2.79 ms (76 -> 90 GFLOP/s), batch 8 24.9-27.3 -> 21.4-21.7 ms. */
#if VL == 16
#define EVEN_LANES 0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30
#elif VL == 8
#define EVEN_LANES 0, 2, 4, 6, 8, 10, 12, 14
#else
#define EVEN_LANES 0, 2, 4, 6
#endif
INLINE void copy_stride2(float *RESTRICT d, const float *RESTRICT src, size_t n, const float *src_end) {
  size_t u = 0;
  for (; u + VL <= n && src + 2 * u + 2 * VL <= src_end; u += VL)
    store_u(d + u, __builtin_shufflevector(load_u(src + 2 * u), load_u(src + 2 * u + VL), EVEN_LANES));
  for (; u < n; u++) d[u] = src[2 * u];
}

/*
 * Columns [j0, j0+nc) of row `row` of the im2col matrix (also used by conv2d_dw.c), into a contiguous buffer d (nc + VL floats):
 * op(B)[ci*kh*kw + i*kw + j][(b*ho + oh)*wo + ow] = x[ci][b][oh*s - pad + i][ow*s - pad + j], zero outside
 * the image. Works one output row (b, oh) at a time: zeros, a contiguous (stride 1) copy, zeros.
 */
void K(im2col_row)(const struct dn_conv *cv, const float *x, size_t row, size_t j0, size_t nc, float *RESTRICT d) {
  size_t khw = cv->kh * cv->kw, ci = row / khw, r = row % khw, ki = r / cv->kw, kj = r % cv->kw;
  size_t s = cv->stride, hw = cv->h * cv->w, ohw = cv->ho * cv->wo;
  const float *xc = x + ci * cv->n * hw, *x_end = x + cv->cin * cv->n * hw;
  size_t b = j0 / ohw, rem = j0 % ohw, oh = rem / cv->wo, ow = rem % cv->wo;
  /* valid ow range for this kj: 0 <= ow*s - pad + kj < w */
  ptrdiff_t pad = (ptrdiff_t)cv->pad, off = (ptrdiff_t)kj - pad;
  size_t ow_lo = off >= 0 ? 0 : (size_t)((-off + (ptrdiff_t)s - 1) / (ptrdiff_t)s);
  ptrdiff_t last = (ptrdiff_t)cv->w - 1 - off; /* ow*s <= last */
  size_t ow_hi = last < 0 ? 0 : min_sz(cv->wo, (size_t)last / s + 1);
  if (ow_lo > ow_hi) ow_lo = ow_hi;
  for (size_t q = 0; q < nc;) {
    size_t seg = min_sz(cv->wo - ow, nc - q);
    ptrdiff_t ih = (ptrdiff_t)(oh * s) - pad + (ptrdiff_t)ki;
    float *dq = d + q;
    if (ih < 0 || ih >= (ptrdiff_t)cv->h) {
      zero_over(dq, seg);
    } else {
      const float *src = xc + b * hw + (size_t)ih * cv->w;
      size_t lo = min_sz(max_sz(ow_lo, ow), ow + seg) - ow, hi = max_sz(min_sz(ow_hi, ow + seg), ow + lo) - ow;
      zero_over(dq, lo); /* zeros, copy, zeros: each may spill right, and the next overwrites the spill */
      if (cv->pre_scale) { /* the input transform on the copied pixels only: padding stays zero */
        if (s == 1)
          copy_over_pre(dq + lo, src + (ptrdiff_t)(ow + lo) + off, hi - lo, x_end, cv->pre_scale[ci],
                        cv->pre_shift[ci], cv->pre_relu);
        else
          for (size_t u = lo; u < hi; u++) dq[u] = pre_apply(cv, ci, src[(ptrdiff_t)((ow + u) * s) + off]);
      } else if (s == 1)
        copy_over(dq + lo, src + (ptrdiff_t)(ow + lo) + off, hi - lo, x_end);
      else if (s == 2 && hi > lo)
        copy_stride2(dq + lo, src + (ptrdiff_t)((ow + lo) * 2) + off, hi - lo, x_end);
      else
        for (size_t u = lo; u < hi; u++) dq[u] = src[(ptrdiff_t)((ow + u) * s) + off];
      zero_over(dq + hi, seg - hi);
    }
    q += seg;
    ow += seg;
    if (ow == cv->wo) {
      ow = 0;
      if (++oh == cv->ho) oh = 0, b++;
    }
  }
}

/*
 * Small maps (wo < TAB_WO, i.e. 7x7 and below): im2col by an offset table. tab[t][q] is the offset, inside one channel plane
 * of x [n][h][w], of the input pixel under kernel tap t = i*kw + j for output column j0 + q, or -1 in the
 * padding. Built once per column block; each im2col row is then one gather (vectorised by the compiler),
 * where the segment walk above would pay its per-output-row overhead every 7 or 14 floats.
 */
void K(im2col_table)(const struct dn_conv *cv, size_t j0, size_t nc, int *RESTRICT tab) {
  size_t hw = cv->h * cv->w, ohw = cv->ho * cv->wo;
  for (size_t t = 0; t < cv->kh * cv->kw; t++) {
    ptrdiff_t ki = (ptrdiff_t)(t / cv->kw), kj = (ptrdiff_t)(t % cv->kw), pad = (ptrdiff_t)cv->pad;
    size_t b = j0 / ohw, oh = j0 % ohw / cv->wo, ow = j0 % cv->wo;
    for (size_t q = 0; q < nc; q++) {
      ptrdiff_t ih = (ptrdiff_t)(oh * cv->stride) - pad + ki, iw = (ptrdiff_t)(ow * cv->stride) - pad + kj;
      int inside = ih >= 0 && ih < (ptrdiff_t)cv->h && iw >= 0 && iw < (ptrdiff_t)cv->w;
      tab[t * nc + q] = inside ? (int)(b * hw + (size_t)ih * cv->w + (size_t)iw) : -1;
      if (++ow == cv->wo) {
        ow = 0;
        if (++oh == cv->ho) oh = 0, b++;
      }
    }
  }
}

void K(im2col_gather)(const struct dn_conv *cv, const float *x, size_t row, const int *RESTRICT tab, size_t nc,
                      float *RESTRICT d) {
  size_t khw = cv->kh * cv->kw;
  const float *xc = x + row / khw * cv->n * cv->h * cv->w;
  const int *tr = tab + row % khw * nc;
  static const float zero = 0.0f;
  if (cv->pre_scale) { /* transformed pixels, zero padding */
    size_t ci = row / khw;
    float a = cv->pre_scale[ci], b = cv->pre_shift[ci];
    int relu = cv->pre_relu;
    for (size_t q = 0; q < nc; q++) {
      int o = tr[q];
      float t = *(o >= 0 ? xc + o : &zero) * a + b;
      t = relu && !(t > 0.0f) ? 0.0f : t;
      d[q] = o >= 0 ? t : 0.0f;
    }
    return;
  }
  for (size_t q = 0; q < nc; q++) {
    int o = tr[q];
    d[q] = *(o >= 0 ? xc + o : &zero); /* branch-free: a select of the address, then one load */
  }
}
