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
};

/* Pooling over a k x k window: x [c][n][h][w] -> y [c][n][ho][wo]. */
struct dn_pool {
  size_t c, n, h, w, k, stride, pad, ho, wo;
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
  float beta;
  float *c;
  size_t ldc;
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
};

#define DN_DECLARE_KERNELS(suffix) extern const struct dn_kernels dn_kernels_##suffix;
DN_DECLARE_KERNELS(avx512)
DN_DECLARE_KERNELS(avx2)
DN_DECLARE_KERNELS(sse2)
DN_DECLARE_KERNELS(neon)
DN_DECLARE_KERNELS(simd128)
DN_DECLARE_KERNELS(generic)

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

#endif
