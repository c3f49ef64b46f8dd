/*
 * conv_s1.c: stride-1 k x k convolution (k > 1, pad <= k-1) with few output channels, as a GEMM whose B rows
 * are read in place: y[m][q] (+)= sum_kk op(A)[m][kk] * plane[ci(kk)][q + off(kk)] over one image's padded
 * flat planes (padded.h), so neither im2col nor B packing exists. DenseNet's 3x3 convs have M = growth rate
 * (12..48 rows): there a packed B panel is used by 12 rows only and its packing cost more than its FMAs.
 * op(A) is w [cout][cin*k*k] or, with a_flip, the flipped transposed weight of an input gradient (dn_gemm).
 * Work unit: one NR-column tile of one image's padded output; y (+bias) is written, or added when beta = 1.
 * Measured (bench/conv-ops.ts, 1 thread, 3x3 48->12 at 32x32 batch 64): forward 28 -> 134 GFLOP/s, dx 58 -> 123.
 */
#include "padded.h"

#if VL == 16
#define MR 12 /* 12 x 32: 24 zmm accumulators, 2 B vectors, A broadcast from memory */
#else
#define MR 6
#endif
#define NV 2
#define NR (NV * VL)
#define MAX_M 64        /* more rows amortise B packing: the packed GEMM (gemm.c) is as fast */
#define L1_B (40 * 1024) /* bytes of planes one column tile reads, kept in L1 across the M tiles */

/* c[0..mr)[0..NR) = A panel [kk][MR] . B, B row kk at b + boff[kk] (NR floats, unaligned) */
INLINE void ukernel(const int mr, size_t kk, const float *RESTRICT a, const size_t *RESTRICT boff,
                    const float *RESTRICT b, float *RESTRICT c, size_t ldc) {
  vf acc[MR][NV];
  for (int i = 0; i < mr; i++)
    for (int j = 0; j < NV; j++) acc[i][j] = (vf){0};
  for (size_t p = 0; p < kk; p++, a += MR) {
    const float *bp = b + boff[p];
    vf bv[NV];
    for (int j = 0; j < NV; j++) bv[j] = load_u(bp + j * VL);
    for (int i = 0; i < mr; i++) {
      vf av = splat(a[i]);
      for (int j = 0; j < NV; j++) acc[i][j] += av * bv[j];
    }
  }
  for (int i = 0; i < mr; i++)
    for (int j = 0; j < NV; j++) *(vf *)(c + i * ldc + j * VL) = acc[i][j];
}

typedef void (*ukr_fn)(size_t kk, const float *a, const size_t *boff, const float *b, float *c, size_t ldc);
#define UKR(mr)                                                                                              \
  static void ukr_##mr(size_t kk, const float *a, const size_t *boff, const float *b, float *c, size_t ldc) { \
    ukernel(mr < MR ? mr : MR, kk, a, boff, b, c, ldc);                                                       \
  }
UKR(1) UKR(2) UKR(3) UKR(4) UKR(5) UKR(6) UKR(7) UKR(8) UKR(9) UKR(10) UKR(11) UKR(12)
static const ukr_fn ukrs[12] = {ukr_1, ukr_2, ukr_3, ukr_4, ukr_5, ukr_6, ukr_7, ukr_8, ukr_9, ukr_10, ukr_11, ukr_12};

/* scratch floats: packed A, offsets, the input planes of one image, the output tiles of one image */
static size_t need(const struct dn_conv *g) {
  size_t kk = g->cin * g->kh * g->kw, mp = round_up(g->cout, MR);
  return round_up(mp * kk, VL) + round_up(2 * kk, VL) + g->cin * flat_plane(g, NR) + mp * round_up(flat_q(g), NR);
}

