/*
 * dispatch.c: ISA choice and work splitting for the addon (the wasm build has its own driver). Ops big
 * enough to pay for a hand-off (~100 us of work; DESIGN.md: a hand-off costs 5-15 us) are split over the
 * pool: GEMM/convolution over a grid of row parts x column parts (plan_split), the rest by channels or elements.
 * Nothing assumes 2 threads: an op gets as many parts as its work pays for (PART_FLOPS, PAR_ELEMS / 2 each), at
 * most the pool's threads; at 8 or 16 threads a small op (DenseNet-121's 7x7 and 14x14 maps at batch 1) runs on
 * fewer threads than the pool has, split in two dimensions, instead of handing empty parts to the rest.
 * Winograd 3x3 convs (conv_wino.c) split over tile ranges x output-row ranges (plan_wino); DenseNet-121 batch 1,
 * 2 threads, wall, bench/winograd.ts (medians of 15, one quiet run each, shared machine), blocks of 32 tiles
 * before -> after (with conv_wino.c's padded strides): 56x56 0.69 -> 0.52 ms (13 lane groups: 6 + 7, not 3 + 4
 * blocks of 32), 28x28 0.23 -> 0.19, 14x14 (conv_s1.c before: one block) 0.098 -> 0.076 (row panels 12 | 20);
 * with conv_s1.c's lower split threshold below, the DenseNet-121 eval forward at batch 1 (model.forward in a loop,
 * medians of 10, 3 runs interleaved with the old build) 27.2-28.2 -> 24.9-25.3 ms.
 */
#define _GNU_SOURCE
#include "dispatch.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "threadpool.h"

#define PAR_FLOPS 4000000.0 /* ~25 us of GEMM on one core: below this, one thread */
#define PART_FLOPS (PAR_FLOPS / 2) /* GEMM work per part: an op of F flops takes at most F / PART_FLOPS threads */
#define PAR_ELEMS (1u << 18) /* elementwise ops: ~1 MiB of floats */
/* Linear at small batches streams its weights from memory (the classifier's 4 MB after the network ran), so
 * from 1 MiB of weights it splits output features whatever its FLOPs. 1024 -> 1000 with the weights evicted
 * from cache before each call, quiet machine, medians of 30, 1 -> 2 threads: batch 1 164-179 -> 144 us,
 * batch 8 360-366 -> 253-264 us. (With another process holding both cores, 2 threads were slower.) */
#define PAR_LINEAR_BYTES (1u << 20)

#if defined(__x86_64__) || defined(__i386__)
static const struct dn_kernels *const all[] = {&dn_kernels_avx512, &dn_kernels_avx2, &dn_kernels_sse2};
static int supported(const struct dn_kernels *k) {
  __builtin_cpu_init();
  if (k == &dn_kernels_avx512) return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx2");
  if (k == &dn_kernels_avx2) return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  return 1;
}
#elif defined(__aarch64__)
static const struct dn_kernels *const all[] = {&dn_kernels_neon};
static int supported(const struct dn_kernels *k) { return k != 0; }
#else
static const struct dn_kernels *const all[] = {&dn_kernels_generic};
static int supported(const struct dn_kernels *k) { return k != 0; }
#endif
#define NUM_ISAS (sizeof all / sizeof all[0])

static const struct dn_kernels *kt; /* the active table */
static char isa_list[64];

int dn_set_isa(const char *name) {
  for (size_t i = 0; i < NUM_ISAS; i++)
    if (strcmp(all[i]->isa, name) == 0 && supported(all[i])) {
      if (dn_pool_reserve(all[i]->bwd_scratch_floats()) != 0) return -1;
      kt = all[i];
      return 0;
    }
  return -1;
}

int dn_init(void) {
  if (kt) return 0;
  size_t scratch = 0;
  for (size_t i = 0; i < NUM_ISAS; i++) {
    size_t s = all[i]->bwd_scratch_floats(); /* covers gemm_scratch_floats too */
    if (s > scratch) scratch = s;
    if (supported(all[i])) {
      if (isa_list[0]) strcat(isa_list, ",");
      strcat(isa_list, all[i]->isa);
    }
  }
  long threads = sysconf(_SC_NPROCESSORS_ONLN);
  const char *env = getenv("DENSENET_THREADS");
  if (env && *env) threads = strtol(env, 0, 10);
  if (threads < 1) threads = 1;
  if (dn_pool_start((int)threads, scratch) != 0) return -1;
  const char *want = getenv("DENSENET_ISA");
  if (want && *want) return dn_set_isa(want) == 0 ? 0 : -2;
  for (size_t i = 0; i < NUM_ISAS; i++)
    if (supported(all[i])) {
      kt = all[i];
      return 0;
    }
  return -1;
}

