/* The agent interface shared by every algorithm: creation from (algo, env, config), the one
 * trainer loop over a vector env, deterministic evaluation and one-file checkpoints. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "algo/algo_impl.h"
#include "algo/offline/offline_impl.h"
#include "dist/dist_impl.h"
#include "rlc/image.h"
#include "rlc/safetensors.h"

extern const rlc__algo rlc__algo_stream_ac, rlc__algo_stream_q, rlc__algo_stream_td;
extern const rlc__algo rlc__algo_qlearning, rlc__algo_dynaq; /* src/algo/tabular/ */

static const rlc__algo *const ALGOS[] = {&rlc__algo_ppo, &rlc__algo_sac, &rlc__algo_td3,
                                         &rlc__algo_dqn,
                                         /* offline (src/algo/offline/) */
                                         &rlc__algo_bc.base, &rlc__algo_td3bc.base,
                                         &rlc__algo_iql.base, &rlc__algo_cql.base,
                                         &rlc__algo_awac.base,
                                         /* streaming (src/algo/stream_*.c) */
                                         &rlc__algo_stream_ac, &rlc__algo_stream_q,
                                         &rlc__algo_stream_td,
                                         /* distributed actor-learner (src/dist/) */
                                         &rlc__algo_impala,
                                         /* tabular (src/algo/tabular/agent_tabular.c) */
                                         &rlc__algo_qlearning, &rlc__algo_dynaq};
#define N_ALGOS ((int)(sizeof ALGOS / sizeof ALGOS[0]))

static const rlc__algo *find_algo(const char *name) {
    if (!name) return NULL;
    for (int i = 0; i < N_ALGOS; i++)
        if (!strcmp(ALGOS[i]->name, name)) return ALGOS[i];
    return NULL;
}

int rlc_algo_count(void) { return N_ALGOS; }

const char *rlc_algo_name(int i) { return i >= 0 && i < N_ALGOS ? ALGOS[i]->name : NULL; }

const rlc_config_table *rlc_algo_config_table(const char *algo) {
    const rlc__algo *al = find_algo(algo);
    return al ? al->table() : NULL;
}

void rlc_agent_destroy(rlc_agent *a) {
    if (!a) return;
    if (a->impl) a->algo->destroy(a);
    rlc_env_destroy(a->env);
    rlc_free(a->env_id);
    rlc_free(a->env_kwargs);
    rlc_free(a->cfg);
    rlc_free(a);
}

rlc_status rlc_agent_create(rlc_agent **out, const char *algo, const char *env_id,
                            const char *env_kwargs, const void *cfg, uint64_t seed) {
    if (!out || !algo || !env_id) return rlc_error(RLC_ERR_INVALID, "agent: NULL argument");
    const rlc__algo *al = find_algo(algo);
    if (!al) {
        char names[256] = "";
        for (int i = 0; i < N_ALGOS; i++) {
            if (i) strncat(names, ", ", sizeof names - strlen(names) - 1);
            strncat(names, ALGOS[i]->name, sizeof names - strlen(names) - 1);
        }
        return rlc_error(RLC_ERR_NOT_FOUND, "unknown algorithm '%s' (known: %s)", algo, names);
    }
    rlc_agent *a = rlc_calloc(1, sizeof *a);
    if (!a) return RLC_ERR_NOMEM;
    a->algo = al;
    a->seed = seed;
    const rlc_config_table *t = al->table();
    a->cfg = rlc_malloc(t->size);
    a->env_id = rlc_strdup(env_id);
    a->env_kwargs = rlc_strdup(env_kwargs ? env_kwargs : "");
    if (!a->cfg || !a->env_id || !a->env_kwargs) {
        rlc_agent_destroy(a);
        return RLC_ERR_NOMEM;
    }
    if (cfg)
        memcpy(a->cfg, cfg, t->size);
    else
        rlc_config_defaults(t, a->cfg);
    rlc_status st = rlc_env_make(&a->env, env_id, env_kwargs);
    if (st) {
        rlc_agent_destroy(a);
        return st;
    }
    a->obs_space = rlc_env_obs_space(a->env);
    a->action_space = rlc_env_action_space(a->env);
    a->obs_size = (int)a->obs_space->size;
    st = al->init(a);
    if (st) {
        rlc_agent_destroy(a);
        return st;
    }
    *out = a;
    return RLC_OK;
}

const char *rlc_agent_algo(const rlc_agent *a) { return a ? a->algo->name : NULL; }
const char *rlc_agent_env_id(const rlc_agent *a) { return a ? a->env_id : NULL; }
const char *rlc_agent_env_kwargs(const rlc_agent *a) { return a ? a->env_kwargs : NULL; }
const rlc_config_table *rlc_agent_config_table(const rlc_agent *a) {
    return a ? a->algo->table() : NULL;
}
const void *rlc_agent_config(const rlc_agent *a) { return a ? a->cfg : NULL; }
rlc_params *rlc_agent_params(rlc_agent *a) { return a ? a->algo->params(a) : NULL; }
int rlc_agent_num_envs(const rlc_agent *a) { return a ? a->num_envs : 0; }

