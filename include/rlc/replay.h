/* Replay buffers for off-policy agents: a ring buffer of transitions stored as flat float
 * columns (obs, action, reward, next_obs, terminated), uniform or prioritized (sum-tree,
 * Schaul et al. 2016) sampling, and n-step returns. Everything is allocated at creation;
 * add/sample allocate nothing. Same seed -> same samples. */
#ifndef RLC_REPLAY_H
#define RLC_REPLAY_H

#include "rlc/core.h"
#include "rlc/rng.h"
#include "rlc/safetensors.h"

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

/* Checkpoints: the buffer's whole state as safetensors tensors named "<prefix><field>" (prefix
 * may be NULL): "shape" (I64 capacity, obs_dim, act_dim, num_envs, n_step, prioritized), "coef"
 * (F64 gamma, alpha, eps), "counters" (I64 write position, size), "max_priority" (F64), the
 * stored rows "obs" [size, obs_dim], "action" [size, act_dim], "reward", "next_obs",
 * "discount" [size] (F32), "priority" (F64 [size] sum-tree leaves, prioritized only) and the
 * pending n-step queues "queue_obs" [num_envs, n_step, obs_dim], "queue_action",
 * "queue_reward", "queue_head", "queue_len" (I32 [num_envs]). The large columns are referenced,
 * not copied (rlc_st_writer_add): save the writer before the buffer changes. Errors:
 * RLC_ERR_INVALID (NULL argument, or a prefix that makes a name of 256 bytes or more),
 * RLC_ERR_NOMEM. */
RLC_API rlc_status rlc_replay_write(const rlc_replay *r, rlc_st_writer *w, const char *prefix);
/* Restores a buffer written by rlc_replay_write into r, which must have been created with the
 * same capacity, dimensions, num_envs, n_step, gamma and prioritization (alpha and eps too
 * when prioritized): afterwards sampling and adding continue exactly as in the buffer that
 * was saved. Everything is checked before r changes (r is untouched on failure):
 * RLC_ERR_NOT_FOUND for a missing tensor, RLC_ERR_FORMAT for a wrong dtype or shape, a
 * configuration that differs from r's (the message names it) or corrupt counters, queues or
 * priorities; RLC_ERR_INVALID for NULL arguments. */
RLC_API rlc_status rlc_replay_read(rlc_replay *r, const rlc_st_file *f, const char *prefix);

#ifdef __cplusplus
}
#endif
#endif