const char *dn_isa(void) { return kt->isa; }
const char *dn_isas(void) { return isa_list; }
int dn_threads(void) { return dn_pool_threads(); }
int dn_set_threads(int n) { return dn_pool_set_threads(n); }

/* [lo, hi) of `total` for part t of nt, boundaries at multiples of `align`. */
static void span(size_t total, size_t align, int t, int nt, size_t *lo, size_t *hi) {
  size_t units = (total + align - 1) / align;
  *lo = units * (size_t)t / (size_t)nt * align;
  *hi = units * (size_t)(t + 1) / (size_t)nt * align;
  if (*lo > total) *lo = total;
  if (*hi > total) *hi = total;
}

static int threads_for(double work, double threshold) { return work >= threshold ? dn_pool_threads() : 1; }

/*
 * How a GEMM-shaped op (C [m][n], `flops` of work) is cut: pr row parts (8-row units) x pc column parts (NR-wide
 * tiles). parts = flops / PART_FLOPS, at most the pool's threads (one thread below PAR_FLOPS, as before). Among
 * the grids with pr * pc <= parts, the one whose largest part costs least, a part costing its columns x (its
 * rows + 8): each part packs its own B panels, worth about 8 rows of FMAs; ties go to fewer parts.
 * At 2 threads this keeps the earlier rule's choices for DenseNet-121 (columns at 14x14 and up: 196 = 96 + 100;
 * rows at 7x7 batch 1, where 49 columns are one tile and one column). At 16 threads the 1x1 512->128 at 7x7
 * batch 1 (6.4 MFLOP) becomes 3 row parts of 40-48 rows, where the column rule gave 2 busy parts and 14 empty.
 */
struct split {
  int pr, pc;
};

/* the largest of `parts` spans of total (the last unit may be partial: 784 columns in 2 parts are 384 + 400) */
static size_t largest(size_t total, size_t align, int parts) {
  size_t most = 0, lo, hi;
  for (int t = 0; t < parts; t++) span(total, align, t, parts, &lo, &hi), most = max_sz(most, hi - lo);
  return most;
}

static struct split plan_split(size_t m, size_t n, double flops) {
  struct split best = {1, 1};
  int threads = dn_pool_threads();
  if (flops < PAR_FLOPS || threads < 2) return best;
  double want = flops / PART_FLOPS;
  int parts = want < (double)threads ? (int)want : threads;
  size_t nr = kt->gemm_nr(), rows_units = (m + 7) / 8, col_units = (n + nr - 1) / nr;
  double best_cost = -1.0;
  for (int pr = 1; pr <= parts && (size_t)pr <= rows_units; pr++)
    for (int pc = 1; pr * pc <= parts && (size_t)pc <= col_units; pc++) {
      double cost = (double)largest(n, nr, pc) * (double)(largest(m, 8, pr) + 8);
      if (best_cost < 0.0 || cost < best_cost) best_cost = cost, best.pr = pr, best.pc = pc;
    }
  return best;
}

/* The input gradient's rule (conv_dx_task): column split when there are at least two column tiles per thread,
 * else row split (in 8-row steps). */
static int split_rows(size_t m, size_t n, int nt) {
  return nt > 1 && (n + kt->gemm_nr() - 1) / kt->gemm_nr() < 2 * (size_t)nt && m >= 16 * (size_t)nt;
}

/* part t of a plan: rows [*r0, *r1) (in 8s) and columns [*c0, *c1) (in NR tiles) */
static void split_part(struct split sp, size_t m, size_t n, int t, size_t *r0, size_t *r1, size_t *c0, size_t *c1) {
  span(m, 8, t / sp.pc, sp.pr, r0, r1);
  span(n, kt->gemm_nr(), t % sp.pc, sp.pc, c0, c1);
}

struct gemm_job {
  const struct dn_gemm *g;
  struct split sp;
};

