/* Broadcasting elementwise binary ops (add, sub, mul, div, minimum, maximum). Same-shape,
 * scalar and trailing-broadcast (bias) cases run as plain loops; any other broadcast uses
 * per-element offsets computed once at record time. */
#include "core/graph_impl.h"

enum { OP_ADD, OP_SUB, OP_MUL, OP_DIV, OP_MIN, OP_MAX };
/* Layout modes (n->i[1]). */
enum { M_SAME, M_B_REPEAT, M_A_REPEAT, M_GENERAL };
/* M_B_REPEAT: a has out's shape and b's elements repeat with period nb = b->size (b is a
 * trailing-shape broadcast, or a scalar with nb = 1). M_A_REPEAT: the mirror image. */

#define APPLY(T, op, x, y)                                                                     \
    ((op) == OP_ADD   ? (x) + (y)                                                              \
     : (op) == OP_SUB ? (x) - (y)                                                              \
     : (op) == OP_MUL ? (x) * (y)                                                              \
     : (op) == OP_DIV ? (x) / (y)                                                              \
     : (op) == OP_MIN ? ((y) < (x) ? (y) : (x))                                                \
                      : ((y) > (x) ? (y) : (x)))

/* index of a and b for output element i */
#define IDX_A(i) (mode == M_A_REPEAT ? (i) % na : mode == M_GENERAL ? offa[i] : (i))
#define IDX_B(i) (mode == M_B_REPEAT ? (i) % nb : mode == M_GENERAL ? offb[i] : (i))

#define FWD(T)                                                                                 \
    {                                                                                          \
        const T *a = n->in[0]->data, *b = n->in[1]->data;                                      \
        T *y = n->out->data;                                                                   \
        int64_t size = n->out->size, na = n->in[0]->size, nb = n->in[1]->size;                 \
        const int64_t *offa = n->aux, *offb = n->aux2;                                         \
        if (mode == M_SAME) {                                                                  \
            switch (op) {                                                                      \
            case OP_ADD: for (int64_t i = 0; i < size; i++) y[i] = a[i] + b[i]; break;         \
            case OP_SUB: for (int64_t i = 0; i < size; i++) y[i] = a[i] - b[i]; break;         \
            case OP_MUL: for (int64_t i = 0; i < size; i++) y[i] = a[i] * b[i]; break;         \
            default: for (int64_t i = 0; i < size; i++) y[i] = APPLY(T, op, a[i], b[i]);       \
            }                                                                                  \
        } else if (mode == M_B_REPEAT) {                                                       \
            for (int64_t r = 0; r < size; r += nb) {                                           \
                const T *ar = a + r;                                                           \
                T *yr = y + r;                                                                 \
                switch (op) {                                                                  \
                case OP_ADD: for (int64_t j = 0; j < nb; j++) yr[j] = ar[j] + b[j]; break;     \
                case OP_MUL: for (int64_t j = 0; j < nb; j++) yr[j] = ar[j] * b[j]; break;     \
                default: for (int64_t j = 0; j < nb; j++) yr[j] = APPLY(T, op, ar[j], b[j]);   \
                }                                                                              \
            }                                                                                  \
        } else {                                                                               \
            for (int64_t i = 0; i < size; i++) y[i] = APPLY(T, op, a[IDX_A(i)], b[IDX_B(i)]);  \
        }                                                                                      \
    }

static void bin_forward(rlc_node *n) {
    int op = n->i[0], mode = n->i[1];
    RLC_DISPATCH(n->out->dtype, FWD);
}

#define BWD(T)                                                                                 \
    {                                                                                          \
        const T *a = n->in[0]->data, *b = n->in[1]->data, *dy = n->out->grad;                  \
        T *da = n->in[0]->grad, *db = n->in[1]->grad;                                          \
        int64_t size = n->out->size, na = n->in[0]->size, nb = n->in[1]->size;                 \
        const int64_t *offa = n->aux, *offb = n->aux2;                                         \
        if (mode == M_B_REPEAT && op == OP_ADD) {                                              \
            if (da)                                                                            \
                for (int64_t i = 0; i < size; i++) da[i] += dy[i];                             \
            if (db)                                                                            \
                for (int64_t r = 0; r < size; r += nb)                                         \
                    for (int64_t j = 0; j < nb; j++) db[j] += dy[r + j];                       \
        } else {                                                                               \
            for (int64_t i = 0; i < size; i++) {                                               \
                int64_t ia = IDX_A(i), ib = IDX_B(i);                                          \
                T g = dy[i], x = a[ia], z = b[ib], ga, gb;                                     \
                switch (op) {                                                                  \
                case OP_ADD: ga = g; gb = g; break;                                            \
                case OP_SUB: ga = g; gb = -g; break;                                           \
                case OP_MUL: ga = g * z; gb = g * x; break;                                    \
                case OP_DIV: ga = g / z; gb = -g * x / (z * z); break;                         \
                case OP_MIN: ga = z < x ? 0 : g; gb = z < x ? g : 0; break;                    \
                default: ga = z > x ? 0 : g; gb = z > x ? g : 0; break;                        \
                }                                                                              \
                if (da) da[ia] += ga;                                                          \
                if (db) db[ib] += gb;                                                          \
            }                                                                                  \
        }                                                                                      \
    }