rlc_status rlc_agent_add_transition(rlc_agent *a, const float *obs, const float *action,
                                    double reward, const float *next_obs, int terminated,
                                    int truncated) {
    if (!a || !obs || !action || !next_obs)
        return rlc_error(RLC_ERR_INVALID, "agent_add_transition: NULL argument");
    if (!a->algo->add_transition)
        return rlc_error(RLC_ERR_UNSUPPORTED, "agent_add_transition: %s has no replay buffer",
                         a->algo->name);
    for (int i = 0; i < a->obs_size; i++)
        if (!isfinite(obs[i]) || !isfinite(next_obs[i]))
            return rlc_error(RLC_ERR_INVALID,
                             "agent_add_transition: observation element %d is not finite", i);
    for (int64_t j = 0; j < a->action_space->size; j++)
        if (!isfinite(action[j]))
            return rlc_error(RLC_ERR_INVALID,
                             "agent_add_transition: action element %lld is not finite",
                             (long long)j);
    if (!isfinite(reward))
        return rlc_error(RLC_ERR_INVALID, "agent_add_transition: reward %g is not finite",
                         reward);
    return a->algo->add_transition(a, obs, action, reward, next_obs, terminated != 0,
                                   truncated != 0);
}

rlc_status rlc_agent_act(rlc_agent *a, const float *obs, int n, void *actions,
                         int deterministic) {
    if (!a || !obs || !actions) return rlc_error(RLC_ERR_INVALID, "agent_act: NULL argument");
    if (n != 1 && n != a->num_envs)
        return rlc_error(RLC_ERR_INVALID, "agent_act: batch %d is neither 1 nor num_envs (%d)", n,
                         a->num_envs);
    return a->algo->act(a, obs, n, actions, deterministic);
}

/* ---- trainer loop ---------------------------------------------------------------------- */

#define RECENT 20
_Static_assert(RECENT == RLC__LEARNER_RECENT, "the learner's recent returns are the loop's");

/* The loop's own state: what a resumable checkpoint stores besides the agent and the envs. */
typedef struct loop_state {
    int64_t steps, episodes, updates, next_log;
    int64_t n_recent, recent_pos;
    double recent[RECENT];
} loop_state;

enum { LS_STEPS, LS_EPISODES, LS_UPDATES, LS_NEXT_LOG, LS_NRECENT, LS_RECENTPOS, LS_VECSTEPS,
       LS_NUMENVS, LS_N };

static rlc_status agent_fill_writer(rlc_agent *a, rlc_st_writer *w);

/* The metadata of a resumable checkpoint: the run it belongs to (seed, total steps), its step,
 * whether the algorithm saved its run state, and the data-parallel rank and world size. */
static rlc_status write_run_meta(rlc_agent *a, rlc_st_writer *w, uint64_t seed, int64_t total,
                                 int64_t step) {
    char buf[32];
    snprintf(buf, sizeof buf, "%llu", (unsigned long long)seed);
    rlc_status st = rlc_st_writer_set_meta(w, "rlc.ckpt.seed", buf);
    snprintf(buf, sizeof buf, "%lld", (long long)total);
    if (!st) st = rlc_st_writer_set_meta(w, "rlc.ckpt.total_steps", buf);
    snprintf(buf, sizeof buf, "%lld", (long long)step);
    if (!st) st = rlc_st_writer_set_meta(w, "rlc.ckpt.step", buf);
    if (!st)
        st = rlc_st_writer_set_meta(w, "rlc.ckpt.resumable",
                                    a->algo->write_train_state ? "1" : "0");
    if (!st) st = rlc__dist_ckpt_meta(w);
    return st;
}

static rlc_status write_checkpoint(rlc_agent *a, const char *path, uint64_t seed, int64_t total,
                                   const loop_state *ls, const rlc_vec_env *v, uint8_t *snap,
                                   size_t snap_size) {
    rlc_st_writer *w = rlc_st_writer_create();
    if (!w) return RLC_ERR_NOMEM;
    int N = a->num_envs;
    rlc_status st = agent_fill_writer(a, w);
    if (!st && a->algo->write_train_state) st = a->algo->write_train_state(a, w);
    int64_t c[LS_N] = {ls->steps,    ls->episodes,   ls->updates,    ls->next_log,
                       ls->n_recent, ls->recent_pos, v->total_steps, N};
    int64_t nc = LS_N, nr = RECENT, shp[2] = {N, (int64_t)snap_size};
    int64_t nob = (int64_t)(v->obs_bytes * (size_t)N), nof = v->obs_size * N;
    if (!st) st = rlc_st_writer_add_copy(w, "trainer.counters", RLC_ST_I64, 1, &nc, c);
    if (!st) st = rlc_st_writer_add_copy(w, "trainer.recent", RLC_ST_F64, 1, &nr, ls->recent);
    for (int i = 0; i < N && !st; i++)
        st = rlc_env_get_state(rlc_vec_env_get(v, i), snap + (size_t)i * snap_size, snap_size);
    if (!st) st = rlc_st_writer_add(w, "env.state", RLC_ST_U8, 2, shp, snap);
    if (!st) st = rlc_st_writer_add_copy(w, "env.obs", RLC_ST_U8, 1, &nob, v->obs);
    if (!st) st = rlc_st_writer_add_copy(w, "env.obs_f32", RLC_ST_F32, 1, &nof, v->obs_f32);
    if (!st) st = write_run_meta(a, w, seed, total, ls->steps);
    if (!st) st = rlc_st_writer_save(w, path);
    rlc_st_writer_destroy(w);
    return st;
}

static rlc_status ckpt_mismatch(const char *path, const char *what, const char *file_val,
                                const char *want) {
    return rlc_error(RLC_ERR_FORMAT, "%s: checkpoint of another run (%s %s, expected %s)", path,
                     what, file_val ? file_val : "missing", want);
}

