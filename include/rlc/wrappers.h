/* Env wrappers: each wrapper is itself an rlc_env (reset/step/spaces/snapshots/render all work
 * on it), built around an inner env it takes ownership of, so wrappers stack:
 *
 *     rlc_env *env;
 *     rlc_env_make(&env, "Pendulum-v1", NULL);
 *     rlc_wrap_rescale_action(&env, env, -1, 1);   // on failure env is still the old one
 *     rlc_wrap_normalize_obs(&env, env, 10.0);
 *     ...
 *     rlc_env_destroy(env);                          // frees the whole stack
 *
 * Ownership: every rlc_wrap_* constructor takes `inner` over only on success (then *out owns
 * the stack and inner must not be used or destroyed directly any more); on failure inner is
 * untouched and still owned by the caller, and *out is unchanged. `out` may point at the
 * variable holding `inner`, as above.
 *
 * Built into every env (no wrapper needed):
 *  - TimeLimit: the `max_episode_steps` kwarg of rlc_env_make (Gymnasium's TimeLimit);
 *    rlc_wrap_time_limit exists to change the limit of an already made or wrapped env.
 *  - Episode statistics: rlc_step_result.episode_return / episode_length on the final step
 *    (Gymnasium's RecordEpisodeStatistics); on a wrapper they add up the rewards that layer
 *    returns (e.g. normalised ones): rlc_wrap_unwrapped(env) gives the base env whose
 *    rlc_env_episode() holds the raw return. rlc_vec_env reports the raw (base env) figures.
 *
 * Behaviour common to all wrappers:
 *  - id, state vector and render are the inner env's; obs/action spaces are the wrapper's.
 *  - Seeding: the wrapper's RNG stream is the stack's one stream. rlc_env_reset(w, seed, ..)
 *    makes the base env start exactly as rlc_env_reset(base, seed, ..) would; wrappers that
 *    draw random numbers (sticky actions, observation noise) draw from the same stream, so a
 *    seeded stack is reproducible.
 *  - Time limit: the wrapper truncates when its inner env truncates (the inner limit carries
 *    through every layer; rlc_env_max_episode_steps reports it in this layer's steps).
 *  - Snapshots (rlc_env_get_state / set_state) of a wrapper include the whole stack below it
 *    and each layer's evolving state (frame history, sticky action, discounted return, last
 *    noisy obs), but not learned statistics (normaliser mean/var), which belong in
 *    checkpoints (see rlc_wrap_obs_stats).
 *  - Nothing is allocated after construction. */
#ifndef RLC_WRAPPERS_H
#define RLC_WRAPPERS_H

#include "rlc/env.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The kind of a wrapper layer (RLC_WRAP_NONE for an env that is not a wrapper). */
typedef enum rlc_wrap_kind {
    RLC_WRAP_NONE = 0,
    RLC_WRAP_TIME_LIMIT = 1,
    RLC_WRAP_NORMALIZE_OBS = 2,
    RLC_WRAP_NORMALIZE_REWARD = 3,
    RLC_WRAP_CLIP_ACTION = 4,
    RLC_WRAP_RESCALE_ACTION = 5,
    RLC_WRAP_FRAME_STACK = 6,
    RLC_WRAP_ACTION_REPEAT = 7,
    RLC_WRAP_STICKY_ACTION = 8,
    RLC_WRAP_OBS_NOISE = 9
} rlc_wrap_kind;

/* TimeLimit: truncates after `max_episode_steps` steps of this wrapper (0 = no limit),
 * replacing the limits of every layer below (they are switched off so the new limit can also
 * be longer than the registered one). Errors: RLC_ERR_RANGE for a negative limit. */
RLC_API rlc_status rlc_wrap_time_limit(rlc_env **out, rlc_env *inner, int64_t max_episode_steps);

/* NormalizeObservation (Gymnasium 1.x): obs -> (obs - mean) / sqrt(var + 1e-8), then clipped to
 * [-clip, clip] when clip > 0 (0 = no clip; Gymnasium does not clip, SB3 uses 10). mean/var are
 * running per-element statistics (float64, starting at mean 0, var 1, count 1e-4 as
 * Gymnasium's RunningMeanStd) updated with every obs (reset and step) before it is normalised,
 * while updating is on (default; see rlc_wrap_set_update). The inner obs space must be a Box;
 * the output is float64 for a float64 Box, float32 otherwise, in Box(-clip, clip) (or
 * unbounded). Errors: RLC_ERR_INVALID for a non-Box obs space (the message names it),
 * RLC_ERR_RANGE for a negative or non-finite clip, RLC_ERR_NOMEM. */
RLC_API rlc_status rlc_wrap_normalize_obs(rlc_env **out, rlc_env *inner, double clip);

/* NormalizeReward (Gymnasium 1.x): keeps the discounted return G = G * gamma * (1 -
 * terminated) + r (not reset at episode ends, exactly as Gymnasium), tracks its running
 * variance (RunningMeanStd as above, while updating is on) and returns r / sqrt(var + 1e-8),
 * clipped to [-clip, clip] when clip > 0. Errors: RLC_ERR_RANGE for gamma outside [0, 1] or a
 * negative/non-finite clip. */
