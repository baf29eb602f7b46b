/* Normalisation and gradient-flow ops: layer_norm (with or without affine), dropout,
 * stop_gradient and where(cond, a, b). */
#include "core/graph_impl.h"

#include <math.h>
#include <string.h>

/* ---- layer_norm ----
 * Over the last axis D: y = (x - mean) * rstd * gamma + beta, rstd = 1 / sqrt(var + eps), var
 * biased (as PyTorch). Inputs: x, then gamma if present, then beta if present. i[0]: D,
 * i[1]: has gamma, i[2]: has beta; f[0]: eps; aux: mean[R], aux2: rstd[R] (element type),
 * saved by the forward for the backward. Row sums accumulate in double. */

#define LN_FWD(T)                                                                              \
    {                                                                                          \
        const T *x = n->in[0]->data;                                                           \
        const T *gm = hg ? (const T *)n->in[1]->data : NULL;                                   \
        const T *bt = hb ? (const T *)n->in[1 + hg]->data : NULL;                              \
        T *y = n->out->data, *mu = n->aux, *rs = n->aux2;                                      \
        for (int64_t r = 0; r < R; r++) {                                                      \
            const T *xr = x + r * D;                                                           \
            T *yr = y + r * D;                                                                 \
            double s = 0, v = 0;                                                               \
            for (int64_t j = 0; j < D; j++) s += xr[j];                                        \
            double m = s / (double)D;                                                          \
            for (int64_t j = 0; j < D; j++) {                                                  \
                double dv = xr[j] - m;                                                         \
                v += dv * dv;                                                                  \
            }                                                                                  \
            const T mt = (T)m, rt = (T)(1.0 / sqrt(v / (double)D + eps));                      \
            mu[r] = mt;                                                                        \
            rs[r] = rt;                                                                        \
            if (gm && bt)                                                                      \
                for (int64_t j = 0; j < D; j++) yr[j] = (xr[j] - mt) * rt * gm[j] + bt[j];     \
            else if (gm)                                                                       \
                for (int64_t j = 0; j < D; j++) yr[j] = (xr[j] - mt) * rt * gm[j];             \
            else if (bt)                                                                       \
                for (int64_t j = 0; j < D; j++) yr[j] = (xr[j] - mt) * rt + bt[j];             \
            else                                                                               \
                for (int64_t j = 0; j < D; j++) yr[j] = (xr[j] - mt) * rt;                     \
        }                                                                                      \
    }

/* dx = rstd * (g - mean(g) - xhat * mean(g * xhat)) with g = dy * gamma;
 * dgamma += sum over rows of dy * xhat; dbeta += sum over rows of dy. */
#define LN_BWD(T)                                                                              \
    {                                                                                          \
        const T *x = n->in[0]->data, *dy = n->out->grad;                                       \
        const T *gm = hg ? (const T *)n->in[1]->data : NULL;                                   \
        T *dx = n->in[0]->grad;                                                                \
        T *dg = hg ? (T *)n->in[1]->grad : NULL;                                               \
        T *db = hb ? (T *)n->in[1 + hg]->grad : NULL;                                          \
        const T *mu = n->aux, *rs = n->aux2;                                                   \
        for (int64_t r = 0; r < R; r++) {                                                      \
            const T *xr = x + r * D, *dyr = dy + r * D;                                        \
            const T mt = mu[r], rt = rs[r];                                                    \
            if (db)                                                                            \
                for (int64_t j = 0; j < D; j++) db[j] += dyr[j];                               \
            if (dg)                                                                            \
                for (int64_t j = 0; j < D; j++) dg[j] += dyr[j] * ((xr[j] - mt) * rt);         \
            if (!dx) continue;                                                                 \
            double sg = 0, sgh = 0;                                                            \
            for (int64_t j = 0; j < D; j++) {                                                  \
                T h = (xr[j] - mt) * rt, gj = gm ? dyr[j] * gm[j] : dyr[j];                    \
                sg += gj;                                                                      \
                sgh += gj * h;                                                                 \
            }                                                                                  \
            const T a = (T)(sg / (double)D), b = (T)(sgh / (double)D);                         \
            T *dxr = dx + r * D;                                                               \
            for (int64_t j = 0; j < D; j++) {                                                  \
                T h = (xr[j] - mt) * rt, gj = gm ? dyr[j] * gm[j] : dyr[j];                    \
                dxr[j] += rt * (gj - a - h * b);                                               \
            }                                                                                  \
        }                                                                                      \
    }

