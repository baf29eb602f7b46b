/* The autodiff graph: arena, recording of nodes, forward replay and the reverse tape walk. The
 * ops themselves live in op_*.c, each with its forward and backward side by side. */
#include "core/graph_impl.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define CHUNK_MIN (1u << 20)
#define ALIGN 64

rlc_graph *rlc_graph_create(rlc_dtype dtype, int flags) {
    if (dtype != RLC_F32 && dtype != RLC_F64) {
        rlc_error(RLC_ERR_INVALID, "rlc_graph_create: unknown dtype %d", (int)dtype);
        return NULL;
    }
    rlc_graph *g = rlc_calloc(1, sizeof *g);
    if (!g) return NULL;
    g->dtype = dtype;
    g->flags = flags;
    g->training = 1;
    return g;
}

void rlc_graph_destroy(rlc_graph *g) {
    if (!g) return;
    rlc_arena_chunk *c = g->chunks;
    while (c) {
        rlc_arena_chunk *next = c->next;
        rlc_free(c);
        c = next;
    }
    rlc_free(g->nodes);
    rlc_free(g->owned_grads);
    rlc_free(g->needed);
    rlc_free(g);
}

rlc_status rlc_graph_status(const rlc_graph *g) {
    return g ? g->status : RLC_ERR_INVALID;
}

const char *rlc_graph_error(const rlc_graph *g) {
    return g ? g->error : "NULL graph";
}

rlc_dtype rlc_graph_dtype(const rlc_graph *g) {
    return g->dtype;
}

int rlc_graph_num_nodes(const rlc_graph *g) {
    return g->nnodes;
}

size_t rlc_graph_arena_bytes(const rlc_graph *g) {
    return g->bytes;
}

void rlc_graph_set_training(rlc_graph *g, int training) {
    g->training = training != 0;
}

void *rlc__graph_fail(rlc_graph *g, rlc_status code, const char *fmt, ...) {
    if (g->status == RLC_OK) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(g->error, sizeof g->error, fmt, ap);
        va_end(ap);
        g->status = code;
        rlc_error(code, "%s", g->error);
    }
    return NULL;
}

void *rlc__arena_alloc(rlc_graph *g, size_t bytes) {
    if (g->status != RLC_OK) return NULL;
    size_t need = (bytes + ALIGN - 1) / ALIGN * ALIGN;
    rlc_arena_chunk *c = g->chunks;
    if (!c || c->cap - c->used < need) {
        size_t cap = need > CHUNK_MIN ? need : CHUNK_MIN;
        size_t hdr = (sizeof(rlc_arena_chunk) + ALIGN - 1) / ALIGN * ALIGN;
        /* rlc_malloc returns 16-byte aligned memory: over-allocate to align the payload. */
        c = rlc_malloc(hdr + cap + ALIGN);
        if (!c) return rlc__graph_fail(g, RLC_ERR_NOMEM, "graph arena: out of memory (%zu bytes)", cap);
        c->cap = cap;
        c->used = 0;
        c->next = g->chunks;
        g->chunks = c;
    }
    unsigned char *base = (unsigned char *)c + sizeof(rlc_arena_chunk);
    uintptr_t aligned = ((uintptr_t)base + ALIGN - 1) & ~(uintptr_t)(ALIGN - 1);
    unsigned char *p = (unsigned char *)aligned + c->used;
    c->used += need;
    g->bytes += need;
    memset(p, 0, need);
    return p;
}

static int push_owned_grad(rlc_graph *g, rlc_tensor *t) {
    if (g->nowned == g->cap_owned) {
        int cap = g->cap_owned ? 2 * g->cap_owned : 64;
        rlc_tensor **p = rlc_realloc(g->owned_grads, (size_t)cap * sizeof *p);
        if (!p) {
            rlc__graph_fail(g, RLC_ERR_NOMEM, "graph: out of memory");
            return 0;
        }
        g->owned_grads = p;
        g->cap_owned = cap;
    }
    g->owned_grads[g->nowned++] = t;
    return 1;
}

static int check_shape(rlc_graph *g, int ndim, const int *shape, int64_t *size) {
    if (ndim < 0 || ndim > RLC_MAX_DIMS) {
        rlc__graph_fail(g, RLC_ERR_INVALID, "tensor rank %d outside 0..%d", ndim, RLC_MAX_DIMS);
        return 0;
    }
    int64_t n = 1;
    for (int i = 0; i < ndim; i++) {
        if (shape[i] < 0) {
            rlc__graph_fail(g, RLC_ERR_INVALID, "negative dimension %d at axis %d", shape[i], i);
            return 0;
        }
        if (shape[i] && n > ((int64_t)1 << 40) / shape[i]) {
            rlc__graph_fail(g, RLC_ERR_RANGE, "tensor too large");
            return 0;
        }
        n *= shape[i];
    }
    *size = n;
    return 1;
}