static void bin_backward(rlc_node *n) {
    int op = n->i[0], mode = n->i[1];
    RLC_DISPATCH(n->out->dtype, BWD);
}

static const rlc_op_def DEFS[] = {
    {"add", bin_forward, bin_backward},     {"sub", bin_forward, bin_backward},
    {"mul", bin_forward, bin_backward},     {"div", bin_forward, bin_backward},
    {"minimum", bin_forward, bin_backward}, {"maximum", bin_forward, bin_backward},
};

/* 1 if `small` broadcast to `full`'s shape equals repeating small's elements with period
 * small->size (small's shape is a suffix of full's, up to leading 1s). */
static int is_suffix(const rlc_tensor *small, const rlc_tensor *full) {
    int k = small->ndim;
    while (k > 0 && small->shape[small->ndim - k] == 1) k--; /* drop leading 1s */
    if (k > full->ndim) return 0;
    for (int i = 0; i < k; i++)
        if (small->shape[small->ndim - 1 - i] != full->shape[full->ndim - 1 - i]) return 0;
    return 1;
}

static rlc_tensor *binary(rlc_graph *g, int op, rlc_tensor *a, rlc_tensor *b) {
    rlc_tensor *in[2] = {a, b};
    const rlc_op_def *def = &DEFS[op];
    if (!rlc__check_inputs(g, def->name, in, 2)) return NULL;
    int shape[RLC_MAX_DIMS];
    int nd = rlc__broadcast_shape(a, b, shape);
    char sa[64], sb[64];
    if (nd < 0)
        return rlc__graph_fail(g, RLC_ERR_INVALID, "%s: shapes %s and %s do not broadcast",
                               def->name, rlc_shape_str(a, sa, sizeof sa),
                               rlc_shape_str(b, sb, sizeof sb));
    int64_t size = 1;
    for (int i = 0; i < nd; i++) size *= shape[i];
    int mode;
    if (a->size == size && b->size == size)
        mode = M_SAME;
    else if (a->size == size && is_suffix(b, a))
        mode = M_B_REPEAT;
    else if (b->size == size && is_suffix(a, b))
        mode = M_A_REPEAT;
    else
        mode = M_GENERAL;
    rlc_node *n = rlc__node_begin(g, def, in, 2, nd, shape);
    if (!n) return NULL;
    n->i[0] = op;
    n->i[1] = mode;
    if (mode == M_GENERAL && size > 0) {
        int64_t *offa = rlc__arena_alloc(g, (size_t)size * sizeof(int64_t));
        int64_t *offb = rlc__arena_alloc(g, (size_t)size * sizeof(int64_t));
        if (!offa || !offb) return NULL;
        int64_t stra[RLC_MAX_DIMS], strb[RLC_MAX_DIMS];
        rlc__broadcast_strides(a, nd, shape, stra);
        rlc__broadcast_strides(b, nd, shape, strb);
        int idx[RLC_MAX_DIMS] = {0};
        int64_t oa = 0, ob = 0;
        for (int64_t i = 0; i < size; i++) {
            offa[i] = oa;
            offb[i] = ob;
            for (int d = nd - 1; d >= 0; d--) {
                idx[d]++;
                oa += stra[d];
                ob += strb[d];
                if (idx[d] < shape[d]) break;
                oa -= stra[d] * shape[d];
                ob -= strb[d] * shape[d];
                idx[d] = 0;
            }
        }
        n->aux = offa;
        n->aux2 = offb;
    }
    return rlc__node_end(n);
}

rlc_tensor *rlc_add(rlc_graph *g, rlc_tensor *a, rlc_tensor *b) {
    return binary(g, OP_ADD, a, b);
}
rlc_tensor *rlc_sub(rlc_graph *g, rlc_tensor *a, rlc_tensor *b) {
    return binary(g, OP_SUB, a, b);
}
rlc_tensor *rlc_mul(rlc_graph *g, rlc_tensor *a, rlc_tensor *b) {
    return binary(g, OP_MUL, a, b);
}
rlc_tensor *rlc_div(rlc_graph *g, rlc_tensor *a, rlc_tensor *b) {
    return binary(g, OP_DIV, a, b);
}
rlc_tensor *rlc_minimum(rlc_graph *g, rlc_tensor *a, rlc_tensor *b) {
    return binary(g, OP_MIN, a, b);
}
rlc_tensor *rlc_maximum(rlc_graph *g, rlc_tensor *a, rlc_tensor *b) {
    return binary(g, OP_MAX, a, b);
}