static void gemm_task(void *p, int t, int nt, float *scratch) {
  (void)nt;
  const struct gemm_job *j = p;
  const struct dn_gemm *g = j->g;
  size_t lo, hi, c0, c1;
  split_part(j->sp, g->m, g->n, t, &lo, &hi, &c0, &c1);
  if (lo >= hi || c0 >= c1) return;
  struct dn_gemm sub = *g;
  sub.m = hi - lo;
  sub.a += g->trans_a ? lo : lo * g->lda;
  sub.c += lo * g->ldc;
  struct dn_conv pa; /* pre_a's per-row transform starts at this part's first row (kernels.h) */
  if (g->pre_a) {
    pa = *g->pre_a;
    pa.pre_scale += lo, pa.pre_shift += lo;
    sub.pre_a = &pa;
  }
  kt->gemm_part(&sub, c0, c1, scratch);
}

void dn_gemm(const struct dn_gemm *g) {
  struct gemm_job j = {g, plan_split(g->m, g->n, 2.0 * g->m * g->n * g->k)};
  dn_pool_run(gemm_task, &j, j.sp.pr * j.sp.pc);
}

struct conv_job {
  const struct dn_conv *g;
  const float *x, *w, *bias;
  float *y;
  struct split sp;
};

static void conv_task(void *p, int t, int nt, float *scratch) {
  (void)nt;
  const struct conv_job *j = p;
  size_t cols = j->g->n * j->g->ho * j->g->wo, lo, hi, c0, c1;
  split_part(j->sp, j->g->cout, cols, t, &lo, &hi, &c0, &c1);
  if (lo >= hi || c0 >= c1) return;
  struct dn_conv sub = *j->g;
  size_t kdim = sub.cin * sub.kh * sub.kw;
  sub.cout = hi - lo;
  kt->conv2d_part(&sub, j->x, j->w + lo * kdim, j->bias ? j->bias + lo : 0, j->y + lo * cols, c0, c1, scratch);
}

struct s1_job {
  const struct dn_s1 *s;
  size_t tiles;
};

static void s1_task(void *p, int t, int nt, float *scratch) {
  const struct s1_job *j = p;
  size_t lo, hi;
  /* whole images per thread when there are enough, else tiles of one image */
  span(j->s->g->n * j->tiles, j->s->g->n >= (size_t)nt ? j->tiles : 1, t, nt, &lo, &hi);
  if (lo < hi) kt->conv_s1_part(j->s, lo, hi, scratch);
}

/* Runs a stride-1 convolution through conv_s1.c when it applies (0 if not), on at most one thread per unit. */
static int try_s1(const struct dn_s1 *s, int nt) {
  struct s1_job j = {s, kt->conv_s1_tiles(s->g)};
  if (j.tiles == 0) return 0;
  if ((size_t)nt > s->g->n * j.tiles) nt = (int)(s->g->n * j.tiles);
  dn_pool_run(s1_task, &j, nt);
  return 1;
}

/* Winograd (conv_wino.c) for the 3x3 stride-1 convs it serves: on for the forwards whose caller allows it (g->winograd:
 * the model in eval mode, src/nn/conv.ts), off for training. Its F(4x4) rounding (a few 1e-6 of the output scale,
 * 10-20x the direct conv's) keeps DenseNet-121 logits within 1e-4 of torchvision's, but in training it broke the
 * 1e-4 parity of resnet-preact-tiny's train-step gradients vs PyTorch (2.1e-4, also with the forward alone) and the
 * wasm tiny-imagenet 10-step trajectory (1.4e-4). dn_set_winograd(1) or a build with -DDN_WINOGRAD_DEFAULT=1 turns it
 * on everywhere; the environment's DENSENET_WINOGRAD (read per call, so a process can A/B both paths) overrides
 * both: 1 on, fwd forward only, 0 off. */
#ifndef DN_WINOGRAD_DEFAULT
#define DN_WINOGRAD_DEFAULT 0
#endif
static int winograd_on = DN_WINOGRAD_DEFAULT;
void dn_set_winograd(int on) { winograd_on = on; }

/*
 * Winograd's parts: pt tile ranges (in lanes-tile units: a range of at most lanes tiles runs at half width) x pp
 * output-row ranges (in mr-row weight panels). A part costs, in units of one panel row's GEMM over one lane group:
 * WINO_V per lane group for the input transform (every row range of a tile range repeats it) and WINO_U per row
 * for the weight transform (every tile range repeats its rows'), plus its rows x lane groups. Measured shares (perf,
 * 1 thread, 128->32 28x28 batch 1): input transform ~30%, weight transform ~10%, GEMM ~50% of the conv. The grid
 * with the cheapest largest part wins, ties to fewer parts; parts <= the pool's threads and flops / PART_FLOPS.
 */
