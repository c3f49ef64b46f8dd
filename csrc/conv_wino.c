/*
 * conv_wino.c: 3x3 stride-1 pad-1 convolution by Winograd's minimal filtering F(4x4, 3x3) (Lavin & Gray,
 * "Fast Algorithms for Convolutional Neural Networks", CVPR 2016, arXiv 1509.09308; the matrices B^T, G, A^T
 * below are theirs, interpolation points 0, +-1, +-2, inf). Each 4x4 output tile is A^T [ (G g G^T) .* (B^T d B) ] A
 * over its 6x6 input patch d: 36 products per (tile, cout, cin) instead of 144, so the work is 36 GEMMs
 * M[xi][cout][tile] = U[xi][cout][cin] . V[xi][cin][tile]. Serves the forward (with dn_conv's BN-ReLU applied
 * while the rows a block reads are copied into a zero-padded stage: padding stays zero) and, with a_flip, the
 * input gradient (the conv of dy with the flipped transposed weight, kernels.h conv_dx_geometry), exactly the
 * dn_s1 contract of conv_s1.c. U is transformed per call (per part, for the part's rows); nothing is cached.
 * Work unit: a part is a range of tiles (tile = image, tile row, tile column; starting at a multiple of VL) x a
 * range of output rows (whole MR-row panels); dispatch.c picks the grid. A part runs its tiles in blocks of NR
 * consecutive tiles (a last block of at most VL tiles at half width: uks[0]); a block's V (36 x cin x NR) stays in
 * L2 while each of the part's MR-row panels of U runs its 36 micro-GEMMs into a small M buffer, whose output
 * transform is written straight to y: no full V or M ever exists. Split by rows, each part repeats the block's
 * input transform; split by tiles, the weight transform.
 * Measured (bench/winograd.ts, medians of 15, time / conv_s1.c's; shared machine): 1 thread, 128->32 56x56 batch 1
 * 0.42-0.46, 28x28 batch 1 0.55, 14x14 batch 1 0.64, batch 8 at 56/28/14/7: 0.42/0.44/0.46/0.57; 48->12 batch 64
 * at 32/16/8 (CPU time): forward 0.59/0.52/0.59, dx 0.60/0.48/0.43. 2 threads, wall, batch 1, before this file's
 * parts and padded strides -> after: 56x56 0.69 -> 0.52 ms, 28x28 0.23 -> 0.19, 14x14 (conv_s1.c before) 0.098 ->
 * 0.076.
 * Not here: other kernel sizes, strides, pads; the weight gradient (conv2d_dw.c).
 * Numerics: F(4x4) adds rounding error: against a float64 direct conv (bench/winograd.ts --error, x in [-2, 2],
 * BN-ReLU pre, kaiming-scale weights) max |error| 0.8-2.6e-5, 3-7e-6 of max |y| (conv_s1.c: 0.7-1.9e-6);
 * tested against the reference in test/backend/winograd.test.ts.
 */
#include "copy.h"

#if VL == 16
#define MR 12 /* 12 x 32 tile: 24 zmm accumulators, as conv_s1.c */
#else
#define MR 6
#endif
#define NV 2
#define NR (NV * VL) /* tiles per block: the micro-kernel's columns */
#define XI 36        /* 6 x 6 transformed positions */
/* Fewer tiles do not pay for the weight transform (36 x cout x cin per call): 1 thread, CPU time, medians,
 * conv_s1 / Winograd, 3x3 128->32, avx512: 7x7 batch 1 (4 tiles) 0.050 / 0.111 ms, 7x7 batch 2 (8) 0.100 / 0.117,
 * 14x14 batch 1 (16) 0.165 / 0.106, 7x7 batch 4 (16) 0.199 / 0.138; avx2: 14x14 batch 1 0.175 / 0.114, 7x7 batch
 * 4 0.222 / 0.131. (Before the padded strides and half-width blocks below, 14x14 batch 1 took 0.32 ms.) */
#define MIN_TILES 16

