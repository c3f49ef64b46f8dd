/*
 * conv2d.c: forward convolution as one GEMM, y[cout][n*ho*wo] = w[cout][cin*kh*kw] . im2col(x).
 * A 1x1 stride-1 unpadded convolution reads the CNHW input directly as B (no im2col: DESIGN.md, "Memory
 * layout"); any other kernel packs im2col panels straight from x inside the GEMM (gemm.c, through im2col.c), so
 * no im2col buffer exists. Stride-1 kxk convs with few output channels go to conv_s1.c instead (dispatch.c).
 * Not here: groups, dilation, backward (conv2d_dx.c, conv2d_dw.c).
 */
#include "kernels.h"

void K(conv2d_part)(const struct dn_conv *g, const float *x, const float *w, const float *bias, float *y,
                    size_t n0, size_t n1, float *scratch) {
  size_t cols = g->n * g->ho * g->wo, kdim = g->cin * g->kh * g->kw;
  if (bias) /* y starts at the bias, then the GEMM accumulates (DenseNet convs have none: rarely used) */
    for (size_t co = 0; co < g->cout; co++)
      for (size_t j = n0; j < n1; j++) y[co * cols + j] = bias[co];
  int direct = g->kh == 1 && g->kw == 1 && g->stride == 1 && g->pad == 0;
  struct dn_gemm gg = {
      .trans_a = 0, .trans_b = 0, .m = g->cout, .n = cols, .k = kdim, .a = w, .lda = kdim,
      .b = x, .ldb = cols, .im2col = direct ? 0 : g,
      .pre = direct && g->pre_scale ? g : 0, .beta = bias ? 1.0f : 0.0f, .c = y, .ldc = cols,
  };
  K(gemm_part)(&gg, n0, n1, scratch);
}