#define WINO_V 20.0
#define WINO_U 0.6
struct wino_job {
  const struct dn_s1 *s;
  size_t tiles, lanes, mr;
  int pt, pp;
};

static struct split plan_wino(size_t tiles, size_t lanes, size_t m, size_t mr, int parts) {
  struct split best = {1, 1};
  size_t groups = (tiles + lanes - 1) / lanes, panels = (m + mr - 1) / mr;
  double best_cost = -1.0;
  for (int pp = 1; pp <= parts && (size_t)pp <= panels; pp++)
    for (int pt = 1; pt * pp <= parts && (size_t)pt <= groups; pt++) {
      double rows = (double)min_sz(m, (panels + (size_t)pp - 1) / (size_t)pp * mr);
      double g = (double)((groups + (size_t)pt - 1) / (size_t)pt);
      double cost = WINO_U * rows + g * (WINO_V + rows);
      if (best_cost < 0.0 || cost < best_cost) best_cost = cost, best.pr = pt, best.pc = pp;
    }
  return best;
}

static void wino_task(void *p, int t, int nt, float *scratch) {
  (void)nt;
  const struct wino_job *j = p;
  size_t t0, t1, r0, r1;
  span(j->tiles, j->lanes, t / j->pp, j->pt, &t0, &t1);
  span(j->s->g->cout, j->mr, t % j->pp, j->pp, &r0, &r1);
  if (t0 < t1 && r0 < r1) kt->conv_wino_part(j->s, t0, t1, r0, r1, scratch);
}

static int try_wino(const struct dn_s1 *s, int nt, int dx) {
  const char *env = getenv("DENSENET_WINOGRAD");
  int on = env && env[0] ? env[0] == '1' || (env[0] == 'f' && !dx) : winograd_on || (!dx && s->g->winograd);
  if (!on) return 0;
  struct wino_job j = {s, 0, 0, 0, 1, 1};
  j.tiles = kt->conv_wino_tiles(s->g, &j.lanes, &j.mr);
  if (j.tiles == 0) return 0;
  if (nt > 1) {
    const struct dn_conv *g = s->g;
    double want = 2.0 * g->cout * g->n * g->ho * g->wo * g->cin * 9 / PART_FLOPS;
    struct split sp = plan_wino(j.tiles, j.lanes, g->cout, j.mr, want < (double)nt ? (int)want : nt);
    j.pt = sp.pr, j.pp = sp.pc;
  }
  dn_pool_run(wino_task, &j, j.pt * j.pp);
  return 1;
}

void dn_conv2d(const struct dn_conv *g, const float *x, const float *w, const float *bias, float *y) {
  size_t cols = g->n * g->ho * g->wo;
  double flops = 2.0 * g->cout * cols * g->cin * g->kh * g->kw;
  int nt = threads_for(flops, PAR_FLOPS);
  struct dn_s1 s = {g, x, w, g->cin * g->kh * g->kw, 0, bias, 0.0f, y};
  /* conv_s1.c splits from half that work: 3x3 128->32 at 7x7 batch 1 (3.6 MFLOP, 2 column tiles) took 0.052 ms on
   * 1 thread, 0.031 on 2 (wall, medians of 15 x 1500 back-to-back calls, quiet moment) */
  if (try_wino(&s, nt, 0) || try_s1(&s, threads_for(flops, PAR_FLOPS / 2))) return;
  struct conv_job j = {g, x, w, bias, y, plan_split(g->cout, cols, flops)};
  dn_pool_run(conv_task, &j, j.sp.pr * j.sp.pc);
}

struct linear_job {
  size_t n, in, out;
  const float *x, *w, *b;
  float *y;
};

static void linear_task(void *p, int t, int nt, float *scratch) {
  const struct linear_job *j = p;
  size_t lo, hi;
  span(j->out, kt->gemm_nr(), t, nt, &lo, &hi);
  if (lo < hi) kt->linear_part(j->n, j->in, j->out, j->x, j->w, j->b, j->y, lo, hi, scratch);
}