/* floats of scratch: U (36 x panels x cin x MR), V block (36 x cin x NR), M (36 x MR x NR), d / out staging */
static size_t stage_floats(const struct dn_conv *g);
/* xi strides of U and V, padded by a cache line: unpadded (16 KiB for 128->32) the 36 stores of one transform
 * all fell in the same L1 set. With the weight transform's whole-vector stores below, bench/winograd.ts-like
 * loop, 1 thread, CPU time, medians of 3 interleaved runs, before -> after, 128->32: 56x56 batch 1 1.15 -> 0.99 ms,
 * 28x28 batch 1 0.40 -> 0.33, 14x14 batch 8 0.68 -> 0.57, 56x56 batch 8 8.2 -> 8.0 */
#define XPAD 16
static size_t ustride(const struct dn_conv *g) { return round_up(g->cout, MR) * g->cin + XPAD; }
static size_t vstride(const struct dn_conv *g) { return g->cin * NR + XPAD; }
static size_t need(const struct dn_conv *g) {
  return XI * ustride(g) + XI * vstride(g) + XI * MR * NR + XI * NR + stage_floats(g);
}

static size_t tiles_of(const struct dn_conv *g) { return g->n * ((g->ho + 3) / 4) * ((g->wo + 3) / 4); }

size_t K(conv_wino_tiles)(const struct dn_conv *g, size_t *lanes, size_t *mr) {
  *lanes = VL, *mr = MR;
  if (g->stride != 1 || g->kh != 3 || g->kw != 3 || g->pad != 1 || g->ho != g->h || g->wo != g->w) return 0;
  if (need(g) > K(gemm_scratch_floats)() || tiles_of(g) < MIN_TILES) return 0;
  return tiles_of(g);
}

/* U[xi][panel][ci][MR] = G g G^T of each filter g (3x3) of op(A) (row = output channel), for rows [r0, r1) (r0 a
 * multiple of MR), zero rows past m.
 * One (panel, ci) at a time, its MR filters side by side in vectors so the arithmetic runs across them and each
 * of the 36 destinations gets MR floats in a row. Filter by filter in scalar code, with 36 scattered stores each,
 * this took ~0.45 ms of a 0.5 ms 128->32 7x7 batch-1 conv (perf, loaded machine). The taps of TCH channels are
 * gathered into buf first (inserting them lane by lane into vectors, and storing MR floats one at a time, this
 * was ~17% of a 128->32 28x28 batch-1 conv, perf, before the padded strides; ~10% after both). */
#if MR > 8
#define WL 16
#else
#define WL 8
#endif
typedef float vw __attribute__((vector_size(WL * 4))); /* MR filters side by side (WL >= MR lanes) */

typedef float vwu __attribute__((vector_size(WL * 4), aligned(4), __may_alias__));
#define TCH 8 /* input channels whose filters are gathered at a time */

