/* Gradient checks and error cases for matmul and the broadcasting binary ops. */
#include "test.h"

#include <math.h>

#include "core/gemm.h"
#include "core/gradcheck.h"
#include "rlc/graph.h"

typedef struct {
    int ta, tb;
} mm_ctx;

static rlc_tensor *build_mm(rlc_graph *g, rlc_tensor **in, void *ctx) {
    mm_ctx *c = ctx;
    return rlc_matmul(g, in[0], in[1], c->ta, c->tb);
}

static void check_mm(int ta, int tb, int nda, const int *sa, int ndb, const int *sb) {
    gc_input in[2] = {{0}, {0}};
    in[0].ndim = nda;
    in[1].ndim = ndb;
    for (int i = 0; i < nda; i++) in[0].shape[i] = sa[i];
    for (int i = 0; i < ndb; i++) in[1].shape[i] = sb[i];
    in[0].lo = in[1].lo = -1;
    in[0].hi = in[1].hi = 1;
    mm_ctx c = {ta, tb};
    char name[64];
    snprintf(name, sizeof name, "matmul ta=%d tb=%d nd=%d,%d", ta, tb, nda, ndb);
    gradcheck(name, build_mm, &c, in, 2, 1e-6);
}

static void test_matmul_grad(void **st) {
    (void)st;
    for (int portable = 0; portable < 2; portable++) {
        rlc__gemm_force_portable(portable);
        for (int ta = 0; ta < 2; ta++)
            for (int tb = 0; tb < 2; tb++) {
                int M = 3, K = 4, N = 5;
                int sa[] = {ta ? K : M, ta ? M : K}, sb[] = {tb ? N : K, tb ? K : N};
                check_mm(ta, tb, 2, sa, 2, sb);
                int ba[] = {2, sa[0], sa[1]}, bb[] = {2, sb[0], sb[1]};
                check_mm(ta, tb, 3, ba, 3, bb); /* batched both sides */
                check_mm(ta, tb, 3, ba, 2, sb); /* shared weight */
                check_mm(ta, tb, 2, sa, 3, bb); /* shared left operand */
            }
    }
    rlc__gemm_force_portable(0);
}

static void test_gemm_blas_vs_portable(void **st) {
    (void)st;
    /* Odd sizes cover the block edges of the portable kernel. */
    int M = 37, N = 300, K = 150;
    float *A = malloc(sizeof(float) * M * K), *B = malloc(sizeof(float) * K * N);
    float *C1 = malloc(sizeof(float) * M * N), *C2 = malloc(sizeof(float) * M * N);
    for (int i = 0; i < M * K; i++) A[i] = (float)((i * 37 % 101) - 50) / 50.0f;
    for (int i = 0; i < K * N; i++) B[i] = (float)((i * 53 % 97) - 48) / 48.0f;
    for (int ta = 0; ta < 2; ta++)
        for (int tb = 0; tb < 2; tb++) {
            int lda = ta ? M : K, ldb = tb ? K : N;
            for (int i = 0; i < M * N; i++) C1[i] = C2[i] = (float)(i % 7);
            rlc__gemm_force_portable(0);
            rlc__sgemm(ta, tb, M, N, K, 0.5f, A, lda, B, ldb, 1.0f, C1, N);
            rlc__sgemm_portable(ta, tb, M, N, K, 0.5f, A, lda, B, ldb, 1.0f, C2, N);
            for (int i = 0; i < M * N; i++) assert_close(C1[i], C2[i], 1e-3);
        }
    free(A);
    free(B);
    free(C1);
    free(C2);
}

/* The special cases of the front end (GEMV for one row or one column, GER for K = 1, the
 * SIMD kernel for wide products) against the portable kernel, all transposes, padded strides. */
static void test_gemm_front_end_cases(void **st) {
    (void)st;
    static const int shapes[][3] = {{100, 1, 64}, {1, 64, 100}, {100, 64, 1}, {7, 1, 3},
                                    {100, 4, 64}, {64, 3, 100}, {33, 16, 17}};
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++)
        for (int ta = 0; ta < 2; ta++)
            for (int tb = 0; tb < 2; tb++)
                for (int beta1 = 0; beta1 < 2; beta1++) {
                    const int M = shapes[s][0], N = shapes[s][1], K = shapes[s][2];
                    const int lda = (ta ? M : K) + 2, ldb = (tb ? K : N) + 2, ldc = N + 2;
                    const int na = (ta ? K : M) * lda, nb = (tb ? N : K) * ldb, nc = M * ldc;
                    float *A = malloc(sizeof(float) * na), *B = malloc(sizeof(float) * nb);
                    float *C1 = malloc(sizeof(float) * nc), *C2 = malloc(sizeof(float) * nc);
                    for (int i = 0; i < na; i++) A[i] = (float)((i * 37 % 101) - 50) / 50.0f;
                    for (int i = 0; i < nb; i++) B[i] = (float)((i * 53 % 97) - 48) / 48.0f;
                    for (int i = 0; i < nc; i++) C1[i] = C2[i] = (float)(i % 7) - 3.0f;
                    const float beta = beta1 ? 1.0f : 0.0f;
                    rlc__sgemm(ta, tb, M, N, K, 0.5f, A, lda, B, ldb, beta, C1, ldc);
                    rlc__sgemm_portable(ta, tb, M, N, K, 0.5f, A, lda, B, ldb, beta, C2, ldc);
                    for (int i = 0; i < M; i++)
                        for (int j = 0; j < ldc; j++) {
                            float a = C1[i * ldc + j], b = C2[i * ldc + j];
                            if (j >= N ? a != b : !(fabsf(a - b) <= 1e-4f * (float)(K + 1)))
                                fail_msg("%dx%dx%d ta=%d tb=%d beta=%g: C[%d][%d] = %g, portable "
                                         "%g",
                                         M, N, K, ta, tb, beta, i, j, a, b);
                        }
                    free(A);
                    free(B);
                    free(C1);
                    free(C2);
                }
}