void dn_linear(size_t n, size_t in, size_t out, const float *x, const float *w, const float *b, float *y) {
  struct linear_job j = {n, in, out, x, w, b, y};
  int nt = threads_for(2.0 * n * in * out, PAR_FLOPS);
  if (n <= LINEAR_DOT_MAX && in * out * sizeof(float) >= PAR_LINEAR_BYTES) nt = dn_pool_threads();
  dn_pool_run(linear_task, &j, nt);
}

/* The rest: one job struct, split over rows (channels) or elements. */
enum row_op {
  SCALE_SHIFT, STATS, RELU, DROPOUT, MAXPOOL, AVGPOOL, GAP, SOFTMAX,
  ROW_SUMS, RELU_BWD, MAXPOOL_BWD, AVGPOOL_BWD, GAP_BWD
};
struct row_job {
  enum row_op op;
  size_t rows, s, n, hw;
  const struct dn_pool *pg;
  const float *x, *a, *b;
  const u8 *keep;
  double q;
  int relu;
  float *y, *y2;
};

static void row_task(void *p, int t, int nt, float *scratch) {
  (void)scratch;
  const struct row_job *j = p;
  size_t lo, hi;
  span(j->rows, j->op == RELU || j->op == DROPOUT || j->op == RELU_BWD ? 64 : 1, t, nt, &lo, &hi);
  if (lo >= hi) return;
  switch (j->op) {
    case SCALE_SHIFT: kt->scale_shift(lo, hi, j->s, j->x, j->a, j->b, j->relu, j->y); break;
    case STATS: kt->channel_stats(lo, hi, j->s, j->x, j->y, j->y2); break;
    case RELU: kt->relu(lo, hi, j->x, j->y); break;
    case DROPOUT: kt->dropout(lo, hi, j->x, j->keep, j->q, j->y); break;
    case MAXPOOL: kt->max_pool(j->pg, lo, hi, j->x, j->y); break;
    case AVGPOOL: kt->avg_pool(j->pg, lo, hi, j->x, j->y); break;
    case GAP: kt->global_avg_pool(j->rows, j->n, j->hw, lo, hi, j->x, j->y); break;
    case SOFTMAX: kt->softmax(lo, hi, j->s, j->x, j->y); break;
    case ROW_SUMS: kt->row_sums(lo, hi, j->s, j->x, j->y); break;
    case RELU_BWD: kt->relu_backward(lo, hi, j->x, j->a, j->y); break;
    case MAXPOOL_BWD: kt->max_pool_backward(j->pg, lo, hi, j->x, j->a, j->y); break;
    case AVGPOOL_BWD: kt->avg_pool_backward(j->pg, lo, hi, j->x, j->y); break;
    case GAP_BWD: kt->global_avg_pool_backward(j->rows, j->n, j->hw, lo, hi, j->x, j->y); break;
  }
}

/* one thread below PAR_ELEMS, then a part per PAR_ELEMS / 2 elements, at most the pool's threads and rows (2
 * threads: as before; 16 threads: a 600K-element op takes 4 parts of 150K, not 16 of 37K) */
static void run_rows(const struct row_job *j, double elems) {
  int nt = threads_for(elems, PAR_ELEMS);
  if (nt > 1 && elems / (PAR_ELEMS / 2) < (double)nt) nt = (int)(elems / (PAR_ELEMS / 2));
  if ((size_t)nt > j->rows) nt = (int)j->rows;
  dn_pool_run(row_task, (void *)j, nt < 1 ? 1 : nt);
}

