/*
 * copy.h: short vector copies and fills for the kernels (header-only: they inline into their loops), never libc
 * calls (wasm has no libc). Used by the implicit im2col (im2col.c), the GEMM's transformed A rows (gemm.c) and
 * the padded planes (padded.h).
 */
#ifndef DN_COPY_H
#define DN_COPY_H
#include "kernels.h"

/*
 * Short copies and fills in whole vectors, never libc calls (wasm has no libc). They may write up to VL-1
 * floats past d + n (the caller's buffer has the slack, and later writes go left to right over it); the
 * copy reads past src + n only while that stays below src_end.
 */
INLINE void copy_over(float *RESTRICT d, const float *RESTRICT src, size_t n, const float *src_end) {
  size_t i = 0;
  if (src + round_up(n, VL) <= src_end) {
    for (; i < n; i += VL) store_u(d + i, load_u(src + i));
  } else {
    for (; i + VL <= n; i += VL) store_u(d + i, load_u(src + i));
    for (; i < n; i++) d[i] = src[i];
  }
}

/* copy_over through an input transform: d = x * a + b (max 0 if relu) */
INLINE void copy_over_pre(float *RESTRICT d, const float *RESTRICT src, size_t n, const float *src_end, float a,
                          float b, int relu) {
  size_t i = 0;
  vf va = splat(a), vb = splat(b);
  if (src + round_up(n, VL) <= src_end) {
    for (; i < n; i += VL) {
      vf v = load_u(src + i) * va + vb;
      store_u(d + i, relu ? relu_v(v) : v);
    }
  } else {
    for (; i + VL <= n; i += VL) {
      vf v = load_u(src + i) * va + vb;
      store_u(d + i, relu ? relu_v(v) : v);
    }
    for (; i < n; i++) {
      float t = src[i] * a + b;
      d[i] = relu && !(t > 0.0f) ? 0.0f : t;
    }
  }
}

INLINE void zero_over(float *d, size_t n) {
  for (size_t i = 0; i < n; i += VL) store_u(d + i, (vf){0});
}

#endif