size_t K(conv_s1_tiles)(const struct dn_conv *g) {
  if (g->stride != 1 || g->kh != g->kw || g->kh < 2 || g->pad >= g->kh || g->cout > MAX_M) return 0;
  int one_tile = g->cout <= MR, b_in_l1 = g->cin * g->kh * (NR + g->kw) * 4 <= L1_B;
  if (!(one_tile || b_in_l1) || need(g) > K(bwd_scratch_floats)()) return 0;
  return round_up(flat_q(g), NR) / NR;
}

/* op(A) rows into MR-row panels [panel][kk][MR], zero-padded */
static void pack_a(const struct dn_s1 *s, size_t m, size_t kk, float *RESTRICT dst) {
  size_t t = s->a_flip;
  for (size_t i0 = 0; i0 < m; i0 += MR, dst += MR * kk)
    for (size_t p = 0; p < kk; p++)
      for (size_t i = 0; i < MR; i++) {
        size_t r = i0 + i;
        float v = 0.0f;
        if (r < m) v = t ? s->a[p / t * s->lda + r * t + t - 1 - p % t] : s->a[r * s->lda + p];
        dst[p * MR + i] = v;
      }
}

/* y rows of image b for padded outputs [q0, q1) from ypad [m][ldy] (column 0 = q0) */
static void store_out(const struct dn_s1 *s, size_t b, size_t q0, size_t q1, const float *ypad, size_t ldy) {
  const struct dn_conv *g = s->g;
  size_t wp = flat_wp(g), ohw = g->ho * g->wo;
  for (size_t co = 0; co < g->cout; co++) {
    float *yc = s->y + (co * g->n + b) * ohw;
    const float *src = ypad + co * ldy;
    float bias = s->bias ? s->bias[co] : 0.0f;
    for (size_t oh = q0 / wp; oh * wp < q1; oh++) {
      size_t lo = oh * wp < q0 ? q0 - oh * wp : 0, hi = min_sz(g->wo, q1 - oh * wp);
      float *d = yc + oh * g->wo;
      const float *r = src + oh * wp - q0;
      if (s->beta != 0.0f)
        for (size_t ow = lo; ow < hi; ow++) d[ow] += r[ow];
      else
        for (size_t ow = lo; ow < hi; ow++) d[ow] = r[ow] + bias;
    }
  }
}

void K(conv_s1_part)(const struct dn_s1 *s, size_t u0, size_t u1, float *scratch) {
  const struct dn_conv *g = s->g;
  size_t kk = g->cin * g->kh * g->kw, khw = g->kh * g->kw, m = g->cout, mp = round_up(m, MR);
  size_t tiles = round_up(flat_q(g), NR) / NR, plane = flat_plane(g, NR), wp = flat_wp(g), hw = g->h * g->w;
  float *apack = scratch; /* regions 64-byte aligned: the kernel stores whole vectors to ypad */
  size_t *boff = (size_t *)(apack + round_up(mp * kk, VL));
  float *planes = (float *)boff + round_up(2 * kk, VL);
  float *ypad = planes + g->cin * plane;
  size_t ldy = tiles * NR;
  pack_a(s, m, kk, apack);
  for (size_t p = 0; p < kk; p++) boff[p] = p / khw * plane + (p % khw / g->kw) * wp + p % g->kw;
  for (size_t u = u0; u < u1;) {
    size_t b = u / tiles, t0 = u % tiles, t1 = min_sz(tiles, t0 + (u1 - u));
    for (size_t ci = 0; ci < g->cin; ci++) flat_fill(g, ci, s->x + (ci * g->n + b) * hw, planes + ci * plane, plane);
    for (size_t t = t0; t < t1; t++) {
      size_t q0 = t * NR;
      for (size_t i0 = 0; i0 < m; i0 += MR) {
        size_t mr = min_sz(MR, m - i0);
        ukrs[mr - 1](kk, apack + i0 * kk, boff, planes + q0, ypad + i0 * ldy + (q0 - t0 * NR), ldy);
      }
    }
    store_out(s, b, t0 * NR, min_sz(t1 * NR, flat_q(g)), ypad, ldy);
    u += t1 - t0;
  }
}
