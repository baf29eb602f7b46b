/* Optimizers over flat parameter blocks (SGD with momentum, Adam, AdamW, RMSprop with PyTorch's
 * update rules), global-norm gradient clipping and learning-rate schedules. */
#ifndef RLC_OPTIM_H
#define RLC_OPTIM_H

#include "rlc/core.h"
#include "rlc/nn.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum rlc_optim_kind {
    RLC_OPTIM_SGD = 0,
    RLC_OPTIM_ADAM,
    RLC_OPTIM_ADAMW,
    RLC_OPTIM_RMSPROP
} rlc_optim_kind;

/* Hyperparameters; rlc_optim_defaults() gives PyTorch's defaults for a kind:
 *   SGD     lr 1e-3, momentum 0, dampening 0, nesterov 0, weight_decay 0
 *   Adam    lr 1e-3, betas (0.9, 0.999), eps 1e-8, weight_decay 0 (L2, added to the gradient)
 *   AdamW   lr 1e-3, betas (0.9, 0.999), eps 1e-8, weight_decay 1e-2 (decoupled)
 *   RMSprop lr 1e-2, alpha 0.99, eps 1e-8, momentum 0, centered 0, weight_decay 0
 * Update rules (g = gradient, t = step count from 1), as torch.optim documents them:
 *   SGD:     g += wd p; if momentum: b = t==1 ? g : momentum b + (1 - dampening) g,
 *            g = nesterov ? g + momentum b : b;  p -= lr g
 *   Adam:    g += wd p; m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2;
 *            p -= (lr / (1 - b1^t)) m / (sqrt(v) / sqrt(1 - b2^t) + eps)
 *            (evaluated as p -= (lr sqrt(1 - b2^t) / (1 - b1^t)) m / (sqrt(v) + eps sqrt(1 -
 * b2^t)), the same expression with one division per element) AdamW:   p *= 1 - lr wd, then Adam
 * without the g += wd p term RMSprop: g += wd p; v = alpha v + (1 - alpha) g^2; centered: ga =
 * alpha ga + (1 - alpha) g, d = sqrt(v - ga^2) + eps, else d = sqrt(v) + eps; momentum: b =
 * momentum b + g/d, p -= lr b, else p -= lr g/d Float32 parameters are updated in float32 (scalars
 * like the bias corrections are formed in double and rounded once), with no FMA contraction:
 * results do not depend on SIMD width. One deliberate difference from PyTorch: optimizer state
 * values smaller in magnitude than the smallest normal number (FLT_MIN / DBL_MIN) are stored as 0.
 * Moments of parameters whose gradient stays zero otherwise decay into subnormals, which made x86
 * arithmetic several times slower (a third of a batch-1 step); the flushed values move no parameter
 * measurably. */
typedef struct rlc_optim_config {
    rlc_optim_kind kind;
    double lr;
    double weight_decay;
    double momentum;  /* SGD, RMSprop */
    double dampening; /* SGD */
    int nesterov;     /* SGD */
    double beta1, beta2, eps;
    double alpha;  /* RMSprop smoothing constant */
    int centered;  /* RMSprop */
    int zero_grad; /* 1: the step also sets the gradients to zero (saves a pass) */
} rlc_optim_config;

typedef struct rlc_optim rlc_optim;

RLC_API rlc_optim_config rlc_optim_defaults(rlc_optim_kind kind);
/* Parses "sgd", "adam", "adamw", "rmsprop". RLC_ERR_INVALID otherwise. */
RLC_API rlc_status rlc_optim_kind_parse(const char *name, rlc_optim_kind *out);

/* Creates an optimizer over p (which must outlive it). Its state lives in p's state slots
 * (named after PyTorch's: "exp_avg", "exp_avg_sq", "momentum_buffer", "square_avg",
 * "grad_avg"), which this call allocates if needed and zeroes, and p's optimizer step count is
 * reset to 0, so checkpoints with RLC_CKPT_OPTIM can carry the state. One optimizer per params
 * set at a time. NULL on failure: RLC_ERR_INVALID (NULL p, negative lr/eps, betas outside
 * [0, 1), nesterov without momentum...), RLC_ERR_NOMEM; p is unchanged on failure. */
RLC_API rlc_optim *rlc_optim_create(rlc_params *p, const rlc_optim_config *cfg);
/* Frees the optimizer; its state stays in p until p is destroyed. Accepts NULL. */
RLC_API void rlc_optim_destroy(rlc_optim *o);
/* One update from p's gradients with the current learning rate. Allocates nothing. */
RLC_API void rlc_optim_step(rlc_optim *o);
RLC_API void rlc_optim_set_lr(rlc_optim *o, double lr);
RLC_API double rlc_optim_lr(const rlc_optim *o);
/* Steps taken (the t of the bias corrections); restored by checkpoint loads. */
RLC_API int64_t rlc_optim_steps(const rlc_optim *o);
/* Zeroes the state and the step count. */
RLC_API void rlc_optim_reset(rlc_optim *o);
RLC_API const rlc_optim_config *rlc_optim_config_of(const rlc_optim *o);