/* Loads a resumable checkpoint of this run (algo, env, seed, total steps) into *out. */
static rlc_status load_run_checkpoint(rlc_agent *a, const char *path, uint64_t seed,
                                      int64_t total, rlc_st_file **out) {
    *out = NULL;
    if (!a->algo->write_train_state || !a->algo->read_train_state)
        return rlc_error(RLC_ERR_UNSUPPORTED,
                         "%s: cannot resume: %s does not save its run state (replay contents, "
                         "exploration) yet",
                         path, a->algo->name);
    rlc_st_file *f = NULL;
    rlc_status st = rlc_st_load(path, &f);
    if (st) return st;
    char want[64];
    const char *m = rlc_st_meta(f, "rlc.algo");
    if (!m || strcmp(m, a->algo->name)) st = ckpt_mismatch(path, "algo", m, a->algo->name);
    m = rlc_st_meta(f, "rlc.env");
    if (!st && (!m || strcmp(m, a->env_id))) st = ckpt_mismatch(path, "env", m, a->env_id);
    m = rlc_st_meta(f, "rlc.ckpt.seed");
    snprintf(want, sizeof want, "%llu", (unsigned long long)seed);
    if (!st && (!m || strcmp(m, want))) st = ckpt_mismatch(path, "seed", m, want);
    m = rlc_st_meta(f, "rlc.ckpt.total_steps");
    snprintf(want, sizeof want, "%lld", (long long)total);
    if (!st && (!m || strcmp(m, want))) st = ckpt_mismatch(path, "total_steps", m, want);
    m = rlc_st_meta(f, "rlc.ckpt.resumable");
    if (!st && (!m || strcmp(m, "1")))
        st = rlc_error(RLC_ERR_FORMAT, "%s: not a resumable checkpoint", path);
    if (st)
        rlc_st_file_destroy(f);
    else
        *out = f;
    return st;
}

/* Restores the agent, the loop state and the envs from a resumable checkpoint. */
static rlc_status read_checkpoint(rlc_agent *a, const char *path, uint64_t seed, int64_t total,
                                  loop_state *ls, rlc_vec_env *v, uint8_t *snap,
                                  size_t snap_size) {
    rlc_st_file *f = NULL;
    rlc_status st = load_run_checkpoint(a, path, seed, total, &f);
    if (st) return st;
    char want[64];
    const char *m = rlc_st_meta(f, "rlc.ckpt.mode");
    if (m && !strcmp(m, "actor-learner"))
        st = rlc_error(RLC_ERR_FORMAT,
                       "%s: checkpoint of an actor-learner run (no env states): resume it under "
                       "mpirun with 2 or more ranks",
                       path);
    int N = a->num_envs;
    int64_t c[LS_N], nc = LS_N, nr = RECENT, shp[2] = {N, (int64_t)snap_size};
    int64_t nob = (int64_t)(v->obs_bytes * (size_t)N), nof = v->obs_size * N;
    if (!st) st = rlc_st_read_into(f, "trainer.counters", RLC_ST_I64, 1, &nc, c);
    if (!st && c[LS_NUMENVS] != N) {
        snprintf(want, sizeof want, "%lld", (long long)c[LS_NUMENVS]);
        char have[32];
        snprintf(have, sizeof have, "%d", N);
        st = ckpt_mismatch(path, "num_envs", want, have);
    }
    if (!st && (c[LS_NRECENT] < 0 || c[LS_NRECENT] > RECENT || c[LS_RECENTPOS] < 0 ||
                c[LS_RECENTPOS] >= RECENT || c[LS_STEPS] < 0))
        st = rlc_error(RLC_ERR_FORMAT, "%s: corrupt trainer counters", path);
    /* everything is checked before the agent is changed */
    if (!st) st = rlc_st_read_into(f, "env.state", RLC_ST_U8, 2, shp, snap);
    if (!st) st = rlc_st_read_into(f, "env.obs", RLC_ST_U8, 1, &nob, v->obs);
    if (!st) st = rlc_st_read_into(f, "env.obs_f32", RLC_ST_F32, 1, &nof, v->obs_f32);
    if (!st) st = rlc_st_read_into(f, "trainer.recent", RLC_ST_F64, 1, &nr, ls->recent);
    for (int i = 0; i < N && !st; i++)
        st = rlc_env_set_state(rlc_vec_env_get(v, i), snap + (size_t)i * snap_size, snap_size);
    if (!st) st = rlc_params_read(a->algo->params(a), f, "", RLC_CKPT_OPTIM);
    if (!st && a->algo->read_state) st = a->algo->read_state(a, f);
    if (!st) st = a->algo->read_train_state(a, f);
    if (!st) {
        ls->steps = c[LS_STEPS];
        ls->episodes = c[LS_EPISODES];
        ls->updates = c[LS_UPDATES];
        ls->next_log = c[LS_NEXT_LOG];
        ls->n_recent = c[LS_NRECENT];
        ls->recent_pos = c[LS_RECENTPOS];
        v->total_steps = c[LS_VECSTEPS];
    } else if (st != RLC_ERR_NOMEM && st != RLC_ERR_FORMAT) {
        st = rlc_error(RLC_ERR_FORMAT, "%s: %s", path, rlc_last_error());
    }
    rlc_st_file_destroy(f);
    return st;
}

