/* Internal GEMM entry points (row-major, BLAS argument conventions). ta/tb: transpose A/B. */
#ifndef RLC_CORE_GEMM_H
#define RLC_CORE_GEMM_H

#include "rlc/core.h"

void rlc__sgemm(int ta, int tb, int M, int N, int K, float alpha, const float *A, int lda,
                const float *B, int ldb, float beta, float *C, int ldc);
void rlc__dgemm(int ta, int tb, int M, int N, int K, double alpha, const double *A, int lda,
                const double *B, int ldb, double beta, double *C, int ldc);
void rlc__sgemm_portable(int ta, int tb, int M, int N, int K, float alpha, const float *A,
                         int lda, const float *B, int ldb, float beta, float *C, int ldc);
void rlc__dgemm_portable(int ta, int tb, int M, int N, int K, double alpha, const double *A,
                         int lda, const double *B, int ldb, double beta, double *C, int ldc);
/* Tests: route rlc__sgemm/dgemm to the portable kernel even when BLAS is built in. */
void rlc__gemm_force_portable(int on);

/* Small-product SGEMM with AVX-512 / AVX2 FMA (gemm_simd.c). Returns 1 when it computed C, 0
 * when no SIMD path is available or a size is 0 (C untouched). Same bits on both paths. */
int rlc__sgemm_simd(int ta, int tb, int M, int N, int K, float alpha, const float *A, int lda,
                    const float *B, int ldb, float beta, float *C, int ldc);
/* The same with an epilogue: C = relu?(alpha op(A) op(B) + beta C + bias), bias [N] or NULL. */
int rlc__sgemm_simd_ep(int ta, int tb, int M, int N, int K, float alpha, const float *A, int lda,
                       const float *B, int ldb, float beta, float *C, int ldc, const float *bias,
                       int relu);
/* The scalar reference of rlc__sgemm_simd_ep's arithmetic (fmaf chains), for the tests. */
void rlc__sgemm_fma_ref(int ta, int tb, int M, int N, int K, float alpha, const float *A, int lda,
                        const float *B, int ldb, float beta, float *C, int ldc, const float *bias,
                        int relu);
/* C[R, N] = relu?(X[R, K] W[N, K]^T + bias) in one pass when the SIMD kernel takes the product;
 * returns 0 (C untouched) otherwise, and the caller runs the GEMM and the epilogue itself. */
int rlc__sgemm_linear_fused(int R, int N, int K, const float *X, const float *W, const float *bias,
                            int relu, float *C);
/* 0 none, 1 AVX2+FMA, 2 AVX-512 (detected once); set caps it for the tests (-1: automatic). */
int rlc__sgemm_simd_level(void);
void rlc__sgemm_set_simd(int level);

#endif
