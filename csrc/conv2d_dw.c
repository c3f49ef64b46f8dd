/*
 * conv2d_dw.c: a convolution's weight gradient dw[co][j] = sum_p dy[co][p] * col[j][p] (overwritten), where
 * col = im2col(x) [cin*kh*kw][n*ho*wo] (x itself for 1x1 stride 1), and the bias gradient as row sums.
 * A 1x1 stride-1 conv is a GEMM with k = p (dw_direct: only dy, 48-ish rows, is transposed, and that is
 * amortised over every input channel). Otherwise both operands run along p (the huge dimension), so this is a
 * product of dot products, vectorised along p: an RCO x RJ register tile of vector partial sums over a chunk
 * of P columns, folded into vector accumulators in scratch, reduced across lanes once at the end (a GEMM here
 * would transpose im2col, costing more than its 12 or 48 FMAs per element). Stride-1
 * k x k convs read padded planes (padded.h) instead of building im2col rows: 3x3 48->12 at 32x32 batch 64,
 * 1 thread, 20 -> 107 GFLOP/s (bench/conv-ops.ts).
 */
#include "padded.h"

#if VL == 16
#define RCO 4 /* 4 x 6 = 24 zmm accumulators + 4 dy + 1 col of 32 registers */
#else
#define RCO 2 /* 16 registers: 12 accumulators */
#endif
#define RJ 6
#define P 1024             /* columns per chunk: RJ col rows (24 KiB) in L1, dy chunk from L2 */
#define PS (P + 2 * VL)    /* row stride of the built im2col rows (im2col_row may write VL-1 past) */
#define ACC_VECS 8192      /* vector accumulators per block (512 KiB at VL 16) */

/* acc[i*lda + j] += sum over nv vectors of dy row i (stride lddy) times col row j (pointer col[j]) */
INLINE void tile(const int rco, const int rj, size_t nv, const float *RESTRICT dy, size_t lddy,
                 const float *const *col, vf *RESTRICT acc, size_t lda) {
  vf a[RCO][RJ];
  const float *c_[RJ];
  for (int j = 0; j < rj; j++) c_[j] = col[j];
  for (int i = 0; i < rco; i++)
    for (int j = 0; j < rj; j++) a[i][j] = (vf){0};
  for (size_t v = 0; v < nv * VL; v += VL) { /* live: RCO*RJ + RCO + 1 vectors (15 of 16 at RCO 2) */
    vf d[RCO];
    for (int i = 0; i < rco; i++) d[i] = load_u(dy + i * lddy + v);
    for (int j = 0; j < rj; j++) {
      vf c = load_u(c_[j] + v);
      for (int i = 0; i < rco; i++) a[i][j] += d[i] * c;
    }
  }
  for (int i = 0; i < rco; i++)
    for (int j = 0; j < rj; j++) acc[i * lda + j] += a[i][j];
}

typedef void (*tile_fn)(size_t nv, const float *dy, size_t lddy, const float *const *col, vf *acc, size_t lda);
#define TILE(i, j)                                                                                             \
  static void tile_##i##_##j(size_t nv, const float *dy, size_t lddy, const float *const *col, vf *acc,       \
                             size_t lda) {                                                                     \
    tile(i < RCO ? i : RCO, j, nv, dy, lddy, col, acc, lda);                                                  \
  }
#define TILE_ROW(i) TILE(i, 1) TILE(i, 2) TILE(i, 3) TILE(i, 4) TILE(i, 5) TILE(i, 6)
TILE_ROW(1) TILE_ROW(2) TILE_ROW(3) TILE_ROW(4)
#define TILE_REF(i) {tile_##i##_1, tile_##i##_2, tile_##i##_3, tile_##i##_4, tile_##i##_5, tile_##i##_6}
static const tile_fn tiles[4][RJ] = {TILE_REF(1), TILE_REF(2), TILE_REF(3), TILE_REF(4)};

INLINE float hsum(vf v) {
  float s = 0.0f;
  for (int l = 0; l < VL; l++) s += v[l];
  return s;
}

/* Stride 1, k > 1: per image, padded flat planes (padded.h) of the input channels [c0, c1) and of dy, whose
 * row j = (ci, i, jj) is a plane at offset i*wp + jj: the dots run over whole images with no im2col. */
