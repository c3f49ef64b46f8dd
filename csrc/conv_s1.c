/*
 * conv_s1.c: stride-1 k x k convolution (k > 1, pad <= k-1) with few output channels, as a GEMM whose B rows
 * are read in place: y[m][q] (+)= sum_kk op(A)[m][kk] * plane[ci(kk)][q + off(kk)] over one image's padded
 * flat planes (padded.h), so neither im2col nor B packing exists. DenseNet's 3x3 convs have M = growth rate
 * (12..48 rows): there a packed B panel is used by 12 rows only and its packing cost more than its FMAs.
 * op(A) is w [cout][cin*k*k], read in place, or with a_flip the flipped transposed weight of an input
 * gradient (dn_gemm), packed once per call. Work unit: one NR-column tile of one image's padded output.
 * A part runs its tiles in chunks of at most CHUNK columns; per chunk, input channels go in blocks small
 * enough that the block's A rows and one tile's B rows stay in L1, each block filling only the plane window
 * its tiles read (so threads splitting one image fill their own share) and accumulating into the chunk's
 * output buffer; y (+bias) is then written, or added when beta = 1.
 * Measured (bench/conv-ops.ts, 1 thread, 3x3 48->12 at 32x32 batch 64): forward 28 -> 134 GFLOP/s, dx 58 -> 123.
 * Blocked version (1 thread, shared machine under load, DenseNet-121 3x3 128->32 at batch 1, best of 9, against the
 * im2col GEMM those took before): 56x56 98 -> 153 GFLOP/s, 28x28 94 -> 152, 14x14 60 -> 126, 7x7 48 -> 94.
 */
#include "padded.h"

#if VL == 16
#define MR 12 /* 12 x 32: 24 zmm accumulators, 2 B vectors, A broadcast from memory */
#else
#define MR 6
#endif
#define NV 2
#define NR (NV * VL)
#define MAX_M 64          /* more rows amortise B packing: the packed GEMM (gemm.c) is as fast */
#define L1_BLOCK (40 * 1024) /* bytes of A rows + one tile's B rows of a channel block (16..96 KiB: same speed at 128->32) */
#define CHUNK (64 * NR)   /* output columns per chunk: bounds the scratch whatever the image size */

/* c[0..mr)[0..NR) (+)= A . B over kk steps; A element (i, p) at a[i*ars + p*acs] (packed panel: 1, MR; in
 * place: lda, 1); B row p at b + boff[p] (NR floats, unaligned); c 64-byte aligned */
INLINE void ukernel(const int mr, size_t kk, const float *RESTRICT a, size_t ars, size_t acs,
                    const size_t *RESTRICT boff, const float *RESTRICT b, float *RESTRICT c, size_t ldc, int acc_c) {
  vf acc[MR][NV];
  for (int i = 0; i < mr; i++)
    for (int j = 0; j < NV; j++) acc[i][j] = (vf){0};
  for (size_t p = 0; p < kk; p++, a += acs) {
    const float *bp = b + boff[p];
    vf bv[NV];
    for (int j = 0; j < NV; j++) bv[j] = load_u(bp + j * VL);
    for (int i = 0; i < mr; i++) {
      vf av = splat(a[i * ars]);
      for (int j = 0; j < NV; j++) acc[i][j] = madd(acc[i][j], av, bv[j]);
    }
  }
  for (int i = 0; i < mr; i++)
    for (int j = 0; j < NV; j++) {
      vf *d = (vf *)(c + i * ldc + j * VL);
      *d = acc_c ? *d + acc[i][j] : acc[i][j];
    }
}

typedef void (*ukr_fn)(size_t kk, const float *a, size_t lda, const size_t *boff, const float *b, float *c,
                       size_t ldc, int acc_c);
#define UKR(mr)                                                                                               \
  static void ukp_##mr(size_t kk, const float *a, size_t lda, const size_t *boff, const float *b, float *c,  \
                       size_t ldc, int acc_c) {                                                             \
    (void)lda;                                                                                              \
    ukernel(mr < MR ? mr : MR, kk, a, 1, MR, boff, b, c, ldc, acc_c);                                       \
  }                                                                                                         \
  static void ukd_##mr(size_t kk, const float *a, size_t lda, const size_t *boff, const float *b, float *c,  \
                       size_t ldc, int acc_c) {                                                             \
    ukernel(mr < MR ? mr : MR, kk, a, lda, 1, boff, b, c, ldc, acc_c);                                      \
  }
UKR(1) UKR(2) UKR(3) UKR(4) UKR(5) UKR(6) UKR(7) UKR(8) UKR(9) UKR(10) UKR(11) UKR(12)
static const ukr_fn ukps[12] = {ukp_1, ukp_2, ukp_3, ukp_4, ukp_5, ukp_6, ukp_7, ukp_8, ukp_9, ukp_10, ukp_11, ukp_12};
static const ukr_fn ukds[12] = {ukd_1, ukd_2, ukd_3, ukd_4, ukd_5, ukd_6, ukd_7, ukd_8, ukd_9, ukd_10, ukd_11, ukd_12};

/* input channels per block: equal blocks, each within L1_BLOCK (at least one channel) */
static size_t channel_block(const struct dn_conv *g) {
  size_t per = (g->cout * g->kh * g->kw + g->kh * (NR + g->kw)) * 4;
  size_t cb = max_sz(1, L1_BLOCK / per), nb = (g->cin + cb - 1) / cb;
  return (g->cin + nb - 1) / nb;
}

