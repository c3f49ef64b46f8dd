/*
 * gemm.c: single-precision GEMM, BLIS-style (Van Zee & van de Geijn, "BLIS", ACM TOMS 2015; Goto & van de
 * Geijn 2008): pack a KC x NC block of op(B) into NR-wide panels, then a register-tiled MR x NR micro-kernel
 * that broadcasts A (read in place, or from MR-row panels when transposed) and vectorises along N.
 * Transposes and the implicit im2col of a convolution input live only in the packing routines, so
 * backward passes reuse the same kernel. Not threaded: callers split columns (or rows).
 */
#include "copy.h"

/* Register tile. AVX-512: 8 x 48 = 24 zmm accumulators + 3 B vectors, A broadcast from memory. */
#ifndef DN_MR
#if VL == 16
#define DN_MR 8
#define DN_NV 3
#else
#define DN_MR 6
#define DN_NV 2
#endif
#endif
#define MR DN_MR
#define NV DN_NV
#define NR (NV * VL)
/* Cache blocks: a KC x NC packed B block (~768 KiB) stays in L2, an MR x KC A panel (8 KiB) in L1. */
#ifndef DN_KC
#define DN_KC 256
#endif
#ifndef DN_NC
#define DN_NC 768
#endif
#define KC DN_KC
#define NC DN_NC
#define FUSE_MAX_BYTES (8u << 20) /* B up to this size is packed inside the kernel (gemm_part) */
#define MC 192 /* a multiple of MR (6 and 8) */
#define A_CAP (256 * 1024) /* floats of packed A kept across column blocks (1 MiB) */
#ifndef DN_TAB_WO
#define DN_TAB_WO 8
#endif
#define TAB_WO DN_TAB_WO /* im2col by offset table below this output width (measured: 2x at 7x7, slower at 14x14) */
#define TAB_TAPS 64      /* ... and up to this many kernel taps (8x8) */
#define EDGE_DOT 4 /* column edges up to this wide as dot products (edge_dot) */

size_t K(gemm_scratch_floats)(void) { return (size_t)A_CAP + (size_t)KC * NC + 2 * (NC + 2 * VL) + TAB_TAPS * NC; }
size_t K(gemm_nr)(void) { return NR; }

/*
 * c[0..mr)[0..ncols) (+)= A . b_panel over kc steps; b: [kc][NR] packed and zero-padded (bs = NR), or, for a
 * full panel, read in place from rows bs floats apart while each row is also stored to the packed panel bp
 * (packing fused into the first row panel's kernel: see gemm_part). A element (i, p)
 * is a[i*ars + p*acs]: a packed panel [kc][MR] (ars 1, acs MR), or A read in place from a row-major
 * matrix (ars lda, acs 1; every step broadcasts one float from each of mr sequential rows, so in-place
 * A costs the kernel nothing and saves packing A, which dominated small-N GEMMs such as 7x7 maps at
 * batch 1). mr <= MR and nv = ceil(ncols / VL) are compile-time constants in each instance below.
 */
