/* Agents: an algorithm (PPO, ...) bound to an environment's spaces and a config, the shared
 * trainer loop over a vector env, deterministic evaluation and one-file checkpoints. */
#ifndef RLC_AGENT_H
#define RLC_AGENT_H

#include <stdio.h>

#include "rlc/config.h"
#include "rlc/core.h"
#include "rlc/env.h"
#include "rlc/log.h"
#include "rlc/nn.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ======================================================================================== */
/* PPO hyperparameters (CleanRL's ppo.py defaults)                                          */
/* ======================================================================================== */

#define RLC_PPO_FIELDS(X)                                                                      \
    X(INT, num_envs, 4, 1, 4096, "parallel environments in the rollout")                       \
    X(INT, n_steps, 128, 1, 1 << 20, "rollout length per env between updates")                 \
    X(INT, num_threads, 1, 0, 256, "vector-env worker threads (results do not depend on it)")  \
    X(REAL, lr, 2.5e-4, 0, 1, "Adam learning rate")                                            \
    X(REAL, adam_eps, 1e-5, 0, 1, "Adam epsilon")                                              \
    X(BOOL, anneal_lr, 1, "anneal the learning rate linearly to 0 over the run")               \
    X(REAL, gamma, 0.99, 0, 1, "discount factor")                                              \
    X(REAL, gae_lambda, 0.95, 0, 1, "GAE lambda")                                              \
    X(INT, n_minibatches, 4, 1, 1 << 20, "minibatches per epoch")                              \
    X(INT, update_epochs, 4, 1, 1000, "epochs over each rollout")                              \
    X(BOOL, norm_adv, 1, "normalise advantages per minibatch")                                 \
    X(REAL, clip_coef, 0.2, 0, 10, "surrogate clipping coefficient")                           \
    X(BOOL, clip_vloss, 1, "clip the value loss around the old values")                        \
    X(REAL, ent_coef, 0.01, 0, 10, "entropy bonus coefficient")                                \
    X(REAL, vf_coef, 0.5, 0, 100, "value loss coefficient")                                    \
    X(REAL, max_grad_norm, 0.5, 0, 1e9, "global gradient-norm clip (0: off)")                  \
    X(REAL, target_kl, 0, 0, 1e9, "stop the epochs when approx KL exceeds it (0: off)")        \
    X(INT, hidden, 64, 1, 4096, "hidden units per layer (actor and critic)")                   \
    X(INT, layers, 2, 1, 8, "hidden layers (actor and critic)")                                \
    X(ENUM, activation, "tanh", "tanh|relu", "hidden activation")                              \
    X(REAL, init_log_std, 0, -20, 5, "initial log std of continuous actions")                \
    X(BOOL, norm_obs, 0, "normalise observations by running mean/std (saved with the agent)")  \
    X(BOOL, norm_reward, 0, "scale rewards by the running std of the discounted return")       \
    X(REAL, norm_clip, 10, 0, 1e9, "clip of normalised observations and rewards")

RLC_CONFIG_STRUCT(rlc_ppo_config, RLC_PPO_FIELDS);
/* The PPO config table (rlc/config.h): defaults, --set parsing, JSON. */
RLC_API const rlc_config_table *rlc_ppo_config_table(void);

/* ======================================================================================== */
/* Agents                                                                                    */
/* ======================================================================================== */

typedef struct rlc_agent rlc_agent;

/* Number of algorithms and the name of algorithm i ("ppo"), NULL out of range. */
RLC_API int rlc_algo_count(void);
RLC_API const char *rlc_algo_name(int i);
/* The config table of `algo`, or NULL (no error set) when the name is unknown. */
RLC_API const rlc_config_table *rlc_algo_config_table(const char *algo);

/* Creates an agent of `algo` for the env `env_id` (kwargs as rlc_env_make; may be NULL): one
 * env is made to read the spaces. `cfg` is a struct of the algorithm's table (NULL: the
 * defaults) and is copied. `seed` fixes network init, action sampling and minibatch order.
 * Errors (out untouched): RLC_ERR_NOT_FOUND for an unknown algo or env id, RLC_ERR_UNSUPPORTED
 * for spaces the algorithm cannot handle, RLC_ERR_INVALID for a config it rejects
 * (e.g. num_envs * n_steps not divisible by n_minibatches), RLC_ERR_NOMEM. */
RLC_API rlc_status rlc_agent_create(rlc_agent **out, const char *algo, const char *env_id,
                                    const char *env_kwargs, const void *cfg, uint64_t seed);
