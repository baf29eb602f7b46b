/* Internals of the stream-x agents (stream_ac.c, stream_q.c, stream_td.c): a batch-1 MLP
 * (Linear -> LayerNorm without affine -> leaky ReLU, as rlc_mlp records it) with hand-fused
 * forward, backward-into-eligibility-trace and ObGD-update-plus-next-forward passes over the
 * agent's rlc_params, the Welford observation normaliser and the return-based reward scaler,
 * and the acting/learning loop the three agents share. Nothing here allocates after init. */
#ifndef RLC_STREAM_IMPL_H
#define RLC_STREAM_IMPL_H

#include "algo/algo_impl.h"
#include "rlc/optim.h"
#include "rlc/stream.h"

#define RLC__SNET_MAXL 9 /* linear layers (8 hidden + output) */

/* One network: pointers into the params' data block and its trace slot (state slot 0). */
typedef struct rlc__snet {
    int nl;                          /* linear layers */
    int size[RLC__SNET_MAXL + 1];    /* widths: input, hidden..., output */
    int ln;                          /* LayerNorm (no affine) after each hidden linear */
    float slope, ln_eps;             /* leaky ReLU slope, LayerNorm epsilon */
    float *w[RLC__SNET_MAXL], *b[RLC__SNET_MAXL];   /* [out, in] weights, [out] biases */
    float *zw[RLC__SNET_MAXL], *zb[RLC__SNET_MAXL]; /* their traces */
} rlc__snet;

/* The activations of one forward pass (and backward scratch). */
typedef struct rlc__snet_buf {
    float *x;                  /* [size[0]] input */
    float *y[RLC__SNET_MAXL];  /* hidden l: LayerNorm output (pre-activation without LN) */
    float *h[RLC__SNET_MAXL];  /* hidden l: after the activation */
    float rstd[RLC__SNET_MAXL];
    float *out;                /* [size[nl]] */
    float *ga, *gb;            /* [max width] backward scratch */
    void *mem;
} rlc__snet_buf;

/* Binds n to MLP m (hidden act leaky ReLU with `slope`, LayerNorm plain when ln) whose params
 * p have a trace slot (an ObGD was created on them). */
rlc_status rlc__snet_bind(rlc__snet *n, rlc_params *p, const rlc_mlp *m, int ln, double slope);
rlc_status rlc__snet_buf_alloc(const rlc__snet *n, rlc__snet_buf *b);
void rlc__snet_buf_free(rlc__snet_buf *b);
/* Forward on x (copied into b->x). */
void rlc__snet_forward(const rlc__snet *n, rlc__snet_buf *b, const float *x);
/* Backward of sum_k dout[k] out[k] through the activations in b, fused with the trace update
 * z = decay z + gradient; returns ||z||_1 over the whole network (double). */
double rlc__snet_backward(rlc__snet *n, rlc__snet_buf *b, const float *dout, float decay);
/* w += c z over the network; when x is not NULL, fused with the forward on x into b (the new
 * weights are used). */
void rlc__snet_update(rlc__snet *n, rlc__snet_buf *b, float c, const float *x);
void rlc__snet_zero_trace(rlc__snet *n);
/* Tests: nonzero = the generic loops only (no register kernels); the results are the same. */
extern int rlc__snet_generic;

/* Welford running mean and sample variance (the paper's SampleMeanStd): var = 1 until two
 * samples, then M2 / (count - 1). */
typedef struct rlc__welford {
    int dim;
    double count;
    double *mean, *m2; /* [dim] */
} rlc__welford;

rlc_status rlc__welford_init(rlc__welford *w, int dim);
void rlc__welford_free(rlc__welford *w);
void rlc__welford_update(rlc__welford *w, const double *x);
double rlc__welford_var(const rlc__welford *w, int i);
/* Checkpoint tensors "<prefix>.mean", ".m2" [dim] and ".count" [1] (F64). */
rlc_status rlc__welford_write(const rlc__welford *w, rlc_st_writer *wr, const char *prefix);
rlc_status rlc__welford_read(rlc__welford *w, const rlc_st_file *f, const char *prefix);

/* Shared state of a stream-x agent: the networks, the normalisers and the transition in
 * flight. The algorithm files supply the heads (what dout is, how actions are drawn). */
typedef struct rlc__stream {
    int D;              /* observation size */
    int nnet;           /* 1 (Q, TD) or 2 (AC: 0 = actor, 1 = critic) */
    rlc_params *p;      /* all networks' parameters */
    rlc_mlp *mlp[2];
    rlc_obgd *opt[2];
    rlc__snet net[2];
    rlc__snet_buf cur[2]; /* activations on the current (normalised) observation */
    rlc__snet_buf nxt[2]; /* scratch: next observation, public acting */
    double kappa[2];
    int optimizer;        /* RLC_STREAM_OPT_* */
    double lr, gamma, lambda;
    int norm_obs, scale_reward;
    rlc__welford obs_stats, ret_stats;
    double ret_trace;     /* discounted return of the episode so far (reward scaling) */
    float *obs_cur, *obs_nxt; /* normalised observations [D] */
    double *obs_tmp;          /* [D] */
    int have_cur;             /* cur holds the forward of the current observation */
    rlc_rng rng;
    int64_t steps, total_steps;
    /* last update's statistics */
    double last_delta, last_step[2];
} rlc__stream;

/* Creates the networks (sizes in[0..]: input D, hidden..., output outs[k]) and optimizers.
 * sparse / ln / slope / sparsity: the stream-x ingredients (off for the naive baselines). */
typedef struct rlc__stream_spec {
    int nnet;
    int outs[2];
    const char *names[2];
    double kappa[2];
    int hidden, layers, layer_norm, sparse_init, norm_obs, scale_reward, optimizer;
    double sparsity, lr, gamma, lambda;
} rlc__stream_spec;

rlc_status rlc__stream_init(rlc__stream *s, const rlc_agent *a, const rlc__stream_spec *sp);
void rlc__stream_free(rlc__stream *s);
/* Normalises obs into out (updating the statistics when `update`). */
void rlc__stream_normalize(rlc__stream *s, const float *obs, float *out, int update);
/* Scales a reward (updating the return statistics); `ended`: the episode ended at this step. */
double rlc__stream_scale_reward(rlc__stream *s, double r, int ended);
/* One update of network k with TD error delta: trace from dout (backward through cur[k]),
 * the optimizer step, and the forward on the next observation x (NULL: none). Returns the
 * step size used. */
double rlc__stream_learn(rlc__stream *s, int k, const float *dout, double delta,
                         const float *x, int reset);
/* Checkpoint state besides the params (normalisers). */
rlc_status rlc__stream_write_state(rlc__stream *s, rlc_st_writer *w);
rlc_status rlc__stream_read_state(rlc__stream *s, const rlc_st_file *f);

#endif
