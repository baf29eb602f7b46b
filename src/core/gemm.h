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

#endif