RLC_API rlc_status rlc_wrap_normalize_reward(rlc_env **out, rlc_env *inner, double gamma,
                                             double clip);

/* ClipAction: the action space becomes Box(-inf, inf) of the same shape and dtype; each finite
 * action element is clipped to the inner Box bounds before it is passed on. Errors:
 * RLC_ERR_INVALID when the inner action space is not a float Box (the message names it). */
RLC_API rlc_status rlc_wrap_clip_action(rlc_env **out, rlc_env *inner);

/* RescaleAction: the action space becomes Box(min_action, max_action) of the same shape and
 * dtype (usually -1, 1); an action a is mapped affinely so min_action -> low and max_action ->
 * high of the inner Box (a * g + (low - g * min_action), g = (high - low) / (max_action -
 * min_action), as Gymnasium), then clipped to [low, high]. Errors: RLC_ERR_INVALID when the
 * inner action space is not a float Box with finite bounds (the message names the space),
 * RLC_ERR_RANGE unless min_action < max_action, both finite. */
RLC_API rlc_status rlc_wrap_rescale_action(rlc_env **out, rlc_env *inner, double min_action,
                                           double max_action);

/* FrameStackObservation: the obs is the last k inner obs, oldest first, concatenated along a
 * new leading axis: shape (k, *inner shape), same dtype, bounds repeated. At reset the history
 * is filled with the reset obs (Gymnasium's default padding "reset"), or with zeros followed
 * by the reset obs when zero_pad is 1. Errors: RLC_ERR_RANGE for k < 1 or k > 1024,
 * RLC_ERR_INVALID for a non-Box obs space or one with 4 dimensions already. */
RLC_API rlc_status rlc_wrap_frame_stack(rlc_env **out, rlc_env *inner, int k, int zero_pad);

/* Action repeat (frame skip): each step applies the action k times to the inner env, returns
 * the last obs and the sum of the rewards, and stops early when the inner episode ends
 * (terminated / truncated are the inner ones). The time limit reported is ceil(inner / k).
 * Errors: RLC_ERR_RANGE for k < 1 or k > 1000000. */
RLC_API rlc_status rlc_wrap_action_repeat(rlc_env **out, rlc_env *inner, int k);

/* StickyAction (Machado et al. 2018; Gymnasium's StickyAction with duration 1): with
 * probability p the previous executed action is executed again instead of the given one (never
 * on the first step after reset). Draws one uniform number per step from the env's RNG stream
 * when 0 < p < 1 (none for p = 0 or 1, so p = 0 behaves exactly as the inner env). Errors:
 * RLC_ERR_RANGE for p outside [0, 1]. */
RLC_API rlc_status rlc_wrap_sticky_action(rlc_env **out, rlc_env *inner, double p);

/* Observation noise: adds independent N(0, sigma^2) noise to every obs element (reset and
 * step), drawn from the env's RNG stream in element order; the obs space keeps its shape and
 * dtype but becomes unbounded when sigma > 0. Errors: RLC_ERR_INVALID for an obs space that is
 * not a float32/float64 Box (named in the message), RLC_ERR_RANGE for a negative or
 * non-finite sigma. */
RLC_API rlc_status rlc_wrap_obs_noise(rlc_env **out, rlc_env *inner, double sigma);

/* ---------------------------------------------------------------------------------------
 * Snapshot RL (S3RL, Zhao et al. 2024; src/env/snapshot.c): student episodes start from states
 * of teacher trajectories. A self-contained layer (its own file): rlc_wrap_kind_of reports
 * RLC_WRAP_NONE for it and rlc_wrap_unwrapped stops at it; rlc_snapshot_inner gives the env
 * below. Spaces, rewards and the RNG stream are the inner env's; snapshots include the layer.
 * ------------------------------------------------------------------------------------- */

/* Options of rlc_wrap_snapshot; rlc_snapshot_options_init gives the defaults. */
typedef struct rlc_snapshot_options {
    /* Status classification: k-means over the (z-scored) observations of the teacher states
     * into this many clusters; a snapshot start picks a cluster uniformly, then a state of it
     * uniformly. 1 (or 0) = no classification: every state equally likely (naive snapshot
     * init). Default 8; at most the number of states (empty clusters are dropped). */
    int clusters;
    int kmeans_iters; /* Lloyd iterations at most (default 100) */
    uint64_t seed;    /* k-means++ seeding (same seed, same clusters) */
    /* Student trajectory truncation: an episode started from a snapshot is truncated after
     * this many steps (the inner time limit still applies). 0 = off. Default 0. */
    int64_t horizon;
    /* Probability that a reset starts from a snapshot (else the inner env's own start).
     * Default 1. */
    double prob;
} rlc_snapshot_options;

RLC_API void rlc_snapshot_options_init(rlc_snapshot_options *o);

