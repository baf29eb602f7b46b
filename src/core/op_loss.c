/* Losses reduced to one element (shape [1]): mean squared error, Huber (PyTorch's HuberLoss)
 * and mean cross-entropy of logits against integer labels. Sums accumulate in double. */
#include "core/graph_impl.h"

#include <math.h>
#include <tgmath.h> /* exp/log resolve to expf/logf for float operands */

/* ---- mse and huber ----
 * pred and target have the same shape (no broadcasting: a [B] vs [B, 1] mix-up is an error,
 * not a silent [B, B] loss). Both receive gradients. An empty input gives 0.
 * i[0]: 0 mse, 1 huber; f[0]: delta. */

#define REG_FWD(T)                                                                             \
    {                                                                                          \
        const T *p = n->in[0]->data, *t = n->in[1]->data;                                      \
        double s = 0;                                                                          \
        if (!huber) {                                                                          \
            for (int64_t i = 0; i < size; i++) {                                               \
                double d = (double)p[i] - (double)t[i];                                        \
                s += d * d;                                                                    \
            }                                                                                  \
        } else {                                                                               \
            for (int64_t i = 0; i < size; i++) {                                               \
                double d = fabs((double)p[i] - (double)t[i]);                                  \
                s += d <= delta ? 0.5 * d * d : delta * (d - 0.5 * delta);                     \
            }                                                                                  \
        }                                                                                      \
        ((T *)n->out->data)[0] = (T)(size ? s / (double)size : 0.0);                           \
    }

#define REG_BWD(T)                                                                             \
    {                                                                                          \
        const T *p = n->in[0]->data, *t = n->in[1]->data;                                      \
        T *dp = n->in[0]->grad, *dt = n->in[1]->grad;                                          \
        const T g = (T)(((const T *)n->out->grad)[0] / (double)size);                          \
        const T dl = (T)delta;                                                                 \
        for (int64_t i = 0; i < size; i++) {                                                   \
            T d = p[i] - t[i], gd;                                                             \
            if (!huber)                                                                        \
                gd = 2 * g * d;                                                                \
            else                                                                               \
                gd = g * (d > dl ? dl : d < -dl ? -dl : d);                                    \
            if (dp) dp[i] += gd;                                                               \
            if (dt) dt[i] -= gd;                                                               \
        }                                                                                      \
    }

static void reg_forward(rlc_node *n) {
    int64_t size = n->in[0]->size;
    int huber = n->i[0];
    double delta = n->f[0];
    RLC_DISPATCH(n->out->dtype, REG_FWD);
}

static void reg_backward(rlc_node *n) {
    int64_t size = n->in[0]->size;
    int huber = n->i[0];
    double delta = n->f[0];
    if (!size) return;
    RLC_DISPATCH(n->out->dtype, REG_BWD);
}

static const rlc_op_def MSE = {"mse", reg_forward, reg_backward};
static const rlc_op_def HUBER = {"huber", reg_forward, reg_backward};

static rlc_tensor *regression(rlc_graph *g, const rlc_op_def *def, rlc_tensor *pred,
                              rlc_tensor *target, double delta) {
    rlc_tensor *in[2] = {pred, target};
    if (!rlc__check_inputs(g, def->name, in, 2)) return NULL;
    char sp[64], st[64];
    if (!rlc__same_shape(pred, target))
        return rlc__graph_fail(g, RLC_ERR_INVALID, "%s: pred %s and target %s differ in shape",
                               def->name, rlc_shape_str(pred, sp, sizeof sp),
                               rlc_shape_str(target, st, sizeof st));
    int one = 1;
    rlc_node *n = rlc__node_begin(g, def, in, 2, 1, &one);
    if (!n) return NULL;
    n->i[0] = def == &HUBER;
    n->f[0] = delta;
    return rlc__node_end(n);
}

rlc_tensor *rlc_mse(rlc_graph *g, rlc_tensor *pred, rlc_tensor *target) {
    return regression(g, &MSE, pred, target, 0.0);
}

rlc_tensor *rlc_huber(rlc_graph *g, rlc_tensor *pred, rlc_tensor *target, double delta) {
    if (g && g->status == RLC_OK && !(delta > 0 && delta < INFINITY))
        return rlc__graph_fail(g, RLC_ERR_RANGE, "huber: delta = %g, must be > 0 and finite",
                               delta);
    return regression(g, &HUBER, pred, target, delta);
}

