/*
 * addon_args.h: argument checking shared by the N-API wrappers (addon.c, addon_backward.c; not built for wasm).
 * Every wrapper reads its arguments through these, so a bad direct call throws a JS Error naming the op
 * instead of reading or writing out of bounds.
 */
#ifndef DN_ADDON_ARGS_H
#define DN_ADDON_ARGS_H
#define NAPI_VERSION 8
#include <node_api.h>
#include <stddef.h>

#include "dispatch.h"

#define MAX_ARGS 21

struct args {
  napi_env env;
  const char *op;
  size_t argc;
  napi_value argv[MAX_ARGS];
  int failed;
};

void na_fail(struct args *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* x * y, failing (instead of wrapping) when a hostile geometry would overflow */
size_t na_mul(struct args *a, size_t x, size_t y);
int na_begin(struct args *a, napi_env env, napi_callback_info info, const char *op, size_t want);
/* A non-negative integer-valued number. */
size_t na_size(struct args *a, size_t i, const char *name);
int na_bool(struct args *a, size_t i, const char *name);
double na_num(struct args *a, size_t i, const char *name);
/* A typed array of the given type holding at least `need` elements; null allowed when `nullable`. */
void *na_array(struct args *a, size_t i, const char *name, napi_typedarray_type type, size_t need, int nullable);
napi_value na_undefined(napi_env env);
/* Arguments 0..10: n, cin, h, w, cout, kh, kw, stride, pad, ho, wo, checked for consistency. */
struct dn_conv na_conv(struct args *a);
/* Arguments 0..8: c, n, h, w, k, stride, pad, ho, wo, checked for consistency. */
struct dn_pool na_pool(struct args *a);
/* Optional arguments i, i+1, i+2: preScale|null, preShift, preRelu, the input transform of a convolution or
 * pooling over c channels (kernels.h dn_conv, dn_pool); *scale stays null when absent. */
void na_pre(struct args *a, size_t i, size_t c, const float **scale, const float **shift, int *relu);

#define F32(i, name, need) ((float *)na_array(&a, i, name, napi_float32_array, need, 0))
#define F32_OR_NULL(i, name, need) ((float *)na_array(&a, i, name, napi_float32_array, need, 1))

/* the backward wrappers (addon_backward.c) */
napi_value js_conv2d_backward(napi_env env, napi_callback_info info);
napi_value js_batch_norm_backward(napi_env env, napi_callback_info info);
napi_value js_relu_backward(napi_env env, napi_callback_info info);
napi_value js_max_pool_backward(napi_env env, napi_callback_info info);
napi_value js_avg_pool_backward(napi_env env, napi_callback_info info);
napi_value js_global_avg_pool_backward(napi_env env, napi_callback_info info);
napi_value js_linear_backward(napi_env env, napi_callback_info info);
napi_value js_conv1x1_batch_norm_backward(napi_env env, napi_callback_info info);
napi_value js_batch_norm_deferred_add(napi_env env, napi_callback_info info);

#endif
