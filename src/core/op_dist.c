/* Distribution terms per row (last axis = event dims): diagonal-Gaussian log-probability and
 * entropy, categorical log-probability and entropy from logits. Outputs have the leading shape. */
#include "core/graph_impl.h"

#include <math.h>
#include <tgmath.h> /* exp/log resolve to expf/logf for float operands */

#define HALF_LOG_2PI 0.91893853320467274178 /* 0.5 * log(2 pi) */

/* ---- gaussian_log_prob ----
 * x, mean and log_std broadcast (NumPy rules) to one shape S, rank >= 1; out has shape S[:-1]:
 * out = sum_j -0.5 ((x - mean) / exp(log_std))^2 - log_std - 0.5 log(2 pi). Typical uses:
 * all [B, D]; log_std [D] (state-independent parameter, PPO); mean [B, D] with x [D]. Gradients
 * flow to all three and are summed over broadcast dims. aux: a bcast3 describing the walk. */

typedef struct bcast3 {
    int nd;                      /* rank of S, >= 1 */
    int shape[RLC_MAX_DIMS];     /* S */
    int64_t st[3][RLC_MAX_DIMS]; /* element strides of x, mean, log_std in S (0 = broadcast) */
} bcast3;

/* Advances the row counter ctr (dims 0..nd-2) and the three base offsets by one row. */
static inline void bcast3_next_row(const bcast3 *bc, int *ctr, int64_t *o) {
    for (int d = bc->nd - 2; d >= 0; d--) {
        o[0] += bc->st[0][d];
        o[1] += bc->st[1][d];
        o[2] += bc->st[2][d];
        if (++ctr[d] < bc->shape[d]) return;
        o[0] -= bc->st[0][d] * bc->shape[d];
        o[1] -= bc->st[1][d] * bc->shape[d];
        o[2] -= bc->st[2][d] * bc->shape[d];
        ctr[d] = 0;
    }
}

#define GLP_FWD(T)                                                                             \
    {                                                                                          \
        const T *x = n->in[0]->data, *mu = n->in[1]->data, *ls = n->in[2]->data;               \
        T *y = n->out->data;                                                                   \
        for (int64_t r = 0; r < R; r++) {                                                      \
            const T *xr = x + o[0], *mr = mu + o[1], *lr = ls + o[2];                          \
            double s = 0;                                                                      \
            for (int64_t j = 0; j < L; j++) {                                                  \
                T l = lr[j * s2], z = (xr[j * s0] - mr[j * s1]) * exp(-l);                     \
                s += (double)((T)-0.5 * z * z - l);                                            \
            }                                                                                  \
            y[r] = (T)(s - (double)L * HALF_LOG_2PI);                                          \
            bcast3_next_row(bc, ctr, o);                                                       \
        }                                                                                      \
    }

#define GLP_BWD(T)                                                                             \
    {                                                                                          \
        const T *x = n->in[0]->data, *mu = n->in[1]->data, *ls = n->in[2]->data;               \
        const T *dy = n->out->grad;                                                            \
        T *dx = n->in[0]->grad, *dm = n->in[1]->grad, *dl = n->in[2]->grad;                    \
        for (int64_t r = 0; r < R; r++) {                                                      \
            const T *xr = x + o[0], *mr = mu + o[1], *lr = ls + o[2];                          \
            const T g = dy[r];                                                                 \
            for (int64_t j = 0; j < L; j++) {                                                  \
                T inv = exp(-lr[j * s2]), z = (xr[j * s0] - mr[j * s1]) * inv;                 \
                T gz = g * z * inv; /* d/dmean; d/dx is its negative */                        \
                if (dx) dx[o[0] + j * s0] -= gz;                                               \
                if (dm) dm[o[1] + j * s1] += gz;                                               \
                if (dl) dl[o[2] + j * s2] += g * (z * z - 1);                                  \
            }                                                                                  \
            bcast3_next_row(bc, ctr, o);                                                       \
        }                                                                                      \
    }

