/*
 * addon.c: the N-API surface of the native backend (not built for wasm). Each export reads plain numbers
 * and Float32Array views (data pointers include the view's byte offset), re-checks every length against
 * the geometry (the TS glue checks first; this keeps a bad direct call from writing out of bounds), and
 * runs the op through dispatch.c. Errors are thrown as JS Errors that name the op.
 */
#define NAPI_VERSION 8
#include <node_api.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "dispatch.h"
#include "threadpool.h"

#define MAX_ARGS 21

struct args {
  napi_env env;
  const char *op;
  size_t argc;
  napi_value argv[MAX_ARGS];
  int failed;
};

static void fail(struct args *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fail(struct args *a, const char *fmt, ...) {
  if (a->failed) return;
  char msg[256];
  int at = snprintf(msg, sizeof msg, "%s: ", a->op);
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg + at, sizeof msg - (size_t)at, fmt, ap);
  va_end(ap);
  napi_throw_error(a->env, 0, msg);
  a->failed = 1;
}

/* x * y, failing (instead of wrapping) when a hostile geometry would overflow */
static size_t mul(struct args *a, size_t x, size_t y) {
  size_t r;
  if (__builtin_mul_overflow(x, y, &r) || r > ((size_t)1 << 53)) {
    fail(a, "sizes too large (%zu x %zu elements)", x, y);
    return 0;
  }
  return r;
}

static int begin(struct args *a, napi_env env, napi_callback_info info, const char *op, size_t want) {
  a->env = env;
  a->op = op;
  a->failed = 0;
  a->argc = MAX_ARGS;
  if (napi_get_cb_info(env, info, &a->argc, a->argv, 0, 0) != napi_ok) return 0;
  if (a->argc < want) fail(a, "got %zu arguments, expected %zu", a->argc, want);
  return !a->failed;
}

/* A non-negative integer-valued number. */
static size_t size_arg(struct args *a, size_t i, const char *name) {
  double d = -1;
  if (a->failed) return 0;
  if (napi_get_value_double(a->env, a->argv[i], &d) != napi_ok || !(d >= 0) || d != (double)(size_t)d ||
      d > 9007199254740991.0)
    fail(a, "%s must be a non-negative integer (got %g)", name, d);
  return a->failed ? 0 : (size_t)d;
}

static int bool_arg(struct args *a, size_t i, const char *name) {
  bool b = false;
  if (!a->failed && napi_get_value_bool(a->env, a->argv[i], &b) != napi_ok)
    fail(a, "%s must be a boolean", name);
  return b;
}

static double num_arg(struct args *a, size_t i, const char *name) {
  double d = 0;
  if (!a->failed && napi_get_value_double(a->env, a->argv[i], &d) != napi_ok)
    fail(a, "%s must be a number", name);
  return d;
}

/* A typed array of the given type holding at least `need` elements; null allowed when `nullable`. */
static void *array_arg(struct args *a, size_t i, const char *name, napi_typedarray_type type, size_t need,
                       int nullable) {
  if (a->failed) return 0;
  napi_valuetype vt;
  napi_typeof(a->env, a->argv[i], &vt);
  if (nullable && (vt == napi_null || vt == napi_undefined)) return 0;
  bool is_ta = false;
  napi_is_typedarray(a->env, a->argv[i], &is_ta);
  napi_typedarray_type t;
  size_t len = 0;
  void *data = 0;
  if (!is_ta || napi_get_typedarray_info(a->env, a->argv[i], &t, &len, &data, 0, 0) != napi_ok || t != type) {
    fail(a, "%s must be a %s", name, type == napi_uint8_array ? "Uint8Array" : "Float32Array");
    return 0;
  }
  if (len < need) fail(a, "%s has %zu elements but needs %zu", name, len, need);
  return a->failed ? 0 : (data ? data : (void *)a);
}