/* floats of one channel's plane window for `cols` output columns: the columns plus the taps' reach */
static size_t window(const struct dn_conv *g, size_t cols) {
  return round_up(cols + (g->kh - 1) * flat_wp(g) + g->kw, VL);
}

/* scratch floats: packed A, offsets, one channel block's windows, one chunk's output tiles */
static size_t need(const struct dn_conv *g) {
  size_t kk = g->cin * g->kh * g->kw, mp = round_up(g->cout, MR), cols = min_sz(CHUNK, round_up(flat_q(g), NR));
  return round_up(mp * kk, VL) + round_up(2 * kk + 2, VL) + channel_block(g) * window(g, cols) + mp * cols;
}

size_t K(conv_s1_tiles)(const struct dn_conv *g) {
  if (g->stride != 1 || g->kh != g->kw || g->kh < 2 || g->pad >= g->kh || g->cout > MAX_M) return 0;
  if (need(g) > K(bwd_scratch_floats)()) return 0;
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

/* boff[1 + p] = offset of B row p (tap i, j of channel ci in the block) among windows of `win` floats; boff[0] = win
 * (no divisions, and only when the window changes: rebuilt per image it slowed 48->12 at 8x8, batch 64) */
static void set_offsets(const struct dn_conv *g, size_t cb, size_t win, size_t *boff) {
  size_t *o = boff + 1, wp = flat_wp(g);
  boff[0] = win;
  for (size_t ci = 0; ci < cb; ci++)
    for (size_t i = 0; i < g->kh; i++)
      for (size_t j = 0; j < g->kw; j++) *o++ = ci * win + i * wp + j;
}

/* tiles [t0, t1) of image b, (t1 - t0) * NR <= CHUNK */
static void run_chunk(const struct dn_s1 *s, size_t b, size_t t0, size_t t1, const float *apack,
                      size_t *boff, float *wins, float *ypad) {
  const struct dn_conv *g = s->g;
  size_t khw = g->kh * g->kw, kk = g->cin * khw, m = g->cout, hw = g->h * g->w, cb = channel_block(g);
  size_t q0 = t0 * NR, ldy = (t1 - t0) * NR, win = window(g, ldy);
  if (boff[0] != win) set_offsets(g, cb, win, boff);
  for (size_t c0 = 0; c0 < g->cin; c0 += cb) {
    size_t nc = min_sz(cb, g->cin - c0), kc = nc * khw;
    for (size_t ci = c0; ci < c0 + nc; ci++)
      if (q0 == 0 && t1 * NR >= flat_q(g)) /* the window is the whole plane: flat_fill's plain row loop. 1 thread,
                                            * min of 11, loaded machine: 3x3 48->12 32x32 batch 64 forward 4.96 ->
                                            * 4.68 ms (4.68 before windows); DenseNet-121 3x3 128->32 batch 1 14x14
                                            * 102 -> 98 us, 7x7 34 -> 32 us (one chunk per image) */
        flat_fill(g, ci, s->x + (ci * g->n + b) * hw, wins + (ci - c0) * win, win);
      else
        flat_fill_window(g, ci, s->x + (ci * g->n + b) * hw, wins + (ci - c0) * win, q0, win);
    for (size_t q = 0; q < ldy; q += NR)
      for (size_t i0 = 0; i0 < m; i0 += MR) {
        size_t mr = min_sz(MR, m - i0);
        float *c = ypad + i0 * ldy + q;
        if (apack)
          ukps[mr - 1](kc, apack + i0 * kk + c0 * khw * MR, 0, boff + 1, wins + q, c, ldy, c0 > 0);
        else
          ukds[mr - 1](kc, s->a + i0 * s->lda + c0 * khw, s->lda, boff + 1, wins + q, c, ldy, c0 > 0);
      }
  }
  store_out(s, b, q0, min_sz(t1 * NR, flat_q(g)), ypad, ldy);
}

void K(conv_s1_part)(const struct dn_s1 *s, size_t u0, size_t u1, float *scratch) {
  const struct dn_conv *g = s->g;
  size_t kk = g->cin * g->kh * g->kw, m = g->cout, mp = round_up(m, MR);
  size_t tiles = round_up(flat_q(g), NR) / NR, cb = channel_block(g);
  size_t chunk = min_sz(CHUNK / NR, tiles);
  /* regions 64-byte aligned: the kernel loads and stores whole vectors of ypad */
  float *apack = s->a_flip ? scratch : 0;
  size_t *boff = (size_t *)(scratch + round_up(mp * kk, VL));
  float *wins = (float *)boff + round_up(2 * kk + 2, VL);
  float *ypad = wins + cb * window(g, chunk * NR);
  if (apack) pack_a(s, m, kk, apack);
  boff[0] = 0; /* no offsets yet */
  for (size_t u = u0; u < u1;) {
    size_t b = u / tiles, t0 = u % tiles, t1 = min_sz(tiles, t0 + (u1 - u));
    /* equal chunks of this image's tiles */
    size_t nch = (t1 - t0 + chunk - 1) / chunk, per = (t1 - t0 + nch - 1) / nch;
    for (size_t t = t0; t < t1; t += per) run_chunk(s, b, t, min_sz(t1, t + per), apack, boff, wins, ypad);
    u += t1 - t0;
  }
}