static void glp_forward(rlc_node *n) {
    const bcast3 *bc = n->aux;
    int64_t L = bc->shape[bc->nd - 1], R = n->out->size, o[3] = {0, 0, 0};
    int64_t s0 = bc->st[0][bc->nd - 1], s1 = bc->st[1][bc->nd - 1], s2 = bc->st[2][bc->nd - 1];
    int ctr[RLC_MAX_DIMS] = {0};
    RLC_DISPATCH(n->out->dtype, GLP_FWD);
}

static void glp_backward(rlc_node *n) {
    const bcast3 *bc = n->aux;
    int64_t L = bc->shape[bc->nd - 1], R = n->out->size, o[3] = {0, 0, 0};
    int64_t s0 = bc->st[0][bc->nd - 1], s1 = bc->st[1][bc->nd - 1], s2 = bc->st[2][bc->nd - 1];
    int ctr[RLC_MAX_DIMS] = {0};
    RLC_DISPATCH(n->out->dtype, GLP_BWD);
}

static const rlc_op_def GAUSSIAN_LOG_PROB = {"gaussian_log_prob", glp_forward, glp_backward};

rlc_tensor *rlc_gaussian_log_prob(rlc_graph *g, rlc_tensor *x, rlc_tensor *mean,
                                  rlc_tensor *log_std) {
    rlc_tensor *in[3] = {x, mean, log_std};
    if (!rlc__check_inputs(g, "gaussian_log_prob", in, 3)) return NULL;
    rlc_tensor xm = {0};
    int shape[RLC_MAX_DIMS], nd = rlc__broadcast_shape(x, mean, xm.shape);
    if (nd >= 0) {
        xm.ndim = nd;
        nd = rlc__broadcast_shape(&xm, log_std, shape);
    }
    char sx[64], sm[64], sl[64];
    if (nd < 1)
        return rlc__graph_fail(g, RLC_ERR_INVALID,
                               "gaussian_log_prob: x %s, mean %s and log_std %s %s",
                               rlc_shape_str(x, sx, sizeof sx), rlc_shape_str(mean, sm, sizeof sm),
                               rlc_shape_str(log_std, sl, sizeof sl),
                               nd < 0 ? "do not broadcast" : "have no event axis");
    rlc_node *n = rlc__node_begin(g, &GAUSSIAN_LOG_PROB, in, 3, nd - 1, shape);
    if (!n) return NULL;
    bcast3 *bc = rlc__arena_alloc(g, sizeof *bc);
    if (!bc) return NULL;
    bc->nd = nd;
    for (int i = 0; i < nd; i++) bc->shape[i] = shape[i];
    for (int k = 0; k < 3; k++) rlc__broadcast_strides(in[k], nd, shape, bc->st[k]);
    n->aux = bc;
    return rlc__node_end(n);
}

/* ---- gaussian_entropy ----
 * log_std [..., D] -> [...]: sum_j log_std + 0.5 (1 + log(2 pi)). i[0]: D. */

#define GENT_FWD(T)                                                                            \
    {                                                                                          \
        const T *l = n->in[0]->data;                                                           \
        T *y = n->out->data;                                                                   \
        for (int64_t r = 0; r < R; r++) {                                                      \
            double s = 0;                                                                      \
            for (int64_t j = 0; j < D; j++) s += l[r * D + j];                                 \
            y[r] = (T)(s + (double)D * (0.5 + HALF_LOG_2PI));                                  \
        }                                                                                      \
    }

#define GENT_BWD(T)                                                                            \
    {                                                                                          \
        const T *dy = n->out->grad;                                                            \
        T *dl = n->in[0]->grad;                                                                \
        for (int64_t r = 0; r < R; r++)                                                        \
            for (int64_t j = 0; j < D; j++) dl[r * D + j] += dy[r];                            \
    }

static void gent_forward(rlc_node *n) {
    int64_t D = n->i[0], R = n->out->size;
    RLC_DISPATCH(n->out->dtype, GENT_FWD);
}

static void gent_backward(rlc_node *n) {
    int64_t D = n->i[0], R = n->out->size;
    if (!n->in[0]->grad) return;
    RLC_DISPATCH(n->out->dtype, GENT_BWD);
}

static const rlc_op_def GAUSSIAN_ENTROPY = {"gaussian_entropy", gent_forward, gent_backward};