INLINE void ukernel(const int mr, const int nv, size_t kc, const float *RESTRICT a, size_t ars, size_t acs,
                    const float *RESTRICT b, size_t bs, float *RESTRICT bp, float *RESTRICT c, size_t ldc,
                    size_t ncols, int accumulate) {
  vf acc[MR][NV];
  for (int i = 0; i < mr; i++)
    for (int j = 0; j < nv; j++) acc[i][j] = (vf){0};
  /* short k (a 1x1 input gradient: k = cout = 48): C's traffic rivals the FMAs, so fetch the tile while
   * computing. 1x1 dx 114->48 and 204->48, 1 thread: +7% (median; bench/conv-ops.ts shapes) */
  if (kc <= 64)
    for (int i = 0; i < mr; i++)
      for (int j = 0; j < nv; j++) __builtin_prefetch(c + i * ldc + j * VL, 1, 3);
  for (size_t p = 0; p < kc; p++) {
    vf bv[NV];
    if (bp) {
      for (int j = 0; j < nv; j++) bv[j] = load_u(b + j * VL), *(vf *)(bp + j * VL) = bv[j];
      bp += NR;
    } else { /* packed panels are contiguous: 16 steps (3 KiB) ahead runs on into the next panel. Measured
              * 1 thread: M=128 N=3136 K=256 +3% (addon) to +10% (bare C loop), conv 1x1 256->128 56x56 +5%,
              * other bench/gemm.ts rows within noise */
      for (int j = 0; j < nv; j++) __builtin_prefetch(b + 16 * NR + j * VL, 0, 3);
      for (int j = 0; j < nv; j++) bv[j] = *(const vf *)(b + j * VL);
    }
    for (int i = 0; i < mr; i++) {
      vf av = splat(a[i * ars]);
      for (int j = 0; j < nv; j++) acc[i][j] = madd(acc[i][j], av, bv[j]);
    }
    a += acs;
    b += bs;
  }
  if (ncols == (size_t)nv * VL) {
    for (int i = 0; i < mr; i++)
      for (int j = 0; j < nv; j++) {
        float *d = c + i * ldc + j * VL;
        store_u(d, accumulate ? load_u(d) + acc[i][j] : acc[i][j]);
      }
    return;
  }
  /* column edge: through a small buffer, then only the valid columns */
  float tmp[NV * VL] __attribute__((aligned(64)));
  if (ncols > (size_t)nv * VL) __builtin_unreachable();
  for (int i = 0; i < mr; i++) {
    for (int j = 0; j < nv; j++) *(vf *)(tmp + j * VL) = acc[i][j];
    float *d = c + i * ldc;
    if (accumulate)
      for (size_t t = 0; t < ncols; t++) d[t] += tmp[t];
    else
      for (size_t t = 0; t < ncols; t++) d[t] = tmp[t];
  }
}

/* ukr[mr-1][nv-1]: packed A; ukd: A in place with row stride lda */
typedef void (*ukr_fn)(size_t kc, const float *a, size_t lda, const float *b, float *c, size_t ldc, size_t ncols,
                       int acc);
#define UKR(mr, nv)                                                                                          \
  static void ukr_##mr##_##nv(size_t kc, const float *a, size_t lda, const float *b, float *c, size_t ldc,  \
                              size_t ncols, int acc) {                                                      \
    (void)lda;                                                                                              \
    ukernel(mr < MR ? mr : MR, nv < NV ? nv : NV, kc, a, 1, MR, b, NR, 0, c, ldc, ncols, acc);              \
  }                                                                                                         \
  static void ukd_##mr##_##nv(size_t kc, const float *a, size_t lda, const float *b, float *c, size_t ldc,  \
                              size_t ncols, int acc) {                                                      \
    ukernel(mr < MR ? mr : MR, nv < NV ? nv : NV, kc, a, lda, 1, b, NR, 0, c, ldc, ncols, acc);             \
  }
#define UKR_ROW(mr) UKR(mr, 1) UKR(mr, 2) UKR(mr, 3) UKR(mr, 4)
UKR_ROW(1) UKR_ROW(2) UKR_ROW(3) UKR_ROW(4) UKR_ROW(5) UKR_ROW(6) UKR_ROW(7) UKR_ROW(8)
#define UKR_REF(p, mr) {p##_##mr##_1, p##_##mr##_2, p##_##mr##_3, p##_##mr##_4}
static const ukr_fn ukrs[8][4] = {UKR_REF(ukr, 1), UKR_REF(ukr, 2), UKR_REF(ukr, 3), UKR_REF(ukr, 4),
                                  UKR_REF(ukr, 5), UKR_REF(ukr, 6), UKR_REF(ukr, 7), UKR_REF(ukr, 8)};
static const ukr_fn ukds[8][4] = {UKR_REF(ukd, 1), UKR_REF(ukd, 2), UKR_REF(ukd, 3), UKR_REF(ukd, 4),
                                  UKR_REF(ukd, 5), UKR_REF(ukd, 6), UKR_REF(ukd, 7), UKR_REF(ukd, 8)};

