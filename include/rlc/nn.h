/* Neural-network building blocks on the autodiff graph: flat parameter blocks, initialisers,
 * Linear / MLP / ensemble layers, action distributions and a running mean/variance normaliser. */
#ifndef RLC_NN_H
#define RLC_NN_H

#include "rlc/core.h"
#include "rlc/graph.h"
#include "rlc/rng.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ======================================================================================== */
/* Parameters                                                                                */
/* ======================================================================================== */

/* A model's parameters as flat blocks (llm.c's habit): one block of values, one of gradients
 * and up to RLC_PARAMS_MAX_STATE optimizer-state blocks, all with the same layout. Named
 * entries (name, offset, shape) cut the blocks into tensors; graphs see them as views through
 * rlc_params_tensor(). Zeroing, clipping, optimizer steps, Polyak averaging and checkpoints are
 * single loops over the blocks.
 *
 * Entries are added while the object is being built (networks add theirs on creation). The
 * first call that hands out a pointer into the blocks (rlc_params_data/grad/state,
 * rlc_params_tensor, any *_forward) freezes the layout: later additions fail with
 * RLC_ERR_STATE, so views recorded into graphs never dangle. */
typedef struct rlc_params rlc_params;

#define RLC_PARAMS_MAX_STATE 4

typedef struct rlc_param_entry {
    const char *name; /* owned by the params object */
    int64_t offset;   /* in elements, into every block */
    int64_t size;     /* number of elements */
    int ndim;
    int shape[RLC_MAX_DIMS];
} rlc_param_entry;

/* Creates an empty parameter set of `dtype` (RLC_F32 normally; RLC_F64 for float64 graphs).
 * NULL on failure (RLC_ERR_INVALID for an unknown dtype, RLC_ERR_NOMEM). */
RLC_API rlc_params *rlc_params_create(rlc_dtype dtype);
/* Frees the blocks, the entries and the optimizer state. Accepts NULL. Graphs that view these
 * parameters must not be run afterwards. */
RLC_API void rlc_params_destroy(rlc_params *p);

/* Appends a zero-filled entry named `name` (copied; unique within p) of `shape`. Its index is
 * written to *index when index is not NULL. Errors: RLC_ERR_INVALID (NULL/empty/duplicate
 * name, bad shape), RLC_ERR_STATE (layout frozen), RLC_ERR_NOMEM. p is unchanged on failure. */
RLC_API rlc_status rlc_params_add(rlc_params *p, const char *name, int ndim, const int *shape,
                                  int *index);
/* A copy with the same entries and values (data only; gradients and state zeroed): the
 * usual target network. NULL on allocation failure. */
RLC_API rlc_params *rlc_params_clone(const rlc_params *src);

RLC_API rlc_dtype rlc_params_dtype(const rlc_params *p);
/* Total number of scalar parameters. */
RLC_API int64_t rlc_params_count(const rlc_params *p);
RLC_API int rlc_params_num_entries(const rlc_params *p);
/* Entry i (0 <= i < num_entries), or NULL. The pointer is valid until the next addition. */
RLC_API const rlc_param_entry *rlc_params_entry(const rlc_params *p, int i);
/* Index of the entry called `name`, or -1. */
RLC_API int rlc_params_find(const rlc_params *p, const char *name);
/* 1 when a and b have the same dtype and entry shapes, in the same order (names may differ). */
RLC_API int rlc_params_same_layout(const rlc_params *a, const rlc_params *b);

/* The blocks (count elements of the dtype each). These freeze the layout. The state block of
 * `slot` is NULL until an optimizer allocates it. */
RLC_API void *rlc_params_data(rlc_params *p);
RLC_API void *rlc_params_grad(rlc_params *p);
RLC_API void *rlc_params_state(rlc_params *p, int slot);
RLC_API void rlc_params_freeze(rlc_params *p);

/* Enters entry `index` into graph g as a view (rlc_param with data+offset, grad+offset). The
 * graph dtype must equal the params dtype. NULL with a sticky graph error on mismatch or a bad
 * index. Freezes the layout. */
RLC_API rlc_tensor *rlc_params_tensor(rlc_graph *g, rlc_params *p, int index);

