/* Replay buffers for off-policy agents: a ring buffer of transitions stored as flat float
 * columns (obs, action, reward, next_obs, terminated), uniform or prioritized (sum-tree,
 * Schaul et al. 2016) sampling, and n-step returns. Everything is allocated at creation;
 * add/sample allocate nothing. Same seed -> same samples. */
#ifndef RLC_REPLAY_H
#define RLC_REPLAY_H

#include "rlc/core.h"
#include "rlc/rng.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct rlc_replay rlc_replay;

typedef struct rlc_replay_config {
    int64_t capacity;  /* transitions kept (oldest overwritten) */
    int obs_dim;       /* floats per observation */
    int act_dim;       /* floats per action (1 for a Discrete index stored as float) */
    int num_envs;      /* parallel streams added together (n-step bookkeeping is per stream) */
    int n_step;        /* 1 = plain transitions; n > 1 stores n-step returns and bootstraps */
    double gamma;      /* discount for n-step returns */
    int prioritized;   /* 0 uniform, 1 proportional prioritized replay */
    double alpha;      /* priority exponent (prioritized) */
    double eps;        /* added to |TD error| for new priorities (prioritized) */
} rlc_replay_config;

/* A sampled minibatch, in caller-owned buffers of `batch` rows. For n-step buffers reward is
 * the discounted n-step return, next_obs the observation n steps later (or at the episode
 * end) and discount = gamma^k with k the steps actually summed, 0 when the episode
 * terminated within them (so the target is reward + discount * V(next_obs)). weight holds the
 * importance weights (prioritized; 1 otherwise), index the slots for rlc_replay_update. */
typedef struct rlc_replay_batch {
    float *obs, *action, *reward, *next_obs, *discount, *weight;
    int64_t *index;
} rlc_replay_batch;

/* Creates a buffer; NULL (message in rlc_last_error) on bad config or allocation failure. */
RLC_API rlc_replay *rlc_replay_create(const rlc_replay_config *cfg);
RLC_API void rlc_replay_destroy(rlc_replay *r);
/* Adds one step of num_envs transitions. next_obs must be the true next observation (the
 * final observation when the episode ended); terminated cuts bootstrapping, truncated only
 * ends the episode (bootstrapping from next_obs). valid[i] = 0 skips env i (a next-step
 * autoreset step whose action was ignored); valid may be NULL. */
RLC_API rlc_status rlc_replay_add(rlc_replay *r, const float *obs, const float *action,
                                  const float *reward, const float *next_obs,
                                  const uint8_t *terminated, const uint8_t *truncated,
                                  const uint8_t *valid);
/* Transitions currently stored. */
RLC_API int64_t rlc_replay_size(const rlc_replay *r);
/* Samples `batch` transitions (uniform, or proportional to priority^alpha with importance
 * weights (N P(i))^-beta normalised by their max over the batch; stratified: draw j falls in
 * the j-th of `batch` equal slices of the total priority). weight and index may be NULL.
 * RLC_ERR_STATE if the buffer is empty, RLC_ERR_INVALID for batch < 1 or NULL buffers. */
RLC_API rlc_status rlc_replay_sample(rlc_replay *r, rlc_rng *rng, int batch, double beta,
                                     rlc_replay_batch *out);
/* Sets the priorities of sampled slots from TD errors: p = |td| + eps (prioritized only;
 * a no-op for uniform buffers). Slots outside the stored range are ignored. */
RLC_API void rlc_replay_update(rlc_replay *r, const int64_t *index, const float *td_error,
                               int batch);
/* The sampling weight p^alpha of `slot` (prioritized), 1 for a stored slot of a uniform
 * buffer, 0 for a slot not stored yet or out of range. For tests and diagnostics. */
RLC_API double rlc_replay_priority(const rlc_replay *r, int64_t slot);
/* Empties the buffer and the pending n-step queues (a new run with fresh env streams);
 * priorities restart at max priority 1. Allocates nothing. */
RLC_API void rlc_replay_clear(rlc_replay *r);

#ifdef __cplusplus
}
#endif
#endif
