/* Index ops along the last axis: gather, its adjoint scatter_add, and one_hot. Index tensors
 * hold integers stored in the graph dtype and are read afresh on every forward. */
#include "core/graph_impl.h"

/* Index rule shared by the three ops: a value v selects element (int64_t)v (truncated) when
 * 0 <= v < n. Anything else (negative, too large, NaN, inf) selects nothing: gather writes 0 and
 * passes no gradient there, scatter_add drops the element, one_hot writes a row of zeros. Index
 * values may change between forwards, so they are checked on each forward (never at record
 * time, when inputs usually still hold zeros); out-of-range values cannot crash. */
static inline int64_t index_of(double v, int64_t n) {
    return v >= 0.0 && v < (double)n ? (int64_t)v : -1;
}

/* ---- gather ----
 * x [..., C], idx [..., J] -> out [..., J], or idx [...] (x's leading dims, no trailing axis)
 * -> out [...] (J = 1 per row): the Q(s, a) selection x [B, A], idx [B] -> [B].
 * i[0]: C, i[1]: J. Rows R = out->size / J. */

#define GATHER_FWD(T)                                                                          \
    {                                                                                          \
        const T *x = n->in[0]->data, *id = n->in[1]->data;                                     \
        T *y = n->out->data;                                                                   \
        for (int64_t r = 0; r < R; r++) {                                                      \
            const T *xr = x + r * C, *ir = id + r * J;                                         \
            T *yr = y + r * J;                                                                 \
            for (int64_t j = 0; j < J; j++) {                                                  \
                int64_t k = index_of((double)ir[j], C);                                        \
                yr[j] = k >= 0 ? xr[k] : (T)0;                                                 \
            }                                                                                  \
        }                                                                                      \
    }

#define GATHER_BWD(T)                                                                          \
    {                                                                                          \
        const T *id = n->in[1]->data, *dy = n->out->grad;                                      \
        T *dx = n->in[0]->grad;                                                                \
        for (int64_t r = 0; r < R; r++) {                                                      \
            const T *ir = id + r * J, *dyr = dy + r * J;                                       \
            T *dxr = dx + r * C;                                                               \
            for (int64_t j = 0; j < J; j++) {                                                  \
                int64_t k = index_of((double)ir[j], C);                                        \
                if (k >= 0) dxr[k] += dyr[j];                                                  \
            }                                                                                  \
        }                                                                                      \
    }

static void gather_forward(rlc_node *n) {
    int64_t C = n->i[0], J = n->i[1], R = J ? n->out->size / J : 0;
    RLC_DISPATCH(n->out->dtype, GATHER_FWD);
}

static void gather_backward(rlc_node *n) {
    int64_t C = n->i[0], J = n->i[1], R = J ? n->out->size / J : 0;
    if (!n->in[0]->grad) return;
    RLC_DISPATCH(n->out->dtype, GATHER_BWD);
}

static const rlc_op_def GATHER = {"gather", gather_forward, gather_backward};

/* 1 if a->shape[0..k) == b->shape[0..k). */
static int same_prefix(const rlc_tensor *a, const rlc_tensor *b, int k) {
    for (int i = 0; i < k; i++)
        if (a->shape[i] != b->shape[i]) return 0;
    return 1;
}

rlc_tensor *rlc_gather(rlc_graph *g, rlc_tensor *x, rlc_tensor *idx) {
    rlc_tensor *in[2] = {x, idx};
    if (!rlc__check_inputs(g, "gather", in, 2)) return NULL;
    char sx[64], si[64];
    int lead = x->ndim - 1, J;
    if (x->ndim >= 1 && idx->ndim == x->ndim && same_prefix(x, idx, lead))
        J = idx->shape[idx->ndim - 1];
    else if (x->ndim >= 1 && idx->ndim == lead && same_prefix(x, idx, lead))
        J = 1;
    else
        return rlc__graph_fail(g, RLC_ERR_INVALID,
                               "gather: index %s does not fit x %s (want x's leading dims, "
                               "optionally followed by J)",
                               rlc_shape_str(idx, si, sizeof si), rlc_shape_str(x, sx, sizeof sx));
    rlc_node *n = rlc__node_begin(g, &GATHER, in, 2, idx->ndim, idx->shape);
    if (!n) return NULL;
    n->i[0] = x->shape[lead];
    n->i[1] = J;
    return rlc__node_end(n);
}

/* ---- scatter_add ----
 * src [..., J], idx [..., J] (same shape) -> out [..., n] with out[..., idx[..., j]] +=
 * src[..., j]. The adjoint of gather's [..., J] form; for gather's [...] form reshape src and
 * idx to [..., 1] first. i[0]: n (C), i[1]: J. */

