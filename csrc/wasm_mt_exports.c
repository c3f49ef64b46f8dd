/*
 * wasm_mt_exports.c: the threaded wasm module's entry points (densenet-mt.wasm only). Same names and arguments
 * as wasm_exports.c + wasm_backward.c, so the TS glue (src/backend/wasm/ops.ts, backward.ts) drives either
 * module; here each op goes through dispatch.c, which splits it over wasm_threadpool.c exactly as the addon
 * splits it over its pthreads. The scratch / im2col arguments are ignored: each thread uses its own scratch
 * from the pool. Convolution backward is therefore the addon's algorithm (conv2d_dx.c, conv2d_dw.c), not
 * wasm_backward.c's explicit im2col; every output still follows backend.ts BackwardOps.
 */
#include "dispatch.h"

#define EXPORT(name) __attribute__((export_name(#name), visibility("default")))

EXPORT(dn_scratch_floats) size_t mt_scratch_floats(void) { return 16; }

/* Winograd 3x3 convolutions (conv_wino.c) on (1) or off (0, the default): dispatch.c's switch */
EXPORT(dn_set_winograd) void mt_set_winograd(int on) { dn_set_winograd(on); }

EXPORT(dn_gemm)
void mt_gemm(int trans_a, int trans_b, size_t m, size_t n, size_t k, const float *a, const float *b, float beta,
             float *c, float *scratch) {
  (void)scratch;
  struct dn_gemm g = {
      .trans_a = trans_a, .trans_b = trans_b, .m = m, .n = n, .k = k, .a = a, .lda = trans_a ? m : k,
      .b = b, .ldb = trans_b ? k : n, .im2col = 0, .beta = beta, .c = c, .ldc = n,
  };
  dn_gemm(&g);
}

EXPORT(dn_conv2d)
void mt_conv2d(size_t n, size_t cin, size_t h, size_t w, size_t cout, size_t kh, size_t kw, size_t stride, size_t pad,
               size_t ho, size_t wo, const float *x, const float *weight, const float *bias, float *y, float *scratch,
               const float *pre_scale, const float *pre_shift, int pre_relu) {
  (void)scratch;
  struct dn_conv g = {.n = n, .cin = cin, .h = h, .w = w, .cout = cout, .kh = kh, .kw = kw, .stride = stride, .pad = pad,
                      .ho = ho, .wo = wo, .pre_scale = pre_scale, .pre_shift = pre_shift, .pre_relu = pre_relu};
  dn_conv2d(&g, x, weight, bias, y);
}

EXPORT(dn_linear)
void mt_linear(size_t n, size_t in, size_t out, const float *x, const float *w, const float *b, float *y, float *scratch) {
  (void)scratch;
  dn_linear(n, in, out, x, w, b, y);
}

EXPORT(dn_scale_shift)
void mt_scale_shift(size_t c, size_t s, const float *x, const float *scale, const float *shift, int relu, float *y) {
  dn_scale_shift(c, s, x, scale, shift, relu, y);
}

EXPORT(dn_channel_stats)
void mt_channel_stats(size_t c, size_t s, const float *x, float *mean, float *var) { dn_channel_stats(c, s, x, mean, var); }

EXPORT(dn_relu) void mt_relu(size_t size, const float *x, float *y) { dn_relu(size, x, y); }

EXPORT(dn_dropout)
void mt_dropout(size_t size, const float *x, const u8 *keep, double q, float *y) { dn_dropout(size, x, keep, q, y); }

/* the pooling exports' arguments as a dn_pool */
static struct dn_pool pool_of(size_t c, size_t n, size_t h, size_t w, size_t k, size_t stride, size_t pad, size_t ho,
                              size_t wo, const float *pre_scale, const float *pre_shift, int pre_relu) {
  return (struct dn_pool){.c = c, .n = n, .h = h, .w = w, .k = k, .stride = stride, .pad = pad, .ho = ho, .wo = wo,
                          .pre_scale = pre_scale, .pre_shift = pre_shift, .pre_relu = pre_relu};
}

