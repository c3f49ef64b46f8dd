/*
 * wasm_backward.c: the backward ops of the wasm module (wasm only, single-threaded), built on the forward
 * GEMM (gemm.c). Convolution: dW = dY . col^T and dcol = W^T . dY, then col2im, over column chunks of an
 * explicit im2col buffer the caller sizes (a 1x1 stride-1 convolution uses x itself). The math is that of
 * src/backend/reference/*-backward.ts (PyTorch autograd); sums of many terms accumulate in double.
 */
#include "kernels.h"

#define EXPORT(name) __attribute__((export_name(#name), visibility("default")))

int dn_wasm_winograd(void); /* wasm_exports.c */

static void gemm(int ta, int tb, size_t m, size_t n, size_t k, const float *a, size_t lda, const float *b, size_t ldb,
                 float beta, float *c, size_t ldc, float *scratch) {
  struct dn_gemm g = {
      .trans_a = ta, .trans_b = tb, .m = m, .n = n, .k = k, .a = a, .lda = lda,
      .b = b, .ldb = ldb, .im2col = 0, .beta = beta, .c = c, .ldc = ldc,
  };
  K(gemm_part)(&g, 0, n, scratch);
}

/*
 * Walks im2col columns [j0, j1) of row r = (ci, i, j): calls body(q, index into x or -1 in the padding).
 * op(B)[r][(b*ho + oh)*wo + ow] = x[ci][b][oh*s - pad + i][ow*s - pad + j].
 */
#define FOR_COL(g, r, j0, j1, q, xi, body)                                                                        \
  do {                                                                                                          \
    size_t khw_ = (g)->kh * (g)->kw, ci_ = (r) / khw_, ki_ = (r) % khw_ / (g)->kw, kj_ = (r) % (g)->kw;         \
    size_t ohw_ = (g)->ho * (g)->wo, b_ = (j0) / ohw_, oh_ = (j0) % ohw_ / (g)->wo, ow_ = (j0) % (g)->wo;       \
    for (size_t q = 0; q < (j1) - (j0); q++) {                                                                  \
      ptrdiff_t ih_ = (ptrdiff_t)(oh_ * (g)->stride + ki_) - (ptrdiff_t)(g)->pad;                               \
      ptrdiff_t iw_ = (ptrdiff_t)(ow_ * (g)->stride + kj_) - (ptrdiff_t)(g)->pad;                               \
      ptrdiff_t xi = ih_ >= 0 && ih_ < (ptrdiff_t)(g)->h && iw_ >= 0 && iw_ < (ptrdiff_t)(g)->w                 \
                         ? (ptrdiff_t)(((ci_ * (g)->n + b_) * (g)->h + (size_t)ih_) * (g)->w + (size_t)iw_)     \
                         : -1;                                                                                  \
      body;                                                                                                     \
      if (++ow_ == (g)->wo) {                                                                                   \
        ow_ = 0;                                                                                                \
        if (++oh_ == (g)->ho) oh_ = 0, b_++;                                                                    \
      }                                                                                                         \
    }                                                                                                           \
  } while (0)

/*
 * dy [cout][cols], cols = n*ho*wo. dx (+=), dw, db may be 0. col: kdim * chunk floats (unused for a direct
 * 1x1 convolution). dw accumulates over chunks through the GEMM's beta.
 */
