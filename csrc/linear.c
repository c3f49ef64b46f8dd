/*
 * linear.c: fully connected layer, y[n][out] = x[n][in] . w[out][in]^T + b[out] (PyTorch nn.Linear), as one
 * GEMM with op(B) = w^T packed from w's rows. A slice [o0, o1) of output features lets threads split the
 * classifier's 1000 outputs. Backward is two GEMMs (dispatch.c) and col_sums for the bias gradient.
 */
#include "kernels.h"

void K(linear_part)(size_t n, size_t in, size_t out, const float *x, const float *w, const float *b, float *y,
                    size_t o0, size_t o1, float *scratch) {
  if (b)
    for (size_t r = 0; r < n; r++)
      for (size_t o = o0; o < o1; o++) y[r * out + o] = b[o];
  struct dn_gemm gg = {
      .trans_a = 0, .trans_b = 1, .m = n, .n = out, .k = in, .a = x, .lda = in,
      .b = w, .ldb = in, .im2col = 0, .beta = b ? 1.0f : 0.0f, .c = y, .ldc = out,
  };
  K(gemm_part)(&gg, o0, o1, scratch);
}

/* out[j] = sum_r x[r][j] over columns [j0, j1), in double (the bias gradient of a linear layer, dy [n][out]) */
void K(col_sums)(size_t rows, size_t cols, size_t j0, size_t j1, const float *x, float *out) {
  for (size_t j = j0; j < j1; j++) {
    double s = 0.0;
    for (size_t r = 0; r < rows; r++) s += x[r * cols + j];
    out[j] = (float)s;
  }
}