#define F32(i, name, need) ((float *)array_arg(&a, i, name, napi_float32_array, need, 0))
#define F32_OR_NULL(i, name, need) ((float *)array_arg(&a, i, name, napi_float32_array, need, 1))

static napi_value undefined(napi_env env) {
  napi_value u;
  napi_get_undefined(env, &u);
  return u;
}

/* gemm(transA, transB, m, n, k, a, b, beta, c) */
static napi_value js_gemm(napi_env env, napi_callback_info info) {
  struct args a;
  if (!begin(&a, env, info, "gemm", 9)) return 0;
  struct dn_gemm g = {0};
  g.trans_a = bool_arg(&a, 0, "transA");
  g.trans_b = bool_arg(&a, 1, "transB");
  g.m = size_arg(&a, 2, "m"), g.n = size_arg(&a, 3, "n"), g.k = size_arg(&a, 4, "k");
  g.a = F32(5, "a", mul(&a, g.m, g.k));
  g.b = F32(6, "b", mul(&a, g.k, g.n));
  double beta = num_arg(&a, 7, "beta");
  if (!a.failed && beta != 0 && beta != 1) fail(&a, "beta must be 0 or 1 (got %g)", beta);
  g.c = F32(8, "c", mul(&a, g.m, g.n));
  if (a.failed) return 0;
  g.beta = (float)beta;
  g.lda = g.trans_a ? g.m : g.k;
  g.ldb = g.trans_b ? g.k : g.n;
  g.ldc = g.n;
  if (g.m == 0 || g.n == 0) return undefined(env);
  dn_pool_lock();
  dn_gemm(&g);
  dn_pool_unlock();
  return undefined(env);
}

/* Arguments 0..10: n, cin, h, w, cout, kh, kw, stride, pad, ho, wo, checked for consistency. */
static struct dn_conv conv_args(struct args *a) {
  static const char *const names[] = {"n", "cin", "h", "w", "cout", "kh", "kw", "stride", "pad", "ho", "wo"};
  size_t v[11];
  for (size_t i = 0; i < 11; i++) v[i] = size_arg(a, i, names[i]);
  struct dn_conv g = {v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9], v[10]};
  if (!a->failed && (g.stride < 1 || g.kh < 1 || g.kw < 1 || g.h + 2 * g.pad < g.kh || g.w + 2 * g.pad < g.kw ||
                     g.ho != (g.h + 2 * g.pad - g.kh) / g.stride + 1 || g.wo != (g.w + 2 * g.pad - g.kw) / g.stride + 1))
    fail(a, "geometry inconsistent (ho %zu, wo %zu)", g.ho, g.wo);
  return g;
}

/* Arguments 0..8: c, n, h, w, k, stride, pad, ho, wo, checked for consistency. */
static struct dn_pool pool_args(struct args *a) {
  static const char *const names[] = {"c", "n", "h", "w", "k", "stride", "pad", "ho", "wo"};
  size_t v[9];
  for (size_t i = 0; i < 9; i++) v[i] = size_arg(a, i, names[i]);
  struct dn_pool g = {v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8]};
  if (!a->failed && (g.stride < 1 || g.k < 1 || g.h + 2 * g.pad < g.k || g.w + 2 * g.pad < g.k ||
                     g.ho != (g.h + 2 * g.pad - g.k) / g.stride + 1 || g.wo != (g.w + 2 * g.pad - g.k) / g.stride + 1))
    fail(a, "geometry inconsistent (ho %zu, wo %zu)", g.ho, g.wo);
  return g;
}

/* Optional arguments i, i+1, i+2: preScale|null, preShift, preRelu (the input transform, kernels.h dn_conv). */
static void pre_args(struct args *a, size_t i, struct dn_conv *g) {
  if (a->failed || a->argc <= i) return;
  g->pre_scale = (const float *)array_arg(a, i, "pre.scale", napi_float32_array, g->cin, 1);
  if (!g->pre_scale) return;
  if (a->argc < i + 3) {
    fail(a, "pre needs scale, shift and relu");
    return;
  }
  g->pre_shift = (const float *)array_arg(a, i + 1, "pre.shift", napi_float32_array, g->cin, 0);
  g->pre_relu = bool_arg(a, i + 2, "pre.relu");
}

