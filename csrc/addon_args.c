/*
 * addon_args.c: reading and checking N-API arguments for the wrappers (see addon_args.h). Not built for wasm.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "addon_args.h"

void na_fail(struct args *a, const char *fmt, ...) {
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
size_t na_mul(struct args *a, size_t x, size_t y) {
  size_t r;
  if (__builtin_mul_overflow(x, y, &r) || r > ((size_t)1 << 53)) {
    na_fail(a, "sizes too large (%zu x %zu elements)", x, y);
    return 0;
  }
  return r;
}

int na_begin(struct args *a, napi_env env, napi_callback_info info, const char *op, size_t want) {
  a->env = env;
  a->op = op;
  a->failed = 0;
  a->argc = MAX_ARGS;
  if (napi_get_cb_info(env, info, &a->argc, a->argv, 0, 0) != napi_ok) return 0;
  if (a->argc < want) na_fail(a, "got %zu arguments, expected %zu", a->argc, want);
  return !a->failed;
}

/* A non-negative integer-valued number. */
size_t na_size(struct args *a, size_t i, const char *name) {
  double d = -1;
  if (a->failed) return 0;
  if (napi_get_value_double(a->env, a->argv[i], &d) != napi_ok || !(d >= 0) || d != (double)(size_t)d ||
      d > 9007199254740991.0)
    na_fail(a, "%s must be a non-negative integer (got %g)", name, d);
  return a->failed ? 0 : (size_t)d;
}

int na_bool(struct args *a, size_t i, const char *name) {
  bool b = false;
  if (!a->failed && napi_get_value_bool(a->env, a->argv[i], &b) != napi_ok)
    na_fail(a, "%s must be a boolean", name);
  return b;
}

double na_num(struct args *a, size_t i, const char *name) {
  double d = 0;
  if (!a->failed && napi_get_value_double(a->env, a->argv[i], &d) != napi_ok)
    na_fail(a, "%s must be a number", name);
  return d;
}

/* A typed array of the given type holding at least `need` elements; null allowed when `nullable`. */
void *na_array(struct args *a, size_t i, const char *name, napi_typedarray_type type, size_t need,
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
    na_fail(a, "%s must be a %s", name, type == napi_uint8_array ? "Uint8Array" : "Float32Array");
    return 0;
  }
  if (len < need) na_fail(a, "%s has %zu elements but needs %zu", name, len, need);
  return a->failed ? 0 : (data ? data : (void *)a);
}


napi_value na_undefined(napi_env env) {
  napi_value u;
  napi_get_undefined(env, &u);
  return u;
}

/* Arguments 0..10: n, cin, h, w, cout, kh, kw, stride, pad, ho, wo, checked for consistency. */
struct dn_conv na_conv(struct args *a) {
  static const char *const names[] = {"n", "cin", "h", "w", "cout", "kh", "kw", "stride", "pad", "ho", "wo"};
  size_t v[11];
  for (size_t i = 0; i < 11; i++) v[i] = na_size(a, i, names[i]);
  struct dn_conv g = {v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9], v[10]};
  if (!a->failed && (g.stride < 1 || g.kh < 1 || g.kw < 1 || g.h + 2 * g.pad < g.kh || g.w + 2 * g.pad < g.kw ||
                     g.ho != (g.h + 2 * g.pad - g.kh) / g.stride + 1 || g.wo != (g.w + 2 * g.pad - g.kw) / g.stride + 1))
    na_fail(a, "geometry inconsistent (ho %zu, wo %zu)", g.ho, g.wo);
  return g;
}

/* Arguments 0..8: c, n, h, w, k, stride, pad, ho, wo, checked for consistency. */
struct dn_pool na_pool(struct args *a) {
  static const char *const names[] = {"c", "n", "h", "w", "k", "stride", "pad", "ho", "wo"};
  size_t v[9];
  for (size_t i = 0; i < 9; i++) v[i] = na_size(a, i, names[i]);
  struct dn_pool g = {v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8]};
  if (!a->failed && (g.stride < 1 || g.k < 1 || g.h + 2 * g.pad < g.k || g.w + 2 * g.pad < g.k ||
                     g.ho != (g.h + 2 * g.pad - g.k) / g.stride + 1 || g.wo != (g.w + 2 * g.pad - g.k) / g.stride + 1))
    na_fail(a, "geometry inconsistent (ho %zu, wo %zu)", g.ho, g.wo);
  return g;
}

/* Optional arguments i, i+1, i+2: preScale|null, preShift, preRelu, the input transform of a convolution or
 * pooling over c channels (kernels.h dn_conv, dn_pool); *scale stays null when absent. */
void na_pre(struct args *a, size_t i, size_t c, const float **scale, const float **shift, int *relu) {
  if (a->failed || a->argc <= i) return;
  *scale = (const float *)na_array(a, i, "pre.scale", napi_float32_array, c, 1);
  if (!*scale) return;
  if (a->argc < i + 3) {
    na_fail(a, "pre needs scale, shift and relu");
    return;
  }
  *shift = (const float *)na_array(a, i + 1, "pre.shift", napi_float32_array, c, 0);
  *relu = na_bool(a, i + 2, "pre.relu");
}