static void ln_forward(rlc_node *n) {
    int64_t D = n->i[0], R = n->out->size / D;
    int hg = n->i[1], hb = n->i[2];
    double eps = n->f[0];
    RLC_DISPATCH(n->out->dtype, LN_FWD);
}

static void ln_backward(rlc_node *n) {
    int64_t D = n->i[0], R = n->out->size / D;
    int hg = n->i[1], hb = n->i[2];
    RLC_DISPATCH(n->out->dtype, LN_BWD);
}

static const rlc_op_def LAYER_NORM = {"layer_norm", ln_forward, ln_backward};

rlc_tensor *rlc_layer_norm(rlc_graph *g, rlc_tensor *x, rlc_tensor *gamma, rlc_tensor *beta,
                           double eps) {
    rlc_tensor *in[3] = {x, NULL, NULL};
    int nin = 1;
    if (gamma) in[nin++] = gamma;
    if (beta) in[nin++] = beta;
    if (!rlc__check_inputs(g, "layer_norm", in, nin)) return NULL;
    char sx[64], sp[64];
    if (x->ndim < 1 || x->shape[x->ndim - 1] < 1)
        return rlc__graph_fail(g, RLC_ERR_INVALID, "layer_norm: x %s has no last axis to normalise",
                               rlc_shape_str(x, sx, sizeof sx));
    int D = x->shape[x->ndim - 1];
    for (int k = 1; k < nin; k++)
        if (in[k]->ndim != 1 || in[k]->shape[0] != D)
            return rlc__graph_fail(g, RLC_ERR_INVALID, "layer_norm: %s %s must be [%d] for x %s",
                                   in[k] == gamma ? "gamma" : "beta",
                                   rlc_shape_str(in[k], sp, sizeof sp), D,
                                   rlc_shape_str(x, sx, sizeof sx));
    if (!(eps >= 0) || isinf(eps))
        return rlc__graph_fail(g, RLC_ERR_RANGE, "layer_norm: eps = %g, must be >= 0 and finite",
                               eps);
    rlc_node *n = rlc__node_begin(g, &LAYER_NORM, in, nin, x->ndim, x->shape);
    if (!n) return NULL;
    size_t rows = (size_t)(x->size / D), es = rlc__dtype_size(x->dtype);
    n->aux = rlc__arena_alloc(g, rows * es + 1);
    n->aux2 = rlc__arena_alloc(g, rows * es + 1);
    n->i[0] = D;
    n->i[1] = gamma != NULL;
    n->i[2] = beta != NULL;
    n->f[0] = eps;
    return rlc__node_end(n);
}

/* ---- dropout ----
 * f[0]: p, f[1]: 1 / (1 - p), f[2]: drop threshold p * 2^32 on a 32-bit draw; aux: the
 * rlc_rng (seeded once at record time, so a graph's mask sequence depends only on the seed and
 * the number of forwards); aux2: keep mask (uint8, only when a gradient flows); i[0]: 1 when the
 * last forward dropped (training mode and p > 0), which the backward follows. */

#define DROP_FWD(T)                                                                            \
    {                                                                                          \
        const T *x = n->in[0]->data;                                                           \
        T *y = n->out->data;                                                                   \
        const T scale = (T)n->f[1];                                                            \
        for (int64_t i = 0; i < size; i++) {                                                   \
            int keep = rlc_rng_next_u32(rng) >= thresh;                                        \
            if (mask) mask[i] = (unsigned char)keep;                                           \
            y[i] = keep ? x[i] * scale : (T)0;                                                 \
        }                                                                                      \
    }

#define DROP_BWD(T)                                                                            \
    {                                                                                          \
        const T *dy = n->out->grad;                                                            \
        T *dx = n->in[0]->grad;                                                                \
        const T scale = (T)n->f[1];                                                            \
        if (n->i[0]) {                                                                         \
            for (int64_t i = 0; i < size; i++)                                                 \
                if (mask[i]) dx[i] += dy[i] * scale;                                           \
        } else {                                                                               \
            for (int64_t i = 0; i < size; i++) dx[i] += dy[i];                                 \
        }                                                                                      \
    }