/* ---- the actor-learner's checkpoints (src/dist/actor_learner.c) ------------------------- */

rlc_status rlc__learner_checkpoint_write(rlc_agent *a, const char *path, uint64_t seed,
                                         int64_t total, const rlc__learner_counters *lc) {
    rlc_st_writer *w = rlc_st_writer_create();
    if (!w) return RLC_ERR_NOMEM;
    rlc_status st = agent_fill_writer(a, w);
    if (!st && a->algo->write_train_state) st = a->algo->write_train_state(a, w);
    int64_t c[LS_N] = {lc->steps,    lc->episodes,   lc->updates, lc->next_log,
                       lc->n_recent, lc->recent_pos, lc->steps,   a->num_envs};
    int64_t nc = LS_N, nr = RECENT;
    if (!st) st = rlc_st_writer_add_copy(w, "trainer.counters", RLC_ST_I64, 1, &nc, c);
    if (!st) st = rlc_st_writer_add_copy(w, "trainer.recent", RLC_ST_F64, 1, &nr, lc->recent);
    if (!st) st = write_run_meta(a, w, seed, total, lc->steps);
    if (!st) st = rlc_st_writer_set_meta(w, "rlc.ckpt.mode", "actor-learner");
    if (!st) st = rlc_st_writer_save(w, path);
    rlc_st_writer_destroy(w);
    return st;
}

rlc_status rlc__learner_checkpoint_read(rlc_agent *a, const char *path, uint64_t seed,
                                        int64_t total, rlc__learner_counters *lc) {
    rlc_st_file *f = NULL;
    rlc_status st = load_run_checkpoint(a, path, seed, total, &f);
    if (st) return st;
    int64_t c[LS_N], nc = LS_N, nr = RECENT;
    double recent[RECENT];
    st = rlc_st_read_into(f, "trainer.counters", RLC_ST_I64, 1, &nc, c);
    if (!st && (c[LS_NRECENT] < 0 || c[LS_NRECENT] > RECENT || c[LS_RECENTPOS] < 0 ||
                c[LS_RECENTPOS] >= RECENT || c[LS_STEPS] < 0 || c[LS_STEPS] > total))
        st = rlc_error(RLC_ERR_FORMAT, "%s: corrupt trainer counters", path);
    if (!st) st = rlc_st_read_into(f, "trainer.recent", RLC_ST_F64, 1, &nr, recent);
    /* everything is checked before the agent is changed */
    if (!st) st = rlc_params_read(a->algo->params(a), f, "", RLC_CKPT_OPTIM);
    if (!st && a->algo->read_state) st = a->algo->read_state(a, f);
    if (!st) st = a->algo->read_train_state(a, f);
    if (!st) {
        lc->steps = c[LS_STEPS];
        lc->episodes = c[LS_EPISODES];
        lc->updates = c[LS_UPDATES];
        lc->next_log = c[LS_NEXT_LOG];
        lc->n_recent = c[LS_NRECENT];
        lc->recent_pos = c[LS_RECENTPOS];
        memcpy(lc->recent, recent, sizeof recent);
    } else if (st != RLC_ERR_NOMEM && st != RLC_ERR_FORMAT) {
        st = rlc_error(RLC_ERR_FORMAT, "%s: %s", path, rlc_last_error());
    }
    rlc_st_file_destroy(f);
    return st;
}

rlc_status rlc_agent_train(rlc_agent *a, uint64_t seed, const rlc_train_options *opt,
                           rlc_train_result *res) {
    return rlc_agent_train_resumable(a, seed, opt, NULL, res);
}

static rlc_status train_loop(rlc_agent *a, uint64_t seed, const rlc_train_options *opt,
                             const rlc_train_checkpoint *ck, const rlc_train_hooks *hooks,
                             rlc_train_result *res);

rlc_status rlc_agent_train_resumable(rlc_agent *a, uint64_t seed, const rlc_train_options *opt,
                                     const rlc_train_checkpoint *ck, rlc_train_result *res) {
    return train_loop(a, seed, opt, ck, NULL, res);
}

rlc_status rlc_agent_train_hooked(rlc_agent *a, uint64_t seed, const rlc_train_options *opt,
                                  const rlc_train_hooks *hooks, rlc_train_result *res) {
    return train_loop(a, seed, opt, NULL, hooks, res);
}

rlc_status rlc_agent_train_ex(rlc_agent *a, uint64_t seed, const rlc_train_options *opt,
                              const rlc_train_checkpoint *ck, const rlc_train_hooks *hooks,
                              rlc_train_result *res) {
    return train_loop(a, seed, opt, ck, hooks, res);
}