static size_t flat_block(const struct dn_conv *g) { /* input channels per block that fit the scratch, or 0 */
  size_t khw = g->kh * g->kw, fixed = g->cout * round_up(flat_q(g), VL) + RJ;
  size_t per = khw * g->cout * VL + flat_plane(g, VL), total = K(bwd_scratch_floats)();
  if (g->stride != 1 || khw == 1 || g->pad >= g->kh || g->pad >= g->kw || fixed + per > total) return 0;
  return (total - fixed) / per;
}

static void dw_flat(const struct dn_conv *g, const float *x, const float *dy, float *dw, size_t c0, size_t c1,
                    size_t cb_max, float *scratch) {
  size_t khw = g->kh * g->kw, kdim = g->cin * khw, wp = flat_wp(g), plane = flat_plane(g, VL);
  size_t qv = round_up(flat_q(g), VL), nv = qv / VL, hw = g->h * g->w, ohw = g->ho * g->wo;
  float *dypad = scratch;
  vf *acc = (vf *)(dypad + g->cout * qv);
  for (size_t cs = c0; cs < c1; cs += cb_max) {
    size_t ce = min_sz(c1, cs + cb_max), jn = (ce - cs) * khw;
    float *planes = (float *)(acc + g->cout * jn);
    for (size_t i = 0; i < g->cout * jn; i++) acc[i] = (vf){0};
    for (size_t b = 0; b < g->n; b++) {
      for (size_t co = 0; co < g->cout; co++) flat_fill_out(g, dy + (co * g->n + b) * ohw, dypad + co * qv);
      for (size_t ci = cs; ci < ce; ci++) flat_fill(g, ci, x + (ci * g->n + b) * hw, planes + (ci - cs) * plane, plane);
      for (size_t jr = 0; jr < jn; jr += RJ) {
        size_t rj = min_sz(RJ, jn - jr);
        const float *col[RJ];
        for (size_t t = 0; t < rj; t++) {
          size_t j = jr + t, tap = j % khw;
          col[t] = planes + j / khw * plane + tap / g->kw * wp + tap % g->kw;
        }
        for (size_t ir = 0; ir < g->cout; ir += RCO) {
          size_t rco = min_sz(RCO, g->cout - ir);
          tiles[rco - 1][rj - 1](nv, dypad + ir * qv, qv, col, acc + ir * jn + jr, jn);
        }
      }
    }
    for (size_t co = 0; co < g->cout; co++)
      for (size_t j = 0; j < jn; j++) dw[co * kdim + cs * khw + j] = hsum(acc[co * jn + j]);
  }
}

/*
 * 1x1 stride 1: dw^T [cin][cout] = x' [cin][s] . dy^T, a GEMM (gemm.c) with A = x' read in place (through the
 * input transform, pre_a) and op(B) = dy^T packed once per k block, reused by every input channel; dw^T lands
 * in scratch after the GEMM's own, then is transposed into dw. Measured (bench/conv-ops.ts shapes, 1 thread, CPU
 * time on a loaded machine) against the dot-product tiles below: 114->48 66 -> 97 GFLOP/s, 204->48 57 -> 86,
 * 216->108 66 -> 102; with the BN-ReLU input transform 70 -> 81, 61 -> 81, 63 -> 90.
 */
static void dw_direct(const struct dn_conv *g, const float *x, const float *dy, float *dw, size_t j0, size_t j1,
                      float *scratch) {
  size_t s = g->n * g->ho * g->wo, co = g->cout;
  float *ct = scratch + K(gemm_scratch_floats)();
  size_t cap = K(bwd_scratch_floats)() - K(gemm_scratch_floats)(), mb = max_sz(1, cap / co);
  for (size_t c0 = j0; c0 < j1; c0 += mb) {
    size_t c1 = min_sz(j1, c0 + mb);
    struct dn_conv pa = *g;
    if (g->pre_scale) pa.pre_scale += c0, pa.pre_shift += c0;
    struct dn_gemm gg = {
        .trans_b = 1, .m = c1 - c0, .n = co, .k = s, .a = x + c0 * s, .lda = s, .b = dy, .ldb = s,
        .pre_a = g->pre_scale ? &pa : 0, .beta = 0.0f, .c = ct, .ldc = co,
    };
    K(gemm_part)(&gg, 0, co, scratch);
    for (size_t o = 0; o < co; o++)
      for (size_t c = c0; c < c1; c++) dw[o * g->cin + c] = ct[(c - c0) * co + o];
  }
}

