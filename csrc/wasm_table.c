/*
 * wasm_table.c: the threaded wasm module's kernel table (dispatch.c calls through it): table.c's, except that
 * stride-1 convolutions do not take conv_s1.c's path (conv_s1_tiles answers 0, so dispatch.c splits
 * conv2d_part's columns instead). Threaded module at 1 thread, CPU time, medians of 9 (bench, not kept), 3x3
 * 128->32 forward with / without conv_s1: 56x56 10.1 / 7.5 ms, 28x28 2.6 / 2.1, 14x14 0.73 / 0.71, 7x7 0.19 / 0.17,
 * batch 8 at 56x56 89 / 63; the backward (conv_s1 for dx) was the same either way (15.0 / 14.9 ms at 56x56).
 */
#define conv_s1_tiles_simd128 wasm_conv_s1_tiles_off
#include "table.c"

size_t wasm_conv_s1_tiles_off(const struct dn_conv *g) {
  (void)g;
  return 0;
}
