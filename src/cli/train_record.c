/* `rlc train --record-dataset OUT` (see train_record.h). */
#include "cli/train_record.h"

#include <stdio.h>
#include <string.h>

#include "rlc/core.h"

rlc_status rlc__cli_record_init(rlc__cli_record *r, rlc_agent *agent, const char *policy) {
    memset(r, 0, sizeof *r);
    rlc_env *e = NULL;
    rlc_status st = rlc_env_make(&e, rlc_agent_env_id(agent), rlc_agent_env_kwargs(agent));
    if (st) return st;
    const rlc_space *os = rlc_env_obs_space(e), *as = rlc_env_action_space(e);
    if (os->kind != RLC_SPACE_BOX) {
        rlc_env_destroy(e);
        return rlc_error(RLC_ERR_UNSUPPORTED,
                         "--record-dataset: %s has a non-Box observation space (datasets hold "
                         "float observations)",
                         rlc_agent_env_id(agent));
    }
    r->n = rlc_agent_num_envs(agent);
    r->D = (int)os->size;
    r->A = (int)as->size;
    r->d = rlc_dataset_create(r->D, r->A);
    st = r->d ? rlc_dataset_set_spaces(r->d, os, as) : RLC_ERR_NOMEM;
    if (!st) {
        rlc_dataset_meta *m = rlc_dataset_meta_of(r->d);
        snprintf(m->env_id, sizeof m->env_id, "%s", rlc_agent_env_id(agent));
        snprintf(m->algorithm, sizeof m->algorithm, "%s", policy);
        snprintf(m->dataset_id, sizeof m->dataset_id, "rlc/%s/%s-replay-v0",
                 rlc_agent_env_id(agent), rlc_agent_algo(agent));
        rlc_dataset_ref_scores(m->env_id, &m->ref_min_score, &m->ref_max_score);
    }
    rlc_env_destroy(e);
    size_t n = (size_t)r->n;
    r->obs = rlc_calloc(n, sizeof *r->obs);
    r->act = rlc_calloc(n, sizeof *r->act);
    r->rew = rlc_calloc(n, sizeof *r->rew);
    r->term = rlc_calloc(n, sizeof *r->term);
    r->trunc = rlc_calloc(n, sizeof *r->trunc);
    r->len = rlc_calloc(n, sizeof *r->len);
    r->cap = rlc_calloc(n, sizeof *r->cap);
    r->open = rlc_calloc(n, 1);
    if (!st && (!r->obs || !r->act || !r->rew || !r->term || !r->trunc || !r->len || !r->cap ||
                !r->open))
        st = RLC_ERR_NOMEM;
    if (st) rlc__cli_record_free(r);
    return st;
}

/* Room for transition len[i] (and observation len[i] + 1) of sub-env i. */
static rlc_status grow(rlc__cli_record *r, int i) {
    if (r->len[i] < r->cap[i]) return RLC_OK;
    int64_t c = r->cap[i] ? 2 * r->cap[i] : 256;
    float *o = rlc_realloc(r->obs[i], sizeof(float) * (size_t)(c + 1) * (size_t)r->D);
    if (o) r->obs[i] = o;
    float *a = rlc_realloc(r->act[i], sizeof(float) * (size_t)c * (size_t)r->A);
    if (a) r->act[i] = a;
    float *w = rlc_realloc(r->rew[i], sizeof(float) * (size_t)c);
    if (w) r->rew[i] = w;
    uint8_t *t = rlc_realloc(r->term[i], (size_t)c);
    if (t) r->term[i] = t;
    uint8_t *u = rlc_realloc(r->trunc[i], (size_t)c);
    if (u) r->trunc[i] = u;
    if (!o || !a || !w || !t || !u) return RLC_ERR_NOMEM;
    r->cap[i] = c;
    return RLC_OK;
}

static void begin(rlc__cli_record *r, int i, const float *obs0) {
    memcpy(r->obs[i], obs0, sizeof(float) * (size_t)r->D);
    r->len[i] = 0;
    r->open[i] = 1;
}

static rlc_status close_episode(rlc__cli_record *r, int i) {
    rlc_status st = RLC_OK;
    if (r->len[i] > 0)
        st = rlc_dataset_add_episode(r->d, r->len[i], r->obs[i], r->act[i], r->rew[i],
                                     r->term[i], r->trunc[i]);
    r->open[i] = 0;
    r->len[i] = 0;
    return st;
}

rlc_status rlc__cli_record_step(rlc__cli_record *r, const rlc_vec_env *v) {
    const int D = r->D;
    for (int i = 0; i < r->n; i++) {
        if (!r->obs[i]) {
            rlc_status st = grow(r, i);
            if (st) return st;
        }
        const float *obs = v->obs_f32 + (size_t)i * (size_t)D;
        if (!r->started || v->autoreset[i]) { /* a reset observation starts an episode */
            begin(r, i, obs);
            continue;
        }
        if (!r->open[i]) continue; /* nothing in progress (not reached with autoreset) */
        rlc_status st = grow(r, i);
        if (st) return st;
        int64_t t = r->len[i];
        const int ended = v->terminated[i] | v->truncated[i];
        const float *next = ended ? v->final_obs_f32 + (size_t)i * (size_t)D : obs;
        memcpy(r->obs[i] + (size_t)(t + 1) * (size_t)D, next, sizeof(float) * (size_t)D);
        /* as `rlc dataset collect` stores them (Discrete: the value, start included) */
        rlc_space_to_f32(v->action_space, (const char *)v->actions + (size_t)i * v->action_bytes,
                         r->act[i] + (size_t)t * (size_t)r->A);
        r->rew[i][t] = (float)v->rewards[i];
        r->term[i][t] = v->terminated[i];
        r->trunc[i][t] = v->truncated[i];
        r->len[i] = t + 1;
        if (ended) {
            if ((st = close_episode(r, i))) return st;
            if (v->autoreset_mode == RLC_VEC_AUTORESET_SAME_STEP) begin(r, i, obs);
        }
    }
    r->started = 1;
    return RLC_OK;
}

rlc_status rlc__cli_record_save(rlc__cli_record *r, const char *out) {
    for (int i = 0; i < r->n; i++)
        if (r->open[i] && r->len[i] > 0) {
            r->trunc[i][r->len[i] - 1] = 1; /* cut by the end of training */
            rlc_status st = close_episode(r, i);
            if (st) return st;
        }
    if (rlc_dataset_num_episodes(r->d) < 1)
        return rlc_error(RLC_ERR_STATE, "--record-dataset: the run completed no env step");
    size_t n = strlen(out);
    int h5 = (n > 5 && !strcmp(out + n - 5, ".hdf5")) || (n > 3 && !strcmp(out + n - 3, ".h5"));
    return h5 ? rlc_dataset_save_d4rl(r->d, out) : rlc_dataset_save_minari(r->d, out);
}

void rlc__cli_record_free(rlc__cli_record *r) {
    for (int i = 0; i < r->n; i++) {
        if (r->obs) rlc_free(r->obs[i]);
        if (r->act) rlc_free(r->act[i]);
        if (r->rew) rlc_free(r->rew[i]);
        if (r->term) rlc_free(r->term[i]);
        if (r->trunc) rlc_free(r->trunc[i]);
    }
    void *p[] = {r->obs, r->act, r->rew, r->term, r->trunc, r->len, r->cap, r->open};
    for (size_t k = 0; k < sizeof p / sizeof p[0]; k++) rlc_free(p[k]);
    rlc_dataset_destroy(r->d);
    memset(r, 0, sizeof *r);
}
