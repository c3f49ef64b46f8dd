/*
 * conv1x1_bn_backward.c: a 1x1 stride-1 convolution's input gradient fused with the training BN(+ReLU) backward of
 * the batch norm in front of it (a DenseNet layer's norm1 -> relu1 -> conv1), over rows [r0, r1) and columns
 * [p0, p1) of [c][s] (src/backend/reference/conv1x1-batch-norm-backward.ts is the spec):
 *   g = w^T . dy            the convolution's input gradient, w [cout][c], dy [cout][s]: computed per chunk into
 *                           scratch by the GEMM (gemm.c) and consumed there, never stored in [c][s]
 *   dz = relu ? g * [gamma*xhat + beta > 0] : g,   xhat = (x - mean) * invStd   (the mask recomputed from x)
 *   sums[r-r0] += sum dz, sums[r1-r0 + r-r0] += sum dz * xhat   (dbeta, dgamma; float vectors into double per chunk)
 *   dx += gamma * invStd * dz                            (the per-element term of BN backward, Ioffe & Szegedy §3)
 * The terms of BN backward that need the finished sums, -k*dbeta - k*dgamma*xhat (k = gamma*invStd/s), are not
 * applied here: the caller adds them later with bn_deferred_add (below), once per channel for every layer of a
 * dense block that read it (they share the channel's batch mean). So x and dx are each touched once per layer,
 * where the unfused ops wrote g to memory and read it, x and dx again (GEMM, then the two BN backward passes).
 * With f->dw the convolution's weight gradient comes from the same chunk of x, in cache (dw_chunk), instead of a
 * pass of its own (conv2d_dw.c). Measured (bench/bn-fuse-ops.ts, [cin][64*32*32] cout 48, 1 thread, CPU ms, medians
 * of 9 interleaved, loaded machine): cin 204: unfused (conv dw + dx, BN backward) 48.3, fused with dw apart 46.4,
 * fused with dw 41.1 (the deferred add, 5.9 here, runs once per block channel, not per layer); cin 114: 27.9 /
 * 27.3 / 24.6. Whole step: see src/models/dense-block.ts.
 */
#include "kernels.h"

#define CH 384                /* columns per chunk (a multiple of 48 and 64: whole micro-tiles) */
#define TMP_FLOATS (48 * 1024) /* g chunk [rows][CH] in scratch after the GEMM's (192 KiB: stays in L2) */
/* The epilogue visits 128 rows for 1.5 KiB each per chunk, too short for the hardware prefetcher: x and dx of the row
 * PF_ROWS ahead are fetched meanwhile. Bare C loop, [204][65536] cout 48, 1 thread, CPU ms, loaded machine, 3-4 runs:
 * 27.0-29.8 -> 24.9-26.4 (rows 1 or 4 ahead alike; 2 was within noise of none). Longer chunks with fewer rows (768 ..
 * 2304 columns) did no better: the GEMM then repacks more of dy per row. */
#define PF_ROWS 4

INLINE float hsum_f(vf v) {
  float s = 0.0f;
  for (int l = 0; l < VL; l++) s += v[l];
  return s;
}

/* one row of a chunk: dz from g (tmp) and x, the two sums, dx += ca * dz */
INLINE void row_epilogue(const float *RESTRICT g, const float *RESTRICT x, float *RESTRICT dx, size_t n, float mu,
                         float is, float ga, float be, int relu, double *sdz, double *sdzx, const float *xn,
                         const float *dxn) {
  vf vmu = splat(mu), vis = splat(is), vga = splat(ga), vbe = splat(be), vca = splat(ga * is);
  vf a = (vf){0}, b = (vf){0};
  size_t i = 0;
  for (; i + VL <= n; i += VL) {
    if (xn) __builtin_prefetch(xn + i, 0, 3), __builtin_prefetch(dxn + i, 1, 3);
    vf xh = (load_u(x + i) - vmu) * vis, dz = load_u(g + i);
    if (relu) dz = (vf)((vi)dz & (vga * xh + vbe > (vf){0}));
    a += dz;
    b += dz * xh;
    store_u(dx + i, load_u(dx + i) + vca * dz);
  }
  double pa = hsum_f(a), pb = hsum_f(b);
  float ca = ga * is;
  for (; i < n; i++) {
    float xh = (x[i] - mu) * is, dz = relu && !(ga * xh + be > 0.0f) ? 0.0f : g[i];
    pa += dz;
    pb += dz * xh;
    dx[i] += ca * dz;
  }
  *sdz += pa;
  *sdzx += pb;
}

/* dw^T rows [b0, b1) (acc, [b1-b0][cout]) (+)= x'[b0, b1)[q0, q0+qn) . dy[.][q0, q0+qn)^T: the chunk of x the
 * epilogue just read, from cache (a GEMM with A = x read in place through the input transform, as conv2d_dw.c's) */
