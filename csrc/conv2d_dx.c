/*
 * conv2d_dx.c: a convolution's input gradient, dx[cin][n*h*w] += conv_transpose(dy, w), ACCUMULATED (or
 * overwritten: beta = 0, or cleared before col2im, when the caller asks).
 * Stride 1, square kernel, pad <= k-1 (every DenseNet conv): dx is the convolution of dy [cout][n][ho][wo]
 * with the flipped, transposed weight w'[ci][co][k-1-i][k-1-j] and pad k-1-pad, so it is one GEMM with the
 * forward's fused im2col packing (gemm.c; a_flip packs w' from w, no copy) and beta = 1; for 1x1 it reads dy
 * directly (dispatch.c sends the ones with few input channels to conv_s1.c, the same convolution on padded
 * planes). Other strides: dcol = w^T . dy over column chunks of one image in scratch, then col2im.
 */
#include "kernels.h"

#define DCOL_FLOATS (256 * 1024) /* col2im path: the dcol chunk, after the GEMM's own scratch */

size_t K(bwd_scratch_floats)(void) { return K(gemm_scratch_floats)() + DCOL_FLOATS; }

/* dx rows [r0, r1), columns [n0, n1) of [cin][n*h*w]: one GEMM over the transposed convolution. */
static void dx_as_conv(const struct dn_conv *g, const float *w, const float *dy, float *dx, size_t r0, size_t r1,
                       size_t n0, size_t n1, int overwrite, float *scratch) {
  size_t t = g->kh * g->kw, cols = g->n * g->h * g->w;
  struct dn_conv tc = conv_dx_geometry(g);
  int direct = t == 1; /* then pad = 0 too: dx += w^T . dy */
  struct dn_gemm gg = {
      .trans_a = 1, .m = r1 - r0, .n = cols, .k = g->cout * t, .a = w + r0 * t, .lda = g->cin * t,
      .b = dy, .ldb = cols, .im2col = direct ? 0 : &tc, .a_flip = t, .beta = overwrite ? 0.0f : 1.0f, .c = dx + r0 * cols, .ldc = cols,
  };
  K(gemm_part)(&gg, n0, n1, scratch);
}

/* dx[ci][b] += col2im(dcol) for rows (ci, i, j) of ci in [c0, c1), output columns [q0, q0+nq) of image b. */
static void col2im_add(const struct dn_conv *g, const float *dcol, size_t c0, size_t c1, size_t b, size_t q0,
                       size_t nq, float *dx) {
  size_t khw = g->kh * g->kw, hw = g->h * g->w;
  for (size_t ci = c0; ci < c1; ci++) {
    float *xp = dx + (ci * g->n + b) * hw;
    for (size_t t = 0; t < khw; t++) {
      const float *src = dcol + ((ci - c0) * khw + t) * nq;
      ptrdiff_t ki = (ptrdiff_t)(t / g->kw) - (ptrdiff_t)g->pad, kj = (ptrdiff_t)(t % g->kw) - (ptrdiff_t)g->pad;
      size_t oh = q0 / g->wo, ow = q0 % g->wo;
      for (size_t q = 0; q < nq; q++) {
        ptrdiff_t ih = (ptrdiff_t)(oh * g->stride) + ki, iw = (ptrdiff_t)(ow * g->stride) + kj;
        if (ih >= 0 && ih < (ptrdiff_t)g->h && iw >= 0 && iw < (ptrdiff_t)g->w) xp[(size_t)ih * g->w + (size_t)iw] += src[q];
        if (++ow == g->wo) ow = 0, oh++;
      }
    }
  }
}

/* dx rows [r0, r1), images [b0, b1): dcol = w^T . dy in chunks that fit DCOL_FLOATS, each folded by col2im. */
static void dx_col2im(const struct dn_conv *g, const float *w, const float *dy, float *dx, size_t r0, size_t r1,
                      size_t b0, size_t b1, int overwrite, float *scratch) {
  size_t khw = g->kh * g->kw, ohw = g->ho * g->wo, cols = g->n * ohw;
  if (overwrite) /* col2im adds: clear this part's images of its channels first */
    for (size_t ci = r0; ci < r1; ci++)
      for (size_t i = (ci * g->n + b0) * g->h * g->w, e = (ci * g->n + b1) * g->h * g->w; i < e; i++) dx[i] = 0.0f;
  float *dcol = scratch + K(gemm_scratch_floats)();
  /* a block of channels and a chunk of columns whose dcol fits: prefer whole images, at least 16 columns */
  size_t nq = min_sz(ohw, max_sz(16, DCOL_FLOATS / ((r1 - r0) * khw)));
  size_t cb = max_sz(1, min_sz(r1 - r0, DCOL_FLOATS / (nq * khw)));
  for (size_t b = b0; b < b1; b++)
    for (size_t q0 = 0; q0 < ohw; q0 += nq) {
      size_t qn = min_sz(nq, ohw - q0);
      for (size_t c0 = r0; c0 < r1; c0 += cb) {
        size_t c1 = min_sz(r1, c0 + cb);
        struct dn_gemm gg = {
            .trans_a = 1, .m = (c1 - c0) * khw, .n = qn, .k = g->cout, .a = w + c0 * khw, .lda = g->cin * khw,
            .b = dy + b * ohw + q0, .ldb = cols, .beta = 0.0f, .c = dcol, .ldc = qn,
        };
        K(gemm_part)(&gg, 0, qn, scratch);
        col2im_add(g, dcol, c0, c1, b, q0, qn, dx);
      }
    }
}

void K(conv2d_dx_part)(const struct dn_conv *g, const float *w, const float *dy, float *dx, size_t r0, size_t r1,
                       size_t n0, size_t n1, int overwrite, float *scratch) {
  if (r0 >= r1 || n0 >= n1) return;
  if (conv_dx_as_conv(g)) dx_as_conv(g, w, dy, dx, r0, r1, n0, n1, overwrite, scratch);
  else dx_col2im(g, w, dy, dx, r0, r1, n0, n1, overwrite, scratch);
}