/* ukf[mr-1]: full panels of B [k][n] read in place (row stride ldb) and packed into bp on the way; A packed
 * or (direct) in place */
typedef void (*ukf_fn)(size_t kc, const float *a, size_t lda, int direct, const float *b, size_t ldb, float *bp,
                       float *c, size_t ldc, int acc);
#define UKF(mr)                                                                                               \
  static void ukf_##mr(size_t kc, const float *a, size_t lda, int direct, const float *b, size_t ldb, float *bp, \
                       float *c, size_t ldc, int acc) {                                                        \
    if (direct) ukernel(mr < MR ? mr : MR, NV, kc, a, lda, 1, b, ldb, bp, c, ldc, NR, acc);                   \
    else ukernel(mr < MR ? mr : MR, NV, kc, a, 1, MR, b, ldb, bp, c, ldc, NR, acc);                           \
  }
UKF(1) UKF(2) UKF(3) UKF(4) UKF(5) UKF(6) UKF(7) UKF(8)
static const ukf_fn ukfs[8] = {ukf_1, ukf_2, ukf_3, ukf_4, ukf_5, ukf_6, ukf_7, ukf_8};

/* Packs rows [i0, i0+mc) x cols [p0, p0+kc) of op(A) into MR-row panels: dst[panel][p][MR]. */
static void pack_a(const struct dn_gemm *g, size_t i0, size_t mc, size_t p0, size_t kc, float *RESTRICT dst) {
  for (size_t ir = 0; ir < mc; ir += MR, dst += MR * kc) {
    size_t mr = min_sz(MR, mc - ir);
    if (g->a_flip) { /* flipped transposed conv weight (kernels.h): a[(p / T) * lda + i * T + T - 1 - p % T] */
      size_t t_ = g->a_flip;
      for (size_t p = 0; p < kc; p++) {
        size_t q = p0 + p;
        const float *src = g->a + q / t_ * g->lda + (i0 + ir) * t_ + (t_ - 1 - q % t_);
        for (size_t i = 0; i < mr; i++) dst[p * MR + i] = src[i * t_];
      }
    } else if (!g->trans_a) { /* a [m][k]: row i is contiguous in p */
      for (size_t i = 0; i < mr; i++) {
        const float *src = g->a + (i0 + ir + i) * g->lda + p0;
        for (size_t p = 0; p < kc; p++) dst[p * MR + i] = src[p];
      }
    } else { /* a [k][m]: MR consecutive rows of op(A) are contiguous */
      for (size_t p = 0; p < kc; p++) {
        const float *src = g->a + (p0 + p) * g->lda + i0 + ir;
        for (size_t i = 0; i < mr; i++) dst[p * MR + i] = src[i];
      }
    }
    for (size_t i = mr; i < MR; i++)
      for (size_t p = 0; p < kc; p++) dst[p * MR + i] = 0.0f;
  }
}

/* Row p of the packed block from a contiguous source row: NR-wide pieces to their panels, zero padding. */
INLINE void scatter_row(const float *RESTRICT src, float *RESTRICT d, size_t nc, size_t kc) {
  size_t full = nc / NR * NR, rest = nc - full;
  for (size_t jr = 0; jr < full; jr += NR)
    for (int v = 0; v < NV; v++) *(vf *)(d + jr * kc + v * VL) = load_u(src + jr + v * VL);
  if (rest) {
    for (size_t j = 0; j < rest; j++) d[full * kc + j] = src[full + j];
    for (size_t j = rest; j < NR; j++) d[full * kc + j] = 0.0f;
  }
}

