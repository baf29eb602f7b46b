/* `rlc train --snapshot-teacher MODEL`: Snapshot RL (S3RL) for the CLI trainer: the teacher
 * agent's trajectories are recorded once, and every training sub-env is wrapped with
 * rlc_wrap_snapshot (src/cli/train_snapshot.c). */
#ifndef RLC_CLI_TRAIN_SNAPSHOT_H
#define RLC_CLI_TRAIN_SNAPSHOT_H

#include "rlc/agent.h"
#include "rlc/wrappers.h"

typedef struct rlc__cli_snapshot {
    double *states; /* teacher state vectors */
    int64_t n;
    rlc_snapshot_options so;
} rlc__cli_snapshot;

/* Loads the teacher saved at `teacher` (a .safetensors agent file, or a run folder holding
 * final.safetensors), records 10 episodes of its deterministic actions on env (id, kwargs;
 * resets seed + i), and sets the S3RL options (8 clusters, truncation after `horizon` steps,
 * 0 = off). Errors (message set): those of rlc_agent_load / rlc_env_make,
 * RLC_ERR_INVALID for a teacher of another env. */
rlc_status rlc__cli_snapshot_prepare(rlc__cli_snapshot *s, const char *teacher, const char *env,
                                     const char *kwargs, long long horizon,
                                     unsigned long long seed);
/* The wrap hook (user = the rlc__cli_snapshot). */
rlc_status rlc__cli_snapshot_wrap(rlc_env **env, int index, void *user);
void rlc__cli_snapshot_free(rlc__cli_snapshot *s);

#endif
