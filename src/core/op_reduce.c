/* Reductions along one axis (sum, mean, max, min, with keepdim) and over all elements (sum_all,
 * mean_all). max/min remember the index of the first extremal element for the backward pass. */
#include "core/graph_impl.h"

#include <stdio.h>

/* Node parameters: i[0] axis (normalised), i[1] 1 = reduce all elements, i[2] 1 = mean.
 * The input is viewed as [outer, len, inner]; the output as [outer, inner]. */

static void split(const rlc_node *n, int64_t *outer, int64_t *len, int64_t *inner) {
    if (n->i[1]) {
        *outer = 1;
        *len = n->in[0]->size;
        *inner = 1;
    } else {
        rlc__split_axis(n->in[0], n->i[0], outer, len, inner);
    }
}

/* GCC at -O2 (its "very-cheap" cost model) vectorises only loops whose trip count is a known
 * multiple of the vector width, so long loops run in blocks of 8 and then a scalar tail. The
 * body sees the index as `k`. Kernels take restrict pointer parameters for the same reason
 * (GCC ignores restrict on locals loaded from the node). */
#define FOR_BLOCKED(n, ...)                                                                    \
    {                                                                                          \
        int64_t k0_ = 0;                                                                       \
        for (; k0_ + 8 <= (n); k0_ += 8)                                                       \
            for (int64_t j_ = 0; j_ < 8; j_++) {                                               \
                const int64_t k = k0_ + j_;                                                    \
                __VA_ARGS__                                                                    \
            }                                                                                  \
        for (int64_t k = k0_; k < (n); k++) {                                                  \
            __VA_ARGS__                                                                        \
        }                                                                                      \
    }

/* max/min: v replaces the best b when strictly better, so ties keep the first; a NaN replaces
 * a non-NaN best and is never replaced, so NaN propagates (the first NaN wins). */
#define MAX_BETTER(v, b) ((b) == (b) && !((v) <= (b)))
#define MIN_BETTER(v, b) ((b) == (b) && !((v) >= (b)))

/* Kernels over the [outer, len, inner] view, written once for T = float and double.
 *
 * sum: rows along the last axis (inner == 1) accumulate in double in eight interleaved
 * partial sums (more accurate for float32 losses over many elements, vectorised, and the
 * fixed order keeps results reproducible); other axes add whole rows of `inner` elements. */
#define REDUCE_KERNELS(T, sfx)                                                                 \
    static double row_sum_##sfx(const T *restrict xr, int64_t len) {                           \
        double a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0, a6 = 0, a7 = 0;                 \
        int64_t j = 0;                                                                         \
        for (; j + 8 <= len; j += 8) {                                                         \
            a0 += xr[j];                                                                       \
            a1 += xr[j + 1];                                                                   \
            a2 += xr[j + 2];                                                                   \
            a3 += xr[j + 3];                                                                   \
            a4 += xr[j + 4];                                                                   \
            a5 += xr[j + 5];                                                                   \
            a6 += xr[j + 6];                                                                   \
            a7 += xr[j + 7];                                                                   \
        }                                                                                      \
        for (; j < len; j++) a0 += xr[j];                                                      \
        return ((a0 + a1) + (a2 + a3)) + ((a4 + a5) + (a6 + a7));                              \
    }                                                                                          \
    static void sum_fwd_##sfx(const T *restrict x, T *restrict y, int64_t outer, int64_t len,  \
                              int64_t inner, int mean) {                                       \
        if (inner == 1) {                                                                      \
            for (int64_t o = 0; o < outer; o++) {                                              \
                double s = row_sum_##sfx(x + o * len, len);                                    \
                y[o] = (T)(mean ? s / (double)len : s);                                        \
            }                                                                                  \
            return;                                                                            \
        }                                                                                      \
        for (int64_t o = 0; o < outer; o++) {                                                  \
            T *yr = y + o * inner;                                                             \
            const T *xo = x + o * len * inner;                                                 \
            FOR_BLOCKED(inner, yr[k] = 0;)                                                     \
            for (int64_t j = 0; j < len; j++) {                                                \
                const T *xr = xo + j * inner;                                                  \
                FOR_BLOCKED(inner, yr[k] += xr[k];)                                            \
            }                                                                                  \
            if (mean) {                                                                        \
                const T tl = (T)len;                                                           \
                FOR_BLOCKED(inner, yr[k] /= tl;)                                               \
            }                                                                                  \
        }                                                                                      \
    }                                                                                          \
    static void sum_bwd_##sfx(const T *restrict dy, T *restrict dx, int64_t outer, int64_t len, \
                              int64_t inner, int mean) {                                       \
        const T scale = mean ? (T)(1.0 / (double)len) : (T)1;                                  \
        for (int64_t o = 0; o < outer; o++) {                                                  \
            const T *gr = dy + o * inner;                                                      \
            if (inner == 1) {                                                                  \
                const T gv = gr[0] * scale;                                                    \
                T *dr = dx + o * len;                                                          \
                FOR_BLOCKED(len, dr[k] += gv;)                                                 \
            } else {                                                                           \
                for (int64_t j = 0; j < len; j++) {                                            \
                    T *dr = dx + (o * len + j) * inner;                                        \
                    FOR_BLOCKED(inner, dr[k] += gr[k] * scale;)                                \
                }                                                                              \
            }                                                                                  \
        }                                                                                      \
    }                                                                                          \
    EXT_KERNEL(T, sfx, max, MAX_BETTER)                                                        \
    EXT_KERNEL(T, sfx, min, MIN_BETTER)                                                        \
    static void ext_bwd_##sfx(const T *restrict dy, T *restrict dx,                            \
                              const int32_t *restrict idx, int64_t outer, int64_t len,         \
                              int64_t inner) {                                                 \
        for (int64_t o = 0; o < outer; o++)                                                    \
            for (int64_t k = 0; k < inner; k++) {                                              \
                int64_t r = o * inner + k;                                                     \
                dx[(o * len + idx[r]) * inner + k] += dy[r];                                   \
            }                                                                                  \
    }