static void transform_weights(const struct dn_s1 *s, size_t r0, size_t r1, float *RESTRICT u) {
  const struct dn_conv *g = s->g;
  size_t m = min_sz(g->cout, r1), cin = g->cin, us = ustride(g), t = s->a_flip;
  float buf[TCH * 9 * WL] __attribute__((aligned(64))); /* [c][k][lane]: filter k-th taps of TCH channels */
  vw f[9], gg[6][3], tmp[XI];
  for (size_t q = 0; q < TCH * 9; q++) *(vw *)(buf + q * WL) = (vw){0}; /* lanes past MR (or m) stay zero */
  for (size_t i0 = r0; i0 < m; i0 += MR)
    for (size_t c0 = 0; c0 < cin; c0 += TCH) {
      size_t nc = min_sz(TCH, cin - c0);
      if (i0 + MR > m && c0 == 0)
        for (size_t q = 0; q < TCH * 9; q++) *(vw *)(buf + q * WL) = (vw){0};
      for (size_t i = 0; i < MR && i0 + i < m; i++) {
        size_t r = i0 + i;
        if (t) /* a_flip: op(A)[r][ci*9 + k] = a[ci*lda + r*9 + 8 - k] (kernels.h) */
          for (size_t c = 0; c < nc; c++)
            for (size_t k = 0; k < 9; k++) buf[(c * 9 + k) * WL + i] = s->a[(c0 + c) * s->lda + r * 9 + 8 - k];
        else
          for (size_t q = 0; q < nc * 9; q++) buf[q * WL + i] = s->a[r * s->lda + c0 * 9 + q];
      }
      for (size_t c = 0; c < nc; c++) {
        for (size_t k = 0; k < 9; k++) f[k] = *(const vw *)(buf + (c * 9 + k) * WL);
        for (int j = 0; j < 3; j++) { /* G g */
          vw a0 = f[j], a1 = f[3 + j], a2 = f[6 + j];
          gg[0][j] = a0 * 0.25f;
          gg[1][j] = (a0 + a1 + a2) * (-1.0f / 6);
          gg[2][j] = (a0 - a1 + a2) * (-1.0f / 6);
          gg[3][j] = a0 * (1.0f / 24) + a1 * (1.0f / 12) + a2 * (1.0f / 6);
          gg[4][j] = a0 * (1.0f / 24) - a1 * (1.0f / 12) + a2 * (1.0f / 6);
          gg[5][j] = a2;
        }
        for (int k = 0; k < 6; k++) { /* (G g) G^T: row k is xi = 6k .. 6k+5 */
          vw a0 = gg[k][0], a1 = gg[k][1], a2 = gg[k][2];
          tmp[6 * k + 0] = a0 * 0.25f;
          tmp[6 * k + 1] = (a0 + a1 + a2) * (-1.0f / 6);
          tmp[6 * k + 2] = (a0 - a1 + a2) * (-1.0f / 6);
          tmp[6 * k + 3] = a0 * (1.0f / 24) + a1 * (1.0f / 12) + a2 * (1.0f / 6);
          tmp[6 * k + 4] = a0 * (1.0f / 24) - a1 * (1.0f / 12) + a2 * (1.0f / 6);
          tmp[6 * k + 5] = a2;
        }
        /* whole vectors: lanes MR..WL-1 (zero) spill into the next channel's slot, written after this one, or
         * past the last panel into the row's XPAD */
        float *dst = u + i0 * cin + (c0 + c) * MR;
        for (size_t xi = 0; xi < XI; xi++) *(vwu *)(dst + xi * us) = tmp[xi];
      }
    }
}

/* B^T z over 6 vectors (one direction of B^T d B) */
#define BT6(z, o)                                                  \
  do {                                                             \
    o[0] = 4.0f * z[0] - 5.0f * z[2] + z[4];                       \
    o[1] = -4.0f * (z[1] + z[2]) + z[3] + z[4];                    \
    o[2] = 4.0f * (z[1] - z[2]) - z[3] + z[4];                     \
    o[3] = 2.0f * (z[3] - z[1]) - z[2] + z[4];                     \
    o[4] = 2.0f * (z[1] - z[3]) - z[2] + z[4];                     \
    o[5] = 4.0f * z[1] - 5.0f * z[3] + z[5];                       \
  } while (0)
/* A^T z over 6 vectors -> 4 */
#define AT6(z, o)                                                  \
  do {                                                             \
    vf s12 = z[1] + z[2], d12 = z[1] - z[2];                       \
    vf s34 = z[3] + z[4], d34 = z[3] - z[4];                       \
    o[0] = z[0] + s12 + s34;                                       \
    o[1] = d12 + 2.0f * d34;                                       \
    o[2] = s12 + 4.0f * s34;                                       \
    o[3] = d12 + 8.0f * d34 + z[5];                                \
  } while (0)

/* A block's tiles: per lane the output tile origin and image, and where its 6x6 patch starts in the stage, a
 * zero-padded copy (rows of wpp = 4*tw + 2 floats: input column -1 .. 4*tw) of the input rows the block reads,
 * one segment per image it touches; dead lanes (past the last tile) read the stage's start and are not stored. */
struct block {
  size_t oimg[NR];     /* b * ho * wo */
  int y0[NR], x0[NR];  /* output tile origin (4ty, 4tx) */
  int live[NR];
  size_t off[NR];      /* patch origin in the stage */
  size_t nseg, seg_img[NR + 1], seg_row0[NR + 1], seg_rows[NR + 1], seg_base[NR + 1];
  size_t wpp, stage;   /* stage floats */
  int fours[NR / 4];   /* lanes 4i .. 4i+3: live tiles side by side in one stage row (off + 4k) */
  size_t count;        /* live lanes: 0 .. count-1 */
};

