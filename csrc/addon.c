/*
 * addon.c: the N-API surface of the native backend (not built for wasm). Each export reads plain numbers
 * and Float32Array views (data pointers include the view's byte offset), re-checks every length against
 * the geometry (the TS glue checks first; this keeps a bad direct call from writing out of bounds), and
 * runs the op through dispatch.c. Errors are thrown as JS Errors that name the op.
 */
#include <stdio.h>
#include <string.h>

#include "addon_args.h"
#include "threadpool.h"

/* gemm(transA, transB, m, n, k, a, b, beta, c) */
static napi_value js_gemm(napi_env env, napi_callback_info info) {
  struct args a;
  if (!na_begin(&a, env, info, "gemm", 9)) return 0;
  struct dn_gemm g = {0};
  g.trans_a = na_bool(&a, 0, "transA");
  g.trans_b = na_bool(&a, 1, "transB");
  g.m = na_size(&a, 2, "m"), g.n = na_size(&a, 3, "n"), g.k = na_size(&a, 4, "k");
  g.a = F32(5, "a", na_mul(&a, g.m, g.k));
  g.b = F32(6, "b", na_mul(&a, g.k, g.n));
  double beta = na_num(&a, 7, "beta");
  if (!a.failed && beta != 0 && beta != 1) na_fail(&a, "beta must be 0 or 1 (got %g)", beta);
  g.c = F32(8, "c", na_mul(&a, g.m, g.n));
  if (a.failed) return 0;
  g.beta = (float)beta;
  g.lda = g.trans_a ? g.m : g.k;
  g.ldb = g.trans_b ? g.k : g.n;
  g.ldc = g.n;
  if (g.m == 0 || g.n == 0) return na_undefined(env);
  dn_pool_lock();
  dn_gemm(&g);
  dn_pool_unlock();
  return na_undefined(env);
}

/* conv2d(n, cin, h, w, cout, kh, kw, stride, pad, ho, wo, x, weight, bias|null, y[, preScale|null, preShift, preRelu
 *        [, winograd]]) */
static napi_value js_conv2d(napi_env env, napi_callback_info info) {
  struct args a;
  if (!na_begin(&a, env, info, "conv2d", 15)) return 0;
  struct dn_conv g = na_conv(&a);
  const float *x = F32(11, "x", na_mul(&a, na_mul(&a, g.cin, g.n), na_mul(&a, g.h, g.w)));
  const float *w = F32(12, "weight", na_mul(&a, na_mul(&a, g.cout, g.cin), na_mul(&a, g.kh, g.kw)));
  const float *bias = F32_OR_NULL(13, "bias", g.cout);
  float *y = F32(14, "y", na_mul(&a, na_mul(&a, g.cout, g.n), na_mul(&a, g.ho, g.wo)));
  na_pre(&a, 15, g.cin, &g.pre_scale, &g.pre_shift, &g.pre_relu);
  if (a.argc > 18) g.winograd = na_bool(&a, 18, "winograd");
  if (a.failed) return 0;
  if (g.cout == 0 || g.n * g.ho * g.wo == 0) return na_undefined(env);
  dn_pool_lock();
  dn_conv2d(&g, x, w, bias, y);
  dn_pool_unlock();
  return na_undefined(env);
}

/* linear(n, in, out, x, w, b|null, y) */
static napi_value js_linear(napi_env env, napi_callback_info info) {
  struct args a;
  if (!na_begin(&a, env, info, "linear", 7)) return 0;
  size_t n = na_size(&a, 0, "n"), in = na_size(&a, 1, "inFeatures"), out = na_size(&a, 2, "outFeatures");
  const float *x = F32(3, "x", na_mul(&a, n, in)), *w = F32(4, "w", na_mul(&a, out, in)), *b = F32_OR_NULL(5, "b", out);
  float *y = F32(6, "y", na_mul(&a, n, out));
  if (a.failed) return 0;
  if (n == 0 || out == 0) return na_undefined(env);
  dn_pool_lock();
  dn_linear(n, in, out, x, w, b, y);
  dn_pool_unlock();
  return na_undefined(env);
}

/* scaleShift(c, s, x, scale, shift, relu, y) */
static napi_value js_scale_shift(napi_env env, napi_callback_info info) {
  struct args a;
  if (!na_begin(&a, env, info, "scaleShift", 7)) return 0;
  size_t c = na_size(&a, 0, "c"), s = na_size(&a, 1, "s");
  const float *x = F32(2, "x", na_mul(&a, c, s)), *scale = F32(3, "scale", c), *shift = F32(4, "shift", c);
  int relu = na_bool(&a, 5, "relu");
  float *y = F32(6, "y", na_mul(&a, c, s));
  if (a.failed) return 0;
  dn_pool_lock();
  dn_scale_shift(c, s, x, scale, shift, relu, y);
  dn_pool_unlock();
  return na_undefined(env);
}