static rlc_status train_loop(rlc_agent *a, uint64_t seed, const rlc_train_options *opt,
                             const rlc_train_checkpoint *ck, const rlc_train_hooks *hooks,
                             rlc_train_result *res) {
    if (!a) return rlc_error(RLC_ERR_INVALID, "agent_train: NULL agent");
    rlc_train_options o = {0};
    if (opt) o = *opt;
    if (o.total_steps <= 0) o.total_steps = 100000;
    rlc_train_checkpoint k = {0};
    if (ck) k = *ck;
    if (k.resume && !k.path) return rlc_error(RLC_ERR_INVALID, "agent_train: resume without path");
    if (k.every <= 0) k.every = o.total_steps / 10 > 0 ? o.total_steps / 10 : 1;
    rlc_vec_env_options vo = {.num_threads = a->num_threads,
                              .autoreset = RLC_VEC_AUTORESET_NEXT_STEP};
    if (hooks) {
        vo.wrap = hooks->wrap;
        vo.wrap_user = hooks->user;
    }
    rlc_vec_env *v = NULL;
    rlc_status st = rlc_vec_env_create(&v, a->env_id, a->env_kwargs, a->num_envs, &vo);
    if (st) return st;
    /* data-parallel (src/dist/): rank r's sub-envs are seeded seed + r * num_envs + i */
    const int world = rlc__dist_world();
    const uint64_t env_seed = seed + (uint64_t)rlc_dist_rank() * (uint64_t)a->num_envs;
    st = rlc_vec_env_reset(v, (int64_t)env_seed);
    if (st) {
        rlc_vec_env_destroy(v);
        return st;
    }
    /* snapshot buffer for checkpoints, allocated before the loop */
    size_t snap_size = rlc_env_state_size(rlc_vec_env_get(v, 0));
    uint8_t *snap = NULL;
    if (k.path) {
        snap = rlc_malloc(snap_size * (size_t)a->num_envs);
        if (!snap) {
            rlc_vec_env_destroy(v);
            return RLC_ERR_NOMEM;
        }
    }
    a->algo->begin(a, (o.total_steps + world - 1) / world); /* this rank's share */

    loop_state ls = {0};
    ls.next_log = o.log_interval;
    if (k.resume) {
        st = read_checkpoint(a, k.path, seed, o.total_steps, &ls, v, snap, snap_size);
        int foreign = 0; /* rank 0's file given to a rank the earlier run did not have */
        if (!st) st = rlc__dist_ckpt_foreign(k.path, &foreign);
        if (!st && foreign) {
            st = rlc_vec_env_reset(v, (int64_t)(env_seed + (uint64_t)ls.steps));
            ls.episodes = ls.n_recent = ls.recent_pos = 0;
        }
    }
    st = rlc__dist_train_begin(a, st); /* one rank's failure fails all */
    if (st) {
        rlc_free(snap);
        rlc_vec_env_destroy(v);
        return st;
    }
    int64_t next_ck = (ls.steps / k.every + 1) * k.every;
    double t0 = rlc_time_now(), t_log = t0;
    int64_t steps_log = ls.steps;
    rlc__update_info info = {0};
    int stop = 0, killed = 0;
    int64_t g_eps = ls.episodes, g_nrecent = ls.n_recent; /* over all ranks */
    double g_mean = NAN;
    if (hooks && hooks->after_step) st = hooks->after_step(v, hooks->user);
    while (!st && ls.steps < o.total_steps && !stop) {
        if ((st = a->algo->train_act(a, v))) break;
        if ((st = rlc_vec_env_step(v, NULL))) break;
        if (hooks && hooks->after_step && (st = hooks->after_step(v, hooks->user))) break;
        ls.steps += (int64_t)a->num_envs * world; /* every rank steps together */
        int pending = 0;
        for (int i = 0; i < a->num_envs; i++) {
            if (!(v->terminated[i] | v->truncated[i])) continue;
            pending = 1;
            ls.episodes++;
            ls.recent[ls.recent_pos] = v->episode_return[i];
            ls.recent_pos = (ls.recent_pos + 1) % RECENT;
            if (ls.n_recent < RECENT) ls.n_recent++;
            rlc_progress_episode(o.progress, v->episode_return[i]);
        }
        double mean_ret = NAN;
        if (ls.n_recent) {
            mean_ret = 0;
            for (int j = 0; j < ls.n_recent; j++) mean_ret += ls.recent[j];
            mean_ret /= (double)ls.n_recent;
        }
        const int updated = a->algo->observe(a, v);
        if (updated) {
            if ((st = a->algo->update(a, v, &info))) break;
            ls.updates++;
            if (hooks && hooks->after_update && hooks->after_update(a, ls.steps, hooks->user))
                stop = 1;
            /* data-parallel: the statistics of every rank (the same on each) */
            g_eps = ls.episodes;
            g_nrecent = ls.n_recent;
            if ((st = rlc__dist_after_update(a, ls.recent, &mean_ret, &g_nrecent, &g_eps,
                                             &pending)))
                break;
            g_mean = mean_ret;
            if (o.stop_return > 0 && g_nrecent >= RECENT && mean_ret >= o.stop_return) stop = 1;
            if (o.log_interval <= 0 || ls.steps >= ls.next_log || stop ||
                ls.steps >= o.total_steps) {
                while (o.log_interval > 0 && ls.next_log <= ls.steps) ls.next_log += o.log_interval;
                double now = rlc_time_now();
                double fps = now > t_log ? (double)(ls.steps - steps_log) / (now - t_log) : 0;
                t_log = now;
                steps_log = ls.steps;
                if (o.logger) {
                    rlc_logger_record(o.logger, "episodes", (double)g_eps);
                    rlc_logger_record(o.logger, "return_mean", mean_ret);
                    rlc_logger_record(o.logger, "fps", fps);
                    for (int j = 0; j < info.n; j++)
                        rlc_logger_record(o.logger, info.key[j], info.value[j]);
                    if ((st = rlc_logger_dump(o.logger, ls.steps))) break;
                }
                if (o.print) {
                    fprintf(o.print, "step %lld  episodes %lld  return %.2f  fps %.0f",
                            (long long)ls.steps, (long long)g_eps, mean_ret, fps);
                    for (int j = 0; j < info.n; j++)
                        fprintf(o.print, "  %s %.4g", info.key[j], info.value[j]);
                    fputc('\n', o.print);
                    fflush(o.print);
                }
            }
        }
        /* Checkpoints after any step where no sub-env waits for its autoreset (that pending
         * reset is private to the vector env), so that the saved envs are complete; the
         * algorithms save their partial rollout or replay. Data-parallel ranks agree on
         * `pending` only at updates, so there they checkpoint at updates. */
        if (k.path && (updated || world == 1) && !pending && ls.steps >= next_ck &&
            ls.steps < o.total_steps && !stop) {
            if (o.logger && (st = rlc_logger_flush(o.logger))) break;
            st = write_checkpoint(a, k.path, seed, o.total_steps, &ls, v, snap, snap_size);
            if (st) break;
            next_ck = (ls.steps / k.every + 1) * k.every;
            if (k.stop_at > 0 && ls.steps >= k.stop_at) {
                killed = 1;
                break;
            }
        }
        rlc_progress_update(o.progress, ls.steps);
    }
    double t1 = rlc_time_now();
    rlc__dist_train_end();
    if (!st && !killed && k.path)
        st = write_checkpoint(a, k.path, seed, o.total_steps, &ls, v, snap, snap_size);
    rlc_progress_finish(o.progress, ls.steps);
    rlc_free(snap);
    rlc_vec_env_destroy(v);
    if (res) {
        res->steps = ls.steps;
        res->episodes = ls.episodes;
        res->updates = ls.updates;
        res->seconds = t1 - t0;
        res->mean_return = NAN;
        if (ls.n_recent) {
            double sum = 0;
            for (int j = 0; j < ls.n_recent; j++) sum += ls.recent[j];
            res->mean_return = sum / (double)ls.n_recent;
        }
        if (world > 1) { /* as of the last update, over all ranks */
            res->episodes = g_eps;
            res->mean_return = g_mean;
        }
    }
    return st;
}

