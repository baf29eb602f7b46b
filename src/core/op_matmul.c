/* Matrix product with optional transposes, batched over leading dimensions. Forward and
 * backward are GEMM calls (CBLAS or the portable kernel). */
#include "core/gemm.h"
#include "core/graph_impl.h"

/* i[0..5]: ta, tb, M, N, K, batch; i[6]: a_batched, i[7]: b_batched. */

static void gemm_any(rlc_dtype dt, int ta, int tb, int M, int N, int K, const void *A, int lda,
                     const void *B, int ldb, double beta, void *C, int ldc) {
    if (dt == RLC_F32)
        rlc__sgemm(ta, tb, M, N, K, 1.0f, A, lda, B, ldb, (float)beta, C, ldc);
    else
        rlc__dgemm(ta, tb, M, N, K, 1.0, A, lda, B, ldb, beta, C, ldc);
}

static void mm_forward(rlc_node *n) {
    int ta = n->i[0], tb = n->i[1], M = n->i[2], N = n->i[3], K = n->i[4], L = n->i[5];
    int ab = n->i[6], bb = n->i[7];
    rlc_tensor *a = n->in[0], *b = n->in[1], *c = n->out;
    size_t es = rlc__dtype_size(c->dtype);
    int lda = ta ? M : K, ldb = tb ? K : N;
    if (ab && !bb && !ta) { /* shared weight: one GEMM over all rows */
        gemm_any(c->dtype, 0, tb, L * M, N, K, a->data, lda, b->data, ldb, 0.0, c->data, N);
        return;
    }
    for (int l = 0; l < L; l++) {
        const char *pa = (const char *)a->data + (ab ? (size_t)l * M * K * es : 0);
        const char *pb = (const char *)b->data + (bb ? (size_t)l * K * N * es : 0);
        char *pc = (char *)c->data + (size_t)l * M * N * es;
        gemm_any(c->dtype, ta, tb, M, N, K, pa, lda, pb, ldb, 0.0, pc, N);
    }
}

static void mm_backward(rlc_node *n) {
    int ta = n->i[0], tb = n->i[1], M = n->i[2], N = n->i[3], K = n->i[4], L = n->i[5];
    int ab = n->i[6], bb = n->i[7];
    rlc_tensor *a = n->in[0], *b = n->in[1], *c = n->out;
    size_t es = rlc__dtype_size(c->dtype);
    int lda = ta ? M : K, ldb = tb ? K : N;
    if (ab && !bb && !ta) {
        int R = L * M;
        if (a->grad) gemm_any(c->dtype, 0, !tb, R, K, N, c->grad, N, b->data, ldb, 1.0, a->grad, K);
        if (b->grad) {
            if (!tb)
                gemm_any(c->dtype, 1, 0, K, N, R, a->data, K, c->grad, N, 1.0, b->grad, N);
            else
                gemm_any(c->dtype, 1, 0, N, K, R, c->grad, N, a->data, K, 1.0, b->grad, K);
        }
        return;
    }
    for (int l = 0; l < L; l++) {
        size_t oa = ab ? (size_t)l * M * K * es : 0, ob = bb ? (size_t)l * K * N * es : 0;
        const char *pa = (const char *)a->data + oa, *pb = (const char *)b->data + ob;
        const char *dc = (const char *)c->grad + (size_t)l * M * N * es;
        if (a->grad) {
            char *da = (char *)a->grad + oa;
            if (!ta)
                gemm_any(c->dtype, 0, !tb, M, K, N, dc, N, pb, ldb, 1.0, da, lda);
            else
                gemm_any(c->dtype, tb, 1, K, M, N, pb, ldb, dc, N, 1.0, da, lda);
        }
        if (b->grad) {
            char *db = (char *)b->grad + ob;
            if (!tb)
                gemm_any(c->dtype, !ta, 0, K, N, M, pa, lda, dc, N, 1.0, db, ldb);
            else
                gemm_any(c->dtype, 1, ta, N, K, M, dc, N, pa, lda, 1.0, db, ldb);
        }
    }
}

static const rlc_op_def MATMUL = {"matmul", mm_forward, mm_backward};

rlc_tensor *rlc_matmul(rlc_graph *g, rlc_tensor *a, rlc_tensor *b, int ta, int tb) {
    rlc_tensor *in[2] = {a, b};
    if (!rlc__check_inputs(g, "matmul", in, 2)) return NULL;
    char sa[64], sb[64];
    if (a->ndim < 2 || b->ndim < 2)
        return rlc__graph_fail(g, RLC_ERR_INVALID, "matmul: operands need 2+ dims, got %s and %s",
                               rlc_shape_str(a, sa, sizeof sa), rlc_shape_str(b, sb, sizeof sb));
    int M = ta ? a->shape[a->ndim - 1] : a->shape[a->ndim - 2];
    int Ka = ta ? a->shape[a->ndim - 2] : a->shape[a->ndim - 1];
    int Kb = tb ? b->shape[b->ndim - 1] : b->shape[b->ndim - 2];
    int N = tb ? b->shape[b->ndim - 2] : b->shape[b->ndim - 1];
    if (Ka != Kb)
        return rlc__graph_fail(g, RLC_ERR_INVALID,
                               "matmul: inner dimensions differ (%d vs %d) for %s%s @ %s%s", Ka, Kb,
                               rlc_shape_str(a, sa, sizeof sa), ta ? "^T" : "",
                               rlc_shape_str(b, sb, sizeof sb), tb ? "^T" : "");
    int ab = a->ndim > 2, bb = b->ndim > 2;
    const rlc_tensor *lead = a->ndim >= b->ndim ? a : b;
    if (ab && bb) {
        if (a->ndim != b->ndim)
            return rlc__graph_fail(g, RLC_ERR_INVALID, "matmul: batch ranks differ: %s @ %s",
                                   rlc_shape_str(a, sa, sizeof sa), rlc_shape_str(b, sb, sizeof sb));
        for (int i = 0; i < a->ndim - 2; i++)
            if (a->shape[i] != b->shape[i])
                return rlc__graph_fail(g, RLC_ERR_INVALID, "matmul: batch dims differ: %s @ %s",
                                       rlc_shape_str(a, sa, sizeof sa),
                                       rlc_shape_str(b, sb, sizeof sb));
    }
    int shape[RLC_MAX_DIMS], nd = lead->ndim, L = 1;
    for (int i = 0; i < nd - 2; i++) {
        shape[i] = lead->shape[i];
        L *= lead->shape[i];
    }
    shape[nd - 2] = M;
    shape[nd - 1] = N;
    rlc_node *n = rlc__node_begin(g, &MATMUL, in, 2, nd, shape);
    if (!n) return NULL;
    n->i[0] = ta != 0;
    n->i[1] = tb != 0;
    n->i[2] = M;
    n->i[3] = N;
    n->i[4] = Ka;
    n->i[5] = L;
    n->i[6] = ab;
    n->i[7] = bb;
    return rlc__node_end(n);
}