/* grad = 0. */
RLC_API void rlc_params_zero_grad(rlc_params *p);
/* Hard target update: dst.data = src.data. RLC_ERR_INVALID unless the layouts match. */
RLC_API rlc_status rlc_params_copy(rlc_params *dst, const rlc_params *src);
/* Polyak averaging: dst = (1 - tau) * dst + tau * src, elementwise, tau in [0, 1].
 * RLC_ERR_INVALID on layout mismatch, RLC_ERR_RANGE for tau outside [0, 1]. */
RLC_API rlc_status rlc_params_polyak(rlc_params *dst, const rlc_params *src, double tau);
/* sqrt(sum grad^2), accumulated in double in a fixed order (deterministic). */
RLC_API double rlc_params_grad_norm(const rlc_params *p);

/* Checkpoints (safetensors, see rlc/safetensors.h). Each entry becomes the tensor
 * "<prefix><name>" (prefix may be NULL or "", or e.g. "actor." so that several networks share
 * one file) with the params' dtype (F32/F64) and the entry's shape. With RLC_CKPT_OPTIM the
 * optimizer state is included: each state slot as "<prefix><name>.<slot>" (".exp_avg",
 * ".exp_avg_sq", ".momentum_buffer", ...) and metadata "<prefix>optim" (kind) and
 * "<prefix>optim.step" (the step count of the bias corrections). */
enum { RLC_CKPT_OPTIM = 1 };

typedef struct rlc_st_writer rlc_st_writer;
typedef struct rlc_st_file rlc_st_file;

/* Writes one file holding just these parameters, atomically (a temporary renamed over path).
 * Errors: RLC_ERR_INVALID (NULL argument), RLC_ERR_STATE (RLC_CKPT_OPTIM without an optimizer
 * created on p), RLC_ERR_IO, RLC_ERR_NOMEM. */
RLC_API rlc_status rlc_params_save(const rlc_params *p, const char *path, const char *prefix,
                                   int flags);
/* Reads p's entries (and with RLC_CKPT_OPTIM the optimizer state) from the file at path. Every
 * tensor must exist (RLC_ERR_NOT_FOUND, naming it) with p's dtype and the entry's exact shape
 * (RLC_ERR_FORMAT, e.g. "tensor 'actor.0.weight': shape [64, 17] in file, expected [64, 18]").
 * Everything is checked before anything is copied: p is unchanged on any failure. Tensors of
 * the file that p does not name are ignored. RLC_CKPT_OPTIM needs the optimizer to be created
 * on p first (RLC_ERR_STATE) and of the kind saved (RLC_ERR_FORMAT). Also RLC_ERR_IO,
 * RLC_ERR_NOMEM and the file-format errors of rlc_st_load. */
RLC_API rlc_status rlc_params_load(rlc_params *p, const char *path, const char *prefix, int flags);
/* The same through an open writer / loaded file, to put several parameter sets and
 * normalisers in one file. The writer references p's blocks without copying (safetensors'
 * zero-copy add): p must not change or be destroyed until the writer is saved. On failure the
 * writer may hold some of p's tensors: discard it. */
RLC_API rlc_status rlc_params_write(const rlc_params *p, rlc_st_writer *w, const char *prefix,
                                    int flags);
RLC_API rlc_status rlc_params_read(rlc_params *p, const rlc_st_file *f, const char *prefix,
                                   int flags);

/* ======================================================================================== */
/* Initialisers                                                                              */
/* ======================================================================================== */