void K(conv2d_dw_part)(const struct dn_conv *g, const float *x, const float *dy, float *dw, size_t j0, size_t j1,
                       float *scratch) {
  size_t s = g->n * g->ho * g->wo, kdim = g->cin * g->kh * g->kw, sv = s / VL * VL, khw = g->kh * g->kw;
  if (g->kh == 1 && g->kw == 1 && g->stride == 1 && g->pad == 0) {
    dw_direct(g, x, dy, dw, j0, j1, scratch);
    return;
  }
  size_t fb = flat_block(g);
  if (fb && j0 % khw == 0 && j1 % khw == 0) {
    dw_flat(g, x, dy, dw, j0 / khw, j1 / khw, fb, scratch);
    return;
  }
  vf *acc = (vf *)scratch;                         /* [cb][jb] vector partial sums */
  float *colbuf = scratch + (size_t)ACC_VECS * VL; /* RJ built im2col rows of one chunk */
  size_t cb_max = min_sz(g->cout, 64);
  size_t jb_max = max_sz(RJ, ACC_VECS / cb_max / RJ * RJ);
  for (size_t co0 = 0; co0 < g->cout; co0 += cb_max) {
    size_t cb = min_sz(cb_max, g->cout - co0);
    for (size_t jb0 = j0; jb0 < j1; jb0 += jb_max) {
      size_t jb = min_sz(jb_max, j1 - jb0);
      for (size_t i = 0; i < cb * jb; i++) acc[i] = (vf){0};
      for (size_t p0 = 0; p0 < s; p0 += P) {
        size_t pc = min_sz(P, s - p0), nv = (min_sz(p0 + pc, sv) - min_sz(p0, sv)) / VL, tail = pc - nv * VL;
        for (size_t jr = 0; jr < jb; jr += RJ) {
          size_t rj = min_sz(RJ, jb - jr);
          const float *col[RJ];
          for (size_t t = 0; t < rj; t++) {
            K(im2col_row)(g, x, jb0 + jr + t, p0, pc, colbuf + t * PS);
            col[t] = colbuf + t * PS;
          }
          for (size_t ir = 0; ir < cb; ir += RCO) {
            size_t rco = min_sz(RCO, cb - ir);
            const float *dyr = dy + (co0 + ir) * s + p0;
            vf *ap = acc + ir * jb + jr;
            if (nv) tiles[rco - 1][rj - 1](nv, dyr, s, col, ap, jb);
            for (size_t i = 0; i < rco && tail; i++) /* the last few columns (s not a multiple of VL) */
              for (size_t j = 0; j < rj; j++) {
                float t = 0.0f;
                for (size_t q = nv * VL; q < pc; q++) t += dyr[i * s + q] * col[j][q];
                ap[i * jb + j][0] += t;
              }
          }
        }
      }
      for (size_t i = 0; i < cb; i++)
        for (size_t j = 0; j < jb; j++) dw[(co0 + i) * kdim + jb0 + j] = hsum(acc[i * jb + j]);
    }
  }
}

/* Bias gradient: float vector partial sums over chunks, folded in double (rows are up to n*ho*wo long). */
void K(row_sums)(size_t r0, size_t r1, size_t s, const float *x, float *out) {
  for (size_t r = r0; r < r1; r++) {
    const float *xr = x + r * s;
    double total = 0.0;
    for (size_t c0 = 0; c0 < s; c0 += 4096) {
      size_t c1 = min_sz(s, c0 + 4096), i = c0;
      vf a = (vf){0};
      for (; i + VL <= c1; i += VL) a += load_u(xr + i);
      double part = hsum(a);
      for (; i < c1; i++) part += xr[i];
      total += part;
    }
    out[r] = (float)total;
  }
}
