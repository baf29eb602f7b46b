/* Internal hooks of distributed training (src/dist/) used by the shared trainer loop
 * (src/algo/agent.c) and the IMPALA learner. Every function works without MPI support (one
 * rank: they do nothing), so callers need no #ifdef. */
#ifndef RLC_DIST_IMPL_H
#define RLC_DIST_IMPL_H

#include "algo/algo_impl.h"
#include "rlc/dist.h"
#include "rlc/safetensors.h"

/* Ranks of data-parallel training: rlc_dist_size() while MPI is initialised, else 1. */
int rlc__dist_world(void);

/* Before the trainer loop (collective): agrees on every rank's status `st` (any failure fails
 * every rank), sends rank 0's agent state (parameters, optimizer and algorithm state as in
 * rlc_agent_save) to the other ranks, and installs the gradient-averaging hook. */
rlc_status rlc__dist_train_begin(rlc_agent *a, rlc_status st);
/* After the loop: removes the hook. */
void rlc__dist_train_end(void);

/* After each update (collective): the statistics of every rank summed in rank order, so every
 * rank gets the same bits: *mean_ret becomes the mean of all ranks' recent returns (NaN when
 * none), *n_recent and *episodes the totals, *pending 1 if a sub-env of any rank waits for its
 * autoreset. With rlc_dist_set_check(1) also compares the parameters across ranks. */
rlc_status rlc__dist_after_update(rlc_agent *a, const double *recent, double *mean_ret,
                                  int64_t *n_recent, int64_t *episodes, int *pending);

/* Checkpoint metadata of data-parallel runs: "rlc.ckpt.rank" and "rlc.ckpt.world". */
rlc_status rlc__dist_ckpt_meta(rlc_st_writer *w);
/* After a resumable checkpoint was read: *foreign = 1 when it was written by another rank
 * (rank 0's file given to a rank that did not exist in the earlier run), whose envs and
 * episode statistics must start afresh. */
rlc_status rlc__dist_ckpt_foreign(const char *path, int *foreign);

/* Checkpoints of the actor-learner's learner (rank 0): the agent (parameters, optimizer and
 * algorithm run state) and the loop's counters, without env states (the actors' envs start
 * afresh on resume, with any number of actors). The file has the metadata of a resumable
 * checkpoint plus "rlc.ckpt.mode" = "actor-learner"; the reader also takes a single-process
 * impala checkpoint of the same run. Errors as rlc_agent_train_resumable's. */
#define RLC__LEARNER_RECENT 20
typedef struct rlc__learner_counters {
    int64_t steps, episodes, updates, next_log, n_recent, recent_pos;
    double recent[RLC__LEARNER_RECENT];
} rlc__learner_counters;
rlc_status rlc__learner_checkpoint_write(rlc_agent *a, const char *path, uint64_t seed,
                                         int64_t total, const rlc__learner_counters *c);
rlc_status rlc__learner_checkpoint_read(rlc_agent *a, const char *path, uint64_t seed,
                                        int64_t total, rlc__learner_counters *c);

/* The IMPALA learner's trajectory buffers ([T][N], see src/algo/impala.c), which the
 * actor-learner loop fills from the actors' messages before calling the algorithm's update.
 * RLC_ERR_UNSUPPORTED when `a` is not an impala agent. */
typedef struct rlc__impala_rollout {
    int N, T, D;
    float *obs, *act, *logp, *rew, *boot_obs;
    uint8_t *term, *trunc, *valid;
    int64_t *iteration; /* updates done (the learning-rate schedule) */
} rlc__impala_rollout;
rlc_status rlc__impala_buffers(rlc_agent *a, rlc__impala_rollout *r);
extern const rlc__algo rlc__algo_impala;

#endif