/* scatter_row of src * a + b (max 0 if relu): a 1x1 convolution's input transform, fused into the packing */
INLINE void scatter_row_pre(const float *RESTRICT src, float *RESTRICT d, size_t nc, size_t kc, float a, float b,
                            int relu) {
  size_t full = nc / NR * NR, rest = nc - full;
  vf va = splat(a), vb = splat(b);
  if (relu) {
    for (size_t jr = 0; jr < full; jr += NR)
      for (int v = 0; v < NV; v++) *(vf *)(d + jr * kc + v * VL) = relu_v(load_u(src + jr + v * VL) * va + vb);
  } else {
    for (size_t jr = 0; jr < full; jr += NR)
      for (int v = 0; v < NV; v++) *(vf *)(d + jr * kc + v * VL) = load_u(src + jr + v * VL) * va + vb;
  }
  if (rest) {
    for (size_t j = 0; j < rest; j++) {
      float t = src[full + j] * a + b;
      d[full * kc + j] = relu && !(t > 0.0f) ? 0.0f : t;
    }
    for (size_t j = rest; j < NR; j++) d[full * kc + j] = 0.0f;
  }
}

/*
 * In-register transpose of a VL x VL block (rows r[0..VL)): log2(VL) rounds of the perfect shuffle
 * r'[2i] = interleave_lo(r[i], r[i + VL/2]), r'[2i+1] = interleave_hi(...). Each round rotates the bits of
 * (row, lane) left by one, so log2(VL) rounds swap row and lane. VL log2(VL) two-source shuffles per VL^2 floats.
 */
#if VL == 16
#define SHUF_LO 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23
#define SHUF_HI 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31
#define LOG_VL 4
#elif VL == 8
#define SHUF_LO 0, 8, 1, 9, 2, 10, 3, 11
#define SHUF_HI 4, 12, 5, 13, 6, 14, 7, 15
#define LOG_VL 3
#else
#define SHUF_LO 0, 4, 1, 5
#define SHUF_HI 2, 6, 3, 7
#define LOG_VL 2
#endif
INLINE void transpose_vl(vf *r) {
  for (int round = 0; round < LOG_VL; round++) {
    vf t[VL];
    for (int i = 0; i < VL / 2; i++) {
      t[2 * i] = __builtin_shufflevector(r[i], r[i + VL / 2], SHUF_LO);
      t[2 * i + 1] = __builtin_shufflevector(r[i], r[i + VL / 2], SHUF_HI);
    }
    for (int i = 0; i < VL; i++) r[i] = t[i];
  }
}

/* op(B) = b^T (b [n][k]): VL rows of b at a time, VL x VL blocks transposed in registers into the panels
 * (a scalar walk here cost ~1 cycle per float, a quarter of a 1x1 weight gradient: conv2d_dw.c) */
static void pack_bt(const struct dn_gemm *g, size_t p0, size_t kc, size_t j0, size_t nc, float *RESTRICT dst) {
  size_t panel = kc * NR, ncp = round_up(nc, NR), kv = kc / VL * VL, ldb = g->ldb;
  for (size_t j = 0; j < ncp; j += VL) {
    const float *src = g->b + (j0 + j) * ldb + p0;
    float *d = dst + (j / NR) * panel + j % NR;
    if (j + VL <= nc) {
      for (size_t p = 0; p < kv; p += VL) {
        vf r[VL];
        for (int t = 0; t < VL; t++) r[t] = load_u(src + t * ldb + p);
        transpose_vl(r);
        for (int t = 0; t < VL; t++) *(vf *)(d + (p + t) * NR) = r[t];
      }
      for (size_t p = kv; p < kc; p++)
        for (size_t t = 0; t < VL; t++) d[p * NR + t] = src[t * ldb + p];
    } else {
      for (size_t p = 0; p < kc; p++)
        for (size_t t = 0; t < VL; t++) d[p * NR + t] = j + t < nc ? src[t * ldb + p] : 0.0f;
    }
  }
}

/*
 * Packs rows [p0, p0+kc) x cols [j0, j0+nc) of op(B) into NR-column panels dst[panel][p][NR], zero-padded.
 * Row by row, so the source is read sequentially (a panel-by-panel walk would jump ldb floats per 192
 * bytes and defeat the hardware prefetcher).
 */