/* 4 floats (unaligned): the gather's transposes work in quads whatever VL is */
typedef float v4 __attribute__((vector_size(16)));
typedef float v4u __attribute__((vector_size(16), aligned(4), __may_alias__));
INLINE v4 ld4(const float *p) { return *(const v4u *)p; }
INLINE void st4(float *p, v4 v) { *(v4u *)p = v; }

static size_t stage_floats(const struct dn_conv *g) { /* bound of block.stage (+ copy_over slack) */
  size_t th = (g->ho + 3) / 4, tw = (g->wo + 3) / 4, wpp = 4 * tw + 2;
  return min_sz(6 * (NR + 1), g->n * (4 * th + 2)) * wpp + VL + 4; /* + the quad gather's reach */
}

static void block_tiles(const struct dn_conv *g, size_t t_first, size_t count, struct block *B) {
  size_t th = (g->ho + 3) / 4, tw = (g->wo + 3) / 4, per = th * tw, total = g->n * per, wpp = 4 * tw + 2;
  size_t ty_a = 0, ty_b = 0, base = 0;
  B->wpp = wpp, B->nseg = 0, B->count = count;
  for (size_t l = 0; l < NR; l++) {
    size_t t = t_first + l;
    B->live[l] = l < count && t < total;
    if (!B->live[l]) {
      B->off[l] = 0, B->oimg[l] = 0, B->y0[l] = B->x0[l] = 0;
      continue;
    }
    size_t b = t / per, r = t % per, ty = r / tw, tx = r % tw;
    if (B->nseg == 0 || B->seg_img[B->nseg - 1] != b) {
      if (B->nseg) base += (B->seg_rows[B->nseg - 1] = 4 * (ty_b - ty_a) + 6) * wpp;
      B->seg_img[B->nseg] = b, B->seg_row0[B->nseg] = 4 * ty, B->seg_base[B->nseg] = base, B->nseg++;
      ty_a = ty;
    }
    ty_b = ty;
    B->oimg[l] = b * g->ho * g->wo, B->y0[l] = (int)(ty * 4), B->x0[l] = (int)(tx * 4);
    B->off[l] = base + (ty - ty_a) * 4 * wpp + tx * 4;
  }
  B->seg_rows[B->nseg - 1] = 4 * (ty_b - ty_a) + 6;
  B->stage = base + B->seg_rows[B->nseg - 1] * wpp;
  for (size_t q = 0; q < NR / 4; q++) {
    size_t l = 4 * q;
    B->fours[q] = B->live[l + 3] && B->off[l + 3] == B->off[l] + 12 && B->off[l + 1] == B->off[l] + 4 &&
                  B->off[l + 2] == B->off[l] + 8;
  }
}

/* the stage of input channel ci: padded rows seg_row0 .. (input row = padded row - 1), x' = pre(x) */
static void fill_stage(const struct dn_s1 *s, const struct block *B, size_t ci, float *RESTRICT st) {
  const struct dn_conv *g = s->g;
  size_t hw = g->h * g->w, wpp = B->wpp;
  const float *xc = s->x + ci * g->n * hw, *xend = xc + g->n * hw;
  int pre = g->pre_scale != 0;
  float a = pre ? g->pre_scale[ci] : 1.0f, b = pre ? g->pre_shift[ci] : 0.0f;
  for (size_t sg = 0; sg < B->nseg; sg++) {
    float *d = st + B->seg_base[sg];
    const float *img = xc + B->seg_img[sg] * hw;
    for (size_t r = 0; r < B->seg_rows[sg]; r++, d += wpp) {
      size_t pr = B->seg_row0[sg] + r; /* padded row: input row pr - 1 */
      if (pr == 0 || pr > g->h) {
        zero_over(d, wpp);
        continue;
      }
      const float *src = img + (pr - 1) * g->w;
      d[0] = 0.0f;
      if (pre) copy_over_pre(d + 1, src, g->w, xend, a, b, g->pre_relu);
      else copy_over(d + 1, src, g->w, xend);
      for (size_t c = g->w + 1; c < wpp; c++) d[c] = 0.0f;
    }
  }
  /* the next channel's rows: short streams, one per channel, that the hardware prefetcher does not catch in
   * time (perf, 3x3 48->12 32x32 batch 64: this fill was 21% of the conv, more than the GEMM, before) */
  if (ci + 1 < g->cin)
    for (size_t sg = 0; sg < B->nseg; sg++) {
      size_t r0 = B->seg_row0[sg] ? B->seg_row0[sg] - 1 : 0, r1 = min_sz(g->h, B->seg_row0[sg] + B->seg_rows[sg] - 1);
      const char *p = (const char *)(xc + g->n * hw + B->seg_img[sg] * hw + r0 * g->w), *e = p + (r1 - r0) * g->w * 4;
      for (; p < e; p += 64) __builtin_prefetch(p);
    }
}