/* conv2d(n, cin, h, w, cout, kh, kw, stride, pad, ho, wo, x, weight, bias|null, y[, preScale|null, preShift, preRelu]) */
static napi_value js_conv2d(napi_env env, napi_callback_info info) {
  struct args a;
  if (!begin(&a, env, info, "conv2d", 15)) return 0;
  struct dn_conv g = conv_args(&a);
  const float *x = F32(11, "x", mul(&a, mul(&a, g.cin, g.n), mul(&a, g.h, g.w)));
  const float *w = F32(12, "weight", mul(&a, mul(&a, g.cout, g.cin), mul(&a, g.kh, g.kw)));
  const float *bias = F32_OR_NULL(13, "bias", g.cout);
  float *y = F32(14, "y", mul(&a, mul(&a, g.cout, g.n), mul(&a, g.ho, g.wo)));
  pre_args(&a, 15, &g);
  if (a.failed) return 0;
  if (g.cout == 0 || g.n * g.ho * g.wo == 0) return undefined(env);
  dn_pool_lock();
  dn_conv2d(&g, x, w, bias, y);
  dn_pool_unlock();
  return undefined(env);
}

/* linear(n, in, out, x, w, b|null, y) */
static napi_value js_linear(napi_env env, napi_callback_info info) {
  struct args a;
  if (!begin(&a, env, info, "linear", 7)) return 0;
  size_t n = size_arg(&a, 0, "n"), in = size_arg(&a, 1, "inFeatures"), out = size_arg(&a, 2, "outFeatures");
  const float *x = F32(3, "x", mul(&a, n, in)), *w = F32(4, "w", mul(&a, out, in)), *b = F32_OR_NULL(5, "b", out);
  float *y = F32(6, "y", mul(&a, n, out));
  if (a.failed) return 0;
  if (n == 0 || out == 0) return undefined(env);
  dn_pool_lock();
  dn_linear(n, in, out, x, w, b, y);
  dn_pool_unlock();
  return undefined(env);
}

/* scaleShift(c, s, x, scale, shift, relu, y) */
static napi_value js_scale_shift(napi_env env, napi_callback_info info) {
  struct args a;
  if (!begin(&a, env, info, "scaleShift", 7)) return 0;
  size_t c = size_arg(&a, 0, "c"), s = size_arg(&a, 1, "s");
  const float *x = F32(2, "x", mul(&a, c, s)), *scale = F32(3, "scale", c), *shift = F32(4, "shift", c);
  int relu = bool_arg(&a, 5, "relu");
  float *y = F32(6, "y", mul(&a, c, s));
  if (a.failed) return 0;
  dn_pool_lock();
  dn_scale_shift(c, s, x, scale, shift, relu, y);
  dn_pool_unlock();
  return undefined(env);
}

/* channelStats(c, s, x, mean, variance) */
static napi_value js_channel_stats(napi_env env, napi_callback_info info) {
  struct args a;
  if (!begin(&a, env, info, "channelStats", 5)) return 0;
  size_t c = size_arg(&a, 0, "c"), s = size_arg(&a, 1, "s");
  const float *x = F32(2, "x", mul(&a, c, s));
  float *mean = F32(3, "mean", c), *var = F32(4, "variance", c);
  if (a.failed) return 0;
  dn_pool_lock();
  dn_channel_stats(c, s, x, mean, var);
  dn_pool_unlock();
  return undefined(env);
}