#define SCATTER_FWD(T)                                                                         \
    {                                                                                          \
        const T *s = n->in[0]->data, *id = n->in[1]->data;                                     \
        T *y = n->out->data;                                                                   \
        for (int64_t i = 0; i < n->out->size; i++) y[i] = 0;                                   \
        for (int64_t r = 0; r < R; r++) {                                                      \
            const T *sr = s + r * J, *ir = id + r * J;                                         \
            T *yr = y + r * C;                                                                 \
            for (int64_t j = 0; j < J; j++) {                                                  \
                int64_t k = index_of((double)ir[j], C);                                        \
                if (k >= 0) yr[k] += sr[j];                                                    \
            }                                                                                  \
        }                                                                                      \
    }

#define SCATTER_BWD(T)                                                                         \
    {                                                                                          \
        const T *id = n->in[1]->data, *dy = n->out->grad;                                      \
        T *ds = n->in[0]->grad;                                                                \
        for (int64_t r = 0; r < R; r++) {                                                      \
            const T *ir = id + r * J, *dyr = dy + r * C;                                       \
            T *dsr = ds + r * J;                                                               \
            for (int64_t j = 0; j < J; j++) {                                                  \
                int64_t k = index_of((double)ir[j], C);                                        \
                if (k >= 0) dsr[j] += dyr[k];                                                  \
            }                                                                                  \
        }                                                                                      \
    }

static void scatter_forward(rlc_node *n) {
    int64_t C = n->i[0], J = n->i[1], R = J ? n->in[0]->size / J : 0;
    RLC_DISPATCH(n->out->dtype, SCATTER_FWD);
}

static void scatter_backward(rlc_node *n) {
    int64_t C = n->i[0], J = n->i[1], R = J ? n->in[0]->size / J : 0;
    if (!n->in[0]->grad) return;
    RLC_DISPATCH(n->out->dtype, SCATTER_BWD);
}

static const rlc_op_def SCATTER = {"scatter_add", scatter_forward, scatter_backward};

rlc_tensor *rlc_scatter_add(rlc_graph *g, rlc_tensor *src, rlc_tensor *idx, int n_out) {
    rlc_tensor *in[2] = {src, idx};
    if (!rlc__check_inputs(g, "scatter_add", in, 2)) return NULL;
    char ss[64], si[64];
    if (src->ndim < 1 || !rlc__same_shape(src, idx))
        return rlc__graph_fail(g, RLC_ERR_INVALID,
                               "scatter_add: src %s and index %s must have the same shape [..., J]",
                               rlc_shape_str(src, ss, sizeof ss),
                               rlc_shape_str(idx, si, sizeof si));
    if (n_out < 1)
        return rlc__graph_fail(g, RLC_ERR_INVALID, "scatter_add: n = %d, must be >= 1", n_out);
    int shape[RLC_MAX_DIMS];
    for (int i = 0; i < src->ndim; i++) shape[i] = src->shape[i];
    shape[src->ndim - 1] = n_out;
    rlc_node *n = rlc__node_begin(g, &SCATTER, in, 2, src->ndim, shape);
    if (!n) return NULL;
    n->i[0] = n_out;
    n->i[1] = src->shape[src->ndim - 1];
    return rlc__node_end(n);
}

/* ---- one_hot ----
 * idx [...] -> [..., n]; constant output (no gradient). i[0]: n. */

#define ONE_HOT_FWD(T)                                                                         \
    {                                                                                          \
        const T *id = n->in[0]->data;                                                          \
        T *y = n->out->data;                                                                   \
        for (int64_t i = 0; i < n->out->size; i++) y[i] = 0;                                   \
        for (int64_t r = 0; r < R; r++) {                                                      \
            int64_t k = index_of((double)id[r], C);                                            \
            if (k >= 0) y[r * C + k] = 1;                                                      \
        }                                                                                      \
    }

static void one_hot_forward(rlc_node *n) {
    int64_t C = n->i[0], R = n->in[0]->size;
    RLC_DISPATCH(n->out->dtype, ONE_HOT_FWD);
}

static void one_hot_backward(rlc_node *n) {
    (void)n; /* never called: the output has no gradient */
}

static const rlc_op_def ONE_HOT = {"one_hot", one_hot_forward, one_hot_backward};

rlc_tensor *rlc_one_hot(rlc_graph *g, rlc_tensor *idx, int n_classes) {
    rlc_tensor *in[1] = {idx};
    if (!rlc__check_inputs(g, "one_hot", in, 1)) return NULL;
    char si[64];
    if (idx->ndim >= RLC_MAX_DIMS)
        return rlc__graph_fail(g, RLC_ERR_INVALID, "one_hot: index %s has no room for a new axis",
                               rlc_shape_str(idx, si, sizeof si));
    if (n_classes < 1)
        return rlc__graph_fail(g, RLC_ERR_INVALID, "one_hot: n = %d, must be >= 1", n_classes);
    int shape[RLC_MAX_DIMS];
    for (int i = 0; i < idx->ndim; i++) shape[i] = idx->shape[i];
    shape[idx->ndim] = n_classes;
    rlc_node *n = rlc__node_begin_nograd(g, &ONE_HOT, in, 1, idx->ndim + 1, shape);
    if (!n) return NULL;
    n->i[0] = n_classes;
    return rlc__node_end(n);
}