rlc_tensor *rlc__tensor_new(rlc_graph *g, int ndim, const int *shape, int with_grad) {
    int64_t size;
    if (!g || g->status != RLC_OK || !check_shape(g, ndim, shape, &size)) return NULL;
    rlc_tensor *t = rlc__arena_alloc(g, sizeof *t);
    if (!t) return NULL;
    size_t es = rlc__dtype_size(g->dtype);
    t->data = rlc__arena_alloc(g, (size_t)size * es + 1);
    if (!t->data) return NULL;
    if (with_grad) {
        t->grad = rlc__arena_alloc(g, (size_t)size * es + 1);
        if (!t->grad || !push_owned_grad(g, t)) return NULL;
    }
    t->size = size;
    t->ndim = ndim;
    for (int i = 0; i < ndim; i++) t->shape[i] = shape[i];
    t->dtype = g->dtype;
    t->node = -1;
    t->graph = g;
    return t;
}

rlc_tensor *rlc_input(rlc_graph *g, int ndim, const int *shape) {
    if (!g) return NULL;
    return rlc__tensor_new(g, ndim, shape, 0);
}

rlc_tensor *rlc_input_grad(rlc_graph *g, int ndim, const int *shape) {
    if (!g) return NULL;
    if (g->flags & RLC_GRAPH_NO_GRAD)
        return rlc__graph_fail(g, RLC_ERR_INVALID, "rlc_input_grad on a forward-only graph");
    return rlc__tensor_new(g, ndim, shape, 1);
}

rlc_tensor *rlc_param(rlc_graph *g, void *data, void *grad, int ndim, const int *shape) {
    int64_t size;
    if (!g || g->status != RLC_OK || !check_shape(g, ndim, shape, &size)) return NULL;
    if (!data) return rlc__graph_fail(g, RLC_ERR_INVALID, "rlc_param: NULL data");
    rlc_tensor *t = rlc__arena_alloc(g, sizeof *t);
    if (!t) return NULL;
    t->data = data;
    t->grad = (g->flags & RLC_GRAPH_NO_GRAD) ? NULL : grad;
    t->size = size;
    t->ndim = ndim;
    for (int i = 0; i < ndim; i++) t->shape[i] = shape[i];
    t->dtype = g->dtype;
    t->node = -1;
    t->graph = g;
    return t;
}

rlc_tensor *rlc_full(rlc_graph *g, int ndim, const int *shape, double value) {
    rlc_tensor *t = rlc_input(g, ndim, shape);
    if (t)
        for (int64_t i = 0; i < t->size; i++) rlc_tensor_set(t, i, value);
    return t;
}

int rlc__check_inputs(rlc_graph *g, const char *op, rlc_tensor *const *in, int nin) {
    if (!g) return 0;
    if (g->status != RLC_OK) return 0;
    for (int i = 0; i < nin; i++) {
        if (!in[i]) {
            rlc__graph_fail(g, RLC_ERR_INVALID, "%s: input %d is NULL", op, i);
            return 0;
        }
        if (in[i]->graph != g) {
            rlc__graph_fail(g, RLC_ERR_INVALID, "%s: input %d belongs to another graph", op, i);
            return 0;
        }
    }
    return 1;
}

static rlc_node *node_begin(rlc_graph *g, const rlc_op_def *def, rlc_tensor *const *in, int nin,
                            int ndim, const int *shape, int allow_grad) {
    if (!rlc__check_inputs(g, def->name, in, nin)) return NULL;
    if (nin > RLC_NODE_MAX_IN)
        return rlc__graph_fail(g, RLC_ERR_INVALID, "%s: too many inputs", def->name);
    int grad = 0;
    if (allow_grad && !(g->flags & RLC_GRAPH_NO_GRAD))
        for (int i = 0; i < nin; i++) grad |= in[i]->grad != NULL;
    rlc_tensor *out = rlc__tensor_new(g, ndim, shape, grad);
    if (!out) return NULL;
    rlc_node *n = rlc__arena_alloc(g, sizeof *n);
    if (!n) return NULL;
    if (g->nnodes == g->cap_nodes) {
        int cap = g->cap_nodes ? 2 * g->cap_nodes : 64;
        rlc_node **p = rlc_realloc(g->nodes, (size_t)cap * sizeof *p);
        if (!p) return rlc__graph_fail(g, RLC_ERR_NOMEM, "graph: out of memory");
        g->nodes = p;
        g->cap_nodes = cap;
    }
    n->def = def;
    n->out = out;
    n->nin = nin;
    for (int i = 0; i < nin; i++) n->in[i] = in[i];
    n->graph = g;
    out->node = g->nnodes;
    g->nodes[g->nnodes++] = n;
    return n;
}

