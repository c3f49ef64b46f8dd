/*
 * addon_backward.c: the N-API wrappers of the backward ops (training). Same checks as addon.c. Not built for wasm.
 */
#include "addon_args.h"
#include "threadpool.h"

/* conv2dBackward(n, cin, h, w, cout, kh, kw, stride, pad, ho, wo, x, weight, dy, dx|null, dw|null, db|null
 *                [, preScale|null, preShift, preRelu[, overwriteDx]]): dw uses the transformed input, dx is w.r.t. it;
 * dx accumulates unless overwriteDx */
napi_value js_conv2d_backward(napi_env env, napi_callback_info info) {
  struct args a;
  if (!na_begin(&a, env, info, "conv2d backward", 17)) return 0;
  struct dn_conv g = na_conv(&a);
  size_t xs = na_mul(&a, na_mul(&a, g.cin, g.n), na_mul(&a, g.h, g.w)), ws = na_mul(&a, na_mul(&a, g.cout, g.cin), na_mul(&a, g.kh, g.kw));
  const float *x = F32(11, "x", xs), *w = F32(12, "weight", ws);
  const float *dy = F32(13, "dy", na_mul(&a, na_mul(&a, g.cout, g.n), na_mul(&a, g.ho, g.wo)));
  float *dx = F32_OR_NULL(14, "dx", xs), *dw = F32_OR_NULL(15, "dw", ws), *db = F32_OR_NULL(16, "db", g.cout);
  na_pre(&a, 17, g.cin, &g.pre_scale, &g.pre_shift, &g.pre_relu);
  int overwrite = a.argc > 20 ? na_bool(&a, 20, "overwriteDx") : 0;
  if (a.failed) return 0;
  dn_pool_lock();
  dn_conv2d_backward(&g, x, w, dy, dx, dw, db, overwrite);
  dn_pool_unlock();
  return na_undefined(env);
}

/* batchNormBackward(c, s, x, mean, invStd, gamma, beta, relu, dy, dx, dgamma, dbeta, overwriteDx) */
napi_value js_batch_norm_backward(napi_env env, napi_callback_info info) {
  struct args a;
  if (!na_begin(&a, env, info, "batchNorm backward", 13)) return 0;
  size_t c = na_size(&a, 0, "c"), s = na_size(&a, 1, "s"), cs = na_mul(&a, c, s);
  const float *x = F32(2, "x", cs), *mean = F32(3, "mean", c), *inv_std = F32(4, "invStd", c);
  const float *gamma = F32(5, "gamma", c), *beta = F32(6, "beta", c);
  int relu = na_bool(&a, 7, "relu");
  const float *dy = F32(8, "dy", cs);
  float *dx = F32(9, "dx", cs), *dgamma = F32(10, "dgamma", c), *dbeta = F32(11, "dbeta", c);
  int overwrite = na_bool(&a, 12, "overwriteDx");
  if (a.failed) return 0;
  dn_pool_lock();
  dn_batch_norm_backward(c, s, x, mean, inv_std, gamma, beta, relu, dy, dx, dgamma, dbeta, overwrite);
  dn_pool_unlock();
  return na_undefined(env);
}

/* reluBackward(size, y, dy, dx) */
napi_value js_relu_backward(napi_env env, napi_callback_info info) {
  struct args a;
  if (!na_begin(&a, env, info, "relu backward", 4)) return 0;
  size_t size = na_size(&a, 0, "size");
  const float *y = F32(1, "y", size), *dy = F32(2, "dy", size);
  float *dx = F32(3, "dx", size);
  if (a.failed) return 0;
  dn_pool_lock();
  dn_relu_backward(size, y, dy, dx);
  dn_pool_unlock();
  return na_undefined(env);
}

/* maxPool2dBackward(c, n, h, w, k, stride, pad, ho, wo, x, dy, dx) */
napi_value js_max_pool_backward(napi_env env, napi_callback_info info) {
  struct args a;
  if (!na_begin(&a, env, info, "maxPool2d backward", 12)) return 0;
  struct dn_pool g = na_pool(&a);
  size_t xs = na_mul(&a, na_mul(&a, g.c, g.n), na_mul(&a, g.h, g.w));
  const float *x = F32(9, "x", xs), *dy = F32(10, "dy", na_mul(&a, na_mul(&a, g.c, g.n), na_mul(&a, g.ho, g.wo)));
  float *dx = F32(11, "dx", xs);
  if (a.failed) return 0;
  dn_pool_lock();
  dn_max_pool_backward(&g, x, dy, dx);
  dn_pool_unlock();
  return na_undefined(env);
}

/* avgPool2dBackward(c, n, h, w, k, stride, pad, ho, wo, dy, dx) */
napi_value js_avg_pool_backward(napi_env env, napi_callback_info info) {
  struct args a;
  if (!na_begin(&a, env, info, "avgPool2d backward", 11)) return 0;
  struct dn_pool g = na_pool(&a);
  const float *dy = F32(9, "dy", na_mul(&a, na_mul(&a, g.c, g.n), na_mul(&a, g.ho, g.wo)));
  float *dx = F32(10, "dx", na_mul(&a, na_mul(&a, g.c, g.n), na_mul(&a, g.h, g.w)));
  if (a.failed) return 0;
  dn_pool_lock();
  dn_avg_pool_backward(&g, dy, dx);
  dn_pool_unlock();
  return na_undefined(env);
}

