/* Vector envs: N copies of one env (id + kwargs, optionally wrapped) stepped together, with
 * observations, rewards and flags in caller-visible struct-of-arrays buffers, Gymnasium 1.x
 * autoreset (next-step by default), seeds seed + i, episode statistics, and optional worker
 * threads that give results identical to the serial path. */
#ifndef RLC_VEC_ENV_H
#define RLC_VEC_ENV_H

#include "rlc/env.h"

#ifdef __cplusplus
extern "C" {
#endif

/* What step() does for a sub-env whose episode ended (Gymnasium's AutoresetMode). */
typedef enum rlc_vec_autoreset {
    /* Default. The step that ends an episode returns its last obs (also copied to final_obs)
     * and the flags; the next step resets that env instead of stepping it: it returns the
     * reset obs, reward 0, terminated = truncated = 0, sets autoreset[i] = 1 and ignores the
     * action (which is not validated). */
    RLC_VEC_AUTORESET_NEXT_STEP = 0,
    /* The step that ends an episode copies the last obs to final_obs, resets the env at once
     * and returns the reset obs with that step's reward and flags. */
    RLC_VEC_AUTORESET_SAME_STEP = 1
} rlc_vec_autoreset;

/* Creation options; a zeroed struct (or NULL) means the defaults. */
typedef struct rlc_vec_env_options {
    /* Threads stepping the envs, the caller's thread included: 0 or 1 = serial in the caller's
     * thread; k > 1 starts k - 1 persistent workers, each owning a contiguous slice of envs.
     * Results do not depend on it. At most num_envs and 256. */
    int num_threads;
    rlc_vec_autoreset autoreset;
    /* Optional: called once per sub-env i (in order) right after it is made, to wrap it (see
     * rlc/wrappers.h): replace *env with the wrapped env and return RLC_OK; on failure
     * return an error with *env still owning what must be freed. Every sub-env must end up
     * with the same spaces. */
    rlc_status (*wrap)(rlc_env **env, int index, void *user);
    void *wrap_user;
} rlc_vec_env_options;

/* Counters of finished episodes, see rlc_vec_env_pop_stats. */
typedef struct rlc_vec_episode_stats {
    int64_t episodes;   /* episodes finished since the last pop */
    double mean_return; /* their mean undiscounted return (0 when episodes = 0) */
    double mean_length; /* their mean length in steps */
    double min_return, max_return;
} rlc_vec_episode_stats;

/* A vector env. The buffers are owned by it and stay at the same address for its lifetime;
 * read them after reset/step (treat them as read-only, except `actions`, which the caller
 * may fill and pass to rlc_vec_env_step). Index i of each array is sub-env i. */
typedef struct rlc_vec_env {
    int num_envs;
    int num_threads;
    rlc_vec_autoreset autoreset_mode;
    const rlc_space *obs_space;    /* of one sub-env, owned by sub-env 0 */
    const rlc_space *action_space; /* of one sub-env */
    int64_t obs_size;              /* elements per observation */
    size_t obs_bytes;              /* bytes per observation in the obs dtype */
    size_t action_bytes;           /* bytes per action in the action dtype */

    void *obs;               /* [num_envs * obs_bytes]: current observations, obs dtype */
    float *obs_f32;          /* [num_envs * obs_size]: the same as float32 (== obs when the obs
                                dtype is float32) */
    void *final_obs;         /* [num_envs * obs_bytes]: last obs of the episode that ended at
                                this step (valid where terminated[i] | truncated[i]) */
    float *final_obs_f32;    /* float32 copy of final_obs (== final_obs for float32 obs) */
    double *rewards;         /* [num_envs] */
    uint8_t *terminated;     /* [num_envs] 1: the episode reached a terminal state */
    uint8_t *truncated;      /* [num_envs] 1: the time limit ended the episode */
    uint8_t *autoreset;      /* [num_envs] 1: this step reset the env (NEXT_STEP; action ignored,
                                the transition from the previous obs is not a real one) */
    double *episode_return;  /* [num_envs] raw return of the episode that ended at this step
                                (of the unwrapped env), 0 elsewhere */
    int64_t *episode_length; /* [num_envs] its length in unwrapped-env steps, 0 elsewhere */
    void *actions;           /* [num_envs * action_bytes] scratch for the caller's actions */
    int64_t total_steps;     /* env steps taken (autoreset steps excluded) since creation */

    struct rlc__vec_impl *impl; /* private */
} rlc_vec_env;

/* Makes `num_envs` envs with rlc_env_make(id, kwargs) (then opt->wrap), allocates every
 * buffer and starts the workers. Nothing is allocated by reset/step afterwards. On success
 * *out owns the vector env (free with rlc_vec_env_destroy); call rlc_vec_env_reset before the
 * first step. Errors (out untouched, everything freed): those of rlc_env_make and of the wrap
 * callback; RLC_ERR_INVALID for out/id NULL, num_envs outside 1..1048576, num_threads < 0 or
 * above min(num_envs, 256), an unknown autoreset mode, or sub-envs with differing spaces;
 * RLC_ERR_NOMEM; RLC_ERR_UNSUPPORTED when a worker thread cannot be started. */
RLC_API rlc_status rlc_vec_env_create(rlc_vec_env **out, const char *id, const char *kwargs,
                                      int num_envs, const rlc_vec_env_options *opt);
/* Stops the workers and frees everything, sub-envs included. Accepts NULL. */
RLC_API void rlc_vec_env_destroy(rlc_vec_env *v);

/* Resets every sub-env: sub-env i with seed + i when seed >= 0 (Gymnasium's
 * reset(seed=seed)), or continuing each one's RNG stream with RLC_ENV_NO_SEED. Writes obs
 * (and obs_f32), zeroes rewards, flags and autoreset. Errors: RLC_ERR_RANGE for a negative
 * seed other than RLC_ENV_NO_SEED or seed + num_envs - 1 overflowing int64. */
RLC_API rlc_status rlc_vec_env_reset(rlc_vec_env *v, int64_t seed);

/* Steps every sub-env with its action: actions[num_envs * action_bytes] in the action
 * dtype (Discrete: int64 per env), or NULL to use v->actions. Fills obs, obs_f32, rewards,
 * terminated, truncated, autoreset, final_obs where an episode ended, and the episode
 * statistics. Errors (nothing stepped, buffers untouched): RLC_ERR_STATE before the first
 * reset; RLC_ERR_RANGE for an action outside a Discrete/MultiDiscrete space or a non-finite
 * Box element (the message names the sub-env and the value). */
RLC_API rlc_status rlc_vec_env_step(rlc_vec_env *v, const void *actions);

/* Sub-env i (borrowed, for render, snapshots or inspection; do not step or reset it), or
 * NULL when i is out of range. */
RLC_API rlc_env *rlc_vec_env_get(const rlc_vec_env *v, int i);

/* Statistics of the episodes finished since the last call (returns in unwrapped-env
 * rewards, accumulated in env order so they do not depend on the thread count), then clears
 * the counters. */
RLC_API void rlc_vec_env_pop_stats(rlc_vec_env *v, rlc_vec_episode_stats *out);

#ifdef __cplusplus
}
#endif
#endif
