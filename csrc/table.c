/*
 * table.c: this ISA build's entry points as one struct (dn_kernels_avx512, dn_kernels_sse2, ...), so the
 * addon picks an instruction set once at load time and calls through it. No code, only the table.
 */
#include "kernels.h"

#define DN_TABLE_NAME2(s) dn_kernels_##s
#define DN_TABLE_NAME(s) DN_TABLE_NAME2(s)
#define DN_STR2(s) #s
#define DN_STR(s) DN_STR2(s)

const struct dn_kernels DN_TABLE_NAME(DN_SUFFIX) = {
    .isa = DN_STR(DN_SUFFIX),
    .gemm_nr = K(gemm_nr),
    .gemm_scratch_floats = K(gemm_scratch_floats),
    .gemm_part = K(gemm_part),
    .conv2d_part = K(conv2d_part),
    .linear_part = K(linear_part),
    .scale_shift = K(scale_shift),
    .channel_stats = K(channel_stats),
    .relu = K(relu),
    .dropout = K(dropout),
    .max_pool = K(max_pool),
    .avg_pool = K(avg_pool),
    .global_avg_pool = K(global_avg_pool),
    .softmax = K(softmax),
    .bwd_scratch_floats = K(bwd_scratch_floats),
    .conv2d_dx_part = K(conv2d_dx_part),
    .conv2d_dw_part = K(conv2d_dw_part),
    .row_sums = K(row_sums),
    .col_sums = K(col_sums),
    .batch_norm_backward = K(batch_norm_backward),
    .relu_backward = K(relu_backward),
    .max_pool_backward = K(max_pool_backward),
    .avg_pool_backward = K(avg_pool_backward),
    .global_avg_pool_backward = K(global_avg_pool_backward),
    .conv_s1_tiles = K(conv_s1_tiles),
    .conv_s1_part = K(conv_s1_part),
    .conv_wino_tiles = K(conv_wino_tiles),
    .conv_wino_part = K(conv_wino_part),
    .conv1x1_bn_part = K(conv1x1_bn_part),
    .bn_deferred_add = K(bn_deferred_add),
    .fma_peak = K(fma_peak),
    .fma_peak_flops_per_iter = K(fma_peak_flops_per_iter),
};