/* channelStats(c, s, x, mean, variance) */
static napi_value js_channel_stats(napi_env env, napi_callback_info info) {
  struct args a;
  if (!na_begin(&a, env, info, "channelStats", 5)) return 0;
  size_t c = na_size(&a, 0, "c"), s = na_size(&a, 1, "s");
  const float *x = F32(2, "x", na_mul(&a, c, s));
  float *mean = F32(3, "mean", c), *var = F32(4, "variance", c);
  if (a.failed) return 0;
  dn_pool_lock();
  dn_channel_stats(c, s, x, mean, var);
  dn_pool_unlock();
  return na_undefined(env);
}

/* relu(size, x, y) */
static napi_value js_relu(napi_env env, napi_callback_info info) {
  struct args a;
  if (!na_begin(&a, env, info, "relu", 3)) return 0;
  size_t size = na_size(&a, 0, "size");
  const float *x = F32(1, "x", size);
  float *y = F32(2, "y", size);
  if (a.failed) return 0;
  dn_pool_lock();
  dn_relu(size, x, y);
  dn_pool_unlock();
  return na_undefined(env);
}

/* dropout(size, x, keep, p, y) */
static napi_value js_dropout(napi_env env, napi_callback_info info) {
  struct args a;
  if (!na_begin(&a, env, info, "dropout", 5)) return 0;
  size_t size = na_size(&a, 0, "size");
  const float *x = F32(1, "x", size);
  const u8 *keep = na_array(&a, 2, "keep", napi_uint8_array, size, 0);
  double p = na_num(&a, 3, "p");
  if (!a.failed && !(p >= 0 && p < 1)) na_fail(&a, "p must be in [0, 1) (got %g)", p);
  float *y = F32(4, "y", size);
  if (a.failed) return 0;
  dn_pool_lock();
  dn_dropout(size, x, keep, 1.0 - p, y);
  dn_pool_unlock();
  return na_undefined(env);
}

/* maxPool2d / avgPool2d (c, n, h, w, k, stride, pad, ho, wo, x, y[, preScale|null, preShift, preRelu]) */
static napi_value pool_common(napi_env env, napi_callback_info info, const char *op, int is_max) {
  struct args a;
  if (!na_begin(&a, env, info, op, 11)) return 0;
  struct dn_pool g = na_pool(&a);
  const float *x = F32(9, "x", na_mul(&a, na_mul(&a, g.c, g.n), na_mul(&a, g.h, g.w)));
  float *y = F32(10, "y", na_mul(&a, na_mul(&a, g.c, g.n), na_mul(&a, g.ho, g.wo)));
  na_pre(&a, 11, g.c, &g.pre_scale, &g.pre_shift, &g.pre_relu);
  if (a.failed) return 0;
  dn_pool_lock();
  if (is_max) dn_max_pool(&g, x, y);
  else dn_avg_pool(&g, x, y);
  dn_pool_unlock();
  return na_undefined(env);
}
static napi_value js_max_pool(napi_env env, napi_callback_info info) { return pool_common(env, info, "maxPool2d", 1); }
static napi_value js_avg_pool(napi_env env, napi_callback_info info) { return pool_common(env, info, "avgPool2d", 0); }

/* globalAvgPool(c, n, hw, x, y) */
static napi_value js_global_avg_pool(napi_env env, napi_callback_info info) {
  struct args a;
  if (!na_begin(&a, env, info, "globalAvgPool", 5)) return 0;
  size_t c = na_size(&a, 0, "c"), n = na_size(&a, 1, "n"), hw = na_size(&a, 2, "hw");
  const float *x = F32(3, "x", na_mul(&a, na_mul(&a, c, n), hw));
  float *y = F32(4, "y", na_mul(&a, n, c));
  if (a.failed) return 0;
  dn_pool_lock();
  dn_global_avg_pool(c, n, hw, x, y);
  dn_pool_unlock();
  return na_undefined(env);
}

/* softmax(n, k, x, y) */
static napi_value js_softmax(napi_env env, napi_callback_info info) {
  struct args a;
  if (!na_begin(&a, env, info, "softmax", 4)) return 0;
  size_t n = na_size(&a, 0, "n"), k = na_size(&a, 1, "k");
  const float *x = F32(2, "x", na_mul(&a, n, k));
  float *y = F32(3, "y", na_mul(&a, n, k));
  if (a.failed) return 0;
  dn_pool_lock();
  dn_softmax(n, k, x, y);
  dn_pool_unlock();
  return na_undefined(env);
}

