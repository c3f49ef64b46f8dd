/*
 * linear.c: fully connected layer, y[n][out] = x[n][in] . w[out][in]^T + b[out] (PyTorch nn.Linear): at
 * batches up to LINEAR_DOT_MAX dot products over w's rows, else one GEMM with op(B) = w^T packed from w's
 * rows. A slice [o0, o1) of output features lets threads split the classifier's 1000 outputs. Backward is
 * two GEMMs (dispatch.c) and col_sums for the bias gradient.
 */
#include "kernels.h"

/* sum of the lanes of v */
INLINE float hsum(vf v) {
  float s = 0.0f;
  for (int l = 0; l < VL; l++) s += v[l];
  return s;
}

/* y[r][o] = x[r] . wr (+ bo) for nr <= 4 rows r of x [.][in], y [.][out]: one pass over the row wr = w[o] */
INLINE void dot_rows(int nr, size_t in, size_t out, const float *x, const float *wr, float bo, float *y, size_t o) {
  vf acc[4] = {{0}, {0}, {0}, {0}};
  size_t i = 0;
  for (; i + VL <= in; i += VL) {
    vf wv = load_u(wr + i);
    for (int r = 0; r < nr; r++) acc[r] += wv * load_u(x + r * in + i);
  }
  for (int r = 0; r < nr; r++) {
    float s = hsum(acc[r]);
    for (size_t t = i; t < in; t++) s += wr[t] * x[r * in + t];
    y[r * out + o] = s + bo;
  }
}

void K(linear_part)(size_t n, size_t in, size_t out, const float *x, const float *w, const float *b, float *y,
                    size_t o0, size_t o1, float *scratch) {
  /* Small batches: dot products, each row of w read from memory once (the 4 KiB row stays in L1 for the
   * later rows of x), no transposed pack of w. 1024 -> 1000, native avx512, loaded machine, medians: batch 1
   * 0.16 ms vs 0.68-0.89 through the GEMM, batch 8 0.32-0.56 vs 1.02-1.10; at 12-16 the two are even. */
  if (n <= LINEAR_DOT_MAX) {
    for (size_t o = o0; o < o1; o++) {
      const float *wr = w + o * in;
      float bo = b ? b[o] : 0.0f;
      size_t r = 0;
      for (; r + 4 <= n; r += 4) dot_rows(4, in, out, x + r * in, wr, bo, y + r * out, o);
      if (n - r == 3) dot_rows(3, in, out, x + r * in, wr, bo, y + r * out, o);
      if (n - r == 2) dot_rows(2, in, out, x + r * in, wr, bo, y + r * out, o);
      if (n - r == 1) dot_rows(1, in, out, x + r * in, wr, bo, y + r * out, o);
    }
    return;
  }
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
