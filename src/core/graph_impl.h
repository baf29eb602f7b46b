/* Internals of the autodiff graph shared by graph.c and the op_*.c files: the node layout, the
 * arena allocator and the helpers every op uses to record itself. */
#ifndef RLC_GRAPH_IMPL_H
#define RLC_GRAPH_IMPL_H

#include "rlc/graph.h"

typedef struct rlc_node rlc_node;

/* forward computes n->out from n->in; backward adds d(out)/d(in_i) * out->grad into every
 * n->in[i]->grad that is not NULL. Both must not allocate. */
typedef struct rlc_op_def {
    const char *name;
    void (*forward)(rlc_node *n);
    void (*backward)(rlc_node *n);
} rlc_op_def;

#define RLC_NODE_MAX_IN 4

struct rlc_node {
    const rlc_op_def *def;
    rlc_tensor *out;
    rlc_tensor *in[RLC_NODE_MAX_IN];
    int nin;
    double f[4];     /* scalar parameters of the op */
    int i[8];        /* integer parameters of the op */
    void *aux;       /* scratch allocated from the arena at record time */
    void *aux2;
    rlc_graph *graph;
};

typedef struct rlc_arena_chunk {
    struct rlc_arena_chunk *next;
    size_t cap, used;
    /* followed by the memory */
} rlc_arena_chunk;

struct rlc_graph {
    rlc_dtype dtype;
    int flags;
    int training;
    rlc_status status;
    char error[256];
    rlc_arena_chunk *chunks;
    size_t bytes;
    rlc_node **nodes;
    int nnodes, cap_nodes;
    /* Tensors whose grad lives in the arena: zeroed at the start of each backward. */
    rlc_tensor **owned_grads;
    int nowned, cap_owned;
    /* Nodes the last backward's loss depends on (recomputed when the loss changes). */
    unsigned char *needed;
    const rlc_tensor *needed_for;
    int needed_n;
};

/* Arena: 64-byte aligned, zeroed memory that lives as long as the graph. NULL (and sticky
 * error) on failure. */
void *rlc__arena_alloc(rlc_graph *g, size_t bytes);
/* Records the first error of the graph (also into rlc_last_error). Returns NULL for tail calls. */
void *rlc__graph_fail(rlc_graph *g, rlc_status code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
/* Checks that the graph is healthy and that every input is non-NULL and belongs to g.
 * Returns 0 (and records an error) otherwise. `op` names the op in messages. */
int rlc__check_inputs(rlc_graph *g, const char *op, rlc_tensor *const *in, int nin);
/* Appends a node producing a new tensor of `shape`. The output gets a gradient buffer when any
 * input has one (and the graph is not NO_GRAD). Runs the forward once so recorded values are
 * immediately valid. Returns the node (NULL on failure) so the caller can set parameters
 * BEFORE the first forward: use rlc__node_begin / rlc__node_end for that. */
rlc_node *rlc__node_begin(rlc_graph *g, const rlc_op_def *def, rlc_tensor *const *in, int nin,
                          int ndim, const int *shape);
rlc_tensor *rlc__node_end(rlc_node *n);
/* Like node_begin but the output never gets a gradient (one_hot, stop_gradient). */
rlc_node *rlc__node_begin_nograd(rlc_graph *g, const rlc_op_def *def, rlc_tensor *const *in,
                                 int nin, int ndim, const int *shape);
/* Allocates a tensor in the arena (data zeroed); with_grad allocates a gradient too. */
rlc_tensor *rlc__tensor_new(rlc_graph *g, int ndim, const int *shape, int with_grad);
/* Size in bytes of one element of dtype. */
static inline size_t rlc__dtype_size(rlc_dtype d) {
    return d == RLC_F64 ? sizeof(double) : sizeof(float);
}
int rlc__same_shape(const rlc_tensor *a, const rlc_tensor *b);
/* Normalises a possibly negative axis; -1 if out of range. */
int rlc__axis(const rlc_tensor *t, int axis);
/* Splits shape around `axis`: outer = prod(shape[:axis]), n = shape[axis], inner = rest. */
void rlc__split_axis(const rlc_tensor *t, int axis, int64_t *outer, int64_t *n, int64_t *inner);

/* Broadcasting: computes the NumPy broadcast shape of a and b into out (ndim returned), or -1
 * if incompatible. */
int rlc__broadcast_shape(const rlc_tensor *a, const rlc_tensor *b, int *out);
/* Element strides of `t` viewed in the broadcast shape (0 on broadcast dims). */
void rlc__broadcast_strides(const rlc_tensor *t, int ndim, const int *shape, int64_t *strides);

/* Fused dense layer act(x W^T + b) (op_linear.c): x [R, in], w [out, in] (PyTorch layout), b [out]
 * or NULL, act one of RLC__LIN_*. Same values and gradients, bit for bit, as
 * matmul(x, w, 0, 1) -> add(b) -> relu/tanh, in one node. */
enum { RLC__LIN_NONE, RLC__LIN_RELU, RLC__LIN_TANH };
rlc_tensor *rlc__linear_act(rlc_graph *g, rlc_tensor *x, rlc_tensor *w, rlc_tensor *b, int act);

/* Dtype dispatch for kernels written once as a macro body in a type T:
 *   RLC_DISPATCH(n->out->dtype, KERNEL_BODY)  with  #define KERNEL_BODY(T) { ... }  */
#define RLC_DISPATCH(dtype, BODY)                                                              \
    do {                                                                                       \
        if ((dtype) == RLC_F32) {                                                              \
            BODY(float)                                                                        \
        } else {                                                                               \
            BODY(double)                                                                       \
        }                                                                                      \
    } while (0)

#endif
