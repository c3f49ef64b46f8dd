/*
 * kernels.h: the geometry structs and the table of kernel entry points one ISA build provides.
 * Every kernel computes a slice of its op ([n0, n1) of GEMM columns, [c0, c1) of channels, ...) so a caller
 * (the pthread pool in dispatch.c, or wasm workers later) can split work; the kernels themselves never
 * create threads or allocate. Shapes follow src/backend/backend.ts (CNHW feature maps, PyTorch weights).
 */
#ifndef DN_KERNELS_H
#define DN_KERNELS_H
#include "common.h"

/* Convolution: x [cin][n][h][w], w [cout][cin][kh][kw], y [cout][n][ho][wo]; groups 1, dilation 1. */
struct dn_conv {
  size_t n, cin, h, w, cout, kh, kw, stride, pad, ho, wo;
  /* Optional input transform (backend.ts, conv2d `pre`): when pre_scale is set, the convolution reads
   * x'[ci][.] = x * pre_scale[ci] + pre_shift[ci] (then max(0, .) if pre_relu) instead of x, and zero padding
   * stays zero (the padding of x', not of x). Applied wherever x is read: B packing (1x1 direct and im2col),
   * the padded planes of conv_s1.c and conv2d_dw.c, and the dw dot products. Input gradients (dx) ignore it. */
  const float *pre_scale, *pre_shift;
  int pre_relu;
  /* The caller allows Winograd F(4x4,3x3) for this forward (conv_wino.c, where it applies and wins): inference.
   * Its rounding (1e-5 of the output scale) is fine there; training keeps the direct path (dispatch.c says why). */
  int winograd;
};

/* x' of one value of input channel ci (see dn_conv) */
INLINE float pre_apply(const struct dn_conv *g, size_t ci, float v) {
  float t = v * g->pre_scale[ci] + g->pre_shift[ci];
  return g->pre_relu && !(t > 0.0f) ? 0.0f : t;
}

/* Pooling over a k x k window: x [c][n][h][w] -> y [c][n][ho][wo]. */
struct dn_pool {
  size_t c, n, h, w, k, stride, pad, ho, wo;
  /* Optional input transform of the forward (backend.ts pooling `pre`), as dn_conv's: pooling reads
   * x' = x * pre_scale[c] + pre_shift[c] (then max(0, .) if pre_relu); padded cells follow the pooling's own
   * rule on x' (max: never win; average: zeros in the divisor). Backward kernels ignore it. */
  const float *pre_scale, *pre_shift;
  int pre_relu;
};

/*
 * c[m][n] = op(a)[m][k] . op(b)[k][n] + beta * c, beta in {0, 1}, row-major with leading dimensions.
 * op(a) = a stored [m][k] (lda >= k) or, when trans_a, stored [k][m]; likewise op(b) = b [k][n] or [n][k].
 * When im2col is set, b is a CNHW image x and op(b) is its im2col matrix [cin*kh*kw][n*ho*wo], never
 * materialised: the packing step reads it straight from x (trans_b and ldb are then ignored).
 */
struct dn_gemm {
  int trans_a, trans_b;
  size_t m, n, k;
  const float *a;
  size_t lda;
  const float *b;
  size_t ldb;
  const struct dn_conv *im2col;
  /* a_flip = T > 0 (a convolution's input gradient, conv2d_dx.c): op(A)[i][p] is the flipped, transposed
   * weight a[(p / T) * lda + i * T + T - 1 - p % T] (a = w [cout][cin][T], lda = cin * T); trans_a is ignored */
  size_t a_flip;
  /* pre: set (with im2col null) when b [k][n] is a 1x1 convolution's input x: row p of b is input channel p,
   * read through pre's input transform (dn_conv.pre_scale). With im2col, that geometry's transform applies. */
  const struct dn_conv *pre;
  /* pre_a: set when a [m][k] (not transposed, no a_flip) holds input channels as rows: row i of op(A) is read
   * through pre_a's input transform of channel i (pre_scale[i], ...), as a 1x1 convolution's weight gradient
   * (conv2d_dw.c) needs. Callers offset pre_scale/pre_shift to the first row. */
  const struct dn_conv *pre_a;
  float beta;
  float *c;
  size_t ldc;
};

/*
 * A 1x1 stride-1 convolution's input gradient fused with the training BN(+ReLU) backward in front of it
 * (conv1x1_bn_backward.c): w [cout][c], dy [cout][s], x [c][s] (the BN's input), per-channel mean, inv_std,
 * gamma, beta [c]; dx [c][s] accumulates.
 */