/* Wraps `inner` so that each reset (after the inner env's own reset, which keeps the RNG
 * stream as without the wrapper) replaces, with probability opt->prob, the start state by a
 * teacher state: states[n * d] are state vectors (d = rlc_env_state_dim(inner), see
 * rlc_env_get_state_vector), copied. The obs after such a reset is exactly the obs of that
 * state. Clustering runs here, on the obs of each state (the inner env is put back exactly as
 * it was). opt NULL: defaults. Errors: RLC_ERR_INVALID (NULL out/inner/states, n < 1, a
 * non-Box obs space), RLC_ERR_RANGE (bad option values or a non-finite state value, named),
 * RLC_ERR_NOMEM; inner untouched and still the caller's on failure. */
RLC_API rlc_status rlc_wrap_snapshot(rlc_env **out, rlc_env *inner, const double *states,
                                     int64_t n, const rlc_snapshot_options *opt);
/* 1 if env is (its outermost layer is) a snapshot layer. */
RLC_API int rlc_snapshot_is(const rlc_env *env);
/* The env below a snapshot layer, NULL for other envs. */
RLC_API rlc_env *rlc_snapshot_inner(const rlc_env *env);
/* Index (into `states`) of the teacher state the current episode started from, -1 when it
 * started from the inner env's own reset or env is not a snapshot layer. */
RLC_API int64_t rlc_snapshot_last_start(const rlc_env *env);
/* The clustering: *k clusters (may be NULL) and labels[n] (may be NULL) in 0..k-1.
 * RLC_ERR_INVALID when env is not a snapshot layer. */
RLC_API rlc_status rlc_snapshot_clusters(const rlc_env *env, int *k, int32_t *labels);

/* A teacher policy for rlc_snapshot_record: writes the action for `obs` (both in the env's
 * space dtypes). Errors are passed on. */
typedef rlc_status (*rlc_snapshot_policy)(const void *obs, void *action, void *user);

/* Records teacher trajectories: `episodes` episodes of `policy` on env (episode i reset with
 * seed + i), storing the state vector before every action. *states (rlc_malloc'd, free with
 * rlc_free) receives *n states of rlc_env_state_dim(env) doubles; returns[episodes] (may be
 * NULL) the episode returns. Errors: RLC_ERR_INVALID for NULL arguments or episodes < 1,
 * those of the policy and the env, RLC_ERR_NOMEM; outputs untouched on failure. */
RLC_API rlc_status rlc_snapshot_record(rlc_env *env, rlc_snapshot_policy policy, void *user,
                                       int episodes, uint64_t seed, double **states, int64_t *n,
                                       double *returns);

/* ---------------------------------------------------------------------------------------
 * Walking a stack. `env` is never NULL. Returned envs are borrowed (owned by the stack).
 * ------------------------------------------------------------------------------------- */

/* The kind of the outermost layer of `env` (RLC_WRAP_NONE for a plain env). */
RLC_API rlc_wrap_kind rlc_wrap_kind_of(const rlc_env *env);
/* Name of a kind ("NormalizeObservation", ...; "None"). */
RLC_API const char *rlc_wrap_kind_name(rlc_wrap_kind kind);
/* The env this wrapper wraps, or NULL when `env` is not a wrapper. */
RLC_API rlc_env *rlc_wrap_inner(const rlc_env *env);
/* The base env at the bottom of the stack (env itself when it is not a wrapper). */
RLC_API rlc_env *rlc_wrap_unwrapped(const rlc_env *env);
/* The outermost layer of kind `kind` in the stack (env itself included), or NULL. */
RLC_API rlc_env *rlc_wrap_find(const rlc_env *env, rlc_wrap_kind kind);

/* ---------------------------------------------------------------------------------------
 * Normaliser statistics (for checkpoints). `env` must be (not merely contain) a
 * NormalizeObservation or NormalizeReward layer: find it with rlc_wrap_find. Errors:
 * RLC_ERR_INVALID when it is not (the message names what it is).
 * ------------------------------------------------------------------------------------- */

/* Number of statistics elements: obs size for NormalizeObservation, 1 for NormalizeReward
 * (0 for other envs). */
RLC_API int64_t rlc_wrap_stats_size(const rlc_env *env);
/* Copies the running mean[n], var[n] and count (each may be NULL), n = rlc_wrap_stats_size. */
RLC_API rlc_status rlc_wrap_get_stats(const rlc_env *env, double *mean, double *var, double *count);
/* Replaces the statistics (mean[n], var[n], count; all given). RLC_ERR_RANGE for non-finite
 * values, a negative var or a count <= 0 (nothing changes). */
RLC_API rlc_status rlc_wrap_set_stats(rlc_env *env, const double *mean, const double *var,
                                      double count);
/* Turns updating of the statistics on (1, default) or off (0: evaluation). */
RLC_API rlc_status rlc_wrap_set_update(rlc_env *env, int on);

#ifdef __cplusplus
}
#endif
#endif