rlc_tensor *rlc_gaussian_entropy(rlc_graph *g, rlc_tensor *log_std) {
    rlc_tensor *in[1] = {log_std};
    if (!rlc__check_inputs(g, "gaussian_entropy", in, 1)) return NULL;
    char sl[64];
    if (log_std->ndim < 1)
        return rlc__graph_fail(g, RLC_ERR_INVALID, "gaussian_entropy: log_std %s has no event axis",
                               rlc_shape_str(log_std, sl, sizeof sl));
    rlc_node *n = rlc__node_begin(g, &GAUSSIAN_ENTROPY, in, 1, log_std->ndim - 1, log_std->shape);
    if (!n) return NULL;
    n->i[0] = log_std->shape[log_std->ndim - 1];
    return rlc__node_end(n);
}

/* ---- categorical log_prob and entropy ----
 * logits [..., C] (C >= 1) -> [...]; aux: logsumexp per row (element type), saved by forward.
 * log_prob: out = logits[idx] - logsumexp; idx [...] or [..., 1], integers in the graph dtype.
 * An idx outside [0, C) (or NaN) gives 0 and no gradient for that row (padding stays inert).
 * entropy: H = -sum p log p with log p = logits - logsumexp; terms with p = 0 (underflow, or a
 * logit of -inf masking an action) are skipped, so they add 0 rather than NaN;
 * dH/dlogits_k = -p_k (log p_k + H). i[0]: C. */

static inline int64_t index_of(double v, int64_t n) {
    return v >= 0.0 && v < (double)n ? (int64_t)v : -1;
}

#define ROW_LSE(T, xr, C, out)                                                                 \
    {                                                                                          \
        T m_ = (xr)[0], s_ = 0;                                                                \
        for (int64_t j_ = 1; j_ < (C); j_++) m_ = (xr)[j_] > m_ ? (xr)[j_] : m_;               \
        for (int64_t j_ = 0; j_ < (C); j_++) s_ += exp((xr)[j_] - m_);                         \
        (out) = m_ + log(s_);                                                                  \
    }

#define CLP_FWD(T)                                                                             \
    {                                                                                          \
        const T *x = n->in[0]->data, *id = n->in[1]->data;                                     \
        T *y = n->out->data, *lse = n->aux;                                                    \
        for (int64_t r = 0; r < R; r++) {                                                      \
            const T *xr = x + r * C;                                                           \
            ROW_LSE(T, xr, C, lse[r]);                                                         \
            int64_t k = index_of((double)id[r], C);                                            \
            y[r] = k >= 0 ? xr[k] - lse[r] : (T)0;                                             \
        }                                                                                      \
    }

#define CLP_BWD(T)                                                                             \
    {                                                                                          \
        const T *x = n->in[0]->data, *id = n->in[1]->data, *lse = n->aux;                      \
        const T *dy = n->out->grad;                                                            \
        T *dx = n->in[0]->grad;                                                                \
        for (int64_t r = 0; r < R; r++) {                                                      \
            int64_t k = index_of((double)id[r], C);                                            \
            if (k < 0) continue;                                                               \
            const T *xr = x + r * C;                                                           \
            T *dxr = dx + r * C;                                                               \
            const T g = dy[r];                                                                 \
            for (int64_t j = 0; j < C; j++) dxr[j] -= g * exp(xr[j] - lse[r]);                 \
            dxr[k] += g;                                                                       \
        }                                                                                      \
    }

static void clp_forward(rlc_node *n) {
    int64_t C = n->i[0], R = n->out->size;
    RLC_DISPATCH(n->out->dtype, CLP_FWD);
}

static void clp_backward(rlc_node *n) {
    int64_t C = n->i[0], R = n->out->size;
    if (!n->in[0]->grad) return;
    RLC_DISPATCH(n->out->dtype, CLP_BWD);
}

static const rlc_op_def CATEGORICAL_LOG_PROB = {"categorical_log_prob", clp_forward,
                                                clp_backward};

