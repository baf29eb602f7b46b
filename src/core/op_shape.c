/* Shape ops: concat, slice, reshape (a copy) and transpose (swap of two axes). Forwards are
 * block copies; backwards add the output gradient back into the matching input blocks. */
#include "core/graph_impl.h"

#include <stdio.h>
#include <string.h>

/* Adds n elements of src into dst (gradient accumulation of a copied block). */
#define ADD_BLOCK(T, dst, src, cnt)                                                            \
    {                                                                                          \
        T *d_ = (T *)(dst);                                                                    \
        const T *s_ = (const T *)(src);                                                        \
        for (int64_t e_ = 0; e_ < (cnt); e_++) d_[e_] += s_[e_];                               \
    }

static void add_block(rlc_dtype dt, void *dst, const void *src, int64_t cnt) {
    if (dt == RLC_F32)
        ADD_BLOCK(float, dst, src, cnt)
    else
        ADD_BLOCK(double, dst, src, cnt)
}

/* ---- concat ----
 * i[0]: axis. Rows outer = prod(shape[:axis]); input k contributes shape_k[axis] * inner
 * contiguous elements to each output row. */

static void concat_forward(rlc_node *n) {
    int64_t outer, total, inner;
    rlc__split_axis(n->out, n->i[0], &outer, &total, &inner);
    size_t es = rlc__dtype_size(n->out->dtype), row = (size_t)(total * inner) * es;
    char *y = n->out->data;
    size_t off = 0;
    for (int k = 0; k < n->nin; k++) {
        const rlc_tensor *x = n->in[k];
        size_t len = (size_t)(x->shape[n->i[0]] * inner) * es;
        const char *xp = x->data;
        for (int64_t o = 0; o < outer; o++)
            memcpy(y + (size_t)o * row + off, xp + (size_t)o * len, len);
        off += len;
    }
}

static void concat_backward(rlc_node *n) {
    int64_t outer, total, inner;
    rlc__split_axis(n->out, n->i[0], &outer, &total, &inner);
    size_t es = rlc__dtype_size(n->out->dtype);
    int64_t row = total * inner, off = 0;
    const char *dy = n->out->grad;
    for (int k = 0; k < n->nin; k++) {
        const rlc_tensor *x = n->in[k];
        int64_t len = x->shape[n->i[0]] * inner;
        if (x->grad)
            for (int64_t o = 0; o < outer; o++)
                add_block(x->dtype, (char *)x->grad + (size_t)(o * len) * es,
                          dy + (size_t)(o * row + off) * es, len);
        off += len;
    }
}

static const rlc_op_def CONCAT = {"concat", concat_forward, concat_backward};

/* Records one node over at most RLC_NODE_MAX_IN inputs (already validated). */
static rlc_tensor *concat_node(rlc_graph *g, rlc_tensor *const *xs, int cnt, int axis) {
    if (cnt == 1) return xs[0];
    int shape[RLC_MAX_DIMS];
    for (int i = 0; i < xs[0]->ndim; i++) shape[i] = xs[0]->shape[i];
    shape[axis] = 0;
    for (int k = 0; k < cnt; k++) shape[axis] += xs[k]->shape[axis];
    rlc_node *n = rlc__node_begin(g, &CONCAT, xs, cnt, xs[0]->ndim, shape);
    if (!n) return NULL;
    n->i[0] = axis;
    return rlc__node_end(n);
}

/* A node holds at most RLC_NODE_MAX_IN inputs: longer lists become a tree of concat nodes
 * (each level copies once, so the cost is O(size * log n)). */
static rlc_tensor *concat_tree(rlc_graph *g, rlc_tensor *const *xs, int cnt, int axis) {
    if (cnt <= RLC_NODE_MAX_IN) return concat_node(g, xs, cnt, axis);
    rlc_tensor *parts[RLC_NODE_MAX_IN];
    int per = (cnt + RLC_NODE_MAX_IN - 1) / RLC_NODE_MAX_IN, np = 0;
    for (int s = 0; s < cnt; s += per) {
        int m = cnt - s < per ? cnt - s : per;
        parts[np] = concat_tree(g, xs + s, m, axis);
        if (!parts[np++]) return NULL;
    }
    return concat_node(g, parts, np, axis);
}

