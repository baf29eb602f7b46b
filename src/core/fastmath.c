/* rlc__tanhf over arrays, compiled for the widest vector unit the CPU has (AVX-512, AVX2,
 * else the baseline SSE2): the same element function, so every path gives the same bits
 * (no FMA contraction: -ffp-contract=off). Chosen with the small-GEMM kernel's detection. */
#include "core/fastmath.h"
#include "core/gemm.h"

/* blocks of 16 so that GCC's -O2 cost model vectorises the loop at every width */
#define TANH_BLOCKED(y, n)                                                                         \
    {                                                                                              \
        int64_t i0 = 0;                                                                            \
        for (; i0 + 16 <= (n); i0 += 16)                                                           \
            for (int k = 0; k < 16; k++) (y)[i0 + k] = rlc__tanhf((y)[i0 + k]);                    \
        for (int64_t i = i0; i < (n); i++) (y)[i] = rlc__tanhf((y)[i]);                            \
    }

static void tanh_base(float *restrict y, int64_t n) TANH_BLOCKED(y, n)

#if defined(__GNUC__) && !defined(__clang__) && (defined(__x86_64__) || defined(__i386__))
__attribute__((target("avx2"))) static void tanh_avx2(float *restrict y, int64_t n)
    TANH_BLOCKED(y, n)
__attribute__((target("avx512f"))) static void tanh_avx512(float *restrict y, int64_t n)
    TANH_BLOCKED(y, n)
#define RLC_TANH_SIMD 1
#endif

void rlc__tanhf_inplace(float *y, int64_t n) {
#ifdef RLC_TANH_SIMD
    int lv = rlc__sgemm_simd_level();
    if (lv == 2) {
        tanh_avx512(y, n);
        return;
    }
    if (lv == 1) {
        tanh_avx2(y, n);
        return;
    }
#endif
    tanh_base(y, n);
}
