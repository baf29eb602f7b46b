/* Single-precision GEMM for the small products of RL networks (batch x 64..256 hidden units),
 * with AVX-512 or AVX2 FMA chosen at run time. OpenBLAS spends most of such a call on setup and
 * packing; this kernel packs only a K x NR panel of op(B) and broadcasts op(A) straight from the
 * caller's memory, with MR x NR register tiles.
 *
 * Numerics: every element of C is one chain acc = fma(op(A)[i][k], op(B)[k][j], acc) over
 * k = 0..K-1, then C = alpha acc + beta C (beta 0: C is not read); for K > KC each k-block of
 * KC is one such chain, the first applied with beta and the later ones with beta = 1. The lane width
 * does not enter the arithmetic, so the AVX-512 and AVX2 paths give the same bits, and so does
 * the scalar reference below with fmaf (libm's fmaf is correctly rounded, like vfmadd). */
#include "core/gemm.h"

#include <math.h>
#include <stdatomic.h>
#include <string.h>

#define KC 256 /* k-block: the packed B panel is KC x NR floats on the stack */

/* Reference with exactly the kernel's arithmetic; also the fallback when no SIMD path runs. */
void rlc__sgemm_fma_ref(int ta, int tb, int M, int N, int K, float alpha, const float *A, int lda,
                        const float *B, int ldb, float beta, float *C, int ldc, const float *bias,
                        int relu) {
    for (int k0 = 0; k0 < K || k0 == 0; k0 += KC) {
        int k1 = k0 + KC < K ? k0 + KC : K;
        float al = alpha, be = k0 ? 1.0f : beta;
        for (int i = 0; i < M; i++)
            for (int j = 0; j < N; j++) {
                float acc = 0;
                for (int k = k0; k < k1; k++) {
                    float a = ta ? A[(size_t)k * lda + i] : A[(size_t)i * lda + k];
                    float b = tb ? B[(size_t)j * ldb + k] : B[(size_t)k * ldb + j];
                    acc = fmaf(a, b, acc);
                }
                float *c = C + (size_t)i * ldc + j;
                float v = al == 1.0f ? acc : al * acc;
                v = be == 0.0f ? v : be == 1.0f ? v + *c : v + be * *c;
                if (k1 == K && bias) v = v + bias[j];
                if (k1 == K && relu) v = v < 0 ? 0 : v;
                *c = v;
            }
        if (K == 0) break;
    }
}

#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
#include <immintrin.h>
#define RLC_GEMM_SIMD 1

#if !defined(__clang__)
/* At -O3, unswitching the tile loops on every epilogue flag and mr specialisation makes GCC 12
 * spend minutes and gigabytes on this file, for no speed: the flags are tested once per tile. */
#pragma GCC optimize("no-unswitch-loops")
#endif

/* One MR x (2 vectors) tile of C over k in [0, K): ap[r] points at op(A)[row r][k0] and steps
 * by ks per k; bp is the packed panel (2W floats per k). mr (<= MR) is a compile-time constant
 * at every call, so the row loops unroll and the accumulators live in registers. Rows past mr
 * are neither computed nor stored; columns past nr are stored from a scratch tile. */