rlc_tensor *rlc_concat(rlc_graph *g, rlc_tensor *const *xs, int n, int axis) {
    if (!g || g->status != RLC_OK) return NULL;
    if (!xs || n < 1)
        return rlc__graph_fail(g, RLC_ERR_INVALID, "concat: need at least one input (n = %d)", n);
    if (!rlc__check_inputs(g, "concat", xs, n)) return NULL;
    int ax = rlc__axis(xs[0], axis);
    char s0[64], sk[64];
    if (ax < 0)
        return rlc__graph_fail(g, RLC_ERR_INVALID, "concat: axis %d out of range for %s", axis,
                               rlc_shape_str(xs[0], s0, sizeof s0));
    for (int k = 1; k < n; k++) {
        int ok = xs[k]->ndim == xs[0]->ndim;
        for (int i = 0; ok && i < xs[0]->ndim; i++)
            ok = i == ax || xs[k]->shape[i] == xs[0]->shape[i];
        if (!ok)
            return rlc__graph_fail(g, RLC_ERR_INVALID,
                                   "concat: input %d %s does not match input 0 %s outside axis %d",
                                   k, rlc_shape_str(xs[k], sk, sizeof sk),
                                   rlc_shape_str(xs[0], s0, sizeof s0), ax);
    }
    int64_t total = 0;
    for (int k = 0; k < n; k++) total += xs[k]->shape[ax];
    if (total > 0x7fffffff)
        return rlc__graph_fail(g, RLC_ERR_RANGE, "concat: axis %d too long", ax);
    if (n == 1) { /* still a new tensor (a copy), like every op */
        rlc_node *nd = rlc__node_begin(g, &CONCAT, xs, 1, xs[0]->ndim, xs[0]->shape);
        if (!nd) return NULL;
        nd->i[0] = ax;
        return rlc__node_end(nd);
    }
    return concat_tree(g, xs, n, ax);
}

/* ---- slice ----
 * i[0]: axis, i[1]: start, i[2]: len. */

static void slice_forward(rlc_node *n) {
    const rlc_tensor *x = n->in[0];
    int64_t outer, dim, inner;
    rlc__split_axis(x, n->i[0], &outer, &dim, &inner);
    size_t es = rlc__dtype_size(x->dtype), len = (size_t)(n->i[2] * inner) * es;
    size_t row = (size_t)(dim * inner) * es, start = (size_t)(n->i[1] * inner) * es;
    const char *xp = x->data;
    char *y = n->out->data;
    for (int64_t o = 0; o < outer; o++)
        memcpy(y + (size_t)o * len, xp + (size_t)o * row + start, len);
}

static void slice_backward(rlc_node *n) {
    const rlc_tensor *x = n->in[0];
    if (!x->grad) return;
    int64_t outer, dim, inner;
    rlc__split_axis(x, n->i[0], &outer, &dim, &inner);
    size_t es = rlc__dtype_size(x->dtype);
    int64_t len = n->i[2] * inner, row = dim * inner, start = n->i[1] * inner;
    for (int64_t o = 0; o < outer; o++)
        add_block(x->dtype, (char *)x->grad + (size_t)(o * row + start) * es,
                  (const char *)n->out->grad + (size_t)(o * len) * es, len);
}

static const rlc_op_def SLICE = {"slice", slice_forward, slice_backward};

