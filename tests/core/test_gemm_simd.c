/* The SIMD SGEMM kernel (gemm_simd.c): bit-identical to its scalar fmaf reference on the
 * AVX-512 and AVX2 paths, close to the portable kernel, for odd sizes, all transposes, padded
 * leading dimensions, alpha/beta variants and several k-blocks. */
#include "test.h"

#include "core/gemm.h"

#include <math.h>

typedef struct shape {
    int M, N, K;
} shape;

/* Values with many mantissa bits, so that a different summation order shows in the result. */
static void fill(float *x, size_t n, unsigned seed) {
    uint32_t s = seed * 2654435761u + 12345u;
    for (size_t i = 0; i < n; i++) {
        s = s * 1664525u + 1013904223u;
        x[i] = (float)((double)(s >> 8) / (double)(1u << 24) * 2.0 - 1.0) * 1.37f;
    }
}

static void check_level(int level) {
    static const shape shapes[] = {
        {1, 1, 1},   {2, 16, 1},   {7, 17, 3},   {8, 32, 4},    {9, 33, 5},   {13, 64, 64},
        {100, 64, 64}, {64, 64, 100}, {100, 65, 17}, {6, 31, 257}, {17, 48, 300}, {3, 100, 513},
        {100, 1, 64},  {1, 64, 100}, {33, 16, 1},  {5, 7, 129},
    };
    static const float ab[][2] = {{1.0f, 0.0f}, {1.0f, 1.0f}, {0.5f, -0.75f}};
    const int pad = 3; /* leading dimensions larger than the rows */
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        const int M = shapes[s].M, N = shapes[s].N, K = shapes[s].K;
        for (int ta = 0; ta < 2; ta++)
            for (int tb = 0; tb < 2; tb++)
                for (size_t v = 0; v < sizeof ab / sizeof ab[0]; v++) {
                    const int lda = (ta ? M : K) + pad, ldb = (tb ? K : N) + pad, ldc = N + pad;
                    const size_t na = (size_t)(ta ? K : M) * lda, nb = (size_t)(tb ? N : K) * ldb;
                    const size_t nc = (size_t)M * ldc;
                    float *A = malloc(sizeof(float) * na), *B = malloc(sizeof(float) * nb);
                    float *C = malloc(sizeof(float) * nc), *R = malloc(sizeof(float) * nc);
                    float *P = malloc(sizeof(float) * nc);
                    fill(A, na, (unsigned)s * 7 + 1);
                    fill(B, nb, (unsigned)s * 7 + 2);
                    fill(C, nc, (unsigned)s * 7 + 3);
                    const float alpha = ab[v][0], beta = ab[v][1];
                    if (beta == 0.0f) /* beta 0: C must not be read */
                        for (int i = 0; i < M; i++)
                            for (int j = 0; j < N; j++) C[(size_t)i * ldc + j] = NAN;
                    memcpy(R, C, sizeof(float) * nc);
                    memcpy(P, C, sizeof(float) * nc);
                    rlc__sgemm_set_simd(level);
                    int ran = rlc__sgemm_simd(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
                    rlc__sgemm_set_simd(-1);
                    assert_int_equal(ran, 1);
                    rlc__sgemm_fma_ref(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, R, ldc, NULL, 0);
                    rlc__sgemm_portable(ta, tb, M, N, K, alpha, A, lda, B, ldb,
                                        beta == 0.0f ? 0.0f : beta, P, ldc);
                    for (int i = 0; i < M; i++)
                        for (int j = 0; j < ldc; j++) {
                            size_t q = (size_t)i * ldc + j;
                            if (memcmp(&C[q], &R[q], sizeof(float)) != 0)
                                fail_msg("level %d %dx%dx%d ta=%d tb=%d alpha=%g beta=%g: C[%d][%d] "
                                         "= %.9g, reference %.9g",
                                         level, M, N, K, ta, tb, alpha, beta, i, j, C[q], R[q]);
                            /* the portable kernel sums in another order */
                            if (j < N && !(fabsf(C[q] - P[q]) <= 1e-5f * (float)(K + 4)))
                                fail_msg("level %d %dx%dx%d ta=%d tb=%d alpha=%g beta=%g: C[%d][%d] "
                                         "= %.9g, portable kernel %.9g",
                                         level, M, N, K, ta, tb, alpha, beta, i, j, C[q], P[q]);
                        }
                    free(A);
                    free(B);
                    free(C);
                    free(R);
                    free(P);
                }
    }
}