/* globalAvgPoolBackward(c, n, hw, dy, dx) */
napi_value js_global_avg_pool_backward(napi_env env, napi_callback_info info) {
  struct args a;
  if (!na_begin(&a, env, info, "globalAvgPool backward", 5)) return 0;
  size_t c = na_size(&a, 0, "c"), n = na_size(&a, 1, "n"), hw = na_size(&a, 2, "hw");
  const float *dy = F32(3, "dy", na_mul(&a, n, c));
  float *dx = F32(4, "dx", na_mul(&a, na_mul(&a, c, n), hw));
  if (a.failed) return 0;
  dn_pool_lock();
  dn_global_avg_pool_backward(c, n, hw, dy, dx);
  dn_pool_unlock();
  return na_undefined(env);
}

/* linearBackward(n, in, out, x, w, dy, dx|null, dw, db|null) */
napi_value js_linear_backward(napi_env env, napi_callback_info info) {
  struct args a;
  if (!na_begin(&a, env, info, "linear backward", 9)) return 0;
  size_t n = na_size(&a, 0, "n"), in = na_size(&a, 1, "inFeatures"), out = na_size(&a, 2, "outFeatures");
  const float *x = F32(3, "x", na_mul(&a, n, in)), *w = F32(4, "w", na_mul(&a, out, in)), *dy = F32(5, "dy", na_mul(&a, n, out));
  float *dx = F32_OR_NULL(6, "dx", na_mul(&a, n, in)), *dw = F32(7, "dw", na_mul(&a, out, in)), *db = F32_OR_NULL(8, "db", out);
  if (a.failed) return 0;
  if (n == 0 || in == 0 || out == 0) return na_undefined(env);
  dn_pool_lock();
  dn_linear_backward(n, in, out, x, w, dy, dx, dw, db);
  dn_pool_unlock();
  return na_undefined(env);
}

/* conv1x1BatchNormBackward(c, s, cout, w, dy, x, mean, invStd, gamma, beta, relu, dx, dgamma, dbeta, deferredP,
 *                          deferredQ[, dw|null[, preScale|null, preShift, preRelu]]): dx += gamma*invStd*dz,
 * dz = mask * (w^T . dy); deferred terms added; dw = dy . pre(x)^T */
napi_value js_conv1x1_batch_norm_backward(napi_env env, napi_callback_info info) {
  struct args a;
  if (!na_begin(&a, env, info, "conv1x1BatchNorm backward", 16)) return 0;
  size_t c = na_size(&a, 0, "c"), s = na_size(&a, 1, "s"), cout = na_size(&a, 2, "cout"), cs = na_mul(&a, c, s);
  struct dn_bn1x1 f = {.c = c, .s = s, .cout = cout, .dw = 0, .pre_scale = 0, .pre_shift = 0, .pre_relu = 0};
  f.w = F32(3, "w", na_mul(&a, cout, c));
  f.dy = F32(4, "dy", na_mul(&a, cout, s));
  f.x = F32(5, "x", cs);
  f.mean = F32(6, "mean", c), f.inv_std = F32(7, "invStd", c), f.gamma = F32(8, "gamma", c), f.beta = F32(9, "beta", c);
  f.relu = na_bool(&a, 10, "relu");
  f.dx = F32(11, "dx", cs);
  float *dgamma = F32(12, "dgamma", c), *dbeta = F32(13, "dbeta", c), *p = F32(14, "deferredP", c), *q = F32(15, "deferredQ", c);
  if (a.argc > 16) f.dw = F32_OR_NULL(16, "dw", na_mul(&a, cout, c));
  na_pre(&a, 17, c, &f.pre_scale, &f.pre_shift, &f.pre_relu);
  if (a.failed) return 0;
  if (c == 0 || s == 0) {
    if (f.dw)
      for (size_t i = 0; i < cout * c; i++) f.dw[i] = 0.0f;
    return na_undefined(env);
  }
  dn_pool_lock();
  dn_conv1x1_bn_backward(&f, dgamma, dbeta, p, q);
  dn_pool_unlock();
  return na_undefined(env);
}

/* batchNormDeferredAdd(c, s, x, mean, p, q, dx): dx += p[c] + q[c] * (x - mean[c]) */
napi_value js_batch_norm_deferred_add(napi_env env, napi_callback_info info) {
  struct args a;
  if (!na_begin(&a, env, info, "batchNorm deferred add", 7)) return 0;
  size_t c = na_size(&a, 0, "c"), s = na_size(&a, 1, "s"), cs = na_mul(&a, c, s);
  const float *x = F32(2, "x", cs), *mean = F32(3, "mean", c), *p = F32(4, "p", c), *q = F32(5, "q", c);
  float *dx = F32(6, "dx", cs);
  if (a.failed) return 0;
  dn_pool_lock();
  dn_bn_deferred_add(c, s, x, mean, p, q, dx);
  dn_pool_unlock();
  return na_undefined(env);
}