static void pack_b(const struct dn_gemm *g, size_t p0, size_t kc, size_t j0, size_t nc, float *RESTRICT dst,
                   float *RESTRICT row_buf, const int *tab) {
  if (tab) {
    for (size_t p = 0; p < kc; p++) {
      K(im2col_gather)(g->im2col, g->b, p0 + p, tab, nc, row_buf);
      scatter_row(row_buf, dst + p * NR, nc, kc);
    }
  } else if (g->im2col) {
    /* Double-buffered: row p+1 is built while row p is scattered, so the scatter's aligned loads never wait
     * on the just-issued unaligned stores of the same row (a store-forwarding stall that cost ~2x here). */
    size_t slot = round_up(nc, VL) + VL;
    K(im2col_row)(g->im2col, g->b, p0, j0, nc, row_buf);
    for (size_t p = 0; p < kc; p++) {
      if (p + 1 < kc) K(im2col_row)(g->im2col, g->b, p0 + p + 1, j0, nc, row_buf + ((p + 1) & 1) * slot);
      scatter_row(row_buf + (p & 1) * slot, dst + p * NR, nc, kc);
    }
  } else if (g->pre) { /* b [k][n]: a 1x1 convolution's input, row = input channel, transformed */
    const struct dn_conv *cv = g->pre;
    for (size_t p = 0; p < kc; p++)
      scatter_row_pre(g->b + (p0 + p) * g->ldb + j0, dst + p * NR, nc, kc, cv->pre_scale[p0 + p],
                      cv->pre_shift[p0 + p], cv->pre_relu);
  } else if (!g->trans_b) { /* b [k][n] */
    for (size_t p = 0; p < kc; p++) scatter_row(g->b + (p0 + p) * g->ldb + j0, dst + p * NR, nc, kc);
  } else { /* b [n][k]: column j of op(B) is row j of b, contiguous in p */
    pack_bt(g, p0, kc, j0, nc, dst);
  }
}

/* Lanes of v summed as a tree (log2(VL) shuffles and adds, not VL dependent adds). */
INLINE float hsum_tree(vf v) {
#if VL == 16
  v += __builtin_shufflevector(v, v, 8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7);
  v += __builtin_shufflevector(v, v, 4, 5, 6, 7, 0, 1, 2, 3, 4, 5, 6, 7, 0, 1, 2, 3);
  v += __builtin_shufflevector(v, v, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3, 0, 1);
  v += __builtin_shufflevector(v, v, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0);
#elif VL == 8
  v += __builtin_shufflevector(v, v, 4, 5, 6, 7, 0, 1, 2, 3);
  v += __builtin_shufflevector(v, v, 2, 3, 0, 1, 2, 3, 0, 1);
  v += __builtin_shufflevector(v, v, 1, 0, 1, 0, 1, 0, 1, 0);
#else
  v += __builtin_shufflevector(v, v, 2, 3, 0, 1);
  v += __builtin_shufflevector(v, v, 1, 0, 1, 0);
#endif
  return v[0];
}

/* rows x r outputs c[i][t] (+)= a row i . bt row t over k (a: lda apart, bt: [r][kp] zero-padded) */
INLINE void dot_tile(const int rows, const int r, size_t k, const float *RESTRICT a, size_t lda,
                     const float *RESTRICT bt, size_t kp, float *RESTRICT c, size_t ldc, int accumulate) {
  vf s[8][EDGE_DOT];
  for (int i = 0; i < rows; i++)
    for (int t = 0; t < r; t++) s[i][t] = (vf){0};
  size_t kv = k / VL * VL;
  for (size_t p = 0; p < kv; p += VL) {
    vf b[EDGE_DOT];
    for (int t = 0; t < r; t++) b[t] = *(const vf *)(bt + t * kp + p);
    for (int i = 0; i < rows; i++) {
      vf av = load_u(a + i * lda + p);
      for (int t = 0; t < r; t++) s[i][t] += av * b[t];
    }
  }
  for (int i = 0; i < rows; i++)
    for (int t = 0; t < r; t++) {
      float v = hsum_tree(s[i][t]);
      for (size_t p = kv; p < k; p++) v += a[i * lda + p] * bt[t * kp + p];
      float *d = c + i * ldc + t;
      *d = accumulate ? *d + v : v;
    }
}