struct dn_bn1x1 {
  size_t c, s, cout;
  const float *w, *dy, *x, *mean, *inv_std, *gamma, *beta;
  int relu;
  float *dx;
  /* optional: the convolution's weight gradient dw [cout][c] = dy . x'^T (overwritten) from the same reads of x,
   * x' = x * pre_scale + pre_shift (max 0 if pre_relu) when pre_scale is set, else x */
  float *dw;
  const float *pre_scale, *pre_shift;
  int pre_relu;
};

/*
 * A stride-1 convolution on padded flat images (conv_s1.c): y (+)= op(A) . im2col(x) (+ bias when beta = 0),
 * op(A) [cout][cin*kh*kw] = a[m*lda + kk], or with a_flip as in dn_gemm (an input gradient: x = dy, y = dx).
 */
struct dn_s1 {
  const struct dn_conv *g;
  const float *x, *a;
  size_t lda, a_flip;
  const float *bias;
  float beta;
  float *y;
};

struct dn_kernels {
  const char *isa;
  size_t (*gemm_nr)(void);             /* GEMM column tile: thread splits of columns are multiples of it */
  size_t (*gemm_scratch_floats)(void); /* per-thread scratch (packed panels) gemm_part needs, in floats */
  /* columns [n0, n1) of c; scratch: scratch_floats floats, 64-byte aligned, owned by the calling thread */
  void (*gemm_part)(const struct dn_gemm *g, size_t n0, size_t n1, float *scratch);
  /* output columns [n0, n1) of y viewed as [cout][n*ho*wo]; bias may be 0 */
  void (*conv2d_part)(const struct dn_conv *g, const float *x, const float *w, const float *bias, float *y,
                      size_t n0, size_t n1, float *scratch);
  /* y[n][out] = x[n][in] . w[out][in]^T + b, output features [o0, o1) */
  void (*linear_part)(size_t n, size_t in, size_t out, const float *x, const float *w, const float *b,
                      float *y, size_t o0, size_t o1, float *scratch);
  /* rows [c0, c1) of x, y [c][s]: y = x * scale[c] + shift[c], then max(0, .) if relu */
  void (*scale_shift)(size_t c0, size_t c1, size_t s, const float *x, const float *scale, const float *shift,
                      int relu, float *y);
  /* rows [c0, c1) of x [c][s]: mean and biased variance */
  void (*channel_stats)(size_t c0, size_t c1, size_t s, const float *x, float *mean, float *var);
  /* elements [i0, i1) */
  void (*relu)(size_t i0, size_t i1, const float *x, float *y);
  void (*dropout)(size_t i0, size_t i1, const float *x, const u8 *keep, double q, float *y); /* q = 1 - p */
  /* channels [c0, c1) */
  void (*max_pool)(const struct dn_pool *g, size_t c0, size_t c1, const float *x, float *y);
  void (*avg_pool)(const struct dn_pool *g, size_t c0, size_t c1, const float *x, float *y);
  /* x [c][n][hw] -> y [n][c], channels [c0, c1) */
  void (*global_avg_pool)(size_t c, size_t n, size_t hw, size_t c0, size_t c1, const float *x, float *y);
  /* rows [r0, r1) of x, y [rows][k] */
  void (*softmax)(size_t r0, size_t r1, size_t k, const float *x, float *y);

