/*
 * fma_peak.c: the multiply-add ceiling of one core for this ISA build, for `npm run bench` only (it reports
 * GEMM GFLOP/s as a fraction of this). Twelve independent vector accumulators, more than FMA latency x FMA
 * ports (4 x 2 on current x86), each updated r = r * m + a in registers: the loop body is nothing but FMAs.
 * Named variables, not an array: GCC otherwise interchanges the loops into one serial chain per accumulator.
 */
#include "kernels.h"

#if defined(__wasm_relaxed_simd__)
#define ROUND(r) r = madd(a, r, m); /* common.h: relaxed_madd */
#else
#define ROUND(r) r = r * m + a;
#endif
#define ROUNDS                                                                                                   \
  ROUND(r0) ROUND(r1) ROUND(r2) ROUND(r3) ROUND(r4) ROUND(r5) ROUND(r6) ROUND(r7) ROUND(r8) ROUND(r9) ROUND(r10) \
  ROUND(r11)

size_t K(fma_peak_flops_per_iter)(void) { return (size_t)12 * VL * 2; }

/* iters rounds of 12 vector FMAs; returns a sum of the accumulators so the loop cannot be dropped */
float K(fma_peak)(size_t iters) {
  vf m = splat(0.999999f), a = splat(1e-7f);
  vf r0 = splat(0), r1 = splat(1), r2 = splat(2), r3 = splat(3), r4 = splat(4), r5 = splat(5), r6 = splat(6),
     r7 = splat(7), r8 = splat(8), r9 = splat(9), r10 = splat(10), r11 = splat(11);
  for (size_t it = 0; it < iters; it++) { ROUNDS }
  vf s = r0 + r1 + r2 + r3 + r4 + r5 + r6 + r7 + r8 + r9 + r10 + r11;
  float t = 0.0f;
  for (int l = 0; l < VL; l++) t += s[l];
  return t;
}