/* Global-norm clipping as torch.nn.utils.clip_grad_norm_: computes the 2-norm of all of p's
 * gradients; if it exceeds max_norm, scales every gradient by max_norm / (norm + 1e-6).
 * Returns the norm before clipping (NaN/inf gradients give a NaN/inf norm and no scaling). */
RLC_API double rlc_clip_grad_norm(rlc_params *p, double max_norm);

/* Schedules: a value (learning rate, entropy coefficient, epsilon...) as a function of the
 * step. With warmup > 0 the value first rises linearly from 0 to `start` over `warmup` steps;
 * then over the next `total` steps (progress f = min(1, s / total), s counted after warmup):
 *   CONSTANT  start
 *   LINEAR    start + (end - start) f          (CleanRL's annealing: end = 0)
 *   COSINE    end + (start - end) (1 + cos(pi f)) / 2
 * and `end` afterwards. total <= 0 means "constant at start". */
typedef enum rlc_schedule_kind {
    RLC_SCHED_CONSTANT = 0,
    RLC_SCHED_LINEAR,
    RLC_SCHED_COSINE
} rlc_schedule_kind;

typedef struct rlc_schedule {
    rlc_schedule_kind kind;
    double start, end;
    int64_t total;
    int64_t warmup;
} rlc_schedule;

RLC_API double rlc_schedule_value(const rlc_schedule *s, int64_t step);
/* Parses "constant", "linear", "cosine". */
RLC_API rlc_status rlc_schedule_kind_parse(const char *name, rlc_schedule_kind *out);

/* ObGD: overshooting-bounded gradient descent with eligibility traces, the optimizer of the
 * stream-x algorithms (Elsayed, Vasan & Mahmood 2024, "Streaming deep reinforcement learning
 * finally works", Algorithm 3). One step with TD error delta, trace z and gradient g:
 *   z     <- gamma lambda z + g
 *   dbar  =  max(|delta|, 1)
 *   M     =  lr kappa dbar ||z||_1
 *   step  =  lr / max(M, 1)
 *   w     <- w + step delta z            (then z <- 0 when the episode ended: reset)
 * The update has the TD form (w moves along +delta z): g is the gradient of the prediction
 * itself (v(s), q(s,a), log pi(a|s) + an entropy term), not of a loss. For a linear predictor
 * with features |x_i| <= 1 the bound gives step ||z||_2^2 <= step ||z||_1 <= 1/kappa, so the
 * new TD error keeps the sign of delta (no overshooting) when kappa >= 1. ||z||_1 is summed in
 * double in index order (deterministic). Paper defaults: lr 1, gamma 0.99, lambda 0.8, kappa 2
 * (3 for a policy). */
typedef struct rlc_obgd_config {
    double lr;        /* alpha, the largest step (default 1) */
    double gamma;     /* discount of the trace decay (default 0.99) */
    double lambda;    /* trace decay (default 0.8) */
    double kappa;     /* overshooting bound, > 0 (default 2) */
    int first_entry;  /* entries of the params it updates: [first_entry, first_entry +     */
    int n_entries;    /* n_entries); 0, 0 = all. Several ObGD may share one params set on
                         disjoint entry ranges (e.g. actor and critic with their own kappa). */
    int zero_grad;    /* 1: the step also sets the gradients of its entries to zero */
} rlc_obgd_config;

typedef struct rlc_obgd rlc_obgd;

/* The paper's defaults (above), all entries, zero_grad 0. */
RLC_API rlc_obgd_config rlc_obgd_defaults(void);
/* The bounded step size lr / max(lr kappa max(|delta|, 1) z_l1, 1) for a trace of L1 norm
 * z_l1 (exposed for fused implementations and tests). */
RLC_API double rlc_obgd_step_size(double lr, double kappa, double delta, double z_l1);
/* Creates ObGD over p's entries: the trace lives in p's state slot 0, named
 * "eligibility_trace" (checkpoints with RLC_CKPT_OPTIM carry it; optimizer kind "obgd"), and is
 * zeroed over the range; p's step count is reset. p must outlive it. NULL on failure:
 * RLC_ERR_INVALID (NULL argument, entry range outside p), RLC_ERR_RANGE (lr < 0, kappa <= 0,
 * gamma or lambda outside [0, 1], non-finite values), RLC_ERR_STATE (p already has another
 * kind of optimizer), RLC_ERR_NOMEM. */
RLC_API rlc_obgd *rlc_obgd_create(rlc_params *p, const rlc_obgd_config *cfg);
/* Frees the optimizer (the trace stays in p). Accepts NULL. */
RLC_API void rlc_obgd_destroy(rlc_obgd *o);
/* One update from p's gradients (see above); returns the step size used. reset = 1 zeroes the
 * trace after the update (episode end; Watkins's Q(lambda) after an exploratory action).
 * Allocates nothing. */
RLC_API double rlc_obgd_step(rlc_obgd *o, double delta, int reset);
/* Zeroes the trace of its entries. */
RLC_API void rlc_obgd_reset(rlc_obgd *o);
RLC_API void rlc_obgd_set_lr(rlc_obgd *o, double lr);
RLC_API const rlc_obgd_config *rlc_obgd_config_of(const rlc_obgd *o);

#ifdef __cplusplus
}
#endif
#endif