/* relu(size, x, y) */
static napi_value js_relu(napi_env env, napi_callback_info info) {
  struct args a;
  if (!begin(&a, env, info, "relu", 3)) return 0;
  size_t size = size_arg(&a, 0, "size");
  const float *x = F32(1, "x", size);
  float *y = F32(2, "y", size);
  if (a.failed) return 0;
  dn_pool_lock();
  dn_relu(size, x, y);
  dn_pool_unlock();
  return undefined(env);
}

/* dropout(size, x, keep, p, y) */
static napi_value js_dropout(napi_env env, napi_callback_info info) {
  struct args a;
  if (!begin(&a, env, info, "dropout", 5)) return 0;
  size_t size = size_arg(&a, 0, "size");
  const float *x = F32(1, "x", size);
  const u8 *keep = array_arg(&a, 2, "keep", napi_uint8_array, size, 0);
  double p = num_arg(&a, 3, "p");
  if (!a.failed && !(p >= 0 && p < 1)) fail(&a, "p must be in [0, 1) (got %g)", p);
  float *y = F32(4, "y", size);
  if (a.failed) return 0;
  dn_pool_lock();
  dn_dropout(size, x, keep, 1.0 - p, y);
  dn_pool_unlock();
  return undefined(env);
}

/* maxPool2d / avgPool2d (c, n, h, w, k, stride, pad, ho, wo, x, y) */
static napi_value pool_common(napi_env env, napi_callback_info info, const char *op, int is_max) {
  struct args a;
  if (!begin(&a, env, info, op, 11)) return 0;
  struct dn_pool g = pool_args(&a);
  const float *x = F32(9, "x", mul(&a, mul(&a, g.c, g.n), mul(&a, g.h, g.w)));
  float *y = F32(10, "y", mul(&a, mul(&a, g.c, g.n), mul(&a, g.ho, g.wo)));
  if (a.failed) return 0;
  dn_pool_lock();
  if (is_max) dn_max_pool(&g, x, y);
  else dn_avg_pool(&g, x, y);
  dn_pool_unlock();
  return undefined(env);
}
static napi_value js_max_pool(napi_env env, napi_callback_info info) { return pool_common(env, info, "maxPool2d", 1); }
static napi_value js_avg_pool(napi_env env, napi_callback_info info) { return pool_common(env, info, "avgPool2d", 0); }

/* globalAvgPool(c, n, hw, x, y) */
static napi_value js_global_avg_pool(napi_env env, napi_callback_info info) {
  struct args a;
  if (!begin(&a, env, info, "globalAvgPool", 5)) return 0;
  size_t c = size_arg(&a, 0, "c"), n = size_arg(&a, 1, "n"), hw = size_arg(&a, 2, "hw");
  const float *x = F32(3, "x", mul(&a, mul(&a, c, n), hw));
  float *y = F32(4, "y", mul(&a, n, c));
  if (a.failed) return 0;
  dn_pool_lock();
  dn_global_avg_pool(c, n, hw, x, y);
  dn_pool_unlock();
  return undefined(env);
}

/* softmax(n, k, x, y) */
static napi_value js_softmax(napi_env env, napi_callback_info info) {
  struct args a;
  if (!begin(&a, env, info, "softmax", 4)) return 0;
  size_t n = size_arg(&a, 0, "n"), k = size_arg(&a, 1, "k");
  const float *x = F32(2, "x", mul(&a, n, k));
  float *y = F32(3, "y", mul(&a, n, k));
  if (a.failed) return 0;
  dn_pool_lock();
  dn_softmax(n, k, x, y);
  dn_pool_unlock();
  return undefined(env);
}

/* ---- backward ---- */

/* conv2dBackward(n, cin, h, w, cout, kh, kw, stride, pad, ho, wo, x, weight, dy, dx|null, dw|null, db|null
 *                [, preScale|null, preShift, preRelu[, overwriteDx]]): dw uses the transformed input, dx is w.r.t. it;
 * dx accumulates unless overwriteDx */