/* V[xi][ci][0..NR) for the block: each lane's 6x6 patch from the stage, then B^T d B across lanes */
static void input_transform(const struct dn_s1 *s, const struct block *B, int nv, float *RESTRICT v,
                            float *RESTRICT d, float *RESTRICT st) {
  const struct dn_conv *g = s->g;
  size_t wpp = B->wpp, vs = vstride(g), quads = round_up(B->count, 4);
  /* quads with no live tile: zero once, not gathered per channel (a 4-tile block at half width gathered 16 lanes) */
  for (size_t l = quads; l < (size_t)nv * VL; l += 4)
    for (size_t xi = 0; xi < XI; xi++) st4(d + xi * NR + l, (v4){0});
  for (size_t ci = 0; ci < g->cin; ci++) {
    fill_stage(s, B, ci, st);
    for (size_t l = 0; l < quads; l += 4) {
      /* 4 consecutive tiles of one stage row: a 4x4 transpose per patch row, 6 quad stores instead of 24 scalar
       * ones. bench/winograd.ts, 1 thread, CPU time, conv_s1 / Winograd before -> after: 128->32 56x56 batch 1
       * 0.63 -> 0.53, batch 8 0.59 -> 0.46; 48->12 32x32 batch 64 forward 0.87 -> 0.71, dx 0.80 -> 0.72 */
      if (B->fours[l / 4]) {
        const float *p = st + B->off[l];
        for (int r = 0; r < 6; r++, p += wpp) {
          v4 a = ld4(p), b = ld4(p + 4), c = ld4(p + 8), e = ld4(p + 12), f = ld4(p + 16);
          v4 t0 = __builtin_shufflevector(a, b, 0, 4, 1, 5), t1 = __builtin_shufflevector(c, e, 0, 4, 1, 5);
          v4 t2 = __builtin_shufflevector(a, b, 2, 6, 3, 7), t3 = __builtin_shufflevector(c, e, 2, 6, 3, 7);
          v4 c0 = __builtin_shufflevector(t0, t1, 0, 1, 4, 5), c1 = __builtin_shufflevector(t0, t1, 2, 3, 6, 7);
          float *o = d + (size_t)(r * 6) * NR + l;
          st4(o, c0);
          st4(o + NR, c1);
          st4(o + 2 * NR, __builtin_shufflevector(t2, t3, 0, 1, 4, 5));
          st4(o + 3 * NR, __builtin_shufflevector(t2, t3, 2, 3, 6, 7));
          st4(o + 4 * NR, __builtin_shufflevector(c0, f, 1, 2, 3, 4));
          st4(o + 5 * NR, __builtin_shufflevector(c1, f, 1, 2, 3, 5));
        }
        continue;
      }
      for (size_t k = l; k < l + 4; k++) {
        const float *p = st + B->off[k];
        for (int r = 0; r < 6; r++, p += wpp)
          for (int c = 0; c < 6; c++) d[(r * 6 + c) * NR + k] = p[c];
      }
    }
    for (int j = 0; j < nv; j++) {
      vf t[6][6];
      for (int c = 0; c < 6; c++) { /* columns: B^T over rows r */
        vf z[6], o[6];
        for (int r = 0; r < 6; r++) z[r] = *(const vf *)(d + (r * 6 + c) * NR + j * VL);
        BT6(z, o);
        for (int r = 0; r < 6; r++) t[r][c] = o[r];
      }
      for (int r = 0; r < 6; r++) { /* rows: B over columns */
        vf o[6];
        BT6(t[r], o);
        for (int c = 0; c < 6; c++) *(vf *)(v + (size_t)(r * 6 + c) * vs + ci * NR + j * VL) = o[c];
      }
    }
  }
}