/* ---- evaluation ------------------------------------------------------------------------ */

rlc_status rlc_agent_evaluate(rlc_agent *a, int episodes, uint64_t seed, int stochastic,
                              double *returns, void *gif, int gif_width, int gif_height) {
    if (!a || episodes < 0) return rlc_error(RLC_ERR_INVALID, "agent_evaluate: bad argument");
    void *obs = rlc_malloc(rlc_space_bytes(a->obs_space) + 1);
    float *obs_f = rlc_malloc(sizeof(float) * (size_t)a->obs_size + 1);
    void *act = rlc_malloc(rlc_space_bytes(a->action_space) + 8);
    uint8_t *rgb = gif ? rlc_malloc((size_t)gif_width * (size_t)gif_height * 3) : NULL;
    rlc_status st = RLC_OK;
    if (!obs || !obs_f || !act || (gif && !rgb)) st = RLC_ERR_NOMEM;
    for (int e = 0; e < episodes && !st; e++) {
        if ((st = rlc_env_reset(a->env, (int64_t)(seed + (uint64_t)e), obs))) break;
        double ret = 0;
        for (;;) {
            if (gif && e == 0) {
                if ((st = rlc_env_render(a->env, rgb, gif_width, gif_height))) break;
                if ((st = rlc_image_gif_add_frame((rlc_gif *)gif, rgb))) break;
            }
            rlc_space_to_f32(a->obs_space, obs, obs_f);
            if ((st = a->algo->act(a, obs_f, 1, act, !stochastic))) break;
            rlc_step_result r;
            if ((st = rlc_env_step(a->env, act, obs, &r))) break;
            ret += r.reward;
            if (r.terminated || r.truncated) {
                if (gif && e == 0) {
                    if ((st = rlc_env_render(a->env, rgb, gif_width, gif_height))) break;
                    if ((st = rlc_image_gif_add_frame((rlc_gif *)gif, rgb))) break;
                }
                break;
            }
        }
        if (returns) returns[e] = ret;
    }
    rlc_free(obs);
    rlc_free(obs_f);
    rlc_free(act);
    rlc_free(rgb);
    return st;
}

/* ---- checkpoints ----------------------------------------------------------------------- */

/* Parameters, optimizer state, normalisers and the metadata rlc_agent_load reads. */
static rlc_status agent_fill_writer(rlc_agent *m, rlc_st_writer *w) {
    const rlc_agent *a = m;
    const rlc_config_table *t = a->algo->table();
    char *json = NULL;
    rlc_status st = rlc_params_write(a->algo->params(m), w, "", RLC_CKPT_OPTIM);
    if (!st && a->algo->write_state) st = a->algo->write_state(m, w);
    if (!st) st = rlc_st_writer_set_meta(w, "format", "pt");
    if (!st) st = rlc_st_writer_set_meta(w, "rlc.version", RLC_VERSION_STRING);
    if (!st) st = rlc_st_writer_set_meta(w, "rlc.algo", a->algo->name);
    if (!st) st = rlc_st_writer_set_meta(w, "rlc.env", a->env_id);
    if (!st) st = rlc_st_writer_set_meta(w, "rlc.env_kwargs", a->env_kwargs);
    if (!st) st = rlc_config_to_json(t, a->cfg, &json);
    if (!st) st = rlc_st_writer_set_meta(w, "rlc.config", json);
    for (int i = 0; i < t->n_fields && !st; i++) {
        char key[300], val[RLC_CONFIG_STR_MAX + 64];
        snprintf(key, sizeof key, "config.%s", t->fields[i].name);
        st = rlc_config_get(t, a->cfg, t->fields[i].name, val, sizeof val);
        if (!st) st = rlc_st_writer_set_meta(w, key, val);
    }
    rlc_free(json);
    return st;
}

