/* softmax, log_softmax and logsumexp along the last axis. Each row is shifted by its maximum
 * before exponentiating, so large logits neither overflow nor lose the small terms. */
#include "core/graph_impl.h"

#include <math.h>
#include <stdio.h>
#include <tgmath.h> /* exp/log resolve to expf/logf for float operands */

enum { SM_SOFTMAX, SM_LOG_SOFTMAX, SM_LOGSUMEXP };

/* Node parameters: i[0] kind. The input is viewed as [rows, C]. */

/* GCC at -O2 (its "very-cheap" cost model) vectorises only loops whose trip count is a known
 * multiple of the vector width, so the elementwise row loops run in blocks of 8 and then a
 * scalar tail; the body sees the index as `j`. Kernels take restrict pointer parameters (GCC
 * ignores restrict on locals loaded from the node). */
#define FOR_BLOCKED(n, ...)                                                                    \
    {                                                                                          \
        int64_t j0_ = 0;                                                                       \
        for (; j0_ + 8 <= (n); j0_ += 8)                                                       \
            for (int64_t k_ = 0; k_ < 8; k_++) {                                               \
                const int64_t j = j0_ + k_;                                                    \
                __VA_ARGS__                                                                    \
            }                                                                                  \
        for (int64_t j = j0_; j < (n); j++) {                                                  \
            __VA_ARGS__                                                                        \
        }                                                                                      \
    }

/* Row maximum used as the shift. A row of -inf (or an empty row) shifts by 0 instead, so the
 * exponentials are 0 rather than exp(-inf + inf) = NaN; NaN entries still propagate through
 * the sum. */
#define ROW_MAX(T, xr, C, m)                                                                   \
    T m = -(T)INFINITY;                                                                        \
    for (int64_t j = 0; j < (C); j++) m = (xr)[j] > m ? (xr)[j] : m;                           \
    if (m == -(T)INFINITY) m = 0;

/* Forward and backward over [rows, C], written once for T = float and double.
 *   softmax:     y = e / sum(e), e = exp(x - m);      dx = y * (g - sum(g * y))
 *   log_softmax: y = (x - m) - log(sum(e));           dx = g - exp(y) * sum(g)
 *   logsumexp:   y[r] = m + log(sum(e));              dx = g[r] * exp(x - y[r]) */
#define SM_KERNELS(T, sfx)                                                                     \
    static void sm_fwd_##sfx(int kind, const T *restrict x, T *restrict y, int64_t rows,       \
                             int64_t C) {                                                      \
        for (int64_t r = 0; r < rows; r++) {                                                   \
            const T *xr = x + r * C;                                                           \
            ROW_MAX(T, xr, C, m)                                                               \
            T s = 0;                                                                           \
            if (kind == SM_SOFTMAX) {                                                          \
                T *yr = y + r * C;                                                             \
                for (int64_t j = 0; j < C; j++) {                                              \
                    T e = exp(xr[j] - m);                                                      \
                    yr[j] = e;                                                                 \
                    s += e;                                                                    \
                }                                                                              \
                FOR_BLOCKED(C, yr[j] /= s;)                                                    \
                continue;                                                                      \
            }                                                                                  \
            for (int64_t j = 0; j < C; j++) s += exp(xr[j] - m);                               \
            const T ls = log(s);                                                               \
            if (kind == SM_LOGSUMEXP) {                                                        \
                y[r] = m + ls;                                                                 \
            } else {                                                                           \
                T *yr = y + r * C;                                                             \
                FOR_BLOCKED(C, yr[j] = (xr[j] - m) - ls;)                                      \
            }                                                                                  \
        }                                                                                      \
    }                                                                                          \
    static void sm_bwd_##sfx(int kind, const T *restrict x, const T *restrict y,               \
                             const T *restrict dy, T *restrict dx, int64_t rows, int64_t C) {  \
        for (int64_t r = 0; r < rows; r++) {                                                   \
            T *dr = dx + r * C;                                                                \
            if (kind == SM_SOFTMAX) {                                                          \
                const T *yr = y + r * C, *gr = dy + r * C;                                     \
                T dot = 0;                                                                     \
                for (int64_t j = 0; j < C; j++) dot += gr[j] * yr[j];                          \
                FOR_BLOCKED(C, dr[j] += yr[j] * (gr[j] - dot);)                                \
            } else if (kind == SM_LOG_SOFTMAX) {                                               \
                const T *yr = y + r * C, *gr = dy + r * C;                                     \
                T sg = 0;                                                                      \
                for (int64_t j = 0; j < C; j++) sg += gr[j];                                   \
                for (int64_t j = 0; j < C; j++) dr[j] += gr[j] - exp(yr[j]) * sg;              \
            } else {                                                                           \
                const T *xr = x + r * C;                                                       \
                const T gv = dy[r], l = y[r];                                                  \
                for (int64_t j = 0; j < C; j++) dr[j] += gv * exp(xr[j] - l);                  \
            }                                                                                  \
        }                                                                                      \
    }