#define GEMM_TILE(SFX, TGT, V, W, MR, LOAD, LOADU, STOREU, BCAST, FMA, ADD, MUL, MAX, SET1, ZERO)   \
    __attribute__((target(TGT), always_inline)) static inline void tile_##SFX(                     \
        const int mr, const float *const *ap, size_t ks, const float *bp, int K, float alpha,      \
        float beta, float *C, int ldc, int nr, const float *bias, int relu) {                      \
        V c0[MR], c1[MR];                                                                          \
        _Pragma("GCC unroll 8") for (int r = 0; r < mr; r++) c0[r] = c1[r] = ZERO();               \
        size_t off = 0;                                                                            \
        for (int k = 0; k < K; k++, off += ks) {                                                   \
            const V b0 = LOAD(bp + (size_t)k * 2 * W), b1 = LOAD(bp + (size_t)k * 2 * W + W);      \
            _Pragma("GCC unroll 8") for (int r = 0; r < mr; r++) {                                 \
                const V a = BCAST(ap[r] + off);                                                    \
                c0[r] = FMA(a, b0, c0[r]);                                                         \
                c1[r] = FMA(a, b1, c1[r]);                                                         \
            }                                                                                      \
        }                                                                                          \
        const V va = SET1(alpha), vb = SET1(beta);                                                 \
        _Pragma("GCC unroll 8") for (int r = 0; r < mr; r++) {                                     \
            V o0 = alpha == 1.0f ? c0[r] : MUL(va, c0[r]);                                         \
            V o1 = alpha == 1.0f ? c1[r] : MUL(va, c1[r]);                                         \
            float *cr = C + (size_t)r * ldc;                                                       \
            if (nr == 2 * W) {                                                                     \
                if (beta == 1.0f) {                                                                \
                    o0 = ADD(o0, LOADU(cr));                                                       \
                    o1 = ADD(o1, LOADU(cr + W));                                                   \
                } else if (beta != 0.0f) {                                                         \
                    o0 = ADD(o0, MUL(vb, LOADU(cr)));                                              \
                    o1 = ADD(o1, MUL(vb, LOADU(cr + W)));                                          \
                }                                                                                  \
                if (bias) {                                                                        \
                    o0 = ADD(o0, LOADU(bias));                                                     \
                    o1 = ADD(o1, LOADU(bias + W));                                                 \
                }                                                                                  \
                if (relu) { /* max(0, v) returns v for NaN and -0: the same as v < 0 ? 0 : v */    \
                    o0 = MAX(ZERO(), o0);                                                          \
                    o1 = MAX(ZERO(), o1);                                                          \
                }                                                                                  \
                STOREU(cr, o0);                                                                    \
                STOREU(cr + W, o1);                                                                \
            } else {                                                                               \
                float t[2 * W];                                                                    \
                STOREU(t, o0);                                                                     \
                STOREU(t + W, o1);                                                                 \
                for (int j = 0; j < nr; j++) {                                                     \
                    float v = beta == 0.0f ? t[j] : beta == 1.0f ? t[j] + cr[j] : t[j] + beta * cr[j]; \
                    if (bias) v = v + bias[j];                                                     \
                    if (relu) v = v < 0 ? 0 : v;                                                   \
                    cr[j] = v;                                                                     \
                }                                                                                  \
            }                                                                                      \
        }                                                                                          \
    }                                                                                              \
    /* Packs op(B)[k0 .. k0+kc)[j0 .. j0+nr) into bp (2W floats per k, zero-padded). */             \
    __attribute__((target(TGT))) static void pack_##SFX(int tb, const float *B, int ldb, int k0,   \
                                                        int kc, int j0, int nr, float *bp) {       \
        if (!tb) {                                                                                 \
            for (int k = 0; k < kc; k++) {                                                         \
                const float *b = B + (size_t)(k0 + k) * ldb + j0;                                  \
                float *d = bp + (size_t)k * 2 * W;                                                 \
                if (nr == 2 * W) {                                                                 \
                    STOREU(d, LOADU(b));                                                           \
                    STOREU(d + W, LOADU(b + W));                                                   \
                } else {                                                                           \
                    int j = 0;                                                                     \
                    for (; j < nr; j++)                                                            \
                        d[j] = b[j];                                                               \
                    for (; j < 2 * W; j++)                                                         \
                        d[j] = 0;                                                                  \
                }                                                                                  \
            }                                                                                      \
        } else if (nr == 2 * W) {                                                                  \
            /* op(B) = B^T: 4 x 4 blocks transposed in SSE registers (a third of the scalar      \
             * copy's instructions; it dominates small-batch products such as acting) */        \
            const int k4 = kc & ~3;                                                                \
            for (int j = 0; j < 2 * W; j += 4) {                                                   \
                const float *b = B + (size_t)(j0 + j) * ldb + k0;                                  \
                for (int k = 0; k < k4; k += 4) {                                                  \
                    __m128 r0 = _mm_loadu_ps(b + k), r1 = _mm_loadu_ps(b + ldb + k);               \
                    __m128 r2 = _mm_loadu_ps(b + 2 * (size_t)ldb + k);                             \
                    __m128 r3 = _mm_loadu_ps(b + 3 * (size_t)ldb + k);                             \
                    _MM_TRANSPOSE4_PS(r0, r1, r2, r3);                                             \
                    _mm_storeu_ps(bp + (size_t)k * 2 * W + j, r0);                                 \
                    _mm_storeu_ps(bp + (size_t)(k + 1) * 2 * W + j, r1);                           \
                    _mm_storeu_ps(bp + (size_t)(k + 2) * 2 * W + j, r2);                           \
                    _mm_storeu_ps(bp + (size_t)(k + 3) * 2 * W + j, r3);                           \
                }                                                                                  \
                for (int k = k4; k < kc; k++)                                                      \
                    for (int q = 0; q < 4; q++)                                                    \
                        bp[(size_t)k * 2 * W + j + q] = b[(size_t)q * ldb + k];                    \
            }                                                                                      \
        } else {                                                                                   \
            for (int j = 0; j < 2 * W; j++) {                                                      \
                if (j < nr) {                                                                      \
                    const float *b = B + (size_t)(j0 + j) * ldb + k0;                              \
                    for (int k = 0; k < kc; k++)                                                   \
                        bp[(size_t)k * 2 * W + j] = b[k];                                          \
                } else {                                                                           \
                    for (int k = 0; k < kc; k++)                                                   \
                        bp[(size_t)k * 2 * W + j] = 0;                                             \
                }                                                                                  \
            }                                                                                      \
        }                                                                                          \
    }                                                                                              \
    __attribute__((target(TGT))) static void sgemm_##SFX(int ta, int tb, int M, int N, int K,      \
                                                         float alpha, const float *A, int lda,     \
                                                         const float *B, int ldb, float beta,      \
                                                         float *C, int ldc, const float *bias,     \
                                                         int relu) {                               \
        float bp[KC * 2 * W] __attribute__((aligned(64)));                                         \
        const size_t ks = ta ? (size_t)lda : 1, rs = ta ? 1 : (size_t)lda;                         \
        for (int k0 = 0; k0 < K; k0 += KC) {                                                       \
            const int kc = K - k0 < KC ? K - k0 : KC;                                              \
            const float al = alpha, be = k0 ? 1.0f : beta;                                         \
            const int last = k0 + kc == K; /* the epilogue goes with the last k-block */           \
            for (int j0 = 0; j0 < N; j0 += 2 * W) {                                                \
                const int nr = N - j0 < 2 * W ? N - j0 : 2 * W;                                    \
                pack_##SFX(tb, B, ldb, k0, kc, j0, nr, bp);                                        \
                const float *eb = last && bias ? bias + j0 : NULL;                                 \
                const int er = last && relu;                                                       \
                for (int i0 = 0; i0 < M; i0 += MR) {                                               \
                    const int mr = M - i0 < MR ? M - i0 : MR;                                      \
                    const float *ap[MR];                                                           \
                    for (int r = 0; r < MR; r++)                                                   \
                        ap[r] = A + (size_t)(i0 + (r < mr ? r : 0)) * rs + (size_t)k0 * ks;        \
                    float *c = C + (size_t)i0 * ldc + j0;                                          \
                    switch (mr) {                                                                  \
                    case MR: tile_##SFX(MR, ap, ks, bp, kc, al, be, c, ldc, nr, eb, er); break;    \
                    TILE_CASES_##SFX                                                               \
                    }                                                                              \
                }                                                                                  \
            }                                                                                      \
        }                                                                                          \
    }

