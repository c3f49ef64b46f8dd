/*
 * common.h: the one header every kernel source includes. It replaces libc for the kernels (they are also
 * built freestanding for wasm32, with no libc): size_t, restrict, min/max, and the SIMD vector types as
 * GCC/Clang vector extensions whose width follows the instruction set this object is compiled for.
 * It holds no math; dimension names used across csrc/: m,n,k (GEMM), c (channels), s (row length).
 */
#ifndef DN_COMMON_H
#define DN_COMMON_H

typedef __SIZE_TYPE__ size_t;
typedef __PTRDIFF_TYPE__ ptrdiff_t;
typedef unsigned char u8;

#define RESTRICT __restrict__
#define INLINE static inline __attribute__((always_inline))

static inline size_t min_sz(size_t a, size_t b) { return a < b ? a : b; }
static inline size_t max_sz(size_t a, size_t b) { return a > b ? a : b; }
static inline size_t round_up(size_t a, size_t b) { return (a + b - 1) / b * b; }
static inline float max_f(float a, float b) { return a > b ? a : b; }

/*
 * One build per instruction set. VL = floats per vector register. K(name) gives each ISA build its own
 * symbol names (gemm_part_avx512, ...), so one addon links every build and picks one at load time.
 */
#if defined(DN_ISA_AVX512)
#define VL 16
#define DN_SUFFIX avx512
#elif defined(DN_ISA_AVX2)
#define VL 8
#define DN_SUFFIX avx2
#elif defined(DN_ISA_SSE2)
#define VL 4
#define DN_SUFFIX sse2
#elif defined(DN_ISA_NEON)
#define VL 4
#define DN_SUFFIX neon
#elif defined(DN_ISA_SIMD128)
#define VL 4
#define DN_SUFFIX simd128
#else
#define VL 4
#define DN_SUFFIX generic
#endif

#define DN_CAT2(a, b) a##_##b
#define DN_CAT(a, b) DN_CAT2(a, b)
#define K(name) DN_CAT(name, DN_SUFFIX)

/* vf: an aligned vector of VL floats; vfu: the same type for unaligned (4-byte aligned) memory. */
typedef float vf __attribute__((vector_size(VL * 4)));
typedef float vfu __attribute__((vector_size(VL * 4), aligned(4), __may_alias__));

INLINE vf load_u(const float *p) { return *(const vfu *)p; }
INLINE void store_u(float *p, vf v) { *(vfu *)p = v; }
INLINE vf splat(float x) { return x - (vf){0}; } /* x - 0 == x exactly, so this folds to a broadcast */
/* acc + x * y: one FMA where the build contracts it (native, -ffp-contract=fast); wasm has no FMA but relaxed
 * SIMD's f32x4.relaxed_madd (fused or not, as the engine's hardware does it), used when built with -mrelaxed-simd. */
#if defined(__wasm_relaxed_simd__)
INLINE vf madd(vf acc, vf x, vf y) { return (vf)__builtin_wasm_relaxed_madd_f32x4(x, y, acc); }
#else
INLINE vf madd(vf acc, vf x, vf y) { return acc + x * y; }
#endif

/* vi: the matching int vector; comparisons yield lane masks of all ones. */
typedef int vi __attribute__((vector_size(VL * 4)));
INLINE vf select_v(vi mask, vf a, vf b) { return (vf)(((vi)a & mask) | ((vi)b & ~mask)); }
/* max(v, 0) with NaN -> 0 (ReLU) */
INLINE vf relu_v(vf v) { return (vf)((vi)v & (v > (vf){0})); }

#endif