static void dropout_forward(rlc_node *n) {
    int64_t size = n->out->size;
    n->i[0] = n->graph->training && n->f[0] > 0;
    if (!n->i[0]) {
        memcpy(n->out->data, n->in[0]->data, (size_t)size * rlc__dtype_size(n->out->dtype));
        return;
    }
    rlc_rng *rng = n->aux;
    unsigned char *mask = n->aux2;
    uint64_t thresh = (uint64_t)n->f[2];
    RLC_DISPATCH(n->out->dtype, DROP_FWD);
}

static void dropout_backward(rlc_node *n) {
    int64_t size = n->out->size;
    const unsigned char *mask = n->aux2;
    if (!n->in[0]->grad) return;
    RLC_DISPATCH(n->out->dtype, DROP_BWD);
}

static const rlc_op_def DROPOUT = {"dropout", dropout_forward, dropout_backward};

rlc_tensor *rlc_dropout(rlc_graph *g, rlc_tensor *x, double p, uint64_t seed) {
    rlc_tensor *in[1] = {x};
    if (!rlc__check_inputs(g, "dropout", in, 1)) return NULL;
    if (!(p >= 0 && p < 1))
        return rlc__graph_fail(g, RLC_ERR_RANGE, "dropout: p = %g, must be in [0, 1)", p);
    rlc_node *n = rlc__node_begin(g, &DROPOUT, in, 1, x->ndim, x->shape);
    if (!n) return NULL;
    rlc_rng *rng = rlc__arena_alloc(g, sizeof *rng);
    if (!rng) return NULL;
    rlc_rng_seed(rng, seed);
    n->aux = rng;
    if (n->out->grad) {
        n->aux2 = rlc__arena_alloc(g, (size_t)x->size + 1);
        if (!n->aux2) return NULL;
    }
    n->f[0] = p;
    n->f[1] = 1.0 / (1.0 - p);
    n->f[2] = p * 4294967296.0; /* exact: p < 1, so < 2^32 */
    return rlc__node_end(n);
}

/* ---- stop_gradient ---- */

static void stop_forward(rlc_node *n) {
    memcpy(n->out->data, n->in[0]->data, (size_t)n->out->size * rlc__dtype_size(n->out->dtype));
}

static void stop_backward(rlc_node *n) {
    (void)n; /* never called: the output has no gradient */
}

static const rlc_op_def STOP_GRADIENT = {"stop_gradient", stop_forward, stop_backward};

rlc_tensor *rlc_stop_gradient(rlc_graph *g, rlc_tensor *x) {
    rlc_tensor *in[1] = {x};
    rlc_node *n = rlc__node_begin_nograd(g, &STOP_GRADIENT, in, 1, x ? x->ndim : 0,
                                         x ? x->shape : NULL);
    return rlc__node_end(n);
}

/* ---- where ----
 * cond, a and b broadcast (NumPy rules) to one shape. When all three already have the output's
 * size the loops are flat; otherwise aux holds a bcast3 and rows along the last axis are walked
 * with per-operand strides (no per-element offset tables). */