rlc_status rlc__agent_fill_writer(rlc_agent *a, rlc_st_writer *w) {
    return agent_fill_writer(a, w);
}

rlc_status rlc_agent_save(const rlc_agent *a, const char *path) {
    if (!a || !path) return rlc_error(RLC_ERR_INVALID, "agent_save: NULL argument");
    rlc_st_writer *w = rlc_st_writer_create();
    if (!w) return RLC_ERR_NOMEM;
    /* params() only hands out the pointer */
    rlc_status st = agent_fill_writer((rlc_agent *)a, w);
    if (!st) st = rlc_st_writer_save(w, path);
    rlc_st_writer_destroy(w);
    return st;
}

rlc_status rlc_agent_load(rlc_agent **out, const char *path, uint64_t seed) {
    if (!out || !path) return rlc_error(RLC_ERR_INVALID, "agent_load: NULL argument");
    rlc_st_file *f = NULL;
    rlc_status st = rlc_st_load(path, &f);
    if (st) return st;
    const char *algo = rlc_st_meta(f, "rlc.algo"), *env = rlc_st_meta(f, "rlc.env");
    const char *kw = rlc_st_meta(f, "rlc.env_kwargs");
    const rlc_config_table *t = algo ? rlc_algo_config_table(algo) : NULL;
    if (!algo || !env || !t) {
        st = rlc_error(RLC_ERR_FORMAT, "%s: not an rlc agent checkpoint (%s)", path,
                       !algo ? "no rlc.algo metadata"
                       : !env ? "no rlc.env metadata"
                              : "unknown algorithm");
        rlc_st_file_destroy(f);
        return st;
    }
    void *cfg = rlc_malloc(t->size);
    if (!cfg) {
        rlc_st_file_destroy(f);
        return RLC_ERR_NOMEM;
    }
    rlc_config_defaults(t, cfg);
    for (int i = 0; i < t->n_fields && !st; i++) {
        char key[300];
        snprintf(key, sizeof key, "config.%s", t->fields[i].name);
        const char *val = rlc_st_meta(f, key);
        if (val && (st = rlc_config_set(t, cfg, t->fields[i].name, val)))
            st = rlc_error(st, "%s: metadata %s: %s", path, key, rlc_last_error());
    }
    rlc_agent *a = NULL;
    if (!st) st = rlc_agent_create(&a, algo, env, kw, cfg, seed);
    if (!st) st = rlc_params_read(a->algo->params(a), f, "", RLC_CKPT_OPTIM);
    if (!st && a->algo->read_state) st = a->algo->read_state(a, f);
    rlc_free(cfg);
    rlc_st_file_destroy(f);
    if (st) {
        rlc_agent_destroy(a);
        return st;
    }
    *out = a;
    return RLC_OK;
}

rlc_status rlc__require_bounded_box(const rlc_agent *a, const char *algo) {
    const rlc_space *as = a->action_space;
    if (as->kind != RLC_SPACE_BOX) {
        char what[64];
        if (as->kind == RLC_SPACE_DISCRETE)
            snprintf(what, sizeof what, "Discrete(%lld)", (long long)as->n);
        else
            snprintf(what, sizeof what, "a MultiDiscrete action space");
        return rlc_error(RLC_ERR_UNSUPPORTED, "%s needs a Box action space; %s has %s", algo,
                         a->env_id, what);
    }
    if (as->dtype != RLC_SPACE_FLOAT32)
        return rlc_error(RLC_ERR_UNSUPPORTED, "%s: %s: Box actions must be float32", algo,
                         a->env_id);
    for (int64_t j = 0; j < as->size; j++)
        if (!isfinite(as->low[j]) || !isfinite(as->high[j]) || as->low[j] >= as->high[j])
            return rlc_error(RLC_ERR_UNSUPPORTED,
                             "%s needs a bounded Box action space; %s has action %lld in "
                             "[%g, %g]",
                             algo, a->env_id, (long long)j, as->low[j], as->high[j]);
    if (a->obs_space->kind != RLC_SPACE_BOX)
        return rlc_error(RLC_ERR_UNSUPPORTED, "%s: observation space must be a Box", algo);
    return RLC_OK;
}

/* Records MLP m (hidden activation act, LayerNorm when ln) on x viewing p's values without
 * gradients: the same ops as rlc_mlp_forward_params, but the actor loss only needs d/d(action)
 * through the critics, so their weight gradients are not computed. */