rlc_node *rlc__node_begin(rlc_graph *g, const rlc_op_def *def, rlc_tensor *const *in, int nin,
                          int ndim, const int *shape) {
    return node_begin(g, def, in, nin, ndim, shape, 1);
}

rlc_node *rlc__node_begin_nograd(rlc_graph *g, const rlc_op_def *def, rlc_tensor *const *in,
                                 int nin, int ndim, const int *shape) {
    return node_begin(g, def, in, nin, ndim, shape, 0);
}

rlc_tensor *rlc__node_end(rlc_node *n) {
    if (!n || n->graph->status != RLC_OK) return NULL;
    n->def->forward(n);
    return n->out;
}

rlc_status rlc_graph_forward(rlc_graph *g) {
    if (!g) return rlc_error(RLC_ERR_INVALID, "rlc_graph_forward: NULL graph");
    if (g->status != RLC_OK)
        return rlc_error(g->status, "graph was not recorded correctly: %s", g->error);
    for (int i = 0; i < g->nnodes; i++) g->nodes[i]->def->forward(g->nodes[i]);
    return RLC_OK;
}

rlc_status rlc_graph_forward_to(rlc_graph *g, const rlc_tensor *t) {
    if (!g || !t) return rlc_error(RLC_ERR_INVALID, "rlc_graph_forward_to: NULL argument");
    if (g->status != RLC_OK)
        return rlc_error(g->status, "graph was not recorded correctly: %s", g->error);
    if (t->graph != g) return rlc_error(RLC_ERR_INVALID, "forward_to: tensor of another graph");
    for (int i = 0; i <= t->node; i++) g->nodes[i]->def->forward(g->nodes[i]);
    return RLC_OK;
}

static rlc_status mark_needed(rlc_graph *g, const rlc_tensor *out) {
    if (g->needed_for == out && g->needed_n == g->nnodes) return RLC_OK;
    if (g->needed_n < g->nnodes || !g->needed) {
        unsigned char *p = rlc_realloc(g->needed, (size_t)g->nnodes + 1);
        if (!p) return RLC_ERR_NOMEM;
        g->needed = p;
    }
    memset(g->needed, 0, (size_t)g->nnodes + 1);
    if (out->node >= 0) g->needed[out->node] = 1;
    for (int i = out->node; i >= 0; i--) {
        if (!g->needed[i]) continue;
        rlc_node *n = g->nodes[i];
        for (int k = 0; k < n->nin; k++)
            if (n->in[k]->node >= 0) g->needed[n->in[k]->node] = 1;
    }
    g->needed_for = out;
    g->needed_n = g->nnodes;
    return RLC_OK;
}

rlc_status rlc_graph_backward_seed(rlc_graph *g, rlc_tensor *out, const void *seed) {
    if (!g || !out) return rlc_error(RLC_ERR_INVALID, "rlc_graph_backward: NULL argument");
    if (g->status != RLC_OK)
        return rlc_error(g->status, "graph was not recorded correctly: %s", g->error);
    if (g->flags & RLC_GRAPH_NO_GRAD)
        return rlc_error(RLC_ERR_STATE, "backward on a forward-only graph");
    if (out->graph != g) return rlc_error(RLC_ERR_INVALID, "backward: tensor of another graph");
    if (!out->grad)
        return rlc_error(RLC_ERR_INVALID, "backward: the output does not depend on any tensor "
                                          "with a gradient");
    if (mark_needed(g, out) != RLC_OK) return RLC_ERR_NOMEM;
    size_t es = rlc__dtype_size(g->dtype);
    for (int i = 0; i < g->nowned; i++) {
        rlc_tensor *t = g->owned_grads[i];
        if (t->node < 0 || t->node <= out->node) memset(t->grad, 0, (size_t)t->size * es);
    }
    memcpy(out->grad, seed, (size_t)out->size * es);
    for (int i = out->node; i >= 0; i--) {
        rlc_node *n = g->nodes[i];
        if (g->needed[i] && n->out->grad) n->def->backward(n);
    }
    return RLC_OK;
}