SM_KERNELS(float, f32)
SM_KERNELS(double, f64)

static void rows_cols(const rlc_node *n, int64_t *rows, int64_t *cols) {
    int64_t inner;
    rlc__split_axis(n->in[0], n->in[0]->ndim - 1, rows, cols, &inner);
}

static void sm_forward(rlc_node *n) {
    int64_t rows, C;
    rows_cols(n, &rows, &C);
    if (n->out->dtype == RLC_F32)
        sm_fwd_f32(n->i[0], n->in[0]->data, n->out->data, rows, C);
    else
        sm_fwd_f64(n->i[0], n->in[0]->data, n->out->data, rows, C);
}

static void sm_backward(rlc_node *n) {
    int64_t rows, C;
    rlc_tensor *x = n->in[0], *y = n->out;
    if (!x->grad) return;
    rows_cols(n, &rows, &C);
    if (y->dtype == RLC_F32)
        sm_bwd_f32(n->i[0], x->data, y->data, y->grad, x->grad, rows, C);
    else
        sm_bwd_f64(n->i[0], x->data, y->data, y->grad, x->grad, rows, C);
}

static const rlc_op_def DEFS[] = {
    {"softmax", sm_forward, sm_backward},
    {"log_softmax", sm_forward, sm_backward},
    {"logsumexp", sm_forward, sm_backward},
};

static rlc_tensor *row_op(rlc_graph *g, int kind, rlc_tensor *x, int keepdim) {
    const rlc_op_def *def = &DEFS[kind];
    rlc_tensor *in[1] = {x};
    if (!rlc__check_inputs(g, def->name, in, 1)) return NULL;
    char s[64];
    if (x->ndim < 1)
        return rlc__graph_fail(g, RLC_ERR_INVALID, "%s: needs at least one axis, got shape %s",
                               def->name, rlc_shape_str(x, s, sizeof s));
    int shape[RLC_MAX_DIMS], nd = x->ndim;
    for (int d = 0; d < nd; d++) shape[d] = x->shape[d];
    if (kind == SM_LOGSUMEXP) {
        if (keepdim)
            shape[nd - 1] = 1;
        else
            nd--;
    }
    rlc_node *n = rlc__node_begin(g, def, in, 1, nd, shape);
    if (!n) return NULL;
    n->i[0] = kind;
    return rlc__node_end(n);
}

rlc_tensor *rlc_softmax(rlc_graph *g, rlc_tensor *x) {
    return row_op(g, SM_SOFTMAX, x, 1);
}
rlc_tensor *rlc_log_softmax(rlc_graph *g, rlc_tensor *x) {
    return row_op(g, SM_LOG_SOFTMAX, x, 1);
}
rlc_tensor *rlc_logsumexp(rlc_graph *g, rlc_tensor *x, int keepdim) {
    return row_op(g, SM_LOGSUMEXP, x, keepdim);
}