rlc_tensor *rlc__frozen_mlp(rlc_graph *g, const rlc_mlp *m, rlc_params *p, const char *name,
                           int ln, rlc_act act, rlc_tensor *x) {
    float *d = rlc_params_data(p);
    int L = rlc_mlp_num_layers(m);
    rlc_tensor *h = x;
    for (int i = 0; i < L && h; i++) {
        const rlc_linear *l = rlc_mlp_layer(m, i);
        const rlc_param_entry *e = rlc_params_entry(p, l->weight);
        h = rlc_matmul(g, h, rlc_param(g, d + e->offset, NULL, e->ndim, e->shape), 0, 1);
        if (l->bias >= 0) {
            e = rlc_params_entry(p, l->bias);
            h = rlc_add(g, h, rlc_param(g, d + e->offset, NULL, e->ndim, e->shape));
        }
        if (i == L - 1) break;
        if (ln) {
            char nw[96], nb[96];
            snprintf(nw, sizeof nw, "%s.ln%d.weight", name, i);
            snprintf(nb, sizeof nb, "%s.ln%d.bias", name, i);
            int iw = rlc_params_find(p, nw), ib = rlc_params_find(p, nb);
            if (iw < 0 || ib < 0) return NULL; /* cannot happen: the MLP made them */
            const rlc_param_entry *ew = rlc_params_entry(p, iw), *eb = rlc_params_entry(p, ib);
            h = rlc_layer_norm(g, h, rlc_param(g, d + ew->offset, NULL, ew->ndim, ew->shape),
                               rlc_param(g, d + eb->offset, NULL, eb->ndim, eb->shape), 1e-5);
        }
        h = rlc_activation(g, h, act, 0);
    }
    return h;
}

rlc_status rlc__offpolicy_write_train_state(const char *algo, const rlc__offpolicy_state *s,
                                            rlc_st_writer *w) {
    char name[64];
    int64_t nr = (int64_t)sizeof(rlc_rng), n2 = 2, cnt[2] = {*s->env_steps, *s->grad_steps};
    rlc_rng *rng[3] = {s->rng_act, s->rng_replay, s->rng_noise};
    static const char *const rng_names[3] = {"rng_act", "rng_replay", "rng_noise"};
    rlc_status st = RLC_OK;
    for (int i = 0; i < 3 && !st; i++) {
        snprintf(name, sizeof name, "%s.%s", algo, rng_names[i]);
        st = rlc_st_writer_add_copy(w, name, RLC_ST_U8, 1, &nr, rng[i]);
    }
    snprintf(name, sizeof name, "%s.counters", algo);
    if (!st) st = rlc_st_writer_add_copy(w, name, RLC_ST_I64, 1, &n2, cnt);
    snprintf(name, sizeof name, "%s.credit", algo);
    if (!st) st = rlc_st_writer_add_copy(w, name, RLC_ST_F64, 0, NULL, s->credit);
    snprintf(name, sizeof name, "%s.replay.", algo);
    if (!st) st = rlc_replay_write(s->rb, w, name);
    return st;
}

rlc_status rlc__offpolicy_read_train_state(const char *algo, const rlc__offpolicy_state *s,
                                           const rlc_st_file *f) {
    char name[64];
    int64_t nr = (int64_t)sizeof(rlc_rng), n2 = 2, cnt[2];
    rlc_rng rng[3];
    static const char *const rng_names[3] = {"rng_act", "rng_replay", "rng_noise"};
    double credit;
    rlc_status st = RLC_OK;
    for (int i = 0; i < 3 && !st; i++) {
        snprintf(name, sizeof name, "%s.%s", algo, rng_names[i]);
        st = rlc_st_read_into(f, name, RLC_ST_U8, 1, &nr, &rng[i]);
    }
    snprintf(name, sizeof name, "%s.counters", algo);
    if (!st) st = rlc_st_read_into(f, name, RLC_ST_I64, 1, &n2, cnt);
    snprintf(name, sizeof name, "%s.credit", algo);
    if (!st) st = rlc_st_read_into(f, name, RLC_ST_F64, 0, NULL, &credit);
    if (!st && (cnt[0] < 0 || cnt[1] < 0 || !(credit >= 0 && credit < 1)))
        st = rlc_error(RLC_ERR_FORMAT, "%s: corrupt step counters", algo);
    snprintf(name, sizeof name, "%s.replay.", algo);
    if (!st) st = rlc_replay_read(s->rb, f, name);
    if (st) return st;
    *s->rng_act = rng[0];
    *s->rng_replay = rng[1];
    *s->rng_noise = rng[2];
    *s->env_steps = cnt[0];
    *s->grad_steps = cnt[1];
    *s->credit = credit;
    return RLC_OK;
}

rlc_status rlc__replay_add_one(rlc_replay *rb, float **scratch, int N, int D, int A,
                               const float *scale, const float *bias, const float *obs,
                               const float *action, double reward, const float *next_obs,
                               int terminated, int truncated) {
    const size_t n = (size_t)N, d = (size_t)D, na = (size_t)A;
    if (!*scratch && !(*scratch = rlc_calloc(n * (2 * d + na + 1) + 2 * n, sizeof(float))))
        return RLC_ERR_NOMEM;
    float *o = *scratch, *nx = o + n * d, *ac = nx + n * d, *rw = ac + n * na;
    uint8_t *flags = (uint8_t *)(rw + n), *term = flags, *trunc = flags + n, *valid = trunc + n;
    memset(flags, 0, 3 * n);
    memcpy(o, obs, sizeof(float) * d);
    memcpy(nx, next_obs, sizeof(float) * d);
    for (size_t j = 0; j < na; j++) {
        double x = ((double)action[j] - bias[j]) / scale[j];
        ac[j] = (float)(x < -1 ? -1 : x > 1 ? 1 : x);
    }
    rw[0] = (float)reward;
    term[0] = (uint8_t)terminated;
    trunc[0] = (uint8_t)truncated;
    valid[0] = 1;
    return rlc_replay_add(rb, o, ac, rw, nx, term, trunc, valid);
}