typedef enum rlc_init_kind {
    RLC_INIT_DEFAULT = 0, /* PyTorch nn.Linear: U(-1/sqrt(fan_in), 1/sqrt(fan_in)) */
    RLC_INIT_ZEROS,
    RLC_INIT_CONSTANT,        /* every value = value */
    RLC_INIT_UNIFORM,         /* U(lo, hi) */
    RLC_INIT_NORMAL,          /* N(value, std^2) */
    RLC_INIT_XAVIER_UNIFORM,  /* U(+-gain*sqrt(6/(fan_in+fan_out))), gain default 1 */
    RLC_INIT_XAVIER_NORMAL,   /* N(0, gain^2 * 2/(fan_in+fan_out)) */
    RLC_INIT_KAIMING_UNIFORM, /* U(+-gain*sqrt(3/fan_in)), gain default sqrt(2) (ReLU) */
    RLC_INIT_KAIMING_NORMAL,  /* N(0, gain^2/fan_in) */
    RLC_INIT_ORTHOGONAL,      /* gain * (semi-)orthogonal matrix, gain default 1 */
    RLC_INIT_SPARSE           /* ceil(sparsity*fan_in) zeros per output unit, the rest
                                 U(+-1/sqrt(fan_in)) (stream-x); sparsity default 0.9 */
} rlc_init_kind;

/* An initialiser. Zero-initialise and set what you need, e.g.
 * (rlc_init){.kind = RLC_INIT_ORTHOGONAL, .gain = 1.4142135623730951}. A gain (or sparsity)
 * of 0 means the kind's default. */
typedef struct rlc_init {
    rlc_init_kind kind;
    double gain;
    double lo, hi;   /* UNIFORM */
    double value;    /* CONSTANT value, NORMAL mean */
    double std;      /* NORMAL */
    double sparsity; /* SPARSE: fraction of zeros per output unit, in [0, 1) */
} rlc_init;

/* Fills a weight matrix of fan_out rows and fan_in columns (PyTorch Linear layout
 * [out, in], row-major) of `dtype`, drawing from rng. ORTHOGONAL needs temporary memory:
 * RLC_ERR_NOMEM (data untouched) if it cannot get it. RLC_ERR_INVALID for bad arguments. */
RLC_API rlc_status rlc_init_matrix(void *data, rlc_dtype dtype, int fan_out, int fan_in,
                                   const rlc_init *init, rlc_rng *rng);
/* Fills a bias vector of n values for a layer with fan_in inputs. DEFAULT means PyTorch's
 * U(-1/sqrt(fan_in), 1/sqrt(fan_in)) when weight_init is NULL or DEFAULT, else zeros.
 * Matrix-only kinds (Xavier, Kaiming, orthogonal, sparse) give RLC_ERR_INVALID. */
RLC_API rlc_status rlc_init_bias(void *data, rlc_dtype dtype, int n, int fan_in,
                                 const rlc_init *init, const rlc_init *weight_init, rlc_rng *rng);
/* Re-initialises entry `index` of p: entries with 2+ dims as matrices of shape[0] rows (fan_out)
 * and prod(shape[1:]) columns (fan_in), 1-D entries as biases with fan_in = their size. */
RLC_API rlc_status rlc_params_init_entry(rlc_params *p, int index, const rlc_init *init,
                                         rlc_rng *rng);

/* ======================================================================================== */
/* Layers                                                                                    */
/* ======================================================================================== */

typedef enum rlc_act {
    RLC_ACT_NONE = 0,
    RLC_ACT_RELU,
    RLC_ACT_TANH,
    RLC_ACT_ELU,        /* alpha = act_param (default 1) */
    RLC_ACT_GELU,       /* tanh approximation */
    RLC_ACT_LEAKY_RELU, /* slope = act_param (default 0.01) */
    RLC_ACT_SIGMOID
} rlc_act;

/* Records activation `act` (param: leaky slope / ELU alpha; 0 means the default). RLC_ACT_NONE
 * returns x itself (no node). */
RLC_API rlc_tensor *rlc_activation(rlc_graph *g, rlc_tensor *x, rlc_act act, double param);
/* Parses "relu", "tanh", "elu", "gelu", "leaky_relu", "sigmoid", "none"/"identity" into *out.
 * RLC_ERR_INVALID for other names. */
RLC_API rlc_status rlc_act_parse(const char *name, rlc_act *out);
RLC_API const char *rlc_act_name(rlc_act act);

/* A Linear layer y = x W^T + b with W [out, in] and b [out] (PyTorch layout): two entries of a
 * params set, "<name>.weight" and "<name>.bias". Plain value, no memory of its own. */
typedef struct rlc_linear {
    int in, out;
    int weight, bias; /* entry indexes; bias -1 when the layer has none */
} rlc_linear;