rlc_tensor *rlc_slice(rlc_graph *g, rlc_tensor *x, int axis, int start, int len) {
    rlc_tensor *in[1] = {x};
    if (!rlc__check_inputs(g, "slice", in, 1)) return NULL;
    char sx[64];
    int ax = rlc__axis(x, axis);
    if (ax < 0)
        return rlc__graph_fail(g, RLC_ERR_INVALID, "slice: axis %d out of range for %s", axis,
                               rlc_shape_str(x, sx, sizeof sx));
    int dim = x->shape[ax], s = start < 0 ? start + dim : start;
    if (s < 0 || len < 0 || (int64_t)s + len > dim)
        return rlc__graph_fail(g, RLC_ERR_INVALID,
                               "slice: [%d, %d + %d) outside axis %d of %s", start, start, len, ax,
                               rlc_shape_str(x, sx, sizeof sx));
    int shape[RLC_MAX_DIMS];
    for (int i = 0; i < x->ndim; i++) shape[i] = x->shape[i];
    shape[ax] = len;
    rlc_node *n = rlc__node_begin(g, &SLICE, in, 1, x->ndim, shape);
    if (!n) return NULL;
    n->i[0] = ax;
    n->i[1] = s;
    n->i[2] = len;
    return rlc__node_end(n);
}

/* ---- reshape (copy) ---- */

static void reshape_forward(rlc_node *n) {
    memcpy(n->out->data, n->in[0]->data, (size_t)n->out->size * rlc__dtype_size(n->out->dtype));
}

static void reshape_backward(rlc_node *n) {
    if (n->in[0]->grad) add_block(n->out->dtype, n->in[0]->grad, n->out->grad, n->out->size);
}

static const rlc_op_def RESHAPE = {"reshape", reshape_forward, reshape_backward};

rlc_tensor *rlc_reshape(rlc_graph *g, rlc_tensor *x, int ndim, const int *shape) {
    rlc_tensor *in[1] = {x};
    if (!rlc__check_inputs(g, "reshape", in, 1)) return NULL;
    if (ndim < 0 || ndim > RLC_MAX_DIMS || (ndim > 0 && !shape))
        return rlc__graph_fail(g, RLC_ERR_INVALID, "reshape: bad rank %d", ndim);
    int out[RLC_MAX_DIMS], infer = -1;
    int64_t known = 1;
    char sx[64], want[96];
    size_t off = 0;
    want[0] = 0;
    for (int i = 0; i < ndim && off < sizeof want; i++)
        off += (size_t)snprintf(want + off, sizeof want - off, i ? ", %d" : "%d", shape[i]);
    for (int i = 0; i < ndim; i++) {
        out[i] = shape[i];
        if (shape[i] == -1 && infer < 0) {
            infer = i;
        } else if (shape[i] < 0) {
            return rlc__graph_fail(g, RLC_ERR_INVALID, "reshape: %s to [%s]: bad dimension %d",
                                   rlc_shape_str(x, sx, sizeof sx), want, shape[i]);
        } else if (shape[i] == 0) {
            known = 0;
        } else { /* saturate at 2^41 (no tensor is that big): no overflow, still a mismatch */
            int64_t cap = (int64_t)1 << 41;
            known = known > cap / shape[i] ? cap : known * shape[i];
        }
    }
    if (infer >= 0) {
        if (known == 0 || x->size % known != 0 || x->size / known > 0x7fffffff)
            return rlc__graph_fail(g, RLC_ERR_INVALID, "reshape: cannot reshape %s to [%s]",
                                   rlc_shape_str(x, sx, sizeof sx), want);
        out[infer] = (int)(x->size / known);
        known *= out[infer];
    }
    if (known != x->size)
        return rlc__graph_fail(g, RLC_ERR_INVALID, "reshape: cannot reshape %s to [%s]",
                               rlc_shape_str(x, sx, sizeof sx), want);
    rlc_node *n = rlc__node_begin(g, &RESHAPE, in, 1, ndim, out);
    return rlc__node_end(n);
}

/* ---- transpose ----
 * x viewed as [P, A, M, B, Q] (A, B the swapped axes; P, M, Q the products of the dims before,
 * between and after them) -> out [P, B, M, A, Q]. i[0], i[1]: the axes, a0 <= a1. */