EXPORT(dn_max_pool)
void mt_max_pool(size_t c, size_t n, size_t h, size_t w, size_t k, size_t stride, size_t pad, size_t ho, size_t wo,
                 const float *x, float *y, const float *pre_scale, const float *pre_shift, int pre_relu) {
  struct dn_pool g = pool_of(c, n, h, w, k, stride, pad, ho, wo, pre_scale, pre_shift, pre_relu);
  dn_max_pool(&g, x, y);
}

EXPORT(dn_avg_pool)
void mt_avg_pool(size_t c, size_t n, size_t h, size_t w, size_t k, size_t stride, size_t pad, size_t ho, size_t wo,
                 const float *x, float *y, const float *pre_scale, const float *pre_shift, int pre_relu) {
  struct dn_pool g = pool_of(c, n, h, w, k, stride, pad, ho, wo, pre_scale, pre_shift, pre_relu);
  dn_avg_pool(&g, x, y);
}

EXPORT(dn_global_avg_pool)
void mt_global_avg_pool(size_t c, size_t n, size_t hw, const float *x, float *y) { dn_global_avg_pool(c, n, hw, x, y); }

EXPORT(dn_softmax) void mt_softmax(size_t rows, size_t k, const float *x, float *y) { dn_softmax(rows, k, x, y); }

/* ---- backward: dx of conv and batch norm accumulate (the glue zeroes it first for an overwrite) ---- */

EXPORT(dn_conv2d_backward)
void mt_conv2d_backward(size_t n, size_t cin, size_t h, size_t w, size_t cout, size_t kh, size_t kw, size_t stride,
                        size_t pad, size_t ho, size_t wo, const float *x, const float *weight, const float *dy,
                        float *dx, float *dw, float *db, float *col, size_t chunk, float *scratch) {
  (void)col, (void)chunk, (void)scratch;
  struct dn_conv g = {.n = n, .cin = cin, .h = h, .w = w, .cout = cout, .kh = kh, .kw = kw, .stride = stride, .pad = pad, .ho = ho, .wo = wo};
  dn_conv2d_backward(&g, x, weight, dy, dx, dw, db, 0);
}

EXPORT(dn_batch_norm_backward)
void mt_batch_norm_backward(size_t c, size_t s, const float *x, const float *mean, const float *inv_std,
                            const float *gamma, const float *beta, int relu, const float *dy, float *dx, float *dgamma,
                            float *dbeta, int overwrite) {
  dn_batch_norm_backward(c, s, x, mean, inv_std, gamma, beta, relu, dy, dx, dgamma, dbeta, overwrite);
}

EXPORT(dn_relu_backward)
void mt_relu_backward(size_t size, const float *y, const float *dy, float *dx) { dn_relu_backward(size, y, dy, dx); }

EXPORT(dn_max_pool_backward)
void mt_max_pool_backward(size_t c, size_t n, size_t h, size_t w, size_t k, size_t stride, size_t pad, size_t ho,
                          size_t wo, const float *x, const float *dy, float *dx) {
  struct dn_pool g = {.c = c, .n = n, .h = h, .w = w, .k = k, .stride = stride, .pad = pad, .ho = ho, .wo = wo};
  dn_max_pool_backward(&g, x, dy, dx);
}

EXPORT(dn_avg_pool_backward)
void mt_avg_pool_backward(size_t c, size_t n, size_t h, size_t w, size_t k, size_t stride, size_t pad, size_t ho,
                          size_t wo, const float *dy, float *dx) {
  struct dn_pool g = {.c = c, .n = n, .h = h, .w = w, .k = k, .stride = stride, .pad = pad, .ho = ho, .wo = wo};
  dn_avg_pool_backward(&g, dy, dx);
}

EXPORT(dn_global_avg_pool_backward)
void mt_global_avg_pool_backward(size_t c, size_t n, size_t hw, const float *dy, float *dx) {
  dn_global_avg_pool_backward(c, n, hw, dy, dx);
}

EXPORT(dn_linear_backward)
void mt_linear_backward(size_t n, size_t in, size_t out, const float *x, const float *w, const float *dy, float *dx,
                        float *dw, float *db, float *scratch) {
  (void)scratch;
  dn_linear_backward(n, in, out, x, w, dy, dx, dw, db);
}