static void test_matmul_errors(void **st) {
    (void)st;
    rlc_graph *g = rlc_graph_create(RLC_F32, 0);
    rlc_tensor *a = rlc_input(g, 2, (int[]){3, 4});
    rlc_tensor *b = rlc_input(g, 2, (int[]){5, 6});
    assert_null(rlc_matmul(g, a, b, 0, 0));
    assert_int_equal(rlc_graph_status(g), RLC_ERR_INVALID);
    assert_contains(rlc_graph_error(g), "inner dimensions differ (4 vs 5)");
    /* sticky: later ops return NULL too */
    assert_null(rlc_add(g, a, a));
    assert_int_not_equal(rlc_graph_forward(g), RLC_OK);
    rlc_graph_destroy(g);
}

typedef struct {
    int op;
} bin_ctx;

static rlc_tensor *build_bin(rlc_graph *g, rlc_tensor **in, void *ctx) {
    switch (((bin_ctx *)ctx)->op) {
    case 0: return rlc_add(g, in[0], in[1]);
    case 1: return rlc_sub(g, in[0], in[1]);
    case 2: return rlc_mul(g, in[0], in[1]);
    case 3: return rlc_div(g, in[0], in[1]);
    case 4: return rlc_minimum(g, in[0], in[1]);
    default: return rlc_maximum(g, in[0], in[1]);
    }
}

static void test_binary_grad(void **st) {
    (void)st;
    static const char *names[] = {"add", "sub", "mul", "div", "minimum", "maximum"};
    /* same shape, bias broadcast, scalar, left broadcast, general (column) broadcast */
    int shapes[][2][4] = {
        {{2, 3, 4, 0}, {2, 3, 4, 0}}, {{2, 3, 4, 0}, {1, 4, 0, 0}}, {{2, 3, 4, 0}, {1, 1, 0, 0}},
        {{1, 4, 0, 0}, {2, 3, 4, 0}}, {{2, 3, 4, 0}, {2, 3, 1, 0}}, {{3, 1, 0, 0}, {2, 1, 4, 0}},
    };
    int nds[][2] = {{3, 3}, {3, 1}, {3, 1}, {1, 3}, {3, 3}, {2, 3}};
    for (int op = 0; op < 6; op++)
        for (int s = 0; s < 6; s++) {
            gc_input in[2];
            for (int k = 0; k < 2; k++) {
                in[k] = gc_in(0.5, 2.0, nds[s][k], shapes[s][k][0], shapes[s][k][1],
                              shapes[s][k][2], shapes[s][k][3]);
                if (nds[s][k] == 1) in[k].shape[0] = shapes[s][k][1];
            }
            bin_ctx c = {op};
            char name[64];
            snprintf(name, sizeof name, "%s case %d", names[op], s);
            gradcheck(name, build_bin, &c, in, 2, 1e-6);
        }
}

static void test_broadcast_values(void **st) {
    (void)st;
    rlc_graph *g = rlc_graph_create(RLC_F32, 0);
    rlc_tensor *a = rlc_input(g, 2, (int[]){2, 1});
    rlc_tensor *b = rlc_input(g, 1, (int[]){3});
    rlc_tensor_set(a, 0, 10);
    rlc_tensor_set(a, 1, 20);
    for (int i = 0; i < 3; i++) rlc_tensor_set(b, i, i + 1);
    rlc_tensor *c = rlc_sub(g, a, b);
    assert_non_null(c);
    assert_int_equal(c->ndim, 2);
    assert_int_equal(c->shape[0], 2);
    assert_int_equal(c->shape[1], 3);
    double want[] = {9, 8, 7, 19, 18, 17};
    for (int i = 0; i < 6; i++) assert_close(rlc_tensor_get(c, i), want[i], 0);
    rlc_tensor *bad = rlc_input(g, 1, (int[]){4});
    assert_null(rlc_add(g, c, bad));
    assert_contains(rlc_graph_error(g), "shapes [2, 3] and [4] do not broadcast");
    rlc_graph_destroy(g);
}

RLC_TESTS(core_op_matmul, cmocka_unit_test(test_matmul_grad),
          cmocka_unit_test(test_gemm_blas_vs_portable), cmocka_unit_test(test_gemm_front_end_cases),
          cmocka_unit_test(test_matmul_errors),
          cmocka_unit_test(test_binary_grad), cmocka_unit_test(test_broadcast_values))