/* Adds the layer's entries to p and initialises them (winit/binit may be NULL: DEFAULT).
 * bias = 0 makes a layer without bias. On failure p is unchanged. */
RLC_API rlc_status rlc_linear_add(rlc_linear *l, rlc_params *p, const char *name, int in, int out,
                                  int bias, const rlc_init *winit, const rlc_init *binit,
                                  rlc_rng *rng);
/* Records x[..., in] -> [..., out] into g, viewing p (any params with p's layout, e.g. a
 * target copy). NULL with a sticky graph error on a shape mismatch. */
RLC_API rlc_tensor *rlc_linear_forward(rlc_graph *g, const rlc_linear *l, rlc_params *p,
                                       rlc_tensor *x);

/* LayerNorm options for hidden layers. */
enum { RLC_LN_NONE = 0, RLC_LN_AFFINE = 1, RLC_LN_PLAIN = 2 /* no gamma/beta */ };

/* An MLP description: sizes = {in, hidden..., out} (nsizes >= 2, at most RLC_MLP_MAX_SIZES);
 * each hidden linear is followed by the optional LayerNorm and the activation, the last by
 * out_act. Zero-initialise and fill in: zero fields mean PyTorch-default init, no LayerNorm,
 * biases on, and RLC_ACT_NONE (so set act explicitly). */
#define RLC_MLP_MAX_SIZES 16
typedef struct rlc_mlp_spec {
    const int *sizes;
    int nsizes;
    rlc_act act, out_act;
    double act_param; /* leaky slope / ELU alpha, 0 = default */
    int layer_norm;   /* RLC_LN_* */
    double ln_eps;    /* 0 = 1e-5 */
    int no_bias;      /* 1: linears without bias */
    rlc_init hidden_init, hidden_bias_init, out_init, out_bias_init;
} rlc_mlp_spec;

typedef struct rlc_mlp rlc_mlp;

/* Adds the MLP's entries to p ("<prefix>.<i>.weight"/".bias" for linear i,
 * "<prefix>.ln<i>.weight"/".bias" for LayerNorm i; prefix may be NULL/"" for "<i>.weight") and
 * initialises them from rng. The MLP keeps a pointer to p, which must outlive it. NULL on
 * failure (RLC_ERR_INVALID bad spec, RLC_ERR_STATE frozen p, RLC_ERR_NOMEM); p is unchanged
 * on failure. */
RLC_API rlc_mlp *rlc_mlp_create(rlc_params *p, const char *prefix, const rlc_mlp_spec *spec,
                                rlc_rng *rng);
/* Frees the MLP (not its params). Accepts NULL. */
RLC_API void rlc_mlp_destroy(rlc_mlp *m);
/* Records the MLP on x[..., in] into g and returns [..., out]. The same MLP can be recorded
 * into any number of graphs (acting, training, target) that all view the same params. */
RLC_API rlc_tensor *rlc_mlp_forward(rlc_graph *g, const rlc_mlp *m, rlc_tensor *x);
/* The same with another params set of identical layout (a target network). */
RLC_API rlc_tensor *rlc_mlp_forward_params(rlc_graph *g, const rlc_mlp *m, rlc_params *p,
                                           rlc_tensor *x);
/* The same with p's values as constants: gradients flow to x only, none to p (an actor loss
 * through a critic). x must have 2+ dims. NULL (sticky graph error) on bad arguments. */
RLC_API rlc_tensor *rlc_mlp_forward_frozen(rlc_graph *g, const rlc_mlp *m, rlc_params *p,
                                           rlc_tensor *x);
RLC_API rlc_params *rlc_mlp_params(const rlc_mlp *m);
RLC_API int rlc_mlp_in(const rlc_mlp *m);
RLC_API int rlc_mlp_out(const rlc_mlp *m);
/* Number of linear layers, and linear i (0-based) for direct access to its entries. */
RLC_API int rlc_mlp_num_layers(const rlc_mlp *m);
RLC_API const rlc_linear *rlc_mlp_layer(const rlc_mlp *m, int i);