static napi_value js_conv2d_backward(napi_env env, napi_callback_info info) {
  struct args a;
  if (!begin(&a, env, info, "conv2d backward", 17)) return 0;
  struct dn_conv g = conv_args(&a);
  size_t xs = mul(&a, mul(&a, g.cin, g.n), mul(&a, g.h, g.w)), ws = mul(&a, mul(&a, g.cout, g.cin), mul(&a, g.kh, g.kw));
  const float *x = F32(11, "x", xs), *w = F32(12, "weight", ws);
  const float *dy = F32(13, "dy", mul(&a, mul(&a, g.cout, g.n), mul(&a, g.ho, g.wo)));
  float *dx = F32_OR_NULL(14, "dx", xs), *dw = F32_OR_NULL(15, "dw", ws), *db = F32_OR_NULL(16, "db", g.cout);
  pre_args(&a, 17, &g);
  int overwrite = a.argc > 20 ? bool_arg(&a, 20, "overwriteDx") : 0;
  if (a.failed) return 0;
  dn_pool_lock();
  dn_conv2d_backward(&g, x, w, dy, dx, dw, db, overwrite);
  dn_pool_unlock();
  return undefined(env);
}

/* batchNormBackward(c, s, x, mean, invStd, gamma, beta, relu, dy, dx, dgamma, dbeta) */
static napi_value js_batch_norm_backward(napi_env env, napi_callback_info info) {
  struct args a;
  if (!begin(&a, env, info, "batchNorm backward", 12)) return 0;
  size_t c = size_arg(&a, 0, "c"), s = size_arg(&a, 1, "s"), cs = mul(&a, c, s);
  const float *x = F32(2, "x", cs), *mean = F32(3, "mean", c), *inv_std = F32(4, "invStd", c);
  const float *gamma = F32(5, "gamma", c), *beta = F32(6, "beta", c);
  int relu = bool_arg(&a, 7, "relu");
  const float *dy = F32(8, "dy", cs);
  float *dx = F32(9, "dx", cs), *dgamma = F32(10, "dgamma", c), *dbeta = F32(11, "dbeta", c);
  if (a.failed) return 0;
  dn_pool_lock();
  dn_batch_norm_backward(c, s, x, mean, inv_std, gamma, beta, relu, dy, dx, dgamma, dbeta);
  dn_pool_unlock();
  return undefined(env);
}

/* reluBackward(size, y, dy, dx) */
static napi_value js_relu_backward(napi_env env, napi_callback_info info) {
  struct args a;
  if (!begin(&a, env, info, "relu backward", 4)) return 0;
  size_t size = size_arg(&a, 0, "size");
  const float *y = F32(1, "y", size), *dy = F32(2, "dy", size);
  float *dx = F32(3, "dx", size);
  if (a.failed) return 0;
  dn_pool_lock();
  dn_relu_backward(size, y, dy, dx);
  dn_pool_unlock();
  return undefined(env);
}

/* maxPool2dBackward(c, n, h, w, k, stride, pad, ho, wo, x, dy, dx) */
static napi_value js_max_pool_backward(napi_env env, napi_callback_info info) {
  struct args a;
  if (!begin(&a, env, info, "maxPool2d backward", 12)) return 0;
  struct dn_pool g = pool_args(&a);
  size_t xs = mul(&a, mul(&a, g.c, g.n), mul(&a, g.h, g.w));
  const float *x = F32(9, "x", xs), *dy = F32(10, "dy", mul(&a, mul(&a, g.c, g.n), mul(&a, g.ho, g.wo)));
  float *dx = F32(11, "dx", xs);
  if (a.failed) return 0;
  dn_pool_lock();
  dn_max_pool_backward(&g, x, dy, dx);
  dn_pool_unlock();
  return undefined(env);
}