/*
 * The last r <= EDGE_DOT columns [j0, j0+r) of a GEMM with A read in place, as dot products along k over
 * A's contiguous rows and the r columns of op(B) transposed into bt (r * round_up(k, VL) floats), where an
 * NR-wide panel would spend a 16-column kernel on them: N = 49 (7x7 at batch 1) = 48 + 1, 196 = 4 * 48 + 4.
 * Only b [k][n], optionally through a 1x1 convolution's `pre`. DenseNet-121 batch-1 1x1 layers with pre, 1
 * thread, process CPU time, loaded machine, min of 9: 7x7 (16 layers) 1520 -> 1186 us, 14x14 (24) 5004 -> 4735.
 */
static void edge_dot(const struct dn_gemm *g, size_t j0, size_t r, float *RESTRICT bt) {
  size_t k = g->k, kp = round_up(k, VL), m = g->m;
  for (size_t p = 0; p < k; p++) {
    const float *src = g->b + p * g->ldb + j0;
    for (size_t t = 0; t < r; t++) bt[t * kp + p] = g->pre ? pre_apply(g->pre, p, src[t]) : src[t];
  }
  for (size_t t = 0; t < r; t++)
    for (size_t p = k; p < kp; p++) bt[t * kp + p] = 0.0f;
  int acc = g->beta != 0.0f;
  float *c = g->c + j0;
  size_t i = 0;
#define EDGE_ROWS(rows, rr)                                                                                  \
  for (; i + rows <= m; i += rows) dot_tile(rows, rr, k, g->a + i * g->lda, g->lda, bt, kp, c + i * g->ldc, g->ldc, acc); \
  for (; i < m; i++) dot_tile(1, rr, k, g->a + i * g->lda, g->lda, bt, kp, c + i * g->ldc, g->ldc, acc);
  switch (r) {
    case 1: EDGE_ROWS(8, 1) break;
    case 2: EDGE_ROWS(8, 2) break;
    case 3: EDGE_ROWS(4, 3) break;
    default: EDGE_ROWS(4, 4) break;
  }
#undef EDGE_ROWS
}