/* An ensemble of N MLPs of the same shape evaluated with batched products: linear i of all
 * members is one entry "<prefix>.<i>.weight" [N, in, out] and "<prefix>.<i>.bias" [N, 1, out]
 * (the layout of MBPO-style ensemble layers). Member k's weight slice, transposed, is the
 * [out, in] weight of an equivalent single MLP. Initialisers apply per member, in member
 * order, as if each were a Linear (fan_in = in). LayerNorm normalises each member's rows; with
 * RLC_LN_AFFINE each member has its own gamma/beta ("<prefix>.ln<i>.weight"/".bias",
 * [N, 1, out]). */
typedef struct rlc_ensemble rlc_ensemble;

/* Adds the ensemble's entries to p and initialises them from rng; the ensemble keeps a pointer
 * to p. NULL on failure (as rlc_mlp_create, and RLC_ERR_INVALID for n_members < 1); p is
 * unchanged on failure. */
RLC_API rlc_ensemble *rlc_ensemble_create(rlc_params *p, const char *prefix, int n_members,
                                          const rlc_mlp_spec *spec, rlc_rng *rng);
/* Frees the ensemble (not its params). Accepts NULL. */
RLC_API void rlc_ensemble_destroy(rlc_ensemble *e);
/* x is [B, in] (shared by all members) or [N, B, in]; returns [N, B, out]. NULL with a sticky
 * graph error for other shapes. */
RLC_API rlc_tensor *rlc_ensemble_forward(rlc_graph *g, const rlc_ensemble *e, rlc_tensor *x);
RLC_API rlc_tensor *rlc_ensemble_forward_params(rlc_graph *g, const rlc_ensemble *e, rlc_params *p,
                                                rlc_tensor *x);
RLC_API int rlc_ensemble_size(const rlc_ensemble *e);
RLC_API int rlc_ensemble_num_layers(const rlc_ensemble *e);
/* Entry indexes of linear i's weight / bias (-1 without bias). */
RLC_API int rlc_ensemble_weight_entry(const rlc_ensemble *e, int i);
RLC_API int rlc_ensemble_bias_entry(const rlc_ensemble *e, int i);

/* ======================================================================================== */
/* Distributions                                                                             */
/* ======================================================================================== */

/* Fills a tensor (typically a graph input used as reparameterisation noise) with standard
 * normal draws from rng (rlc_rng_normal, in element order). */
RLC_API void rlc_fill_normal(rlc_tensor *t, rlc_rng *rng);

/* Categorical over the last axis of logits [..., C] (values already computed by a forward).
 * sample: one index per row into out[rows], inverse-CDF of softmax(logits) with one
 * rlc_rng_random draw per row. argmax: first maximal index per row. Both do nothing when given
 * NULL. Graph log-prob / entropy: rlc_categorical_log_prob / rlc_categorical_entropy (graph.h). */
RLC_API void rlc_categorical_sample(const rlc_tensor *logits, rlc_rng *rng, int64_t *out);
RLC_API void rlc_categorical_argmax(const rlc_tensor *logits, int64_t *out);

/* Diagonal Gaussian, reparameterised: mean + exp(log_std) * noise, noise an input of mean's
 * shape refilled with rlc_fill_normal before each forward. Log-prob / entropy:
 * rlc_gaussian_log_prob / rlc_gaussian_entropy (graph.h). */
RLC_API rlc_tensor *rlc_gaussian_rsample(rlc_graph *g, rlc_tensor *mean, rlc_tensor *log_std,
                                         rlc_tensor *noise);

/* Tanh-squashed diagonal Gaussian (SAC). Records u = mean + exp(log_std) * noise,
 * action = tanh(u) in (-1, 1) and log_prob = log N(u; mean, std) - sum_i log(1 - tanh(u_i)^2)
 * over the last axis, the correction computed stably as 2 (log 2 - u - softplus(-2u)).
 * log_std may be [..., A] like mean or [A] (state-independent). Either output pointer may be
 * NULL. Returns the graph status. A caller that rescales actions a' = scale * a + bias
 * subtracts sum log(scale) from log_prob. */
