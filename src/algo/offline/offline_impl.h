/* Internals shared by the offline algorithms (src/algo/offline/): the vtable extension with the
 * one-batch update, the state every offline agent starts with (spaces, observation
 * normalisation, the batch the trainer fills) and network helpers. */
#ifndef RLC_OFFLINE_IMPL_H
#define RLC_OFFLINE_IMPL_H

#include "algo/algo_impl.h"
#include "rlc/offline.h"
#include "rlc/optim.h"

/* An offline algorithm: the agent vtable (base, registered in agent.c) plus its update. */
typedef struct rlc__offline_algo {
    rlc__algo base;
    /* One gradient step on the batch in the agent's core (filled by the trainer). */
    rlc_status (*update)(rlc_agent *a, rlc__update_info *info);
} rlc__offline_algo;

extern const rlc__offline_algo rlc__algo_bc, rlc__algo_td3bc, rlc__algo_iql, rlc__algo_cql,
    rlc__algo_awac;

/* The offline algorithm of agent a, or NULL for an online agent. */
const rlc__offline_algo *rlc__offline_of(const rlc_agent *a);

#define RLC__OFFLINE_MAX_RNGS 4

/* The first member of every offline algorithm's state (a->impl). */
typedef struct rlc__offline_core {
    int D;          /* observation floats */
    int A;          /* Box: action dims; Discrete: 1 (the index stored as a float) */
    int n_actions;  /* Discrete(n): n; Box: 0 */
    int discrete;
    int B;          /* batch size */
    int sampler;    /* 0 uniform, 1 return, 2 advantage */
    double temperature;
    double top_fraction; /* %BC episode filter (1: all) */
    int64_t eval_every, eval_episodes;
    int norm_obs, reward_norm;
    double reward_scale; /* set by the trainer (1 unless reward_norm) */
    float *obs_mean, *obs_std; /* [D]: the dataset's (0 / 1 without norm_obs); saved */
    float *scale, *bias;       /* [A] Box: env action = scale * a + bias, a in [-1, 1] */
    /* the batch (filled by the trainer): normalised observations, actions in [-1, 1] (Box)
     * or indices (Discrete), scaled rewards, normalised next observations, 1 - termination */
    float *obs, *act, *rew, *next, *notdone;
    float *obs1; /* [D] scratch of acting */
    int64_t updates; /* gradient steps done (for delays and schedules) */
    int64_t total_updates; /* the run's length (begin) */
    /* the algorithm's random streams (policy sampling, target noise, ...): saved in resumable
     * checkpoints by the trainer (rlc__offline_track_rng) */
    rlc_rng *rngs[RLC__OFFLINE_MAX_RNGS];
    int nrngs;
} rlc__offline_core;

/* Registers one of the agent's random streams (at most RLC__OFFLINE_MAX_RNGS). */
void rlc__offline_track_rng(rlc__offline_core *c, rlc_rng *r);

/* Fills core from the common config keys (a config struct of any offline table starts with
 * RLC_OFFLINE_COMMON_FIELDS: read through the table by name) and a's spaces, allocates its
 * buffers. allow_discrete: Discrete actions accepted (else a bounded float32 Box is required,
 * messages as rlc__require_bounded_box). Observation space must be a Box. */
rlc_status rlc__offline_core_init(rlc__offline_core *c, rlc_agent *a, const char *algo,
                                  int allow_discrete, int norm_obs, int reward_norm);
void rlc__offline_core_free(rlc__offline_core *c);
/* out[n * D] = (obs - mean) / std. */
void rlc__offline_norm_obs(const rlc__offline_core *c, const float *obs, float *out, int n);
/* Writes x in [-1, 1] rescaled and clipped to the Box into env_act[A]. */
void rlc__offline_to_env(const rlc_agent *a, const rlc__offline_core *c, const float *x,
                         float *env_act);
/* Checkpoint state of the core: "offline.obs_mean", "offline.obs_std". */
rlc_status rlc__offline_core_write(const rlc__offline_core *c, rlc_st_writer *w);
rlc_status rlc__offline_core_read(rlc__offline_core *c, const rlc_st_file *f);

/* An MLP in p named `name`: in -> layers x hidden (act) -> out (out_act), PyTorch init. */
/* The twin critics q1, q2 (in = D + A inputs, ReLU, one output) in p, created in that order
 * from init_rng. RLC_ERR_NOMEM if either fails. */