void dn_scale_shift(size_t c, size_t s, const float *x, const float *scale, const float *shift, int relu, float *y) {
  struct row_job j = {.op = SCALE_SHIFT, .rows = c, .s = s, .x = x, .a = scale, .b = shift, .relu = relu, .y = y};
  run_rows(&j, (double)c * s);
}
void dn_channel_stats(size_t c, size_t s, const float *x, float *mean, float *var) {
  struct row_job j = {.op = STATS, .rows = c, .s = s, .x = x, .y = mean, .y2 = var};
  run_rows(&j, 2.0 * c * s);
}
void dn_relu(size_t size, const float *x, float *y) {
  struct row_job j = {.op = RELU, .rows = size, .x = x, .y = y};
  run_rows(&j, (double)size);
}
void dn_dropout(size_t size, const float *x, const u8 *keep, double q, float *y) {
  struct row_job j = {.op = DROPOUT, .rows = size, .x = x, .keep = keep, .q = q, .y = y};
  run_rows(&j, (double)size);
}
void dn_max_pool(const struct dn_pool *g, const float *x, float *y) {
  struct row_job j = {.op = MAXPOOL, .rows = g->c, .pg = g, .x = x, .y = y};
  run_rows(&j, (double)g->c * g->n * g->ho * g->wo * g->k * g->k);
}
void dn_avg_pool(const struct dn_pool *g, const float *x, float *y) {
  struct row_job j = {.op = AVGPOOL, .rows = g->c, .pg = g, .x = x, .y = y};
  run_rows(&j, (double)g->c * g->n * g->ho * g->wo * g->k * g->k);
}
void dn_global_avg_pool(size_t c, size_t n, size_t hw, const float *x, float *y) {
  struct row_job j = {.op = GAP, .rows = c, .n = n, .hw = hw, .x = x, .y = y};
  run_rows(&j, (double)c * n * hw);
}
void dn_softmax(size_t rows, size_t k, const float *x, float *y) {
  struct row_job j = {.op = SOFTMAX, .rows = rows, .s = k, .x = x, .y = y};
  run_rows(&j, 20.0 * rows * k);
}

struct fma_job {
  size_t iters;
  volatile float sink;
};

static void fma_task(void *p, int t, int nt, float *scratch) {
  (void)t, (void)nt, (void)scratch;
  struct fma_job *j = p;
  j->sink = kt->fma_peak(j->iters);
}

double dn_fma_peak(size_t iters, int threads) {
  struct fma_job j = {iters, 0.0f};
  if (threads > dn_pool_threads()) threads = dn_pool_threads();
  dn_pool_run(fma_task, &j, threads < 1 ? 1 : threads);
  return (double)iters * (double)kt->fma_peak_flops_per_iter() * (threads < 1 ? 1 : threads);
}

/* ---- backward ---- */

struct conv_bwd_job {
  const struct dn_conv *g;
  const float *x, *w, *dy;
  float *dx, *dw;
  int rows; /* dx: split input channels instead of columns (or images) */
  int overwrite; /* dx = instead of += */
};

static void conv_dx_task(void *p, int t, int nt, float *scratch) {
  const struct conv_bwd_job *j = p;
  const struct dn_conv *g = j->g;
  size_t lo, hi;
  if (j->rows) {
    span(g->cin, 8, t, nt, &lo, &hi);
    kt->conv2d_dx_part(g, j->w, j->dy, j->dx, lo, hi, 0, conv_dx_as_conv(g) ? g->n * g->h * g->w : g->n, j->overwrite,
                       scratch);
  } else if (conv_dx_as_conv(g)) {
    span(g->n * g->h * g->w, kt->gemm_nr(), t, nt, &lo, &hi);
    kt->conv2d_dx_part(g, j->w, j->dy, j->dx, 0, g->cin, lo, hi, j->overwrite, scratch);
  } else {
    span(g->n, 1, t, nt, &lo, &hi);
    kt->conv2d_dx_part(g, j->w, j->dy, j->dx, 0, g->cin, lo, hi, j->overwrite, scratch);
  }
}

static void conv_dw_task(void *p, int t, int nt, float *scratch) {
  const struct conv_bwd_job *j = p;
  size_t lo, hi;
  size_t khw = j->g->kh * j->g->kw; /* whole input channels (conv2d_dw.c pads channel planes) */
  span(j->g->cin * khw, khw == 1 ? 8 : khw, t, nt, &lo, &hi);
  if (lo < hi) kt->conv2d_dw_part(j->g, j->x, j->dy, j->dw, lo, hi, scratch);
}

void dn_conv2d_backward(const struct dn_conv *g, const float *x, const float *w, const float *dy, float *dx, float *dw,
                        float *db, int dx_overwrite) {
  size_t cols = g->n * g->ho * g->wo;
  double flops = 2.0 * g->cout * cols * g->cin * g->kh * g->kw;
  int nt = threads_for(flops, PAR_FLOPS);
  struct conv_bwd_job j = {g, x, w, dy, dx, dw, 0, dx_overwrite};
  if (dw) dn_pool_run(conv_dw_task, &j, nt);
  struct dn_conv tc = conv_dx_geometry(g);
  struct dn_s1 s = {&tc, dy, w, g->cin * g->kh * g->kw, g->kh * g->kw, 0, dx_overwrite ? 0.0f : 1.0f, dx};
  if (dx && !(conv_dx_as_conv(g) && (try_wino(&s, nt, 1) || try_s1(&s, nt)))) {
    if (conv_dx_as_conv(g)) j.rows = split_rows(g->cin, g->n * g->h * g->w, nt);
    else j.rows = g->n < (size_t)nt;
    dn_pool_run(conv_dx_task, &j, nt);
  }
  if (db) {
    struct row_job r = {.op = ROW_SUMS, .rows = g->cout, .s = cols, .x = dy, .y = db};
    run_rows(&r, (double)g->cout * cols);
  }
}

