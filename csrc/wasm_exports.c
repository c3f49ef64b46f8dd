/*
 * wasm_exports.c: the WebAssembly module's entry points (wasm only; the addon uses table.c + dispatch.c).
 * Each export takes plain sizes and byte offsets into linear memory, already validated by the TS glue
 * (src/backend/wasm/ops.ts), and runs the whole op on the calling thread through the simd128 build of the
 * kernels. No allocation here: the glue owns the memory layout and passes the GEMM scratch in.
 */
#include "kernels.h"

#define EXPORT(name) __attribute__((export_name(#name), visibility("default")))

EXPORT(dn_scratch_floats) size_t dn_scratch_floats(void) { return K(gemm_scratch_floats)(); }

/* Winograd 3x3 convolutions (conv_wino.c) on (1) or off (0, the default): forward here, dx in wasm_backward.c. The
 * glue (src/backend/wasm/ops.ts) turns it on around a forward whose geometry asks for it (eval mode; dispatch.c
 * says why not in training). DENSENET_WASM_CFLAGS=-DDN_WINOGRAD_DEFAULT=1 node scripts/build-wasm.mjs builds it on. */
#ifndef DN_WINOGRAD_DEFAULT
#define DN_WINOGRAD_DEFAULT 0
#endif
static int winograd = DN_WINOGRAD_DEFAULT;
EXPORT(dn_set_winograd) void dn_set_winograd(int on) { winograd = on; }
int dn_wasm_winograd(void) { return winograd; }

EXPORT(dn_gemm)
void dn_gemm(int trans_a, int trans_b, size_t m, size_t n, size_t k, const float *a, const float *b, float beta,
             float *c, float *scratch) {
  struct dn_gemm g = {
      .trans_a = trans_a, .trans_b = trans_b, .m = m, .n = n, .k = k, .a = a, .lda = trans_a ? m : k,
      .b = b, .ldb = trans_b ? k : n, .im2col = 0, .beta = beta, .c = c, .ldc = n,
  };
  K(gemm_part)(&g, 0, n, scratch);
}

/* pre_scale = 0: no input transform; else x' = x * pre_scale[ci] + pre_shift[ci] (then ReLU if pre_relu) */
EXPORT(dn_conv2d)
void dn_conv2d(size_t n, size_t cin, size_t h, size_t w, size_t cout, size_t kh, size_t kw, size_t stride, size_t pad,
               size_t ho, size_t wo, const float *x, const float *weight, const float *bias, float *y, float *scratch,
               const float *pre_scale, const float *pre_shift, int pre_relu) {
  struct dn_conv g = {n, cin, h, w, cout, kh, kw, stride, pad, ho, wo, pre_scale, pre_shift, pre_relu};
  size_t lanes, mr, tiles = winograd ? K(conv_wino_tiles)(&g, &lanes, &mr) : 0;
  if (tiles) {
    struct dn_s1 s = {&g, x, weight, cin * kh * kw, 0, bias, 0.0f, y};
    K(conv_wino_part)(&s, 0, tiles, 0, cout, scratch);
    return;
  }
  K(conv2d_part)(&g, x, weight, bias, y, 0, n * ho * wo, scratch);
}

EXPORT(dn_linear)
void dn_linear(size_t n, size_t in, size_t out, const float *x, const float *w, const float *b, float *y,
               float *scratch) {
  K(linear_part)(n, in, out, x, w, b, y, 0, out, scratch);
}

EXPORT(dn_scale_shift)
void dn_scale_shift(size_t c, size_t s, const float *x, const float *scale, const float *shift, int relu, float *y) {
  K(scale_shift)(0, c, s, x, scale, shift, relu, y);
}

EXPORT(dn_channel_stats)
void dn_channel_stats(size_t c, size_t s, const float *x, float *mean, float *var) {
  K(channel_stats)(0, c, s, x, mean, var);
}

EXPORT(dn_relu) void dn_relu(size_t size, const float *x, float *y) { K(relu)(0, size, x, y); }

EXPORT(dn_dropout)
void dn_dropout(size_t size, const float *x, const u8 *keep, double q, float *y) { K(dropout)(0, size, x, keep, q, y); }

EXPORT(dn_max_pool)
void dn_max_pool(size_t c, size_t n, size_t h, size_t w, size_t k, size_t stride, size_t pad, size_t ho, size_t wo,
                 const float *x, float *y, const float *pre_scale, const float *pre_shift, int pre_relu) {
  struct dn_pool g = {c, n, h, w, k, stride, pad, ho, wo, pre_scale, pre_shift, pre_relu};
  K(max_pool)(&g, 0, c, x, y);
}

EXPORT(dn_avg_pool)
void dn_avg_pool(size_t c, size_t n, size_t h, size_t w, size_t k, size_t stride, size_t pad, size_t ho, size_t wo,
                 const float *x, float *y, const float *pre_scale, const float *pre_shift, int pre_relu) {
  struct dn_pool g = {c, n, h, w, k, stride, pad, ho, wo, pre_scale, pre_shift, pre_relu};
  K(avg_pool)(&g, 0, c, x, y);
}

EXPORT(dn_global_avg_pool)
void dn_global_avg_pool(size_t c, size_t n, size_t hw, const float *x, float *y) {
  K(global_avg_pool)(c, n, hw, 0, c, x, y);
}

EXPORT(dn_softmax) void dn_softmax(size_t rows, size_t k, const float *x, float *y) { K(softmax)(0, rows, k, x, y); }