/* ---- cross_entropy ----
 * logits [..., C], labels [...] (or [..., 1]) holding class indices in the graph dtype.
 * loss = mean over rows of logsumexp(row) - row[label]. A label outside [0, C) (e.g. -1 for
 * padding) marks the row as ignored, like PyTorch's ignore_index: it adds nothing to the loss
 * or the gradient and is not counted in the mean (all rows ignored: loss 0).
 * i[0]: C; aux: logsumexp per row (element type); f[1]: 1 / (rows counted), set by forward. */

static inline int64_t label_of(double v, int64_t n) {
    return v >= 0.0 && v < (double)n ? (int64_t)v : -1;
}

#define CE_FWD(T)                                                                              \
    {                                                                                          \
        const T *x = n->in[0]->data, *lab = n->in[1]->data;                                    \
        T *lse = n->aux;                                                                       \
        double tot = 0;                                                                        \
        int64_t cnt = 0;                                                                       \
        for (int64_t r = 0; r < R; r++) {                                                      \
            const T *xr = x + r * C;                                                           \
            T m = xr[0], s = 0;                                                                \
            for (int64_t j = 1; j < C; j++) m = xr[j] > m ? xr[j] : m;                         \
            for (int64_t j = 0; j < C; j++) s += exp(xr[j] - m);                               \
            lse[r] = m + log(s);                                                               \
            int64_t k = label_of((double)lab[r], C);                                           \
            if (k >= 0) {                                                                      \
                tot += (double)(lse[r] - xr[k]);                                               \
                cnt++;                                                                         \
            }                                                                                  \
        }                                                                                      \
        ((T *)n->out->data)[0] = (T)(cnt ? tot / (double)cnt : 0.0);                           \
        n->f[1] = cnt ? 1.0 / (double)cnt : 0.0;                                               \
    }

#define CE_BWD(T)                                                                              \
    {                                                                                          \
        const T *x = n->in[0]->data, *lab = n->in[1]->data, *lse = n->aux;                     \
        T *dx = n->in[0]->grad;                                                                \
        const T g = (T)(((const T *)n->out->grad)[0] * n->f[1]);                               \
        for (int64_t r = 0; r < R; r++) {                                                      \
            int64_t k = label_of((double)lab[r], C);                                           \
            if (k < 0) continue;                                                               \
            const T *xr = x + r * C;                                                           \
            T *dxr = dx + r * C;                                                               \
            for (int64_t j = 0; j < C; j++) dxr[j] += g * exp(xr[j] - lse[r]);                 \
            dxr[k] -= g;                                                                       \
        }                                                                                      \
    }

static void ce_forward(rlc_node *n) {
    int64_t C = n->i[0], R = n->in[0]->size / C;
    RLC_DISPATCH(n->out->dtype, CE_FWD);
}

static void ce_backward(rlc_node *n) {
    int64_t C = n->i[0], R = n->in[0]->size / C;
    if (!n->in[0]->grad) return;
    RLC_DISPATCH(n->out->dtype, CE_BWD);
}

static const rlc_op_def CROSS_ENTROPY = {"cross_entropy", ce_forward, ce_backward};

rlc_tensor *rlc_cross_entropy(rlc_graph *g, rlc_tensor *logits, rlc_tensor *labels) {
    rlc_tensor *in[2] = {logits, labels};
    if (!rlc__check_inputs(g, "cross_entropy", in, 2)) return NULL;
    char sx[64], sl[64];
    int lead = logits->ndim - 1, ok = logits->ndim >= 1 && logits->shape[lead] >= 1;
    /* labels: logits' leading dims, optionally with a trailing 1 */
    if (ok && labels->ndim == lead + 1)
        ok = labels->shape[lead] == 1;
    else if (ok)
        ok = labels->ndim == lead;
    for (int i = 0; ok && i < lead; i++) ok = labels->shape[i] == logits->shape[i];
    if (!ok)
        return rlc__graph_fail(g, RLC_ERR_INVALID,
                               "cross_entropy: logits %s and labels %s do not fit (want [..., C] "
                               "and [...])",
                               rlc_shape_str(logits, sx, sizeof sx),
                               rlc_shape_str(labels, sl, sizeof sl));
    int one = 1;
    rlc_node *n = rlc__node_begin(g, &CROSS_ENTROPY, in, 2, 1, &one);
    if (!n) return NULL;
    int C = logits->shape[lead];
    n->aux = rlc__arena_alloc(g, (size_t)(logits->size / C) * rlc__dtype_size(logits->dtype) + 1);
    n->i[0] = C;
    return rlc__node_end(n);
}
