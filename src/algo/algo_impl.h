/* Internal agent interface: the struct every algorithm fills and the vtable the shared trainer
 * loop, evaluation and checkpoints (agent.c) call into. */
#ifndef RLC_ALGO_IMPL_H
#define RLC_ALGO_IMPL_H

#include "rlc/agent.h"
#include "rlc/replay.h"
#include "rlc/safetensors.h"
#include "rlc/vec_env.h"

/* Up to this many named scalars reported by one update (losses, KL, learning rate...). */
#define RLC__UPDATE_MAX_STATS 12

typedef struct rlc__update_info {
    int n;
    const char *key[RLC__UPDATE_MAX_STATS]; /* static strings */
    double value[RLC__UPDATE_MAX_STATS];
} rlc__update_info;

typedef struct rlc__algo rlc__algo;

struct rlc_agent {
    const rlc__algo *algo;
    char *env_id, *env_kwargs;
    rlc_env *env; /* owns the spaces below; also used by evaluation */
    const rlc_space *obs_space, *action_space;
    int obs_size;     /* floats per observation */
    int num_envs;     /* batch of the training loop */
    int num_threads;  /* vector-env threads */
    void *cfg;        /* algo->table()->size bytes */
    uint64_t seed;
    void *impl;       /* the algorithm's state */
};

struct rlc__algo {
    const char *name;
    const rlc_config_table *(*table)(void);
    /* Builds impl from a->cfg and the spaces (sets num_envs / num_threads). On failure frees
     * what it made and leaves impl NULL. */
    rlc_status (*init)(rlc_agent *a);
    void (*destroy)(rlc_agent *a);
    rlc_params *(*params)(rlc_agent *a);
    /* Public acting, see rlc_agent_act (n already checked). */
    rlc_status (*act)(rlc_agent *a, const float *obs, int n, void *actions, int deterministic);
    /* Called once before the trainer loop with the run's length. */
    void (*begin)(rlc_agent *a, int64_t total_steps);
    /* Training-time acting: reads v->obs_f32, writes v->actions, remembers what it needs. */
    rlc_status (*train_act)(rlc_agent *a, rlc_vec_env *v);
    /* After the step: records rewards and flags; returns 1 when an update is due. */
    int (*observe)(rlc_agent *a, const rlc_vec_env *v);
    /* The update (v holds the next observations for bootstrapping). */
    rlc_status (*update)(rlc_agent *a, const rlc_vec_env *v, rlc__update_info *info);
    /* Optional (may be NULL): extra checkpoint state besides the parameters (normalisers). */
    /* optional: the agent's running normalisers (observations, returns) into out[max];
     * returns how many. Data-parallel training keeps them identical on every rank. */
    int (*normalizers)(rlc_agent *a, rlc_normalizer **out, int max);
    rlc_status (*write_state)(rlc_agent *a, rlc_st_writer *w);
    rlc_status (*read_state)(rlc_agent *a, const rlc_st_file *f);
    /* Optional (may be NULL: the algorithm cannot resume a run): the state of a run in
     * progress beyond write_state (RNG streams, schedule counters, replay...), written at an
     * update boundary into a resumable checkpoint and read back after begin() so that the
     * continued run is bit-identical to an uninterrupted one. Names start with the algo's. */
    rlc_status (*write_train_state)(rlc_agent *a, rlc_st_writer *w);
    rlc_status (*read_train_state)(rlc_agent *a, const rlc_st_file *f);
    /* Optional (NULL: unsupported): one transition into the replay, see
     * rlc_agent_add_transition (arguments checked, action in env units). */
    rlc_status (*add_transition)(rlc_agent *a, const float *obs, const float *action,
                                 double reward, const float *next_obs, int terminated,
                                 int truncated);
};

extern const rlc__algo rlc__algo_ppo;
extern const rlc__algo rlc__algo_sac, rlc__algo_td3;
extern const rlc__algo rlc__algo_dqn;

/* Checks the spaces of a continuous-control agent `algo` ("sac", "td3"): a float32 Box action
 * space with finite bounds and a Box observation space; RLC_ERR_UNSUPPORTED with a message
 * naming the env and the offending space otherwise. */
rlc_status rlc__require_bounded_box(const rlc_agent *a, const char *algo);

/* One transition (action in env units, rescaled by (a - bias) / scale into [-1, 1]) as env 0's
 * row of a replay step of N envs, the other rows skipped: the add_transition of SAC and TD3.
 * *scratch is allocated on first use (freed by the caller). */
rlc_status rlc__replay_add_one(rlc_replay *rb, float **scratch, int N, int D, int A,
                               const float *scale, const float *bias, const float *obs,
                               const float *action, double reward, const float *next_obs,
                               int terminated, int truncated);

/* The parameters, optimizer state, algorithm state and metadata of rlc_agent_save, into w
 * (src/algo/agent.c). */
rlc_status rlc__agent_fill_writer(rlc_agent *a, rlc_st_writer *w);

/* The run-in-progress state SAC and TD3 share (their write/read_train_state): three RNG
 * streams, the env-step and gradient-step counters, the update-to-data credit in [0, 1) and the
 * replay buffer with its n-step queues, as tensors "<algo>.rng_act", ... "<algo>.replay.*".
 * Reading checks everything before changing the agent; RLC_ERR_FORMAT on corrupt counters. */
typedef struct rlc__offpolicy_state {
    rlc_rng *rng_act, *rng_replay, *rng_noise;
    int64_t *env_steps, *grad_steps;
    double *credit;
    rlc_replay *rb;
} rlc__offpolicy_state;
rlc_status rlc__offpolicy_write_train_state(const char *algo, const rlc__offpolicy_state *s,
                                            rlc_st_writer *w);
rlc_status rlc__offpolicy_read_train_state(const char *algo, const rlc__offpolicy_state *s,
                                           const rlc_st_file *f);

/* Records MLP m (hidden activation act, LayerNorm "<name>.ln<i>" when ln) on x viewing p's
 * values without gradients (actor losses through the critics of SAC and TD3). */
rlc_tensor *rlc__frozen_mlp(rlc_graph *g, const rlc_mlp *m, rlc_params *p, const char *name,
                            int ln, rlc_act act, rlc_tensor *x);

/* Generalised advantage estimation over a rollout stored [T][N] (index t * N + i). term/trunc
 * flag the step that ended an episode; valid = 0 marks a next-step autoreset step (its action
 * was ignored): its advantage is 0 and its return its value. The next value of step t is
 * val[t + 1] (last_val[i] for t = T - 1), used unless the episode terminated: on truncation it
 * is the value of the final observation. The recursion is cut at every episode end. */
void rlc__gae(int T, int N, double gamma, double lambda, const float *rew, const float *val,
              const float *last_val, const uint8_t *term, const uint8_t *trunc,
              const uint8_t *valid, float *adv, float *ret);

#endif