EXPORT(dn_conv2d_backward)
void dn_conv2d_backward(size_t n, size_t cin, size_t h, size_t w, size_t cout, size_t kh, size_t kw, size_t stride,
                        size_t pad, size_t ho, size_t wo, const float *x, const float *weight, const float *dy,
                        float *dx, float *dw, float *db, float *col, size_t chunk, float *scratch) {
  struct dn_conv g = {n, cin, h, w, cout, kh, kw, stride, pad, ho, wo};
  size_t cols = n * ho * wo, kdim = cin * kh * kw;
  if (db)
    for (size_t co = 0; co < cout; co++) {
      double s = 0.0;
      for (size_t j = 0; j < cols; j++) s += dy[co * cols + j];
      db[co] = (float)s;
    }
  if (kh == 1 && kw == 1 && stride == 1 && pad == 0) { /* im2col(x) is x itself: [cin][cols] */
    if (dw) gemm(0, 1, cout, cin, cols, dy, cols, x, cols, 0.0f, dw, cin, scratch);
    if (dx) gemm(1, 0, cin, cols, cout, weight, cin, dy, cols, 1.0f, dx, cols, scratch);
    return;
  }
  struct dn_conv tc = conv_dx_geometry(&g);
  size_t lanes, mr, tiles = dx && dn_wasm_winograd() && conv_dx_as_conv(&g) ? K(conv_wino_tiles)(&tc, &lanes, &mr) : 0;
  if (tiles) { /* dx += the Winograd convolution of dy with the flipped transposed weight (conv_wino.c) */
    struct dn_s1 s = {&tc, dy, weight, kdim, kh * kw, 0, 1.0f, dx};
    K(conv_wino_part)(&s, 0, tiles, 0, tc.cout, scratch);
    dx = 0;
  }
  if (dw && cols == 0)
    for (size_t i = 0; i < cout * kdim; i++) dw[i] = 0.0f;
  for (size_t j0 = 0; j0 < cols; j0 += chunk) {
    size_t j1 = min_sz(cols, j0 + chunk), cw = j1 - j0;
    if (dw) {
      for (size_t r = 0; r < kdim; r++) {
        float *cr = col + r * cw;
        FOR_COL(&g, r, j0, j1, q, xi, cr[q] = xi >= 0 ? x[xi] : 0.0f);
      }
      gemm(0, 1, cout, kdim, cw, dy + j0, cols, col, cw, j0 > 0 ? 1.0f : 0.0f, dw, kdim, scratch);
    }
    if (dx) {
      gemm(1, 0, kdim, cw, cout, weight, kdim, dy + j0, cols, 0.0f, col, cw, scratch);
      for (size_t r = 0; r < kdim; r++) {
        const float *cr = col + r * cw;
        FOR_COL(&g, r, j0, j1, q, xi, if (xi >= 0) dx[xi] += cr[q]);
      }
    }
  }
}

/*
 * Batch norm (+ ReLU) backward over rows of x [c][s]; dgamma, dbeta overwritten, dx accumulates (overwritten
 * when overwrite). In double
 * throughout: dx = gamma*invStd * (dz - mean(dz) - xhat*mean(dz*xhat)) cancels heavily, and float here
 * drifted a 10-step SGD trajectory by 1e-3 against PyTorch's float64 run (test/optim/sgd.test.ts).
 */
EXPORT(dn_batch_norm_backward)
void dn_batch_norm_backward(size_t c, size_t s, const float *x, const float *mean, const float *inv_std,
                            const float *gamma, const float *beta, int relu, const float *dy, float *dx, float *dgamma,
                            float *dbeta, int overwrite) {
  for (size_t ch = 0; ch < c; ch++) {
    const float *xr = x + ch * s, *dyr = dy + ch * s;
    float *dxr = dx + ch * s;
    double mu = mean[ch], is = inv_std[ch], ga = gamma[ch], be = beta[ch];
    double sum_dz = 0.0, sum_dz_xhat = 0.0;
    for (size_t i = 0; i < s; i++) {
      double xhat = (xr[i] - mu) * is;
      double dz = relu && !(ga * xhat + be > 0.0) ? 0.0 : dyr[i];
      sum_dz += dz;
      sum_dz_xhat += dz * xhat;
    }
    dbeta[ch] = (float)sum_dz;
    dgamma[ch] = (float)sum_dz_xhat;
    double k = ga * is, m_dz = sum_dz / (double)s, m_dz_xhat = sum_dz_xhat / (double)s;
    for (size_t i = 0; i < s; i++) {
      double xhat = (xr[i] - mu) * is;
      double dz = relu && !(ga * xhat + be > 0.0) ? 0.0 : dyr[i];
      dxr[i] = (float)((overwrite ? 0.0 : dxr[i]) + k * (dz - m_dz - xhat * m_dz_xhat));
    }
  }
}

EXPORT(dn_relu_backward)
void dn_relu_backward(size_t size, const float *y, const float *dy, float *dx) {
  for (size_t i = 0; i < size; i++) dx[i] = y[i] > 0.0f ? dy[i] : 0.0f;
}