  /* Backward (training). Per-thread scratch for these: bwd_scratch_floats (>= gemm_scratch_floats). */
  size_t (*bwd_scratch_floats)(void);
  /* dx [cin][n*h*w] += conv_transpose(dy, w) (dx = ... when overwrite) for input channels [r0, r1) and, when
   * conv_dx_as_conv(g), columns [n0, n1) of dx, else images [n0, n1) */
  void (*conv2d_dx_part)(const struct dn_conv *g, const float *w, const float *dy, float *dx, size_t r0, size_t r1,
                         size_t n0, size_t n1, int overwrite, float *scratch);
  /* dw [cout][cin*kh*kw] = dy . im2col(x)^T, columns [j0, j1) of dw (overwritten) */
  void (*conv2d_dw_part)(const struct dn_conv *g, const float *x, const float *dy, float *dw, size_t j0, size_t j1,
                         float *scratch);
  /* out[r] = sum of row r of x [rows][s], rows [r0, r1) (conv bias gradient) */
  void (*row_sums)(size_t r0, size_t r1, size_t s, const float *x, float *out);
  /* out[j] = sum_r x[r][j], x [rows][cols], columns [j0, j1) (linear bias gradient) */
  void (*col_sums)(size_t rows, size_t cols, size_t j0, size_t j1, const float *x, float *out);
  /* batch norm (+ReLU) backward over channels [c0, c1): dgamma, dbeta overwritten, dx accumulated (or
   * overwritten when overwrite) */
  void (*batch_norm_backward)(size_t c0, size_t c1, size_t s, const float *x, const float *mean, const float *inv_std,
                              const float *gamma, const float *beta, int relu, const float *dy, float *dx,
                              float *dgamma, float *dbeta, int overwrite);
  /* elements [i0, i1): dx = y > 0 ? dy : 0 (dx may alias dy) */
  void (*relu_backward)(size_t i0, size_t i1, const float *y, const float *dy, float *dx);
  /* channels [c0, c1), dx overwritten */
  void (*max_pool_backward)(const struct dn_pool *g, size_t c0, size_t c1, const float *x, const float *dy, float *dx);
  void (*avg_pool_backward)(const struct dn_pool *g, size_t c0, size_t c1, const float *dy, float *dx);
  /* conv_s1.c: column tiles per image when it applies to g (stride 1, small cout, fits scratch), else 0;
   * conv_s1_part runs units [u0, u1) = (image, tile) pairs, unit = image * tiles + tile */
  size_t (*conv_s1_tiles)(const struct dn_conv *g);
  void (*conv_s1_part)(const struct dn_s1 *s, size_t u0, size_t u1, float *scratch);
  /* conv_wino.c: 3x3 stride-1 pad-1 convs by Winograd F(4x4, 3x3): 4x4 output tiles when it applies, else 0
   * (*lanes: tiles per vector, the unit a tile range starts at; *mr: rows per weight panel, likewise for rows);
   * conv_wino_part runs tiles [t0, t1) x output rows [r0, r1), same dn_s1 contract as conv_s1_part */
  size_t (*conv_wino_tiles)(const struct dn_conv *g, size_t *lanes, size_t *mr);
  void (*conv_wino_part)(const struct dn_s1 *s, size_t t0, size_t t1, size_t r0, size_t r1, float *scratch);
  /* dy [n][c] -> dx [c][n][hw], channels [c0, c1) */
  void (*global_avg_pool_backward)(size_t c, size_t n, size_t hw, size_t c0, size_t c1, const float *dy, float *dx);
  /* conv1x1_bn_backward.c: rows [r0, r1), columns [p0, p1); sums[r - r0] += sum dz, sums[r1 - r0 + r - r0] +=
   * sum dz*xhat; with f->dw, columns must be all of them, and dw's columns [r0, r1) are written */
  void (*conv1x1_bn_part)(const struct dn_bn1x1 *f, size_t r0, size_t r1, size_t p0, size_t p1, double *sums,
                          float *scratch);
  /* rows [c0, c1) of dx [c][s] += p[c] + q[c] * (x - mean[c]) */
  void (*bn_deferred_add)(size_t c0, size_t c1, size_t s, const float *x, const float *mean, const float *p,
                          const float *q, float *dx);
  /* fma_peak.c (benchmarks only): iters rounds of register-only FMAs, fma_peak_flops_per_iter flops each */
  float (*fma_peak)(size_t iters);
  size_t (*fma_peak_flops_per_iter)(void);
};

/*
 * A stride-1 convolution with a square kernel and pad <= k-1 has an input gradient that is itself a
 * convolution: dx = conv(dy, flipped w^T) with pad k-1-pad (conv2d_dx.c); others go through col2im.
 */
static inline int conv_dx_as_conv(const struct dn_conv *g) {
  return g->stride == 1 && g->kh == g->kw && g->pad < g->kh;
}
/* that convolution: input dy [cout][n][ho][wo], output dx [cin][n][h][w] */
static inline struct dn_conv conv_dx_geometry(const struct dn_conv *g) {
  struct dn_conv t = {.n = g->n, .cin = g->cout, .h = g->ho, .w = g->wo, .cout = g->cin, .kh = g->kh, .kw = g->kw,
                      .stride = 1, .pad = g->kh - 1 - g->pad, .ho = g->h, .wo = g->w};
  return t;
}

#define DN_DECLARE_KERNELS(suffix) extern const struct dn_kernels dn_kernels_##suffix;
DN_DECLARE_KERNELS(avx512)
DN_DECLARE_KERNELS(avx2)
DN_DECLARE_KERNELS(sse2)
DN_DECLARE_KERNELS(neon)
DN_DECLARE_KERNELS(simd128)
DN_DECLARE_KERNELS(generic)