/* avgPool2dBackward(c, n, h, w, k, stride, pad, ho, wo, dy, dx) */
static napi_value js_avg_pool_backward(napi_env env, napi_callback_info info) {
  struct args a;
  if (!begin(&a, env, info, "avgPool2d backward", 11)) return 0;
  struct dn_pool g = pool_args(&a);
  const float *dy = F32(9, "dy", mul(&a, mul(&a, g.c, g.n), mul(&a, g.ho, g.wo)));
  float *dx = F32(10, "dx", mul(&a, mul(&a, g.c, g.n), mul(&a, g.h, g.w)));
  if (a.failed) return 0;
  dn_pool_lock();
  dn_avg_pool_backward(&g, dy, dx);
  dn_pool_unlock();
  return undefined(env);
}

/* globalAvgPoolBackward(c, n, hw, dy, dx) */
static napi_value js_global_avg_pool_backward(napi_env env, napi_callback_info info) {
  struct args a;
  if (!begin(&a, env, info, "globalAvgPool backward", 5)) return 0;
  size_t c = size_arg(&a, 0, "c"), n = size_arg(&a, 1, "n"), hw = size_arg(&a, 2, "hw");
  const float *dy = F32(3, "dy", mul(&a, n, c));
  float *dx = F32(4, "dx", mul(&a, mul(&a, c, n), hw));
  if (a.failed) return 0;
  dn_pool_lock();
  dn_global_avg_pool_backward(c, n, hw, dy, dx);
  dn_pool_unlock();
  return undefined(env);
}

/* linearBackward(n, in, out, x, w, dy, dx|null, dw, db|null) */
static napi_value js_linear_backward(napi_env env, napi_callback_info info) {
  struct args a;
  if (!begin(&a, env, info, "linear backward", 9)) return 0;
  size_t n = size_arg(&a, 0, "n"), in = size_arg(&a, 1, "inFeatures"), out = size_arg(&a, 2, "outFeatures");
  const float *x = F32(3, "x", mul(&a, n, in)), *w = F32(4, "w", mul(&a, out, in)), *dy = F32(5, "dy", mul(&a, n, out));
  float *dx = F32_OR_NULL(6, "dx", mul(&a, n, in)), *dw = F32(7, "dw", mul(&a, out, in)), *db = F32_OR_NULL(8, "db", out);
  if (a.failed) return 0;
  if (n == 0 || in == 0 || out == 0) return undefined(env);
  dn_pool_lock();
  dn_linear_backward(n, in, out, x, w, dy, dx, dw, db);
  dn_pool_unlock();
  return undefined(env);
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
  if (!begin(&a, env, info, "setIsa", 1)) return 0;
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
  return undefined(env);
}

/* setThreads(n), 1 <= n <= 64 */
static napi_value js_set_threads(napi_env env, napi_callback_info info) {
  struct args a;
  if (!begin(&a, env, info, "setThreads", 1)) return 0;
  size_t n = size_arg(&a, 0, "n");
  if (a.failed) return 0;
  dn_pool_lock();
  int rc = n >= 1 && n <= DN_MAX_THREADS ? dn_set_threads((int)n) : -1;
  dn_pool_unlock();
  if (rc != 0) napi_throw_range_error(env, 0, "setThreads: the thread count must be an integer in [1, 64]");
  return undefined(env);
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
      {"setIsa", js_set_isa}, {"setThreads", js_set_threads},
      {"conv2dBackward", js_conv2d_backward}, {"batchNormBackward", js_batch_norm_backward},
      {"reluBackward", js_relu_backward}, {"maxPool2dBackward", js_max_pool_backward},
      {"avgPool2dBackward", js_avg_pool_backward}, {"globalAvgPoolBackward", js_global_avg_pool_backward},
      {"linearBackward", js_linear_backward},
  };
  for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++) {
    napi_value f;
    napi_create_function(env, fns[i].name, NAPI_AUTO_LENGTH, fns[i].fn, 0, &f);
    napi_set_named_property(env, exports, fns[i].name, f);
  }
  return exports;
}

NAPI_MODULE(densenet_native, init)