#define MR512 8
#define TILE_CASES_avx512                                                                          \
    case 7: tile_avx512(7, ap, ks, bp, kc, al, be, c, ldc, nr, eb, er); break;                     \
    case 6: tile_avx512(6, ap, ks, bp, kc, al, be, c, ldc, nr, eb, er); break;                     \
    case 5: tile_avx512(5, ap, ks, bp, kc, al, be, c, ldc, nr, eb, er); break;                     \
    case 4: tile_avx512(4, ap, ks, bp, kc, al, be, c, ldc, nr, eb, er); break;                     \
    case 3: tile_avx512(3, ap, ks, bp, kc, al, be, c, ldc, nr, eb, er); break;                     \
    case 2: tile_avx512(2, ap, ks, bp, kc, al, be, c, ldc, nr, eb, er); break;                     \
    default: tile_avx512(1, ap, ks, bp, kc, al, be, c, ldc, nr, eb, er); break;
#define MR256 6
#define TILE_CASES_avx2                                                                            \
    case 5: tile_avx2(5, ap, ks, bp, kc, al, be, c, ldc, nr, eb, er); break;                       \
    case 4: tile_avx2(4, ap, ks, bp, kc, al, be, c, ldc, nr, eb, er); break;                       \
    case 3: tile_avx2(3, ap, ks, bp, kc, al, be, c, ldc, nr, eb, er); break;                       \
    case 2: tile_avx2(2, ap, ks, bp, kc, al, be, c, ldc, nr, eb, er); break;                       \
    default: tile_avx2(1, ap, ks, bp, kc, al, be, c, ldc, nr, eb, er); break;

