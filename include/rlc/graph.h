/* Tensors and reverse-mode autodiff. A graph is recorded once (each op call appends a node and
 * allocates its output in the graph's arena), then rerun as often as needed: fill the inputs,
 * rlc_graph_forward(), rlc_graph_backward(loss). Reruns allocate nothing. Parameters live
 * outside the graph (flat blocks, see nn.h) and enter it as views through rlc_param().
 *
 * Errors while recording are sticky: an op given a NULL input, incompatible shapes, or failing
 * to allocate returns NULL and records the first error in the graph; check once with
 * rlc_graph_status() after recording. */
#ifndef RLC_GRAPH_H
#define RLC_GRAPH_H

#include "rlc/core.h"
#include "rlc/rng.h"

#ifdef __cplusplus
extern "C" {
#endif

#define RLC_MAX_DIMS 6

typedef enum rlc_dtype { RLC_F32 = 0, RLC_F64 = 1 } rlc_dtype;

typedef struct rlc_graph rlc_graph;

/* A dense row-major tensor. data/grad point into the graph arena or, for parameters, into the
 * caller's blocks. grad is NULL when no gradient flows to the tensor. Fields are read-only
 * for users except the contents of data (inputs) and grad. */
typedef struct rlc_tensor {
    void *data;
    void *grad;
    int64_t size; /* number of elements */
    int ndim;
    int shape[RLC_MAX_DIMS];
    rlc_dtype dtype;
    int node; /* index of the producing node, -1 for leaves */
    rlc_graph *graph;
} rlc_tensor;

/* Graph flags. */
enum {
    RLC_GRAPH_NO_GRAD = 1 /* forward-only (acting): no gradient buffers, backward refused */
};

/* Creates an empty graph whose tensors all have `dtype`. NULL on allocation failure. */
RLC_API rlc_graph *rlc_graph_create(rlc_dtype dtype, int flags);
/* Frees the graph, its arena and every tensor it made. Accepts NULL. */
RLC_API void rlc_graph_destroy(rlc_graph *g);
/* RLC_OK, or the first error met while recording (message in rlc_last_error() at that time;
 * rlc_graph_error() keeps a copy). */
RLC_API rlc_status rlc_graph_status(const rlc_graph *g);
RLC_API const char *rlc_graph_error(const rlc_graph *g);
RLC_API rlc_dtype rlc_graph_dtype(const rlc_graph *g);
RLC_API int rlc_graph_num_nodes(const rlc_graph *g);
/* Bytes of arena memory in use (data, gradients, scratch). */
RLC_API size_t rlc_graph_arena_bytes(const rlc_graph *g);
/* Training flag (dropout is active only in training mode). Default 1. */
RLC_API void rlc_graph_set_training(rlc_graph *g, int training);

/* Leaves. */
/* An input the caller fills before forward (zero-initialised). No gradient. */
RLC_API rlc_tensor *rlc_input(rlc_graph *g, int ndim, const int *shape);
/* An input that also receives a gradient (for gradient checks and input-gradient methods). */
RLC_API rlc_tensor *rlc_input_grad(rlc_graph *g, int ndim, const int *shape);
/* A view of caller memory: `data` (and `grad` if not NULL, accumulated with +=) must hold
 * prod(shape) elements of the graph's dtype and outlive the graph. */
RLC_API rlc_tensor *rlc_param(rlc_graph *g, void *data, void *grad, int ndim, const int *shape);
/* A constant filled with `value`. */
RLC_API rlc_tensor *rlc_full(rlc_graph *g, int ndim, const int *shape, double value);

/* Running. */
/* Recomputes every node in recording order. */
RLC_API rlc_status rlc_graph_forward(rlc_graph *g);
/* Recomputes the nodes up to and including the one that produced `t`. */
RLC_API rlc_status rlc_graph_forward_to(rlc_graph *g, const rlc_tensor *t);
/* Zeroes the gradients of the graph's own tensors, seeds d(loss)/d(loss) = 1 (loss must have
 * one element; use rlc_graph_backward_seed for others), and accumulates gradients into every
 * tensor with a grad buffer, parameters included (+=; zero parameter grads yourself). Only the
 * nodes that `loss` depends on are walked. */
RLC_API rlc_status rlc_graph_backward(rlc_graph *g, rlc_tensor *loss);
/* Same, with the output gradient taken from `seed` (loss->size elements). */
RLC_API rlc_status rlc_graph_backward_seed(rlc_graph *g, rlc_tensor *out, const void *seed);

/* Element access helpers (index into the flat data, any dtype). */
RLC_API double rlc_tensor_get(const rlc_tensor *t, int64_t i);
RLC_API void rlc_tensor_set(rlc_tensor *t, int64_t i, double v);
RLC_API double rlc_tensor_grad_get(const rlc_tensor *t, int64_t i);
/* Copies n floats into / out of the tensor, converting to the graph dtype. */
RLC_API void rlc_tensor_load_f32(rlc_tensor *t, const float *src, int64_t n);
RLC_API void rlc_tensor_store_f32(const rlc_tensor *t, float *dst, int64_t n);
/* Writes "[2, 3]" into buf. */
RLC_API const char *rlc_shape_str(const rlc_tensor *t, char *buf, size_t cap);

/* ---- Ops. Each returns a new tensor or NULL (sticky error). Shapes follow NumPy. ---- */

/* Matrix product of the last two dims: op(a) @ op(b), op = transpose when ta/tb. Leading dims
 * of a and b must match, or b may be 2-D (shared weight), or a may be 2-D. */
RLC_API rlc_tensor *rlc_matmul(rlc_graph *g, rlc_tensor *a, rlc_tensor *b, int ta, int tb);
/* Broadcasting elementwise binary ops. */
RLC_API rlc_tensor *rlc_add(rlc_graph *g, rlc_tensor *a, rlc_tensor *b);
RLC_API rlc_tensor *rlc_sub(rlc_graph *g, rlc_tensor *a, rlc_tensor *b);
RLC_API rlc_tensor *rlc_mul(rlc_graph *g, rlc_tensor *a, rlc_tensor *b);
RLC_API rlc_tensor *rlc_div(rlc_graph *g, rlc_tensor *a, rlc_tensor *b);
RLC_API rlc_tensor *rlc_minimum(rlc_graph *g, rlc_tensor *a, rlc_tensor *b);
RLC_API rlc_tensor *rlc_maximum(rlc_graph *g, rlc_tensor *a, rlc_tensor *b);
/* Scalar ops: x + s, x * s, s - x (rsub), s / x (rdiv), x ** p. */
RLC_API rlc_tensor *rlc_add_scalar(rlc_graph *g, rlc_tensor *x, double s);
RLC_API rlc_tensor *rlc_mul_scalar(rlc_graph *g, rlc_tensor *x, double s);
RLC_API rlc_tensor *rlc_rsub_scalar(rlc_graph *g, rlc_tensor *x, double s);
RLC_API rlc_tensor *rlc_rdiv_scalar(rlc_graph *g, rlc_tensor *x, double s);
RLC_API rlc_tensor *rlc_pow_scalar(rlc_graph *g, rlc_tensor *x, double p);
RLC_API rlc_tensor *rlc_neg(rlc_graph *g, rlc_tensor *x);

/* Unary elementwise. */
RLC_API rlc_tensor *rlc_relu(rlc_graph *g, rlc_tensor *x);
RLC_API rlc_tensor *rlc_leaky_relu(rlc_graph *g, rlc_tensor *x, double slope);
RLC_API rlc_tensor *rlc_elu(rlc_graph *g, rlc_tensor *x, double alpha);
RLC_API rlc_tensor *rlc_gelu(rlc_graph *g, rlc_tensor *x); /* tanh approximation */
RLC_API rlc_tensor *rlc_tanh(rlc_graph *g, rlc_tensor *x);
RLC_API rlc_tensor *rlc_sigmoid(rlc_graph *g, rlc_tensor *x);
RLC_API rlc_tensor *rlc_softplus(rlc_graph *g, rlc_tensor *x);
RLC_API rlc_tensor *rlc_exp(rlc_graph *g, rlc_tensor *x);
RLC_API rlc_tensor *rlc_log(rlc_graph *g, rlc_tensor *x);
RLC_API rlc_tensor *rlc_sqrt(rlc_graph *g, rlc_tensor *x);
RLC_API rlc_tensor *rlc_square(rlc_graph *g, rlc_tensor *x);
RLC_API rlc_tensor *rlc_abs(rlc_graph *g, rlc_tensor *x);
/* clamp(x, lo, hi); the gradient passes where lo < x < hi (straight zero outside). */
RLC_API rlc_tensor *rlc_clamp(rlc_graph *g, rlc_tensor *x, double lo, double hi);

/* Reductions along `axis` (negative counts from the end); keepdim keeps a size-1 axis.
 * rlc_sum_all/rlc_mean_all reduce to one element (shape [1]). max/min pass the gradient to the
 * first maximal/minimal element. */
RLC_API rlc_tensor *rlc_sum(rlc_graph *g, rlc_tensor *x, int axis, int keepdim);
RLC_API rlc_tensor *rlc_mean(rlc_graph *g, rlc_tensor *x, int axis, int keepdim);
RLC_API rlc_tensor *rlc_max(rlc_graph *g, rlc_tensor *x, int axis, int keepdim);
RLC_API rlc_tensor *rlc_min(rlc_graph *g, rlc_tensor *x, int axis, int keepdim);
RLC_API rlc_tensor *rlc_sum_all(rlc_graph *g, rlc_tensor *x);
RLC_API rlc_tensor *rlc_mean_all(rlc_graph *g, rlc_tensor *x);
/* Along the last axis. */
RLC_API rlc_tensor *rlc_softmax(rlc_graph *g, rlc_tensor *x);
RLC_API rlc_tensor *rlc_log_softmax(rlc_graph *g, rlc_tensor *x);
RLC_API rlc_tensor *rlc_logsumexp(rlc_graph *g, rlc_tensor *x, int keepdim);

/* Indexing. idx is an input tensor holding integer values (stored in the graph dtype).
 * gather: out[..., j] = x[..., idx[..., j]] along the last axis (idx has x's leading dims).
 * scatter_add: out = zeros(shape) with out[..., idx[..., j]] += src[..., j] (last axis, n). */
RLC_API rlc_tensor *rlc_gather(rlc_graph *g, rlc_tensor *x, rlc_tensor *idx);
RLC_API rlc_tensor *rlc_scatter_add(rlc_graph *g, rlc_tensor *src, rlc_tensor *idx, int n);
/* one_hot(idx, n): idx shape [...] -> [..., n]; no gradient. */
RLC_API rlc_tensor *rlc_one_hot(rlc_graph *g, rlc_tensor *idx, int n);

/* Shape ops. */
RLC_API rlc_tensor *rlc_concat(rlc_graph *g, rlc_tensor *const *xs, int n, int axis);
/* Elements [start, start+len) along axis. */
RLC_API rlc_tensor *rlc_slice(rlc_graph *g, rlc_tensor *x, int axis, int start, int len);
/* New shape with the same number of elements; one dim may be -1. Shares no memory (copy). */
RLC_API rlc_tensor *rlc_reshape(rlc_graph *g, rlc_tensor *x, int ndim, const int *shape);
/* Swaps two axes. */
RLC_API rlc_tensor *rlc_transpose(rlc_graph *g, rlc_tensor *x, int axis0, int axis1);

/* Normalisation and regularisation. layer_norm over the last axis; gamma/beta of shape [D]
 * or both NULL (no affine). dropout(p) scales kept units by 1/(1-p) in training mode and is
 * the identity otherwise; the mask stream comes from `seed`. */
RLC_API rlc_tensor *rlc_layer_norm(rlc_graph *g, rlc_tensor *x, rlc_tensor *gamma,
                                   rlc_tensor *beta, double eps);
RLC_API rlc_tensor *rlc_dropout(rlc_graph *g, rlc_tensor *x, double p, uint64_t seed);
/* Forward copy; no gradient flows back through it. */
RLC_API rlc_tensor *rlc_stop_gradient(rlc_graph *g, rlc_tensor *x);
/* where(cond, a, b): cond != 0 picks a; broadcasting; no gradient to cond. */
RLC_API rlc_tensor *rlc_where(rlc_graph *g, rlc_tensor *cond, rlc_tensor *a, rlc_tensor *b);

/* Losses (mean over all elements unless said). */
RLC_API rlc_tensor *rlc_mse(rlc_graph *g, rlc_tensor *pred, rlc_tensor *target);
RLC_API rlc_tensor *rlc_huber(rlc_graph *g, rlc_tensor *pred, rlc_tensor *target, double delta);
/* Mean cross-entropy of logits [B, C] against integer labels [B]. */
RLC_API rlc_tensor *rlc_cross_entropy(rlc_graph *g, rlc_tensor *logits, rlc_tensor *labels);

/* Distributions (per row, last axis = event dims). Outputs have the leading shape [...]. */
RLC_API rlc_tensor *rlc_gaussian_log_prob(rlc_graph *g, rlc_tensor *x, rlc_tensor *mean,
                                          rlc_tensor *log_std);
RLC_API rlc_tensor *rlc_gaussian_entropy(rlc_graph *g, rlc_tensor *log_std);
/* log p(idx) and entropy of a categorical given logits [..., C]; idx [...]. */
RLC_API rlc_tensor *rlc_categorical_log_prob(rlc_graph *g, rlc_tensor *logits, rlc_tensor *idx);
RLC_API rlc_tensor *rlc_categorical_entropy(rlc_graph *g, rlc_tensor *logits);

#ifdef __cplusplus
}
#endif
#endif