rlc_status rlc__offline_twin_q(rlc_params *p, int in, int hidden, int layers, rlc_rng *init_rng,
                               rlc_mlp **q1, rlc_mlp **q2);
rlc_mlp *rlc__offline_mlp(rlc_params *p, const char *name, int in, int hidden, int layers,
                          int out, rlc_act act, rlc_act out_act, rlc_rng *rng);
/* Min of the twin critics q1, q2 (params p) on concat(obs, act); q1_out/q2_out may be NULL. */
rlc_tensor *rlc__offline_min_q(rlc_graph *g, const rlc_mlp *q1, const rlc_mlp *q2,
                               rlc_params *p, rlc_tensor *obs, rlc_tensor *act,
                               rlc_tensor **q1_out, rlc_tensor **q2_out);
/* Adam with learning rate lr on p. */
rlc_optim *rlc__offline_adam(rlc_params *p, double lr);
/* One optimizer step of loss in graph g (already forwarded) for params p. */
rlc_status rlc__offline_step(rlc_graph *g, rlc_tensor *loss, rlc_params *p, rlc_optim *o,
                             const char *what, double *value);
/* The common begin hook (records the run length) and the online-training refusal. */
void rlc__offline_begin(rlc_agent *a, int64_t total);
rlc_status rlc__offline_train_act(rlc_agent *a, rlc_vec_env *v);
int rlc__offline_observe(rlc_agent *a, const rlc_vec_env *v);
rlc_status rlc__offline_online_update(rlc_agent *a, const rlc_vec_env *v, rlc__update_info *info);

#define RLC__OFFLINE_STAT(info, k, x)                                                          \
    ((info)->key[(info)->n] = (k), (info)->value[(info)->n++] = (x))

/* The acting policy of an offline agent. DET: tanh MLP (actions in [-1, 1]); GAUSS: tanh MLP
 * mean with a state-independent log std entry "<name>.log_std" clamped to [lo, hi] (IQL's
 * policy, AWAC, Gaussian BC); TANH_GAUSS: SAC's head on a 2A-output MLP (CQL); CAT: logits of
 * Discrete(n). */
enum { RLC__POL_DET, RLC__POL_GAUSS, RLC__POL_TANH_GAUSS, RLC__POL_CAT };
typedef struct rlc__offline_policy {
    int kind, A; /* A: action dims (CAT: n) */
    double lo, hi;
    rlc_mlp *mlp;
    rlc_params *p;
    int log_std; /* entry index (GAUSS), else -1 */
    rlc_graph *g; /* forward-only acting graph, batch 1 */
    rlc_tensor *obs, *out;
    rlc_rng rng; /* stochastic acting */
} rlc__offline_policy;

/* Adds the policy's entries to p ("<name>.<i>.weight", ...); the acting graph is recorded. */
rlc_status rlc__offline_policy_init(rlc__offline_policy *pol, rlc_params *p, const char *name,
                                    int kind, int D, int hidden, int layers, int A, double lo,
                                    double hi, rlc_rng *init_rng, uint64_t seed);
void rlc__offline_policy_free(rlc__offline_policy *pol);
/* The policy's acting (n = 1): observations normalised by the core, actions in the env's
 * dtype. Deterministic: tanh mean / argmax; else a sample from the policy's own RNG. */
rlc_status rlc__offline_policy_act(rlc_agent *a, const rlc__offline_core *c,
                                   rlc__offline_policy *pol, const float *obs, void *actions,
                                   int deterministic);
/* GAUSS: records log pi(act | obs) [B] of the policy on obs [B, D] for act [B, A]. */
rlc_tensor *rlc__offline_gauss_log_prob(rlc_graph *g, rlc__offline_policy *pol, rlc_tensor *obs,
                                        rlc_tensor *act);
/* GAUSS: the tanh mean [B, A] on obs. */
rlc_tensor *rlc__offline_gauss_mean(rlc_graph *g, rlc__offline_policy *pol, rlc_tensor *obs);
/* TANH_GAUSS: reparameterised action [B, A] and log-prob [B] for noise [B, A]. */
rlc_status rlc__offline_tanh_gauss_sample(rlc_graph *g, rlc__offline_policy *pol,
                                          rlc_tensor *obs, rlc_tensor *noise,
                                          rlc_tensor **action, rlc_tensor **logp);

#endif
