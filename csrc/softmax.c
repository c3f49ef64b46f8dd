/*
 * softmax.c: row-wise softmax of x [rows][k], max-subtracted for range safety; y may alias x. expf is our
 * own (the kernels have no libc): Cody-Waite range reduction x = n*ln2 + r, |r| <= ln2/2, and a degree-6
 * polynomial for e^r (Cephes expf coefficients; |r| <= ~ln2/2), scaled by 2^n through the exponent bits; ~1 ulp.
 */
#include "kernels.h"

static float exp_f(float x) {
  if (x < -103.0f) return 0.0f; /* below the smallest subnormal */
  if (x > 88.7f) return __builtin_inff();
  float t = x * 1.44269504088896341f;
  float n = (float)(int)(t + (t >= 0.0f ? 0.5f : -0.5f)); /* round to nearest without libm */
  float r = x - n * 0.693359375f; /* ln2 split in two for an exact product (Cody & Waite) */
  r = r - n * -2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  float e = p * r * r + r + 1.0f;
  int ni = (int)n; /* -150 <= ni <= 128: scale in two steps so subnormal results stay right */
  int n1 = ni / 2, n2 = ni - n1;
  union { unsigned u; float f; } s1 = {(unsigned)(n1 + 127) << 23}, s2 = {(unsigned)(n2 + 127) << 23};
  return e * s1.f * s2.f;
}

void K(softmax)(size_t r0, size_t r1, size_t k, const float *x, float *y) {
  for (size_t r = r0; r < r1; r++) {
    const float *xr = x + r * k;
    float *yr = y + r * k;
    float m = -__builtin_inff();
    for (size_t i = 0; i < k; i++) m = max_f(m, xr[i]);
    double sum = 0.0;
    for (size_t i = 0; i < k; i++) {
      float e = exp_f(xr[i] - m);
      yr[i] = e;
      sum += e;
    }
    float inv = (float)(1.0 / sum);
    for (size_t i = 0; i < k; i++) yr[i] *= inv;
  }
}