static napi_value str(napi_env env, const char *s) {
  napi_value v;
  napi_create_string_utf8(env, s, NAPI_AUTO_LENGTH, &v);
  return v;
}

static napi_value js_isa(napi_env env, napi_callback_info info) {
  (void)info;
  return str(env, dn_isa());
}
static napi_value js_isas(napi_env env, napi_callback_info info) {
  (void)info;
  return str(env, dn_isas());
}
static napi_value js_threads(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value v;
  napi_create_int32(env, dn_threads(), &v);
  return v;
}

/* setIsa(name): throws if this CPU cannot run it */
static napi_value js_set_isa(napi_env env, napi_callback_info info) {
  struct args a;
  if (!na_begin(&a, env, info, "setIsa", 1)) return 0;
  char name[32] = {0};
  size_t len = 0;
  if (napi_get_value_string_utf8(env, a.argv[0], name, sizeof name, &len) != napi_ok) {
    napi_throw_type_error(env, 0, "setIsa: the ISA name must be a string");
    return 0;
  }
  dn_pool_lock();
  int rc = dn_set_isa(name);
  dn_pool_unlock();
  if (rc != 0) {
    char msg[160];
    snprintf(msg, sizeof msg, "setIsa: '%s' is not one of the ISAs this CPU runs (%s)", name, dn_isas());
    napi_throw_error(env, 0, msg);
  }
  return na_undefined(env);
}

/* setThreads(n), 1 <= n <= 64 */
static napi_value js_set_threads(napi_env env, napi_callback_info info) {
  struct args a;
  if (!na_begin(&a, env, info, "setThreads", 1)) return 0;
  size_t n = na_size(&a, 0, "n");
  if (a.failed) return 0;
  dn_pool_lock();
  int rc = n >= 1 && n <= DN_MAX_THREADS ? dn_set_threads((int)n) : -1;
  dn_pool_unlock();
  if (rc != 0) napi_throw_range_error(env, 0, "setThreads: the thread count must be an integer in [1, 64]");
  return na_undefined(env);
}

/* fmaPeak(iters, threads): runs the FMA ceiling loop (fma_peak.c) on `threads` threads; returns the flops done */
static napi_value js_fma_peak(napi_env env, napi_callback_info info) {
  struct args a;
  if (!na_begin(&a, env, info, "fmaPeak", 2)) return 0;
  size_t iters = na_size(&a, 0, "iters"), threads = na_size(&a, 1, "threads");
  if (a.failed) return 0;
  dn_pool_lock();
  double flops = dn_fma_peak(iters, threads > DN_MAX_THREADS ? DN_MAX_THREADS : (int)threads);
  dn_pool_unlock();
  napi_value v;
  napi_create_double(env, flops, &v);
  return v;
}

static napi_value init(napi_env env, napi_value exports) {
  int rc = dn_init();
  if (rc != 0) {
    char msg[200];
    if (rc == -2)
      snprintf(msg, sizeof msg, "DENSENET_ISA is not one of the ISAs this CPU runs (%s)", dn_isas());
    else
      snprintf(msg, sizeof msg, "densenet native: could not start the thread pool");
    napi_throw_error(env, 0, msg);
    return 0;
  }
  static const struct { const char *name; napi_callback fn; } fns[] = {
      {"gemm", js_gemm}, {"conv2d", js_conv2d}, {"linear", js_linear}, {"scaleShift", js_scale_shift},
      {"channelStats", js_channel_stats}, {"relu", js_relu}, {"dropout", js_dropout},
      {"maxPool2d", js_max_pool}, {"avgPool2d", js_avg_pool}, {"globalAvgPool", js_global_avg_pool},
      {"softmax", js_softmax}, {"isa", js_isa}, {"isas", js_isas}, {"threads", js_threads},
      {"setIsa", js_set_isa}, {"setThreads", js_set_threads}, {"fmaPeak", js_fma_peak},
      {"conv2dBackward", js_conv2d_backward}, {"batchNormBackward", js_batch_norm_backward},
      {"reluBackward", js_relu_backward}, {"maxPool2dBackward", js_max_pool_backward},
      {"avgPool2dBackward", js_avg_pool_backward}, {"globalAvgPoolBackward", js_global_avg_pool_backward},
      {"linearBackward", js_linear_backward}, {"conv1x1BatchNormBackward", js_conv1x1_batch_norm_backward},
      {"batchNormDeferredAdd", js_batch_norm_deferred_add},
  };
  for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++) {
    napi_value f;
    napi_create_function(env, fns[i].name, NAPI_AUTO_LENGTH, fns[i].fn, 0, &f);
    napi_set_named_property(env, exports, fns[i].name, f);
  }
  return exports;
}

NAPI_MODULE(densenet_native, init)
