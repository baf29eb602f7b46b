/* Snapshot RL for `rlc train --snapshot-teacher MODEL [--snapshot-horizon H]`: records the
 * teacher agent's trajectories and wraps the training envs (see train_snapshot.h). */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/train_snapshot.h"

typedef struct tctx {
    rlc_agent *teacher;
    const rlc_space *os;
    float obs[1024];
} tctx;

static rlc_status teacher_policy(const void *obs, void *action, void *user) {
    tctx *t = user;
    rlc_space_to_f32(t->os, obs, t->obs);
    return rlc_agent_act(t->teacher, t->obs, 1, action, 1);
}

rlc_status rlc__cli_snapshot_prepare(rlc__cli_snapshot *s, const char *teacher, const char *env,
                                     const char *kwargs, long long horizon,
                                     unsigned long long seed) {
    memset(s, 0, sizeof *s);
    char path[1200];
    struct stat sb;
    if (!stat(teacher, &sb) && S_ISDIR(sb.st_mode))
        snprintf(path, sizeof path, "%s/final.safetensors", teacher);
    else
        snprintf(path, sizeof path, "%s", teacher);
    rlc_agent *ta = NULL;
    rlc_status st = rlc_agent_load(&ta, path, seed);
    if (st) return rlc_error(st, "--snapshot-teacher %s: %s", teacher, rlc_last_error());
    rlc_env *e = NULL;
    if (strcmp(rlc_agent_env_id(ta), env))
        st = rlc_error(RLC_ERR_INVALID, "--snapshot-teacher %s was trained on %s, not on %s",
                       teacher, rlc_agent_env_id(ta), env);
    else if (!(st = rlc_env_make(&e, env, kwargs)) && rlc_env_obs_space(e)->size > 1024)
        st = rlc_error(RLC_ERR_UNSUPPORTED, "--snapshot-teacher: observations above 1024 elements");
    if (!st) {
        tctx t;
        t.teacher = ta;
        t.os = rlc_env_obs_space(e);
        st = rlc_snapshot_record(e, teacher_policy, &t, 10, seed, &s->states, &s->n, NULL);
    }
    rlc_env_destroy(e);
    rlc_agent_destroy(ta);
    rlc_snapshot_options_init(&s->so);
    s->so.horizon = horizon;
    s->so.seed = seed;
    return st;
}

rlc_status rlc__cli_snapshot_wrap(rlc_env **env, int index, void *user) {
    (void)index;
    rlc__cli_snapshot *s = user;
    return rlc_wrap_snapshot(env, *env, s->states, s->n, &s->so);
}

void rlc__cli_snapshot_free(rlc__cli_snapshot *s) {
    rlc_free(s->states);
    s->states = NULL;
}