/* Each dy to the first maximum of its window in row-major order (NaN wins at once); dx overwritten. */
EXPORT(dn_max_pool_backward)
void dn_max_pool_backward(size_t c, size_t n, size_t h, size_t w, size_t k, size_t stride, size_t pad, size_t ho,
                          size_t wo, const float *x, const float *dy, float *dx) {
  size_t hw = h * w, planes = c * n;
  for (size_t i = 0; i < planes * hw; i++) dx[i] = 0.0f;
  for (size_t p = 0; p < planes; p++) {
    const float *xp = x + p * hw;
    float *dxp = dx + p * hw;
    for (size_t oh = 0; oh < ho; oh++)
      for (size_t ow = 0; ow < wo; ow++) {
        ptrdiff_t at = -1;
        float best = 0.0f;
        for (size_t i = 0; i < k; i++) {
          ptrdiff_t iy = (ptrdiff_t)(oh * stride + i) - (ptrdiff_t)pad;
          if (iy < 0 || iy >= (ptrdiff_t)h) continue;
          for (size_t j = 0; j < k; j++) {
            ptrdiff_t ix = (ptrdiff_t)(ow * stride + j) - (ptrdiff_t)pad;
            if (ix < 0 || ix >= (ptrdiff_t)w) continue;
            ptrdiff_t idx = iy * (ptrdiff_t)w + ix;
            float v = xp[idx];
            if (at < 0 || v > best || v != v) {
              best = v;
              at = idx;
              if (v != v) goto found;
            }
          }
        }
      found:
        if (at >= 0) dxp[at] += dy[(p * ho + oh) * wo + ow];
      }
  }
}

/* count_include_pad=True: every window divides by k*k (floor-mode windows never pass h + pad); dx overwritten. */
EXPORT(dn_avg_pool_backward)
void dn_avg_pool_backward(size_t c, size_t n, size_t h, size_t w, size_t k, size_t stride, size_t pad, size_t ho,
                          size_t wo, const float *dy, float *dx) {
  size_t hw = h * w, planes = c * n;
  for (size_t i = 0; i < planes * hw; i++) dx[i] = 0.0f;
  float area = (float)(k * k);
  for (size_t p = 0; p < planes; p++) {
    float *dxp = dx + p * hw;
    for (size_t oh = 0; oh < ho; oh++)
      for (size_t ow = 0; ow < wo; ow++) {
        float g = dy[(p * ho + oh) * wo + ow];
        for (size_t i = 0; i < k; i++) {
          ptrdiff_t iy = (ptrdiff_t)(oh * stride + i) - (ptrdiff_t)pad;
          if (iy < 0 || iy >= (ptrdiff_t)h) continue;
          for (size_t j = 0; j < k; j++) {
            ptrdiff_t ix = (ptrdiff_t)(ow * stride + j) - (ptrdiff_t)pad;
            if (ix >= 0 && ix < (ptrdiff_t)w) dxp[iy * (ptrdiff_t)w + ix] += g;
          }
        }
      }
    for (size_t i = 0; i < hw; i++) dxp[i] /= area;
  }
}

/* dy [n][c] -> dx [c][n][hw] = dy / hw */
EXPORT(dn_global_avg_pool_backward)
void dn_global_avg_pool_backward(size_t c, size_t n, size_t hw, const float *dy, float *dx) {
  for (size_t ch = 0; ch < c; ch++)
    for (size_t b = 0; b < n; b++) {
      float v = dy[b * c + ch] / (float)hw;
      float *d = dx + (ch * n + b) * hw;
      for (size_t i = 0; i < hw; i++) d[i] = v;
    }
}

/* dx [n][in] = dy . w; dw [out][in] = dy^T . x; db[o] = sum_r dy[r][o]. dx, db may be 0. */
EXPORT(dn_linear_backward)
void dn_linear_backward(size_t n, size_t in, size_t out, const float *x, const float *w, const float *dy, float *dx,
                        float *dw, float *db, float *scratch) {
  if (dx) gemm(0, 0, n, in, out, dy, out, w, in, 0.0f, dx, in, scratch);
  gemm(1, 0, out, in, n, dy, out, x, in, 0.0f, dw, in, scratch);
  if (db)
    for (size_t o = 0; o < out; o++) {
      double s = 0.0;
      for (size_t r = 0; r < n; r++) s += dy[r * out + o];
      db[o] = (float)s;
    }
}