typedef struct bcast3 {
    int nd;                          /* output rank (>= 1 in the strided case) */
    int shape[RLC_MAX_DIMS];         /* output shape */
    int64_t st[3][RLC_MAX_DIMS];     /* element strides of cond, a, b (0 on broadcast dims) */
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

#define WHERE_FWD(T)                                                                           \
    {                                                                                          \
        const T *c = n->in[0]->data, *a = n->in[1]->data, *b = n->in[2]->data;                 \
        T *y = n->out->data;                                                                   \
        if (!bc) {                                                                             \
            for (int64_t i = 0; i < size; i++) y[i] = c[i] != 0 ? a[i] : b[i];                 \
        } else {                                                                               \
            int64_t L = bc->shape[bc->nd - 1], o[3] = {0, 0, 0};                               \
            int64_t sc = bc->st[0][bc->nd - 1], sa = bc->st[1][bc->nd - 1];                    \
            int64_t sb = bc->st[2][bc->nd - 1];                                                \
            int ctr[RLC_MAX_DIMS] = {0};                                                       \
            for (int64_t r = 0; L > 0 && r < size / L; r++) {                                  \
                const T *cr = c + o[0], *ar = a + o[1], *br = b + o[2];                        \
                T *yr = y + r * L;                                                             \
                for (int64_t j = 0; j < L; j++)                                                \
                    yr[j] = cr[j * sc] != 0 ? ar[j * sa] : br[j * sb];                         \
                bcast3_next_row(bc, ctr, o);                                                   \
            }                                                                                  \
        }                                                                                      \
    }

#define WHERE_BWD(T)                                                                           \
    {                                                                                          \
        const T *c = n->in[0]->data, *dy = n->out->grad;                                       \
        T *da = n->in[1]->grad, *db = n->in[2]->grad;                                          \
        if (!bc) {                                                                             \
            for (int64_t i = 0; i < size; i++) {                                               \
                if (c[i] != 0) {                                                               \
                    if (da) da[i] += dy[i];                                                    \
                } else if (db) {                                                               \
                    db[i] += dy[i];                                                            \
                }                                                                              \
            }                                                                                  \
        } else {                                                                               \
            int64_t L = bc->shape[bc->nd - 1], o[3] = {0, 0, 0};                               \
            int64_t sc = bc->st[0][bc->nd - 1], sa = bc->st[1][bc->nd - 1];                    \
            int64_t sb = bc->st[2][bc->nd - 1];                                                \
            int ctr[RLC_MAX_DIMS] = {0};                                                       \
            for (int64_t r = 0; L > 0 && r < size / L; r++) {                                  \
                const T *cr = c + o[0], *dyr = dy + r * L;                                     \
                for (int64_t j = 0; j < L; j++) {                                              \
                    if (cr[j * sc] != 0) {                                                     \
                        if (da) da[o[1] + j * sa] += dyr[j];                                   \
                    } else if (db) {                                                           \
                        db[o[2] + j * sb] += dyr[j];                                           \
                    }                                                                          \
                }                                                                              \
                bcast3_next_row(bc, ctr, o);                                                   \
            }                                                                                  \
        }                                                                                      \
    }

static void where_forward(rlc_node *n) {
    const bcast3 *bc = n->aux;
    int64_t size = n->out->size;
    RLC_DISPATCH(n->out->dtype, WHERE_FWD);
}

static void where_backward(rlc_node *n) {
    const bcast3 *bc = n->aux;
    int64_t size = n->out->size;
    RLC_DISPATCH(n->out->dtype, WHERE_BWD);
}

static const rlc_op_def WHERE = {"where", where_forward, where_backward};

rlc_tensor *rlc_where(rlc_graph *g, rlc_tensor *cond, rlc_tensor *a, rlc_tensor *b) {
    rlc_tensor *in[3] = {cond, a, b};
    if (!rlc__check_inputs(g, "where", in, 3)) return NULL;
    rlc_tensor ab = {0};
    int shape[RLC_MAX_DIMS], nd = rlc__broadcast_shape(a, b, ab.shape);
    if (nd >= 0) {
        ab.ndim = nd;
        nd = rlc__broadcast_shape(cond, &ab, shape);
    }
    char sc[64], sa[64], sb[64];
    if (nd < 0)
        return rlc__graph_fail(g, RLC_ERR_INVALID, "where: shapes %s, %s and %s do not broadcast",
                               rlc_shape_str(cond, sc, sizeof sc), rlc_shape_str(a, sa, sizeof sa),
                               rlc_shape_str(b, sb, sizeof sb));
    int64_t size = 1;
    for (int i = 0; i < nd; i++) size *= shape[i];
    rlc_node *n = rlc__node_begin(g, &WHERE, in, 3, nd, shape);
    if (!n) return NULL;
    if (cond->size != size || a->size != size || b->size != size) {
        bcast3 *bc = rlc__arena_alloc(g, sizeof *bc);
        if (!bc) return NULL;
        bc->nd = nd; /* >= 1 here: with rank 0 every operand has size 1 */
        for (int i = 0; i < nd; i++) bc->shape[i] = shape[i];
        for (int k = 0; k < 3; k++) rlc__broadcast_strides(in[k], nd, shape, bc->st[k]);
        n->aux = bc;
    }
    return rlc__node_end(n);
}