#define BCAST512(p) _mm512_set1_ps(*(p))
#define BCAST256(p) _mm256_broadcast_ss(p)

GEMM_TILE(avx512, "avx512f", __m512, 16, MR512, _mm512_load_ps, _mm512_loadu_ps, _mm512_storeu_ps,
          BCAST512, _mm512_fmadd_ps, _mm512_add_ps, _mm512_mul_ps, _mm512_max_ps, _mm512_set1_ps,
          _mm512_setzero_ps)
GEMM_TILE(avx2, "avx2,fma", __m256, 8, MR256, _mm256_load_ps, _mm256_loadu_ps, _mm256_storeu_ps,
          BCAST256, _mm256_fmadd_ps, _mm256_add_ps, _mm256_mul_ps, _mm256_max_ps, _mm256_set1_ps,
          _mm256_setzero_ps)

/* 0: none, 1: AVX2+FMA, 2: AVX-512; -1: not yet detected. Relaxed atomics: every thread
 * computes the same value. */
static atomic_int g_level = -1;

static int detect(void) {
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f")) return 2;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return 1;
    return 0;
}

int rlc__sgemm_simd_level(void) {
    int lv = atomic_load_explicit(&g_level, memory_order_relaxed);
    if (lv < 0) {
        lv = detect();
        atomic_store_explicit(&g_level, lv, memory_order_relaxed);
    }
    return lv;
}

void rlc__sgemm_set_simd(int level) {
    int have = detect();
    atomic_store_explicit(&g_level, level < 0 || level > have ? have : level,
                          memory_order_relaxed);
}

int rlc__sgemm_simd_ep(int ta, int tb, int M, int N, int K, float alpha, const float *A, int lda,
                       const float *B, int ldb, float beta, float *C, int ldc, const float *bias,
                       int relu) {
    if (M <= 0 || N <= 0 || K <= 0) return 0;
    int lv = rlc__sgemm_simd_level();
    if (lv == 2)
        sgemm_avx512(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, bias, relu);
    else if (lv == 1)
        sgemm_avx2(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, bias, relu);
    else
        return 0;
    return 1;
}

#endif

int rlc__sgemm_simd(int ta, int tb, int M, int N, int K, float alpha, const float *A, int lda,
                    const float *B, int ldb, float beta, float *C, int ldc) {
    return rlc__sgemm_simd_ep(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, NULL, 0);
}

#ifndef RLC_GEMM_SIMD

int rlc__sgemm_simd_level(void) {
    return 0;
}

void rlc__sgemm_set_simd(int level) {
    (void)level;
}

int rlc__sgemm_simd_ep(int ta, int tb, int M, int N, int K, float alpha, const float *A, int lda,
                       const float *B, int ldb, float beta, float *C, int ldc, const float *bias,
                       int relu) {
    (void)ta, (void)tb, (void)M, (void)N, (void)K, (void)alpha, (void)A, (void)lda, (void)B;
    (void)ldb, (void)beta, (void)C, (void)ldc, (void)bias, (void)relu;
    return 0;
}

#endif