/* c[0..mr)[0..NR) = A . B over kc: A packed [kc][MR], B [kc][NR], c [MR][NR]; all 64-byte aligned */
INLINE void ukernel(const int mr, const int nv, size_t kc, const float *RESTRICT a, const float *RESTRICT b,
                    float *RESTRICT c) {
  vf acc[MR][NV];
  for (int i = 0; i < mr; i++)
    for (int j = 0; j < nv; j++) acc[i][j] = (vf){0};
  for (size_t p = 0; p < kc; p++, a += MR, b += NR) {
    vf bv[NV];
    for (int j = 0; j < nv; j++) bv[j] = *(const vf *)(b + j * VL);
    for (int i = 0; i < mr; i++) {
      vf av = splat(a[i]);
      for (int j = 0; j < nv; j++) acc[i][j] = madd(acc[i][j], av, bv[j]);
    }
  }
  for (int i = 0; i < mr; i++)
    for (int j = 0; j < nv; j++) *(vf *)(c + i * NR + j * VL) = acc[i][j];
}
/* uks[nv - 1][mr - 1]: nv = 1 for a block of at most VL tiles (half the columns, half the FMAs) */
typedef void (*ukr_fn)(size_t kc, const float *a, const float *b, float *c);
#define UKR(mr)                                                                                                  \
  static void uk_##mr(size_t kc, const float *a, const float *b, float *c) {                                     \
    ukernel(mr < MR ? mr : MR, NV, kc, a, b, c);                                                                 \
  }                                                                                                              \
  static void uk1_##mr(size_t kc, const float *a, const float *b, float *c) {                                    \
    ukernel(mr < MR ? mr : MR, 1, kc, a, b, c);                                                                  \
  }
UKR(1) UKR(2) UKR(3) UKR(4) UKR(5) UKR(6) UKR(7) UKR(8) UKR(9) UKR(10) UKR(11) UKR(12)
static const ukr_fn uks[2][12] = {
    {uk1_1, uk1_2, uk1_3, uk1_4, uk1_5, uk1_6, uk1_7, uk1_8, uk1_9, uk1_10, uk1_11, uk1_12},
    {uk_1, uk_2, uk_3, uk_4, uk_5, uk_6, uk_7, uk_8, uk_9, uk_10, uk_11, uk_12}};