void K(gemm_part)(const struct dn_gemm *g, size_t n0, size_t n1, float *scratch) {
  size_t m = g->m, k = g->k, mp = round_up(m, MR);
  if (k == 0) { /* op(A).op(B) is zero: c = beta * c */
    if (g->beta == 0.0f)
      for (size_t i = 0; i < m; i++)
        for (size_t j = n0; j < n1; j++) g->c[i * g->ldc + j] = 0.0f;
    return;
  }
  /* A [m][k] is read in place; a transposed A is packed, once per call when it fits (A_CAP). */
  int direct_a = !g->trans_a && !g->a_flip, keep_a = mp * k <= A_CAP;
  float *pa = scratch, *pb = scratch + A_CAP, *row_buf = pb + (size_t)KC * NC;
  /* a narrow column edge as dot products (edge_dot), in the packed-A area that in-place A leaves unused */
  size_t edge = (n1 - n0) % NR;
  if (!(direct_a && !g->pre_a && !g->trans_b && !g->im2col && edge <= EDGE_DOT && edge * round_up(k, VL) <= A_CAP))
    edge = 0;
  n1 -= edge;
  const struct dn_conv *cv = g->im2col;
  int *tab = cv && cv->wo < TAB_WO && cv->kh * cv->kw <= TAB_TAPS ? (int *)(row_buf + 2 * (NC + 2 * VL)) : 0;
  size_t nkb = (k + KC - 1) / KC, kb = round_up((k + nkb - 1) / nkb, 4); /* equal k blocks */
  for (size_t jc = n0; jc < n1; jc += NC) {
    size_t nc = min_sz(NC, n1 - jc);
    if (tab) K(im2col_table)(cv, jc, nc, tab);
    for (size_t pc = 0; pc < k; pc += kb) {
      size_t kc = min_sz(kb, k - pc);
      /* B [k][n] in cache: its full panels are packed by the first row panel's kernels (ukf), whose FMAs hide
       * the strided reads; a separate pack_b pass stalls on them. 1 thread, CPU time, loaded machine: M=128
       * N=3136 K=256 +2..5%, N=196 K=1024 +3%, M=48 N=4096 K=114 +9%; conv 1x1
       * 256->128 56x56 +4..6%. B streamed from memory (M=128 N=25088 K=256: 25.7 MB, -18% fused) is packed
       * row by row, sequential reads the prefetcher follows. The size is all of B, not this thread's part:
       * two threads split 25.7 MB into halves that are no more cache-resident (2 threads, -25%). */
      int fuse = !g->trans_b && !g->im2col && !g->pre && g->n * k * sizeof(float) <= FUSE_MAX_BYTES;
      size_t nfull = fuse ? nc / NR * NR : 0;
      if (nfull < nc) pack_b(g, pc, kc, jc + nfull, nc - nfull, pb + nfull * kc, row_buf, tab);
      int accumulate = pc > 0 || g->beta != 0.0f;
      size_t mc_max = direct_a || keep_a ? mp : MC;
      for (size_t ic = 0; ic < m; ic += mc_max) {
        size_t mc = min_sz(mc_max, m - ic);
        float *pab = keep_a ? pa + pc * mp : pa;
        if (!direct_a && (!keep_a || jc == n0)) pack_a(g, ic, mc, pc, kc, pab);
        for (size_t ir = 0; ir < mc; ir += MR) {
          size_t mr = min_sz(MR, mc - ir);
          float *crow = g->c + (ic + ir) * g->ldc + jc;
          const float *ap = direct_a ? g->a + (ic + ir) * g->lda + pc : pab + ir * kc;
          size_t lda = g->lda;
          /* A used by few column panels (a 1x1 weight gradient: N = cout) streams from memory: fetch the next
           * row panel (or the first of the next k block) meanwhile. 1x1 dw, 1 thread: +4..8% (bench/conv-ops.ts) */
          if (direct_a && nc <= 3 * NR) {
            size_t nir = ir + MR < mc ? ic + ir + MR : pc + kb < k ? 0 : m, nkc = ir + MR < mc ? kc : min_sz(kb, k - pc - kb);
            const float *an = g->a + nir * g->lda + (ir + MR < mc ? pc : pc + kb);
            for (size_t i = nir; i < min_sz(m, nir + MR); i++, an += g->lda)
              for (size_t p = 0; p < nkc; p += 64 / sizeof(float)) __builtin_prefetch(an + p, 0, 3);
          }
          if (direct_a && g->pre_a) { /* the transformed rows, into the (otherwise unused) A scratch */
            const struct dn_conv *cv_a = g->pre_a;
            lda = round_up(kc, VL);
            for (size_t i = 0; i < mr; i++)
              copy_over_pre(pa + i * lda, ap + i * g->lda, kc, g->a + (m - 1) * g->lda + k, cv_a->pre_scale[ic + ir + i],
                            cv_a->pre_shift[ic + ir + i], cv_a->pre_relu);
            ap = pa;
          }
          const ukr_fn *row = direct_a ? ukds[mr - 1] : ukrs[mr - 1];
          size_t jr0 = 0;
          if (ic == 0 && ir == 0) /* the fused packing of the full panels */
            for (; jr0 < nfull; jr0 += NR)
              ukfs[mr - 1](kc, ap, lda, direct_a, g->b + pc * g->ldb + jc + jr0, g->ldb, pb + jr0 * kc, crow + jr0,
                           g->ldc, accumulate);
          for (size_t jr = jr0; jr < nc; jr += NR) {
            size_t ncols = min_sz(NR, nc - jr), nv = (ncols + VL - 1) / VL;
            row[nv - 1](kc, ap, lda, pb + jr * kc, crow + jr, g->ldc, ncols, accumulate);
          }
        }
      }
    }
  }
  if (edge) edge_dot(g, n1, edge, pa);
}