/* Frees the agent. Accepts NULL. */
RLC_API void rlc_agent_destroy(rlc_agent *a);
/* Adds one transition to an off-policy agent's replay buffer (SAC; TD3 unless critic_state=1,
 * whose rows also need the env's privileged state): observations as the
 * agent's, the action in env units (clipped to the Box), `terminated` cutting the bootstrap,
 * `truncated` not. For data the agent did not collect itself: demonstrations, or an expert's
 * takeover steps (RLIF). RLC_ERR_UNSUPPORTED for algorithms without a replay buffer,
 * RLC_ERR_INVALID for NULL or non-finite inputs (the buffer unchanged). */
RLC_API rlc_status rlc_agent_add_transition(rlc_agent *a, const float *obs, const float *action,
                                            double reward, const float *next_obs,
                                            int terminated, int truncated);

RLC_API const char *rlc_agent_algo(const rlc_agent *a);
RLC_API const char *rlc_agent_env_id(const rlc_agent *a);
RLC_API const char *rlc_agent_env_kwargs(const rlc_agent *a); /* "" when none */
/* The agent's config table and struct (read-only). */
RLC_API const rlc_config_table *rlc_agent_config_table(const rlc_agent *a);
RLC_API const void *rlc_agent_config(const rlc_agent *a);
/* All trainable parameters (e.g. actor and critic in one flat set), owned by the agent. */
RLC_API rlc_params *rlc_agent_params(rlc_agent *a);
/* Number of envs the agent's training loop steps together. */
RLC_API int rlc_agent_num_envs(const rlc_agent *a);

/* Chooses actions for `n` observations obs[n * obs_size] (float32), written to
 * actions[n * action_size] in the action space's dtype (int64 for Discrete, float32 for Box,
 * clipped to the bounds). n must be 1 or rlc_agent_num_envs(a) (the two batch sizes the agent
 * records graphs for). deterministic: the mode (argmax / mean) instead of a sample.
 * Stochastic actions draw from the agent's own RNG. Allocates nothing. Errors:
 * RLC_ERR_INVALID for another n or NULL buffers. */
RLC_API rlc_status rlc_agent_act(rlc_agent *a, const float *obs, int n, void *actions,
                                 int deterministic);

/* Options of the shared trainer loop. Zero fields mean the defaults. */
typedef struct rlc_train_options {
    int64_t total_steps;     /* env steps (counted over all envs); default 100000 */
    int64_t log_interval;    /* steps between log rows (default: every update) */
    rlc_logger *logger;      /* optional: rows of step, episodes, return, fps, losses */
    rlc_progress *progress;  /* optional: console progress display */
    FILE *print;             /* optional: one plain text line per log row */
    double stop_return;      /* > 0: stop once the mean of the last 20 training returns
                                reaches it (wall-clock measurements) */
} rlc_train_options;

/* Final numbers of a training run. */
typedef struct rlc_train_result {
    int64_t steps;       /* env steps taken */
    int64_t episodes;    /* finished episodes */
    int64_t updates;     /* algorithm updates */
    double mean_return;  /* mean of the last (up to) 20 finished episodes' returns; NaN if none */
    double seconds;      /* wall time of the loop */
} rlc_train_result;

/* Trains the agent: makes the vector env (num_envs copies of the agent's env, reset with
 * `seed`, sub-env i with seed + i), then repeats act -> step -> observe -> update until
 * total_steps. Everything is allocated before the loop. res may be NULL. Same agent seed, env
 * seed, config and build: bit-identical parameters. Errors: those of rlc_vec_env_create and of
 * the env, RLC_ERR_RANGE when the losses become non-finite, RLC_ERR_IO from the logger. */
RLC_API rlc_status rlc_agent_train(rlc_agent *a, uint64_t seed, const rlc_train_options *opt,
                                   rlc_train_result *res);

/* Resumable checkpoints of a training run (rlc_agent_train_resumable). Zero fields mean the
 * defaults. */
typedef struct rlc_train_checkpoint {
    const char *path; /* checkpoint file, written atomically (temporary file + rename); NULL:
                         no checkpoints */
    int64_t every;    /* steps between checkpoints (default: total_steps / 10) */
    int resume;       /* 1: first restore the run saved in `path` and continue it */
    int64_t stop_at;  /* testing only (> 0): return RLC_OK right after the first checkpoint
                         written at or past this step, as if the process had been killed */
} rlc_train_checkpoint;