/* rows [i0, i0+mr) of the block's outputs from M [36][MR][NR]: A^T M A per lane, written (+bias) or added */
static void output_transform(const struct dn_s1 *s, const struct block *L, int nv, size_t i0, size_t mr,
                             const float *mb, float *RESTRICT ob) {
  const struct dn_conv *g = s->g;
  size_t ohw = g->ho * g->wo;
  int ho = (int)g->ho, wo = (int)g->wo;
  for (size_t i = 0; i < mr; i++) {
    size_t co = i0 + i;
    float bias = s->bias && s->beta == 0.0f ? s->bias[co] : 0.0f;
    for (int j = 0; j < nv; j++) {
      vf t[6][4];
      for (int r = 0; r < 6; r++) { /* rows: A over columns */
        vf z[6], o[4];
        for (int c = 0; c < 6; c++) z[c] = *(const vf *)(mb + ((size_t)(r * 6 + c) * MR + i) * NR + j * VL);
        AT6(z, o);
        for (int c = 0; c < 4; c++) t[r][c] = o[c];
      }
      for (int c = 0; c < 4; c++) { /* columns: A^T over rows */
        vf z[6], o[4];
        for (int r = 0; r < 6; r++) z[r] = t[r][c];
        AT6(z, o);
        for (int r = 0; r < 4; r++) *(vf *)(ob + (size_t)(r * 4 + c) * NR + j * VL) = o[r];
      }
    }
    float *yc = s->y + co * g->n * ohw;
    for (size_t l = 0; l < (size_t)nv * VL; l++) {
      if (!L->live[l]) continue;
      if (l % 4 == 0 && L->fours[l / 4] && L->y0[l] + 4 <= ho && L->x0[l + 3] + 4 <= wo) {
        /* 4 whole tiles side by side: each output row is 16 floats in a row, a 4x4 transpose of the lanes.
         * bench/winograd.ts, 1 thread, CPU time, conv_s1 / Winograd before -> after, 48->12 batch 64: 32x32
         * forward 0.71 -> 0.67, dx 0.72 -> 0.68; 16x16 forward 0.68 -> 0.61, dx 0.67 -> 0.54 (128->32: same) */
        float *yt = yc + L->oimg[l] + L->y0[l] * wo + L->x0[l];
        v4 vb = {bias, bias, bias, bias};
        for (int r = 0; r < 4; r++, yt += wo) {
          const float *q = ob + (size_t)(r * 4) * NR + l;
          v4 a = ld4(q), b = ld4(q + NR), c = ld4(q + 2 * NR), e = ld4(q + 3 * NR);
          v4 t0 = __builtin_shufflevector(a, b, 0, 4, 1, 5), t1 = __builtin_shufflevector(c, e, 0, 4, 1, 5);
          v4 t2 = __builtin_shufflevector(a, b, 2, 6, 3, 7), t3 = __builtin_shufflevector(c, e, 2, 6, 3, 7);
          v4 o[4] = {__builtin_shufflevector(t0, t1, 0, 1, 4, 5), __builtin_shufflevector(t0, t1, 2, 3, 6, 7),
                     __builtin_shufflevector(t2, t3, 0, 1, 4, 5), __builtin_shufflevector(t2, t3, 2, 3, 6, 7)};
          for (int k = 0; k < 4; k++) st4(yt + 4 * k, s->beta != 0.0f ? ld4(yt + 4 * k) + o[k] : o[k] + vb);
        }
        l += 3;
        continue;
      }
      float *yt = yc + L->oimg[l] + L->y0[l] * wo + L->x0[l];
      int rows = ho - L->y0[l] < 4 ? ho - L->y0[l] : 4, cols = wo - L->x0[l] < 4 ? wo - L->x0[l] : 4;
      if (s->beta != 0.0f)
        for (int r = 0; r < rows; r++)
          for (int c = 0; c < cols; c++) yt[r * wo + c] += ob[(r * 4 + c) * NR + l];
      else
        for (int r = 0; r < rows; r++)
          for (int c = 0; c < cols; c++) yt[r * wo + c] = ob[(r * 4 + c) * NR + l] + bias;
    }
  }
}

/* tiles [t0, t1) (t0 a multiple of VL), output rows [r0, r1) (r0 a multiple of MR); scratch as need(). Each part
 * transforms its own rows of U: one U transformed once (split over input channels in a first pool job) and read
 * by every part measured slower (2 threads, critical-path CPU per call, 56x56 batch 1 0.56-0.62 -> 0.74-0.77 ms,
 * 28x28 batch 1 0.19-0.21 -> 0.24: the other core's writes come through L3) */
void K(conv_wino_part)(const struct dn_s1 *s, size_t t0, size_t t1, size_t r0, size_t r1, float *scratch) {
  const struct dn_conv *g = s->g;
  size_t cin = g->cin, m = min_sz(g->cout, r1), us = ustride(g), vs = vstride(g);
  float *u = scratch, *v = u + XI * us, *mb = v + XI * vs, *d = mb + XI * MR * NR, *st = d + XI * NR;
  transform_weights(s, r0, r1, u);
  for (size_t b0 = t0; b0 < t1; b0 += NR) {
    struct block B;
    size_t count = min_sz(NR, t1 - b0);
    int nv = count > VL ? NV : 1;
    block_tiles(g, b0, count, &B);
    input_transform(s, &B, nv, v, d, st);
    for (size_t i0 = r0; i0 < m; i0 += MR) {
      size_t mr = min_sz(MR, m - i0);
      for (size_t xi = 0; xi < XI; xi++)
        uks[nv - 1][mr - 1](cin, u + xi * us + i0 * cin, v + xi * vs, mb + xi * MR * NR);
      output_transform(s, &B, nv, i0, mr, mb, d);
    }
  }
}