static void dw_chunk(const struct dn_bn1x1 *f, size_t b0, size_t b1, size_t q0, size_t qn, float *acc, float *scratch) {
  struct dn_conv pa = {.pre_scale = f->pre_scale ? f->pre_scale + b0 : 0, .pre_shift = f->pre_shift ? f->pre_shift + b0 : 0,
                       .pre_relu = f->pre_relu};
  struct dn_gemm gg = {
      .trans_b = 1, .m = b1 - b0, .n = f->cout, .k = qn, .a = f->x + b0 * f->s + q0, .lda = f->s, .b = f->dy + q0,
      .ldb = f->s, .pre_a = f->pre_scale ? &pa : 0, .beta = q0 > 0 ? 1.0f : 0.0f, .c = acc, .ldc = f->cout,
  };
  K(gemm_part)(&gg, 0, f->cout, scratch);
}

/* rows [r0, r1), columns [p0, p1): the GEMM per chunk into tmp, then the epilogue (and the dw GEMM) per row */
static void part(const struct dn_bn1x1 *f, size_t r0, size_t r1, size_t p0, size_t p1, double *sdz, double *sdzx,
                 float *acc, float *scratch) {
  size_t c = f->c, s = f->s, rb = max_sz(1, TMP_FLOATS / CH);
  float *tmp = scratch + K(gemm_scratch_floats)();
  for (size_t q0 = p0; q0 < p1; q0 += CH) { /* columns outer: the dy chunk stays in cache across row blocks */
    size_t qn = min_sz(CH, p1 - q0);
    for (size_t b0 = r0; b0 < r1; b0 += rb) {
      size_t b1 = min_sz(r1, b0 + rb);
      struct dn_gemm gg = {
          .trans_a = 1, .m = b1 - b0, .n = qn, .k = f->cout, .a = f->w + b0, .lda = c,
          .b = f->dy + q0, .ldb = s, .beta = 0.0f, .c = tmp, .ldc = qn,
      };
      K(gemm_part)(&gg, 0, qn, scratch);
      for (size_t r = b0; r < b1; r++) {
        size_t ahead = r + PF_ROWS < b1 ? (r + PF_ROWS) * s + q0 : 0;
        row_epilogue(tmp + (r - b0) * qn, f->x + r * s + q0, f->dx + r * s + q0, qn, f->mean[r], f->inv_std[r],
                     f->gamma[r], f->beta[r], f->relu, sdz + (r - r0), sdzx + (r - r0),
                     ahead ? f->x + ahead : 0, ahead ? f->dx + ahead : 0);
      }
      if (acc) dw_chunk(f, b0, b1, q0, qn, acc + (b0 - r0) * f->cout, scratch);
    }
  }
}

void K(conv1x1_bn_part)(const struct dn_bn1x1 *f, size_t r0, size_t r1, size_t p0, size_t p1, double *sums,
                        float *scratch) {
  if (!f->dw) {
    part(f, r0, r1, p0, p1, sums, sums + (r1 - r0), 0, scratch);
    return;
  }
  /* dw^T of a group of rows accumulates over every column chunk in scratch after tmp, then is written transposed */
  float *acc = scratch + K(gemm_scratch_floats)() + TMP_FLOATS;
  size_t cap = K(bwd_scratch_floats)() - K(gemm_scratch_floats)() - TMP_FLOATS, gmax = max_sz(1, cap / f->cout);
  for (size_t g0 = r0; g0 < r1; g0 += gmax) {
    size_t g1 = min_sz(r1, g0 + gmax);
    part(f, g0, g1, p0, p1, sums + (g0 - r0), sums + (r1 - r0) + (g0 - r0), acc, scratch);
    for (size_t o = 0; o < f->cout; o++)
      for (size_t r = g0; r < g1; r++) f->dw[o * f->c + r] = acc[(r - g0) * f->cout + o];
  }
}

/* rows [c0, c1) of dx [c][s] += p[c] + q[c] * (x - mean[c]): the deferred per-channel terms of BN backward */
void K(bn_deferred_add)(size_t c0, size_t c1, size_t s, const float *x, const float *mean, const float *p,
                        const float *q, float *dx) {
  for (size_t r = c0; r < c1; r++) {
    const float *xr = x + r * s;
    float *dr = dx + r * s;
    float pr = p[r], qr = q[r], mu = mean[r];
    vf vp = splat(pr), vq = splat(qr), vmu = splat(mu);
    size_t i = 0;
    for (; i + VL <= s; i += VL) store_u(dr + i, load_u(dr + i) + (vp + vq * (load_u(xr + i) - vmu)));
    for (; i < s; i++) dr[i] += pr + qr * (xr[i] - mu);
  }
}
