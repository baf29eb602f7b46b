/* `rlc train --record-dataset OUT`: every env transition of a training run (the behaviour of a
 * learning agent: D4RL's "replay" regimes, e.g. medium-replay when the run stops at a medium
 * policy) saved as a Minari dataset folder, or a D4RL file for OUT ending in .hdf5/.h5
 * (src/cli/train_record.c). */
#ifndef RLC_CLI_TRAIN_RECORD_H
#define RLC_CLI_TRAIN_RECORD_H

#include "rlc/agent.h"
#include "rlc/dataset.h"
#include "rlc/vec_env.h"

typedef struct rlc__cli_record {
    int n, D, A;
    rlc_dataset *d;
    /* per sub-env: the episode in progress ([len + 1] observations) */
    float **obs, **act, **rew;
    uint8_t **term, **trunc;
    int64_t *len, *cap;
    uint8_t *open; /* an episode is in progress (0 between its end and the autoreset) */
    int started;
} rlc__cli_record;

/* Prepares the recorder for a run of `agent` (its env and action space; num_envs sub-envs).
 * Errors: RLC_ERR_UNSUPPORTED for non-Box observations, RLC_ERR_NOMEM. */
rlc_status rlc__cli_record_init(rlc__cli_record *r, rlc_agent *agent, const char *policy);
/* The trainer's after_step hook body: episodes are added in the order they end (sub-envs in
 * index order within a step), so the dataset does not depend on worker threads. */
rlc_status rlc__cli_record_step(rlc__cli_record *r, const rlc_vec_env *v);
/* Adds the episodes still running (ended as truncated) and writes the dataset to out. */
rlc_status rlc__cli_record_save(rlc__cli_record *r, const char *out);
void rlc__cli_record_free(rlc__cli_record *r);

#endif
