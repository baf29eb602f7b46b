/* Matrix products: C = alpha * op(A) * op(B) + beta * C on row-major matrices: small products
 * through the SIMD kernel of gemm_simd.c where the CPU has AVX2 or AVX-512, others through CBLAS
 * (OpenBLAS) when built with it, else a portable blocked kernel. Both are always compiled so
 * the tests can compare them. */
#include "core/gemm.h"

#ifdef RLC_HAVE_CBLAS
#include <cblas.h>
#endif

static int g_force_portable;

void rlc__gemm_force_portable(int on) {
    g_force_portable = on;
}

int rlc_have_blas(void) {
#ifdef RLC_HAVE_CBLAS
    return !g_force_portable;
#else
    return 0;
#endif
}

void rlc_set_blas_threads(int n) {
#ifdef RLC_HAVE_CBLAS
    openblas_set_num_threads(n);
#else
    (void)n;
#endif
}

/* Portable kernel. The i-k-j loop order keeps the innermost loop contiguous in B and C for the
 * common NN case (op(B) = B); transposed operands are handled by strides. Blocking over k and
 * j keeps a panel of B in L1/L2. */
#define KB 128
#define JB 256

#define DEFINE_GEMM_PORTABLE(NAME, T)                                                           \
    void NAME(int ta, int tb, int M, int N, int K, T alpha, const T *A, int lda, const T *B,   \
              int ldb, T beta, T *C, int ldc) {                                                \
        for (int i = 0; i < M; i++) {                                                          \
            T *c = C + (size_t)i * ldc;                                                        \
            if (beta == 0)                                                                     \
                for (int j = 0; j < N; j++) c[j] = 0;                                          \
            else if (beta != 1)                                                                \
                for (int j = 0; j < N; j++) c[j] *= beta;                                      \
        }                                                                                      \
        if (!tb) {                                                                             \
            for (int j0 = 0; j0 < N; j0 += JB) {                                               \
                int j1 = j0 + JB < N ? j0 + JB : N;                                            \
                for (int k0 = 0; k0 < K; k0 += KB) {                                           \
                    int k1 = k0 + KB < K ? k0 + KB : K;                                        \
                    for (int i = 0; i < M; i++) {                                              \
                        T *c = C + (size_t)i * ldc;                                            \
                        for (int k = k0; k < k1; k++) {                                        \
                            T a = alpha * (ta ? A[(size_t)k * lda + i] : A[(size_t)i * lda + k]); \
                            const T *b = B + (size_t)k * ldb;                                  \
                            for (int j = j0; j < j1; j++) c[j] += a * b[j];                    \
                        }                                                                      \
                    }                                                                          \
                }                                                                              \
            }                                                                                  \
        } else {                                                                               \
            /* op(B)[k][j] = B[j][k]: dot products along contiguous rows of B. */               \
            for (int i = 0; i < M; i++) {                                                      \
                T *c = C + (size_t)i * ldc;                                                    \
                for (int j = 0; j < N; j++) {                                                  \
                    const T *b = B + (size_t)j * ldb;                                          \
                    T s = 0;                                                                   \
                    if (!ta) {                                                                 \
                        const T *a = A + (size_t)i * lda;                                      \
                        for (int k = 0; k < K; k++) s += a[k] * b[k];                          \
                    } else {                                                                   \
                        for (int k = 0; k < K; k++) s += A[(size_t)k * lda + i] * b[k];        \
                    }                                                                          \
                    c[j] += alpha * s;                                                         \
                }                                                                              \
            }                                                                                  \
        }                                                                                      \
    }

DEFINE_GEMM_PORTABLE(rlc__sgemm_portable, float)
DEFINE_GEMM_PORTABLE(rlc__dgemm_portable, double)

/* Whether a product goes to the SIMD kernel (gemm_simd.c) rather than OpenBLAS: on one thread
 * it runs the products of small networks at up to twice OpenBLAS's speed (no call setup, no
 * A packing, AVX-512). OpenBLAS keeps batch-1 products (GEMV without packing), narrow outputs
 * (N < 16: most of a SIMD tile would be padding) and large products when it may use threads. */
static int use_simd(int M, int N, int K) {
#ifdef RLC_HAVE_CBLAS
    if (M < 2 || N < 16) return 0;
    if ((double)M * N * K > (double)(1 << 21) && openblas_get_num_threads() > 1) return 0;
#else
    (void)M, (void)N, (void)K;
#endif
    return 1;
}

void rlc__sgemm(int ta, int tb, int M, int N, int K, float alpha, const float *A, int lda,
                const float *B, int ldb, float beta, float *C, int ldc) {
    if (M == 0 || N == 0) return;
    if (!g_force_portable && K > 0 && use_simd(M, N, K) &&
        rlc__sgemm_simd(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc))
        return;
#ifdef RLC_HAVE_CBLAS
    if (!g_force_portable && K > 0) {
        /* Batch-1 products (acting, streaming updates): GEMM packs the whole weight matrix,
         * which costs several times the product itself; GEMV and GER do not. */
        if (M == 1) {
            cblas_sgemv(CblasRowMajor, tb ? CblasNoTrans : CblasTrans, tb ? N : K, tb ? K : N,
                        alpha, B, ldb, A, ta ? lda : 1, beta, C, 1);
            return;
        }
        if (K == 1 && beta == 1.0f) {
            cblas_sger(CblasRowMajor, M, N, alpha, A, ta ? 1 : lda, B, tb ? ldb : 1, C, ldc);
            return;
        }
        /* One output column (a value head): GEMV, a quarter of GEMM's time at batch 100. */
        if (N == 1) {
            cblas_sgemv(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, ta ? K : M, ta ? M : K,
                        alpha, A, lda, B, tb ? 1 : ldb, beta, C, ldc);
            return;
        }
        cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans,
                    M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
        return;
    }
#endif
    rlc__sgemm_portable(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}

int rlc__sgemm_linear_fused(int R, int N, int K, const float *X, const float *W, const float *bias,
                            int relu, float *C) {
    if (g_force_portable || R <= 0 || N <= 0 || K <= 0 || !use_simd(R, N, K)) return 0;
    return rlc__sgemm_simd_ep(0, 1, R, N, K, 1.0f, X, K, W, K, 0.0f, C, N, bias, relu);
}

void rlc__dgemm(int ta, int tb, int M, int N, int K, double alpha, const double *A, int lda,
                const double *B, int ldb, double beta, double *C, int ldc) {
    if (M == 0 || N == 0) return;
#ifdef RLC_HAVE_CBLAS
    if (!g_force_portable && K > 0) {
        if (M == 1) {
            cblas_dgemv(CblasRowMajor, tb ? CblasNoTrans : CblasTrans, tb ? N : K, tb ? K : N,
                        alpha, B, ldb, A, ta ? lda : 1, beta, C, 1);
            return;
        }
        if (K == 1 && beta == 1.0) {
            cblas_dger(CblasRowMajor, M, N, alpha, A, ta ? 1 : lda, B, tb ? ldb : 1, C, ldc);
            return;
        }
        cblas_dgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans,
                    M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
        return;
    }
#endif
    rlc__dgemm_portable(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}