/* max/min forward; idx receives the position along the axis of the chosen element. */
#define EXT_KERNEL(T, sfx, name, BETTER)                                                       \
    static void name##_fwd_##sfx(const T *restrict x, T *restrict y, int32_t *restrict idx,    \
                                 int64_t outer, int64_t len, int64_t inner) {                  \
        for (int64_t o = 0; o < outer; o++) {                                                  \
            if (inner == 1) {                                                                  \
                const T *xr = x + o * len;                                                     \
                T b = xr[0];                                                                   \
                int32_t bi = 0;                                                                \
                for (int64_t j = 1; j < len; j++)                                              \
                    if (BETTER(xr[j], b)) {                                                    \
                        b = xr[j];                                                             \
                        bi = (int32_t)j;                                                       \
                    }                                                                          \
                y[o] = b;                                                                      \
                idx[o] = bi;                                                                   \
                continue;                                                                      \
            }                                                                                  \
            T *yr = y + o * inner;                                                             \
            int32_t *ir = idx + o * inner;                                                     \
            const T *xo = x + o * len * inner;                                                 \
            FOR_BLOCKED(inner, yr[k] = xo[k]; ir[k] = 0;)                                      \
            for (int64_t j = 1; j < len; j++) {                                                \
                const T *xr = xo + j * inner;                                                  \
                const int32_t jj = (int32_t)j;                                                 \
                FOR_BLOCKED(inner, {                                                           \
                    T v = xr[k], b = yr[k];                                                    \
                    int32_t bi = ir[k];                                                        \
                    int better = BETTER(v, b);                                                 \
                    yr[k] = better ? v : b;                                                    \
                    ir[k] = better ? jj : bi;                                                  \
                })                                                                             \
            }                                                                                  \
        }                                                                                      \
    }

REDUCE_KERNELS(float, f32)
REDUCE_KERNELS(double, f64)

static void sum_forward(rlc_node *n) {
    int64_t outer, len, inner;
    split(n, &outer, &len, &inner);
    if (n->out->dtype == RLC_F32)
        sum_fwd_f32(n->in[0]->data, n->out->data, outer, len, inner, n->i[2]);
    else
        sum_fwd_f64(n->in[0]->data, n->out->data, outer, len, inner, n->i[2]);
}

static void sum_backward(rlc_node *n) {
    int64_t outer, len, inner;
    if (!n->in[0]->grad) return;
    split(n, &outer, &len, &inner);
    if (n->out->dtype == RLC_F32)
        sum_bwd_f32(n->out->grad, n->in[0]->grad, outer, len, inner, n->i[2]);
    else
        sum_bwd_f64(n->out->grad, n->in[0]->grad, outer, len, inner, n->i[2]);
}

static void max_forward(rlc_node *n) {
    int64_t outer, len, inner;
    split(n, &outer, &len, &inner);
    if (n->out->dtype == RLC_F32)
        max_fwd_f32(n->in[0]->data, n->out->data, n->aux, outer, len, inner);
    else
        max_fwd_f64(n->in[0]->data, n->out->data, n->aux, outer, len, inner);
}