static void transpose_dims(const rlc_node *n, int64_t *d) {
    const rlc_tensor *x = n->in[0];
    int a0 = n->i[0], a1 = n->i[1];
    d[0] = d[1] = d[2] = d[3] = 1;
    if (a0 == a1) { /* plain copy */
        d[4] = x->size;
        return;
    }
    d[4] = 1;
    for (int i = 0; i < a0; i++) d[0] *= x->shape[i];
    d[1] = x->shape[a0];
    for (int i = a0 + 1; i < a1; i++) d[2] *= x->shape[i];
    d[3] = x->shape[a1];
    for (int i = a1 + 1; i < x->ndim; i++) d[4] *= x->shape[i];
}

/* dir 0: y[p, b, m, a, q] = x[p, a, m, b, q]; dir 1: dx[p, a, m, b, q] += dy[p, b, m, a, q]. */
#define TRANSPOSE_LOOP(T)                                                                      \
    {                                                                                          \
        int64_t P = d[0], A = d[1], M = d[2], B = d[3], Q = d[4];                              \
        for (int64_t p = 0; p < P; p++)                                                        \
            for (int64_t a = 0; a < A; a++)                                                    \
                for (int64_t m = 0; m < M; m++)                                                \
                    for (int64_t b = 0; b < B; b++) {                                          \
                        int64_t ix = (((p * A + a) * M + m) * B + b) * Q;                      \
                        int64_t iy = (((p * B + b) * M + m) * A + a) * Q;                      \
                        if (!back) {                                                           \
                            const T *src = (const T *)xs + ix;                                 \
                            T *dst = (T *)ys + iy;                                             \
                            for (int64_t q = 0; q < Q; q++) dst[q] = src[q];                   \
                        } else {                                                               \
                            const T *src = (const T *)ys + iy;                                 \
                            T *dst = (T *)xs + ix;                                             \
                            for (int64_t q = 0; q < Q; q++) dst[q] += src[q];                  \
                        }                                                                      \
                    }                                                                          \
    }

static void transpose_forward(rlc_node *n) {
    int64_t d[5];
    transpose_dims(n, d);
    const int back = 0;
    void *xs = n->in[0]->data, *ys = n->out->data;
    RLC_DISPATCH(n->out->dtype, TRANSPOSE_LOOP);
}

static void transpose_backward(rlc_node *n) {
    if (!n->in[0]->grad) return;
    int64_t d[5];
    transpose_dims(n, d);
    const int back = 1;
    void *xs = n->in[0]->grad, *ys = n->out->grad;
    RLC_DISPATCH(n->out->dtype, TRANSPOSE_LOOP);
}

static const rlc_op_def TRANSPOSE = {"transpose", transpose_forward, transpose_backward};

rlc_tensor *rlc_transpose(rlc_graph *g, rlc_tensor *x, int axis0, int axis1) {
    rlc_tensor *in[1] = {x};
    if (!rlc__check_inputs(g, "transpose", in, 1)) return NULL;
    int a0 = rlc__axis(x, axis0), a1 = rlc__axis(x, axis1);
    char sx[64];
    if (a0 < 0 || a1 < 0)
        return rlc__graph_fail(g, RLC_ERR_INVALID, "transpose: axes (%d, %d) out of range for %s",
                               axis0, axis1, rlc_shape_str(x, sx, sizeof sx));
    if (a0 > a1) {
        int t = a0;
        a0 = a1;
        a1 = t;
    }
    int shape[RLC_MAX_DIMS];
    for (int i = 0; i < x->ndim; i++) shape[i] = x->shape[i];
    shape[a0] = x->shape[a1];
    shape[a1] = x->shape[a0];
    rlc_node *n = rlc__node_begin(g, &TRANSPOSE, in, 1, x->ndim, shape);
    if (!n) return NULL;
    n->i[0] = a0;
    n->i[1] = a1;
    return rlc__node_end(n);
}