/* linear_part at batch n <= this takes dot products over w's rows instead of the GEMM (linear.c) */
#define LINEAR_DOT_MAX 8

/* Per-ISA entry points, declared once here so table.c and the kernels agree on signatures. */
void K(gemm_part)(const struct dn_gemm *g, size_t n0, size_t n1, float *scratch);
size_t K(gemm_scratch_floats)(void);
size_t K(gemm_nr)(void);
void K(conv2d_part)(const struct dn_conv *g, const float *x, const float *w, const float *bias, float *y,
                    size_t n0, size_t n1, float *scratch);
void K(linear_part)(size_t n, size_t in, size_t out, const float *x, const float *w, const float *b, float *y,
                    size_t o0, size_t o1, float *scratch);
void K(scale_shift)(size_t c0, size_t c1, size_t s, const float *x, const float *scale, const float *shift,
                    int relu, float *y);
void K(channel_stats)(size_t c0, size_t c1, size_t s, const float *x, float *mean, float *var);
void K(relu)(size_t i0, size_t i1, const float *x, float *y);
void K(dropout)(size_t i0, size_t i1, const float *x, const u8 *keep, double q, float *y);
void K(max_pool)(const struct dn_pool *g, size_t c0, size_t c1, const float *x, float *y);
void K(avg_pool)(const struct dn_pool *g, size_t c0, size_t c1, const float *x, float *y);
void K(global_avg_pool)(size_t c, size_t n, size_t hw, size_t c0, size_t c1, const float *x, float *y);
void K(softmax)(size_t r0, size_t r1, size_t k, const float *x, float *y);
/* one row of the implicit im2col matrix, columns [j0, j0+nc), into d (nc + VL floats: may write VL-1 past) */
void K(im2col_row)(const struct dn_conv *cv, const float *x, size_t row, size_t j0, size_t nc, float *d);
/* small maps: tab[t][q] = offset in a channel plane of the pixel under tap t for column j0 + q, or -1 (padding);
 * then row `row` of the im2col matrix for those nc columns is a gather through it (im2col.c) */
void K(im2col_table)(const struct dn_conv *cv, size_t j0, size_t nc, int *tab);
void K(im2col_gather)(const struct dn_conv *cv, const float *x, size_t row, const int *tab, size_t nc, float *d);
size_t K(bwd_scratch_floats)(void);
void K(conv2d_dx_part)(const struct dn_conv *g, const float *w, const float *dy, float *dx, size_t r0, size_t r1,
                       size_t n0, size_t n1, int overwrite, float *scratch);
void K(conv2d_dw_part)(const struct dn_conv *g, const float *x, const float *dy, float *dw, size_t j0, size_t j1,
                       float *scratch);
void K(row_sums)(size_t r0, size_t r1, size_t s, const float *x, float *out);
void K(col_sums)(size_t rows, size_t cols, size_t j0, size_t j1, const float *x, float *out);
void K(batch_norm_backward)(size_t c0, size_t c1, size_t s, const float *x, const float *mean, const float *inv_std,
                            const float *gamma, const float *beta, int relu, const float *dy, float *dx, float *dgamma,
                            float *dbeta, int overwrite);
void K(relu_backward)(size_t i0, size_t i1, const float *y, const float *dy, float *dx);
void K(max_pool_backward)(const struct dn_pool *g, size_t c0, size_t c1, const float *x, const float *dy, float *dx);
void K(avg_pool_backward)(const struct dn_pool *g, size_t c0, size_t c1, const float *dy, float *dx);
void K(global_avg_pool_backward)(size_t c, size_t n, size_t hw, size_t c0, size_t c1, const float *dy, float *dx);
size_t K(conv_s1_tiles)(const struct dn_conv *g);
void K(conv_s1_part)(const struct dn_s1 *s, size_t u0, size_t u1, float *scratch);
size_t K(conv_wino_tiles)(const struct dn_conv *g, size_t *lanes, size_t *mr);
void K(conv_wino_part)(const struct dn_s1 *s, size_t t0, size_t t1, size_t r0, size_t r1, float *scratch);
void K(conv1x1_bn_part)(const struct dn_bn1x1 *f, size_t r0, size_t r1, size_t p0, size_t p1, double *sums,
                        float *scratch);
void K(bn_deferred_add)(size_t c0, size_t c1, size_t s, const float *x, const float *mean, const float *p,
                        const float *q, float *dx);
float K(fma_peak)(size_t iters);
size_t K(fma_peak_flops_per_iter)(void);

#endif
