/* Internals shared by the src/nn files: the params layout, all-or-nothing growth, and the
 * initialiser kernels that work with caller-provided scratch (so constructors can reserve
 * everything before they modify anything). */
#ifndef RLC_NN_IMPL_H
#define RLC_NN_IMPL_H

#include "rlc/nn.h"
#include "rlc/optim.h"

struct rlc_params {
    rlc_dtype dtype;
    int frozen;
    int n;
    rlc_param_entry *entries;
    int64_t count;
    /* Blocks are 64-byte aligned views into the *_base allocations. */
    void *data, *grad, *state[RLC_PARAMS_MAX_STATE];
    void *data_base, *grad_base, *state_base[RLC_PARAMS_MAX_STATE];
    int nstate;     /* state slots allocated */
    int state_used; /* slots the current optimizer uses */
    char state_names[RLC_PARAMS_MAX_STATE][24];
    char optim_name[16]; /* "" when no optimizer attached */
    int64_t optim_step;  /* t of the bias corrections */
};

/* Data-parallel training (src/dist/): while set (per thread), `fn` is called with a params
 * block right before its gradients are first used, by rlc_clip_grad_norm or rlc_optim_step
 * (a clip followed by the step of the same block calls it once), to average them across
 * processes. NULL removes the hook. */
typedef void (*rlc__grad_hook)(rlc_params *p, void *ctx);
void rlc__set_grad_hook(rlc__grad_hook fn, void *ctx);

/* One new entry for rlc__params_add_batch. */
typedef struct rlc__entry_spec {
    char name[160];
    int ndim;
    int shape[RLC_MAX_DIMS];
} rlc__entry_spec;

/* Adds n entries at once, all or nothing (p untouched on failure, nothing leaked). The index
 * of the first is written to *first. */
rlc_status rlc__params_add_batch(rlc_params *p, int n, const rlc__entry_spec *specs, int *first);
/* Makes sure state slots 0..nslots-1 exist (zeroed when new), all or nothing. */
rlc_status rlc__params_ensure_state(rlc_params *p, int nslots);

/* Doubles of scratch the initialiser needs for a fan_out x fan_in matrix (0 unless
 * orthogonal). */
size_t rlc__init_scratch(const rlc_init *init, int fan_out, int fan_in);
/* Checks an initialiser (RLC_ERR_INVALID with a message). for_bias: the bias rules. */
rlc_status rlc__init_check(const rlc_init *init, int for_bias);
/* Fills element (r, c) of a fan_out x fan_in matrix at data[r * rs + c * cs] (strides in
 * elements), so the ensemble's [in, out] slices use the same code. Cannot fail once
 * rlc__init_check passed and `scratch` holds rlc__init_scratch doubles. */
void rlc__init_matrix_strided(void *data, rlc_dtype dtype, int fan_out, int fan_in, int64_t rs,
                              int64_t cs, const rlc_init *init, rlc_rng *rng, double *scratch);
void rlc__init_bias(void *data, rlc_dtype dtype, int n, int fan_in, const rlc_init *init,
                    const rlc_init *weight_init, rlc_rng *rng);

/* Whether m is a plain MLP (biases, no LayerNorm, relu or tanh hidden layers, a linear, relu or
 * tanh output; the activations written to *act and *out_act): what tiny_mlp.c computes. */
int rlc__mlp_plain(const rlc_mlp *m, rlc_act *act, rlc_act *out_act);

/* The fused small-MLP path (tiny_mlp.c): forward and backward of a plain rlc_mlp over a batch
 * of at most B rows, without a graph. Activations y[l] are [B][np[l]] row-major with np the
 * width rounded up to 8 and zero padding; the caller fills y[0]'s first n[0] columns. */
#define RLC__TM_MAXL (RLC_MLP_MAX_SIZES - 1)
typedef struct rlc__tmlp {
    int nl, act, oact; /* layers, hidden and output act (0 none, 1 relu, 2 tanh) */
    int n[RLC__TM_MAXL + 1], np[RLC__TM_MAXL + 1];   /* widths, padded widths */
    int64_t woff[RLC__TM_MAXL], boff[RLC__TM_MAXL]; /* entry offsets in the params blocks */
    float *wt[RLC__TM_MAXL], *wp[RLC__TM_MAXL], *bp[RLC__TM_MAXL]; /* W^T, padded W, bias */
    float *y[RLC__TM_MAXL + 1];
    float *dz, *dx[2], *gw; /* backward scratch */
} rlc__tmlp;
/* RLC_ERR_INVALID (with the reason) when m is not plain float32; RLC_ERR_NOMEM. */
rlc_status rlc__tmlp_init(rlc__tmlp *t, const rlc_mlp *m, int B);
void rlc__tmlp_free(rlc__tmlp *t);
/* An actor-critic's fused networks: the actor (rows na) and one or two critics (q2 may be NULL;
 * rows B). RLC_ERR_INVALID says "ALGO: fused=1 needs plain networks (why)". The caller frees
 * all three (freeing an unused zeroed one is fine). */
rlc_status rlc__tmlp_init_ac(const char *algo, rlc__tmlp *ta, const rlc_mlp *actor, int na,
                             rlc__tmlp *tq, const rlc_mlp *q1, const rlc_mlp *q2, int B);
/* Copies the weights from a params data block with the MLP's layout (its own or a target's). */
void rlc__tmlp_load(rlc__tmlp *t, const float *data);
/* Runs the B <= t->B rows of y[0]; returns y[nl] ([B][np[nl]]). Keeps every activation. */
const float *rlc__tmlp_forward(rlc__tmlp *t, int B);
/* Back-propagates dout ([B][np[nl]], zero padding) through the last forward: writes (not adds)
 * the weight and bias gradients at their offsets in grad when grad is not NULL, and returns
 * the input gradient [B][np[0]] when want_dx (else NULL; valid until the next call). */
float *rlc__tmlp_backward(rlc__tmlp *t, int B, const float *dout, float *grad, int want_dx);
/* Copies x [B][width] into columns [col, col + width) of the input rows y[0]. */
void rlc__tmlp_fill(rlc__tmlp *t, int B, int col, const float *x, int width);
/* Critic regression: for each of the n networks t[k] (scalar outputs, the same input rows in
 * every t[k].y[0], weights from `data`): forward, loss mean_b (Q_k - y_b)^2 and its weight
 * gradients written into grad. dq: [B][np_out] scratch with zero padding. Returns the summed
 * loss; *mean0 (may be NULL) gets the mean of network 0's outputs. */
double rlc__tmlp_mse_step(rlc__tmlp *t, int n, const float *data, float *grad, const float *y,
                          int B, float *dq, double *mean0);

/* Validates an MLP spec (shared by mlp.c and ensemble.c). */
rlc_status rlc__mlp_spec_check(const rlc_mlp_spec *s, const char *who);
/* Records the activation of a spec. */
rlc_tensor *rlc__spec_act(rlc_graph *g, rlc_tensor *x, rlc_act act, double param);
/* "<prefix>.<rest>" or "<rest>" into buf; RLC_ERR_INVALID when it does not fit. */
rlc_status rlc__join_name(char *buf, size_t cap, const char *prefix, const char *rest);

/* Sets a normaliser's statistics (count, and dim means and population variances), as the
 * data-parallel trainer does after merging every rank's (src/dist/mpi.c). */
void rlc__normalizer_set(rlc_normalizer *n, double count, const double *mean, const double *var);

#endif