static void min_forward(rlc_node *n) {
    int64_t outer, len, inner;
    split(n, &outer, &len, &inner);
    if (n->out->dtype == RLC_F32)
        min_fwd_f32(n->in[0]->data, n->out->data, n->aux, outer, len, inner);
    else
        min_fwd_f64(n->in[0]->data, n->out->data, n->aux, outer, len, inner);
}

static void ext_backward(rlc_node *n) {
    int64_t outer, len, inner;
    if (!n->in[0]->grad) return;
    split(n, &outer, &len, &inner);
    if (n->out->dtype == RLC_F32)
        ext_bwd_f32(n->out->grad, n->in[0]->grad, n->aux, outer, len, inner);
    else
        ext_bwd_f64(n->out->grad, n->in[0]->grad, n->aux, outer, len, inner);
}

static const rlc_op_def SUM = {"sum", sum_forward, sum_backward};
static const rlc_op_def MEAN = {"mean", sum_forward, sum_backward};
static const rlc_op_def SUM_ALL = {"sum_all", sum_forward, sum_backward};
static const rlc_op_def MEAN_ALL = {"mean_all", sum_forward, sum_backward};
static const rlc_op_def MAX = {"max", max_forward, ext_backward};
static const rlc_op_def MIN = {"min", min_forward, ext_backward};

static rlc_tensor *reduce(rlc_graph *g, const rlc_op_def *def, rlc_tensor *x, int axis,
                          int keepdim, int mean, int extremum) {
    rlc_tensor *in[1] = {x};
    if (!rlc__check_inputs(g, def->name, in, 1)) return NULL;
    char s[64];
    int ax = rlc__axis(x, axis);
    if (ax < 0)
        return rlc__graph_fail(g, RLC_ERR_INVALID, "%s: axis %d out of range for shape %s",
                               def->name, axis, rlc_shape_str(x, s, sizeof s));
    if (extremum && x->shape[ax] == 0)
        return rlc__graph_fail(g, RLC_ERR_INVALID, "%s: cannot reduce empty axis %d of shape %s",
                               def->name, axis, rlc_shape_str(x, s, sizeof s));
    int shape[RLC_MAX_DIMS], nd = 0;
    for (int d = 0; d < x->ndim; d++) {
        if (d != ax)
            shape[nd++] = x->shape[d];
        else if (keepdim)
            shape[nd++] = 1;
    }
    rlc_node *n = rlc__node_begin(g, def, in, 1, nd, shape);
    if (!n) return NULL;
    n->i[0] = ax;
    n->i[1] = 0;
    n->i[2] = mean;
    if (extremum) {
        n->aux = rlc__arena_alloc(g, (size_t)n->out->size * sizeof(int32_t));
        if (!n->aux) return NULL;
    }
    return rlc__node_end(n);
}

static rlc_tensor *reduce_all(rlc_graph *g, const rlc_op_def *def, rlc_tensor *x, int mean) {
    rlc_tensor *in[1] = {x};
    if (!rlc__check_inputs(g, def->name, in, 1)) return NULL;
    int one = 1;
    rlc_node *n = rlc__node_begin(g, def, in, 1, 1, &one);
    if (!n) return NULL;
    n->i[0] = 0;
    n->i[1] = 1;
    n->i[2] = mean;
    return rlc__node_end(n);
}

rlc_tensor *rlc_sum(rlc_graph *g, rlc_tensor *x, int axis, int keepdim) {
    return reduce(g, &SUM, x, axis, keepdim, 0, 0);
}
rlc_tensor *rlc_mean(rlc_graph *g, rlc_tensor *x, int axis, int keepdim) {
    return reduce(g, &MEAN, x, axis, keepdim, 1, 0);
}
rlc_tensor *rlc_max(rlc_graph *g, rlc_tensor *x, int axis, int keepdim) {
    return reduce(g, &MAX, x, axis, keepdim, 0, 1);
}
rlc_tensor *rlc_min(rlc_graph *g, rlc_tensor *x, int axis, int keepdim) {
    return reduce(g, &MIN, x, axis, keepdim, 0, 1);
}
rlc_tensor *rlc_sum_all(rlc_graph *g, rlc_tensor *x) {
    return reduce_all(g, &SUM_ALL, x, 0);
}
rlc_tensor *rlc_mean_all(rlc_graph *g, rlc_tensor *x) {
    return reduce_all(g, &MEAN_ALL, x, 1);
}