struct bn_bwd_job {
  size_t c, s;
  const float *x, *mean, *inv_std, *gamma, *beta, *dy;
  int relu, overwrite;
  float *dx, *dgamma, *dbeta;
};

static void bn_bwd_task(void *p, int t, int nt, float *scratch) {
  (void)scratch;
  const struct bn_bwd_job *j = p;
  size_t lo, hi;
  span(j->c, 1, t, nt, &lo, &hi);
  if (lo < hi)
    kt->batch_norm_backward(lo, hi, j->s, j->x, j->mean, j->inv_std, j->gamma, j->beta, j->relu, j->dy, j->dx,
                            j->dgamma, j->dbeta, j->overwrite);
}

void dn_batch_norm_backward(size_t c, size_t s, const float *x, const float *mean, const float *inv_std,
                            const float *gamma, const float *beta, int relu, const float *dy, float *dx, float *dgamma,
                            float *dbeta, int dx_overwrite) {
  struct bn_bwd_job j = {c, s, x, mean, inv_std, gamma, beta, dy, relu, dx_overwrite, dx, dgamma, dbeta};
  int nt = threads_for(4.0 * c * s, PAR_ELEMS);
  if ((size_t)nt > c) nt = (int)c;
  dn_pool_run(bn_bwd_task, &j, nt < 1 ? 1 : nt);
}

void dn_relu_backward(size_t size, const float *y, const float *dy, float *dx) {
  struct row_job j = {.op = RELU_BWD, .rows = size, .x = y, .a = dy, .y = dx};
  run_rows(&j, 2.0 * size);
}
void dn_max_pool_backward(const struct dn_pool *g, const float *x, const float *dy, float *dx) {
  struct row_job j = {.op = MAXPOOL_BWD, .rows = g->c, .pg = g, .x = x, .a = dy, .y = dx};
  run_rows(&j, (double)g->c * g->n * g->ho * g->wo * g->k * g->k);
}
void dn_avg_pool_backward(const struct dn_pool *g, const float *dy, float *dx) {
  struct row_job j = {.op = AVGPOOL_BWD, .rows = g->c, .pg = g, .x = dy, .y = dx};
  run_rows(&j, (double)g->c * g->n * (g->h * g->w + g->ho * g->wo * g->k * g->k));
}
void dn_global_avg_pool_backward(size_t c, size_t n, size_t hw, const float *dy, float *dx) {
  struct row_job j = {.op = GAP_BWD, .rows = c, .n = n, .hw = hw, .x = dy, .y = dx};
  run_rows(&j, (double)c * n * hw);
}

/* dx = dy . w, dw = dy^T . x (two GEMMs), db = column sums of dy (tiny: one thread). */
void dn_linear_backward(size_t n, size_t in, size_t out, const float *x, const float *w, const float *dy, float *dx,
                        float *dw, float *db) {
  if (dx) {
    struct dn_gemm g = {.m = n, .n = in, .k = out, .a = dy, .lda = out, .b = w, .ldb = in, .c = dx, .ldc = in};
    dn_gemm(&g);
  }
  struct dn_gemm g = {.trans_a = 1, .m = out, .n = in, .k = n, .a = dy, .lda = out, .b = x, .ldb = in, .c = dw, .ldc = in};
  dn_gemm(&g);
  if (db) kt->col_sums(n, out, 0, out, dy, db);
}

/* ---- a 1x1 convolution's input gradient fused with the BN backward before it (conv1x1_bn_backward.c) ---- */

#define BN1X1_SUMS 16384 /* doubles: the partial sums (2 per channel) of each thread, or of each channel */
static double bn1x1_sums[BN1X1_SUMS];

struct bn1x1_job {
  const struct dn_bn1x1 *f;
  size_t r0, r1;
};