static void test_gemm_simd_vs_reference(void **st) {
    (void)st;
    int have = rlc__sgemm_simd_level();
    if (have == 0) {
        /* No SIMD path on this CPU: the kernel must decline and leave C alone. */
        float a = 1, b = 2, c = 3;
        assert_int_equal(rlc__sgemm_simd(0, 0, 1, 1, 1, 1, &a, 1, &b, 1, 0, &c, 1), 0);
        assert_true(c == 3);
        return;
    }
    for (int level = 1; level <= have; level++)
        check_level(level);
}

/* The AVX-512 and AVX2 paths give the same bits (same per-element fma chains). */
static void test_gemm_simd_paths_agree(void **st) {
    (void)st;
    if (rlc__sgemm_simd_level() < 2) return; /* one path only: nothing to compare */
    const int M = 100, N = 64, K = 100;
    float *A = malloc(sizeof(float) * M * K), *B = malloc(sizeof(float) * K * N);
    float *C1 = malloc(sizeof(float) * M * N), *C2 = malloc(sizeof(float) * M * N);
    fill(A, (size_t)M * K, 11);
    fill(B, (size_t)K * N, 12);
    rlc__sgemm_set_simd(2);
    rlc__sgemm_simd(0, 1, M, N, K, 1.0f, A, K, B, K, 0.0f, C1, N);
    rlc__sgemm_set_simd(1);
    rlc__sgemm_simd(0, 1, M, N, K, 1.0f, A, K, B, K, 0.0f, C2, N);
    rlc__sgemm_set_simd(-1);
    assert_memory_equal(C1, C2, sizeof(float) * M * N);
    free(A);
    free(B);
    free(C1);
    free(C2);
}

/* The epilogue (bias, relu) of the fused linear layer: bit-identical to the reference, applied
 * once after the last k-block (K > 256), on full and partial column tiles. */
static void test_gemm_simd_epilogue(void **st) {
    (void)st;
    int have = rlc__sgemm_simd_level();
    static const shape shapes[] = {{100, 64, 64}, {9, 33, 5}, {5, 70, 300}, {3, 16, 1}};
    for (int level = 1; level <= have; level++)
        for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++)
            for (int v = 0; v < 3; v++) {
                const int M = shapes[s].M, N = shapes[s].N, K = shapes[s].K;
                const int relu = v != 1;
                float *A = malloc(sizeof(float) * M * K), *B = malloc(sizeof(float) * N * K);
                float *bias = malloc(sizeof(float) * N), *C = malloc(sizeof(float) * M * N);
                float *R = malloc(sizeof(float) * M * N);
                fill(A, (size_t)M * K, 21);
                fill(B, (size_t)N * K, 22);
                fill(bias, (size_t)N, 23);
                const float *b = v == 2 ? NULL : bias;
                rlc__sgemm_set_simd(level);
                assert_int_equal(rlc__sgemm_simd_ep(0, 1, M, N, K, 1.0f, A, K, B, K, 0.0f, C, N, b,
                                                    relu),
                                 1);
                rlc__sgemm_set_simd(-1);
                rlc__sgemm_fma_ref(0, 1, M, N, K, 1.0f, A, K, B, K, 0.0f, R, N, b, relu);
                assert_memory_equal(C, R, sizeof(float) * M * N);
                int zeros = 0;
                for (int i = 0; i < M * N; i++) zeros += C[i] == 0.0f;
                if (relu) assert_true(zeros > 0); /* the relu did cut */
                for (int i = 0; i < M * N; i++) assert_true(C[i] >= 0.0f || !relu);
                free(A);
                free(B);
                free(bias);
                free(C);
                free(R);
            }
}

/* Zero sizes: the kernel declines (the caller handles them). */
static void test_gemm_simd_empty(void **st) {
    (void)st;
    float x = 5;
    assert_int_equal(rlc__sgemm_simd(0, 0, 0, 4, 4, 1, &x, 4, &x, 4, 0, &x, 4), 0);
    assert_int_equal(rlc__sgemm_simd(0, 0, 4, 4, 0, 1, &x, 1, &x, 4, 0, &x, 4), 0);
    assert_true(x == 5);
}

RLC_TESTS(core_gemm_simd, cmocka_unit_test(test_gemm_simd_vs_reference),
          cmocka_unit_test(test_gemm_simd_paths_agree), cmocka_unit_test(test_gemm_simd_epilogue),
          cmocka_unit_test(test_gemm_simd_empty))