/* rlc_agent_train with checkpoints. A checkpoint holds everything an exact continuation
 * needs: parameters, optimizer state, normalisers, the loop's counters and recent returns,
 * every sub-env's snapshot (rlc_env_get_state: physics, RNG, time limit) and current
 * observations, and the algorithm's run state (write_train_state hook: RNG streams, counters
 * and schedules, PPO's partial rollout, the off-policy replay buffer with its n-step queues
 * and priorities). It is taken at the first step at or past each multiple of `every` where no
 * sub-env waits for its next-step autoreset (that pending reset is private to the vector env;
 * data-parallel runs: the first such update boundary), and once more at the end. A run
 * resumed from a checkpoint (same agent config and seed, same total_steps, same build) ends
 * with the same parameters, bit for bit, as an uninterrupted run; rows logged before the
 * checkpoint and after the kill are logged again (open the logger in append mode and expect
 * rows past the checkpoint's step to repeat).
 * Errors: those of rlc_agent_train; RLC_ERR_NOT_FOUND when resuming without the file;
 * RLC_ERR_FORMAT when the file is not a resumable checkpoint of this agent (another algo,
 * env, seed, num_envs or total_steps, or a replay buffer of another size: the message names
 * the mismatch); RLC_ERR_UNSUPPORTED when resuming an algorithm without run-state support;
 * RLC_ERR_IO writing the file. */
RLC_API rlc_status rlc_agent_train_resumable(rlc_agent *a, uint64_t seed,
                                             const rlc_train_options *opt,
                                             const rlc_train_checkpoint *ck,
                                             rlc_train_result *res);

struct rlc_vec_env; /* rlc/vec_env.h */

/* Hooks into the trainer loop (rlc_agent_train_hooked); zero fields mean none. */
typedef struct rlc_train_hooks {
    /* Wraps each training sub-env right after it is made (rlc_vec_env_options.wrap, index i
     * of num_envs), e.g. with rlc_wrap_snapshot; evaluation envs are not wrapped. */
    rlc_status (*wrap)(rlc_env **env, int index, void *user);
    /* Called after every update with the env steps taken so far (e.g. to evaluate the agent
     * with rlc_agent_evaluate); a non-zero return stops training after this update. */
    int (*after_update)(rlc_agent *a, int64_t steps, void *user);
    void *user;
    /* Called once before the first step (v holds the starting observations) and after every
     * step of the training vector env (v->actions: the actions just taken; next-step
     * autoreset), e.g. to record the run's transitions; an error stops training with it. It
     * runs before the agent observes the step, so it may also add to v->rewards (e.g. an
     * exploration bonus: the agent learns from the changed rewards; episode returns and
     * progress statistics keep the env's own). */
    rlc_status (*after_step)(const struct rlc_vec_env *v, void *user);
} rlc_train_hooks;

/* rlc_agent_train with hooks (NULL: none). Errors: those of rlc_agent_train and of the wrap
 * hook. */
RLC_API rlc_status rlc_agent_train_hooked(rlc_agent *a, uint64_t seed,
                                          const rlc_train_options *opt,
                                          const rlc_train_hooks *hooks, rlc_train_result *res);

/* Everything at once: checkpoints (ck, may be NULL; see rlc_agent_train_resumable) and hooks
 * (may be NULL; see rlc_agent_train_hooked). An after_update hook that only evaluates the
 * agent (rlc_agent_evaluate, deterministic) leaves the training run bit-identical. */
RLC_API rlc_status rlc_agent_train_ex(rlc_agent *a, uint64_t seed, const rlc_train_options *opt,
                                      const rlc_train_checkpoint *ck,
                                      const rlc_train_hooks *hooks, rlc_train_result *res);

/* Runs `episodes` episodes on a fresh env (episode i reset with seed + i), deterministic
 * actions unless `stochastic`, and writes each undiscounted return to returns[episodes] (may
 * be NULL). `gif` (may be NULL) receives every frame of the first episode rendered at
 * gif_width x gif_height via rlc_env_render (an rlc_gif from rlc/image.h, passed as void * so
 * this header does not depend on it). Errors: those of the env, RLC_ERR_INVALID. */
RLC_API rlc_status rlc_agent_evaluate(rlc_agent *a, int episodes, uint64_t seed, int stochastic,
                                      double *returns, void *gif, int gif_width,
                                      int gif_height);

/* Writes the agent (parameters, optimizer state, config and env id in the metadata) to one
 * safetensors file, atomically. Metadata keys: "rlc.algo", "rlc.env", "rlc.env_kwargs",
 * "rlc.config" (JSON) and "config.<key>" per field. Errors: RLC_ERR_IO, RLC_ERR_NOMEM. */
RLC_API rlc_status rlc_agent_save(const rlc_agent *a, const char *path);
/* Recreates an agent saved by rlc_agent_save: the algo, env and config come from the file's
 * metadata, the parameters and optimizer state from its tensors. `seed` seeds the new agent's
 * RNG (sampling). Errors: those of rlc_st_load, RLC_ERR_FORMAT for missing or bad metadata,
 * those of rlc_agent_create and rlc_params_read. */
RLC_API rlc_status rlc_agent_load(rlc_agent **out, const char *path, uint64_t seed);

#ifdef __cplusplus
}
#endif
#endif
