/*
 * dispatch.h: the addon's op layer: picks an ISA's kernel table and splits each op over the thread pool
 * (columns of a GEMM or convolution, channels or elements of the rest). Arguments are already validated
 * by the caller (addon.c); these functions never fail.
 */
#ifndef DN_DISPATCH_H
#define DN_DISPATCH_H
#include "kernels.h"

/* Chooses the best ISA (or DENSENET_ISA) and starts the pool (DENSENET_THREADS); 0 on success. */
int dn_init(void);
const char *dn_isa(void);
/* Names of the ISAs this CPU can run, best first, separated by commas. */
const char *dn_isas(void);
/* 0 on success, -1 if unknown or not supported by this CPU. */
int dn_set_isa(const char *name);
int dn_threads(void);
int dn_set_threads(int n);

/* 1 turns Winograd 3x3 convolutions (conv_wino.c) on, 0 (the default, dispatch.c says why) off */
void dn_set_winograd(int on);

void dn_gemm(const struct dn_gemm *g);
void dn_conv2d(const struct dn_conv *g, const float *x, const float *w, const float *bias, float *y);
void dn_linear(size_t n, size_t in, size_t out, const float *x, const float *w, const float *b, float *y);
void dn_scale_shift(size_t c, size_t s, const float *x, const float *scale, const float *shift, int relu, float *y);
void dn_channel_stats(size_t c, size_t s, const float *x, float *mean, float *var);
void dn_relu(size_t size, const float *x, float *y);
void dn_dropout(size_t size, const float *x, const u8 *keep, double q, float *y);
void dn_max_pool(const struct dn_pool *g, const float *x, float *y);
void dn_avg_pool(const struct dn_pool *g, const float *x, float *y);
void dn_global_avg_pool(size_t c, size_t n, size_t hw, const float *x, float *y);
void dn_softmax(size_t rows, size_t k, const float *x, float *y);
/* Benchmarks: iters rounds of register-only FMAs on each of `threads` pool threads; returns the flops done. */
double dn_fma_peak(size_t iters, int threads);

/* Backward (backend.ts BackwardOps): conv and batch-norm dx ACCUMULATE, every other output is overwritten. */
/* dx_overwrite: dx = dL/dx instead of += */
void dn_conv2d_backward(const struct dn_conv *g, const float *x, const float *w, const float *dy, float *dx, float *dw,
                        float *db, int dx_overwrite);
void dn_batch_norm_backward(size_t c, size_t s, const float *x, const float *mean, const float *inv_std,
                            const float *gamma, const float *beta, int relu, const float *dy, float *dx, float *dgamma,
                            float *dbeta, int dx_overwrite);
void dn_relu_backward(size_t size, const float *y, const float *dy, float *dx);
/* conv1x1_bn_backward.c: dx += gamma*invStd*dz of BN(+ReLU) backward with dz from the 1x1 conv's input gradient
 * w^T . dy; dgamma, dbeta overwritten; the per-channel terms that need them ADDED to def_p, def_q */
void dn_conv1x1_bn_backward(const struct dn_bn1x1 *f, float *dgamma, float *dbeta, float *def_p, float *def_q);
/* dx [c][s] += p[c] + q[c] * (x - mean[c]) */
void dn_bn_deferred_add(size_t c, size_t s, const float *x, const float *mean, const float *p, const float *q, float *dx);
void dn_max_pool_backward(const struct dn_pool *g, const float *x, const float *dy, float *dx);
void dn_avg_pool_backward(const struct dn_pool *g, const float *dy, float *dx);
void dn_global_avg_pool_backward(size_t c, size_t n, size_t hw, const float *dy, float *dx);
void dn_linear_backward(size_t n, size_t in, size_t out, const float *x, const float *w, const float *dy, float *dx,
                        float *dw, float *db);

#endif