/* Without dw: columns split over the threads (each reads its share of dy once), sums per thread at [t][2][rows].
 * With dw: channels split (a thread's dw rows need every column; each thread reads all of dy), sums at [2*lo..).
 * The whole training step was the same either way (bench/train-ab.ts --cpu, dw apart / fused 1.008, 7 reps), and
 * fusing dw saves a pass over x (1 thread: conv1x1_bn_backward.c). */
static void bn1x1_task(void *p, int t, int nt, float *scratch) {
  const struct bn1x1_job *j = p;
  size_t lo, hi, rows = j->r1 - j->r0;
  if (j->f->dw) {
    span(rows, 1, t, nt, &lo, &hi);
    double *sums = bn1x1_sums + 2 * lo;
    for (size_t i = 0; i < 2 * (hi - lo); i++) sums[i] = 0.0;
    if (lo < hi) kt->conv1x1_bn_part(j->f, j->r0 + lo, j->r0 + hi, 0, j->f->s, sums, scratch);
    return;
  }
  double *sums = bn1x1_sums + (size_t)t * 2 * rows;
  for (size_t i = 0; i < 2 * rows; i++) sums[i] = 0.0;
  span(j->f->s, kt->gemm_nr(), t, nt, &lo, &hi);
  if (lo < hi) kt->conv1x1_bn_part(j->f, j->r0, j->r1, lo, hi, sums, scratch);
}

/* Channels in blocks whose sums fit bn1x1_sums; then dbeta/dgamma (overwritten) and the deferred terms
 * def_p += -k*dbeta, def_q += -k*dgamma*invStd (k = gamma*invStd/s: bn_deferred_add applies them later). */
void dn_conv1x1_bn_backward(const struct dn_bn1x1 *f, float *dgamma, float *dbeta, float *def_p, float *def_q) {
  int nt = threads_for(2.0 * f->c * f->s * f->cout, PAR_FLOPS);
  if (f->dw && (size_t)nt > f->c) nt = (int)f->c;
  size_t block = f->dw ? BN1X1_SUMS / 2 : BN1X1_SUMS / (2 * (size_t)nt);
  for (size_t r0 = 0; r0 < f->c; r0 += block) {
    struct bn1x1_job j = {f, r0, min_sz(f->c, r0 + block)};
    size_t rows = j.r1 - j.r0;
    dn_pool_run(bn1x1_task, &j, nt);
    for (int t = 0; t < nt; t++) {
      size_t lo = 0, hi = rows;
      if (f->dw) span(rows, 1, t, nt, &lo, &hi);
      for (size_t i = lo; i < hi; i++) {
        size_t r = r0 + i;
        double sdz = 0.0, sdzx = 0.0;
        if (f->dw) {
          sdz = bn1x1_sums[2 * lo + (i - lo)];
          sdzx = bn1x1_sums[2 * lo + (hi - lo) + (i - lo)];
        } else {
          if (t > 0) break; /* every thread's partial sums of row r are folded at t = 0 */
          for (int u = 0; u < nt; u++)
            sdz += bn1x1_sums[(size_t)u * 2 * rows + i], sdzx += bn1x1_sums[(size_t)u * 2 * rows + rows + i];
        }
        double k = (double)f->gamma[r] * f->inv_std[r] / (double)f->s;
        dbeta[r] = (float)sdz;
        dgamma[r] = (float)sdzx;
        def_p[r] += (float)(-k * sdz);
        def_q[r] += (float)(-k * sdzx * f->inv_std[r]);
      }
    }
  }
}

struct bn_deferred_job {
  size_t c, s;
  const float *x, *mean, *p, *q;
  float *dx;
};

static void bn_deferred_task(void *p, int t, int nt, float *scratch) {
  (void)scratch;
  const struct bn_deferred_job *j = p;
  size_t lo, hi;
  span(j->c, 1, t, nt, &lo, &hi);
  if (lo < hi) kt->bn_deferred_add(lo, hi, j->s, j->x, j->mean, j->p, j->q, j->dx);
}

void dn_bn_deferred_add(size_t c, size_t s, const float *x, const float *mean, const float *p, const float *q, float *dx) {
  struct bn_deferred_job j = {c, s, x, mean, p, q, dx};
  int nt = threads_for(3.0 * c * s, PAR_ELEMS);
  if ((size_t)nt > c) nt = (int)c;
  dn_pool_run(bn_deferred_task, &j, nt < 1 ? 1 : nt);
}