#define CENT_FWD(T)                                                                            \
    {                                                                                          \
        const T *x = n->in[0]->data;                                                           \
        T *y = n->out->data, *lse = n->aux;                                                    \
        for (int64_t r = 0; r < R; r++) {                                                      \
            const T *xr = x + r * C;                                                           \
            ROW_LSE(T, xr, C, lse[r]);                                                         \
            T h = 0;                                                                           \
            for (int64_t j = 0; j < C; j++) {                                                  \
                T lp = xr[j] - lse[r], p = exp(lp);                                            \
                if (p > 0) h -= p * lp; /* p = 0 (logit -inf, masked action) adds 0 */         \
            }                                                                                  \
            y[r] = h;                                                                          \
        }                                                                                      \
    }

#define CENT_BWD(T)                                                                            \
    {                                                                                          \
        const T *x = n->in[0]->data, *y = n->out->data, *lse = n->aux;                         \
        const T *dy = n->out->grad;                                                            \
        T *dx = n->in[0]->grad;                                                                \
        for (int64_t r = 0; r < R; r++) {                                                      \
            const T *xr = x + r * C;                                                           \
            T *dxr = dx + r * C;                                                               \
            const T g = dy[r], h = y[r];                                                       \
            for (int64_t j = 0; j < C; j++) {                                                  \
                T lp = xr[j] - lse[r], p = exp(lp);                                            \
                if (p > 0) dxr[j] -= g * p * (lp + h);                                         \
            }                                                                                  \
        }                                                                                      \
    }

static void cent_forward(rlc_node *n) {
    int64_t C = n->i[0], R = n->out->size;
    RLC_DISPATCH(n->out->dtype, CENT_FWD);
}

static void cent_backward(rlc_node *n) {
    int64_t C = n->i[0], R = n->out->size;
    if (!n->in[0]->grad) return;
    RLC_DISPATCH(n->out->dtype, CENT_BWD);
}

static const rlc_op_def CATEGORICAL_ENTROPY = {"categorical_entropy", cent_forward,
                                               cent_backward};

/* Records a categorical node: logits [..., C] -> [...], with lse scratch. */
static rlc_tensor *categorical(rlc_graph *g, const rlc_op_def *def, rlc_tensor *const *in,
                               int nin) {
    rlc_tensor *x = in[0];
    int lead = x->ndim - 1;
    rlc_node *n = rlc__node_begin(g, def, in, nin, lead, x->shape);
    if (!n) return NULL;
    int C = x->shape[lead];
    n->aux = rlc__arena_alloc(g, (size_t)(x->size / C) * rlc__dtype_size(x->dtype) + 1);
    n->i[0] = C;
    return rlc__node_end(n);
}

rlc_tensor *rlc_categorical_log_prob(rlc_graph *g, rlc_tensor *logits, rlc_tensor *idx) {
    rlc_tensor *in[2] = {logits, idx};
    if (!rlc__check_inputs(g, "categorical_log_prob", in, 2)) return NULL;
    char sx[64], si[64];
    int lead = logits->ndim - 1, ok = logits->ndim >= 1 && logits->shape[lead] >= 1;
    /* idx: logits' leading dims, optionally with a trailing 1 */
    if (ok && idx->ndim == lead + 1)
        ok = idx->shape[lead] == 1;
    else if (ok)
        ok = idx->ndim == lead;
    for (int i = 0; ok && i < lead; i++) ok = idx->shape[i] == logits->shape[i];
    if (!ok)
        return rlc__graph_fail(g, RLC_ERR_INVALID,
                               "categorical_log_prob: logits %s and index %s do not fit (want "
                               "[..., C] and [...])",
                               rlc_shape_str(logits, sx, sizeof sx),
                               rlc_shape_str(idx, si, sizeof si));
    return categorical(g, &CATEGORICAL_LOG_PROB, in, 2);
}

rlc_tensor *rlc_categorical_entropy(rlc_graph *g, rlc_tensor *logits) {
    rlc_tensor *in[1] = {logits};
    if (!rlc__check_inputs(g, "categorical_entropy", in, 1)) return NULL;
    char sx[64];
    if (logits->ndim < 1 || logits->shape[logits->ndim - 1] < 1)
        return rlc__graph_fail(g, RLC_ERR_INVALID,
                               "categorical_entropy: logits %s need a non-empty last axis",
                               rlc_shape_str(logits, sx, sizeof sx));
    return categorical(g, &CATEGORICAL_ENTROPY, in, 1);
}