RLC_API rlc_status rlc_tanh_gaussian_rsample(rlc_graph *g, rlc_tensor *mean, rlc_tensor *log_std,
                                             rlc_tensor *noise, rlc_tensor **action,
                                             rlc_tensor **log_prob);
/* Log-probability of given squashed actions a in (-1, 1) (e.g. dataset actions): u = atanh(a)
 * with a clipped to +-(1 - clip_eps) first (clip_eps 0 = 1e-6). Returns [...]. */
RLC_API rlc_tensor *rlc_tanh_gaussian_log_prob(rlc_graph *g, rlc_tensor *mean, rlc_tensor *log_std,
                                               rlc_tensor *action, double clip_eps);

/* ======================================================================================== */
/* Running mean / variance normaliser                                                       */
/* ======================================================================================== */

/* Per-feature running mean and (population) variance updated from batches with the parallel
 * merge formula (Chan et al.), as Stable-Baselines3's RunningMeanStd: mean 0, var 1 and count
 * = count_eps (1e-4 there) at start. Statistics are kept in double. */
typedef struct rlc_normalizer rlc_normalizer;

/* dim >= 1; count_eps >= 0 (0 gives exact statistics); clip > 0 bounds normalised values to
 * [-clip, clip] (SB3: 10); eps is added to var under the square root (SB3: 1e-8). NULL on
 * failure (RLC_ERR_INVALID, RLC_ERR_NOMEM). */
RLC_API rlc_normalizer *rlc_normalizer_create(int dim, double count_eps, double clip, double eps);
RLC_API void rlc_normalizer_destroy(rlc_normalizer *n);
/* Merges a batch x[batch][dim]. RLC_ERR_RANGE (stats unchanged) if x holds NaN or inf. */
RLC_API rlc_status rlc_normalizer_update(rlc_normalizer *n, const float *x, int64_t batch);
RLC_API rlc_status rlc_normalizer_update_f64(rlc_normalizer *n, const double *x, int64_t batch);
/* out = clip((x - mean) / sqrt(var + eps), -clip, clip); out may equal x. */
RLC_API void rlc_normalizer_normalize(const rlc_normalizer *n, const float *x, float *out,
                                      int64_t batch);
RLC_API void rlc_normalizer_normalize_f64(const rlc_normalizer *n, const double *x, double *out,
                                          int64_t batch);
/* out = x * sqrt(var + eps) + mean. */
RLC_API void rlc_normalizer_unnormalize(const rlc_normalizer *n, const float *x, float *out,
                                        int64_t batch);
RLC_API int rlc_normalizer_dim(const rlc_normalizer *n);
RLC_API const double *rlc_normalizer_mean(const rlc_normalizer *n);
RLC_API const double *rlc_normalizer_var(const rlc_normalizer *n);
RLC_API double rlc_normalizer_count(const rlc_normalizer *n);
/* Resets to mean 0, var 1, count = count_eps. */
RLC_API void rlc_normalizer_reset(rlc_normalizer *n);
/* Copies the statistics of src (same dim) into dst. */
RLC_API rlc_status rlc_normalizer_copy(rlc_normalizer *dst, const rlc_normalizer *src);
/* Checkpoints: tensors "<prefix>mean" [dim], "<prefix>var" [dim] and "<prefix>count" [1], all
 * F64 (copied into the writer). read checks presence, dtype and shape of all three before
 * changing n (RLC_ERR_NOT_FOUND / RLC_ERR_FORMAT naming the tensor and both shapes) and
 * refuses negative variances or counts (RLC_ERR_RANGE). save/load use one file each. */
RLC_API rlc_status rlc_normalizer_write(const rlc_normalizer *n, rlc_st_writer *w,
                                        const char *prefix);
RLC_API rlc_status rlc_normalizer_read(rlc_normalizer *n, const rlc_st_file *f, const char *prefix);
RLC_API rlc_status rlc_normalizer_save(const rlc_normalizer *n, const char *path,
                                       const char *prefix);
RLC_API rlc_status rlc_normalizer_load(rlc_normalizer *n, const char *path, const char *prefix);

#ifdef __cplusplus
}
#endif
#endif