rlc_status rlc_graph_backward(rlc_graph *g, rlc_tensor *loss) {
    if (!g || !loss) return rlc_error(RLC_ERR_INVALID, "rlc_graph_backward: NULL argument");
    if (loss->size != 1)
        return rlc_error(RLC_ERR_INVALID, "backward: loss must have one element, has %lld",
                         (long long)loss->size);
    double one64 = 1.0;
    float one32 = 1.0f;
    return rlc_graph_backward_seed(g, loss, g->dtype == RLC_F64 ? (void *)&one64 : (void *)&one32);
}

double rlc_tensor_get(const rlc_tensor *t, int64_t i) {
    return t->dtype == RLC_F64 ? ((const double *)t->data)[i] : ((const float *)t->data)[i];
}

void rlc_tensor_set(rlc_tensor *t, int64_t i, double v) {
    if (t->dtype == RLC_F64)
        ((double *)t->data)[i] = v;
    else
        ((float *)t->data)[i] = (float)v;
}

double rlc_tensor_grad_get(const rlc_tensor *t, int64_t i) {
    if (!t->grad) return 0.0;
    return t->dtype == RLC_F64 ? ((const double *)t->grad)[i] : ((const float *)t->grad)[i];
}

void rlc_tensor_load_f32(rlc_tensor *t, const float *src, int64_t n) {
    if (t->dtype == RLC_F32) {
        memcpy(t->data, src, (size_t)n * sizeof(float));
    } else {
        double *d = t->data;
        for (int64_t i = 0; i < n; i++) d[i] = src[i];
    }
}

void rlc_tensor_store_f32(const rlc_tensor *t, float *dst, int64_t n) {
    if (t->dtype == RLC_F32) {
        memcpy(dst, t->data, (size_t)n * sizeof(float));
    } else {
        const double *d = t->data;
        for (int64_t i = 0; i < n; i++) dst[i] = (float)d[i];
    }
}

const char *rlc_shape_str(const rlc_tensor *t, char *buf, size_t cap) {
    size_t off = 0;
    off += (size_t)snprintf(buf + off, cap - off, "[");
    for (int i = 0; i < t->ndim && off < cap; i++)
        off += (size_t)snprintf(buf + off, cap - off, i ? ", %d" : "%d", t->shape[i]);
    if (off < cap) snprintf(buf + off, cap - off, "]");
    return buf;
}

int rlc__same_shape(const rlc_tensor *a, const rlc_tensor *b) {
    if (a->ndim != b->ndim) return 0;
    for (int i = 0; i < a->ndim; i++)
        if (a->shape[i] != b->shape[i]) return 0;
    return 1;
}

int rlc__axis(const rlc_tensor *t, int axis) {
    if (axis < 0) axis += t->ndim;
    return axis >= 0 && axis < t->ndim ? axis : -1;
}

void rlc__split_axis(const rlc_tensor *t, int axis, int64_t *outer, int64_t *n, int64_t *inner) {
    int64_t o = 1, in = 1;
    for (int i = 0; i < axis; i++) o *= t->shape[i];
    for (int i = axis + 1; i < t->ndim; i++) in *= t->shape[i];
    *outer = o;
    *n = t->shape[axis];
    *inner = in;
}

int rlc__broadcast_shape(const rlc_tensor *a, const rlc_tensor *b, int *out) {
    int nd = a->ndim > b->ndim ? a->ndim : b->ndim;
    for (int i = 0; i < nd; i++) {
        int ia = i - (nd - a->ndim), ib = i - (nd - b->ndim);
        int da = ia >= 0 ? a->shape[ia] : 1, db = ib >= 0 ? b->shape[ib] : 1;
        if (da != db && da != 1 && db != 1) return -1;
        out[i] = da == 1 ? db : da;
    }
    return nd;
}

void rlc__broadcast_strides(const rlc_tensor *t, int ndim, const int *shape, int64_t *strides) {
    int64_t s = 1;
    for (int i = ndim - 1; i >= 0; i--) {
        int it = i - (ndim - t->ndim);
        int d = it >= 0 ? t->shape[it] : 1;
        strides[i] = (d == 1 && shape[i] != 1) ? 0 : s;
        if (it >= 0) s *= d;
    }
}
