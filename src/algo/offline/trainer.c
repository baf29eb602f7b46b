/* The offline trainer shared by every offline algorithm: dataset checks, observation and reward
 * statistics, the (weighted) sampler, the update loop, periodic evaluation in the env with
 * D4RL-normalised scores, logging and checkpoints. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "algo/offline/offline_impl.h"

static const rlc__offline_algo *const OFFLINE[] = {&rlc__algo_bc, &rlc__algo_td3bc, &rlc__algo_iql,
                                                   &rlc__algo_cql, &rlc__algo_awac};
#define N_OFFLINE ((int)(sizeof OFFLINE / sizeof OFFLINE[0]))

const rlc__offline_algo *rlc__offline_of(const rlc_agent *a) {
    for (int i = 0; a && i < N_OFFLINE; i++)
        if (a->algo == &OFFLINE[i]->base) return OFFLINE[i];
    return NULL;
}

int rlc_algo_is_offline(const char *algo) {
    for (int i = 0; algo && i < N_OFFLINE; i++)
        if (!strcmp(OFFLINE[i]->base.name, algo)) return 1;
    return 0;
}

rlc_status rlc_offline_check_dataset(const rlc_agent *a, const rlc_dataset *d) {
    if (!a || !d) return rlc_error(RLC_ERR_INVALID, "offline: NULL argument");
    if (!rlc__offline_of(a))
        return rlc_error(RLC_ERR_INVALID,
                         "%s is an online algorithm: it learns from env interaction, not from a "
                         "dataset (offline algorithms: bc, td3bc, iql, cql, awac)",
                         a->algo->name);
    const rlc__offline_core *c = a->impl;
    const rlc_dataset_meta *m = rlc_dataset_meta_get(d);
    const char *src = m->env_id[0] ? m->env_id : "the dataset";
    if (rlc_dataset_obs_dim(d) != c->D)
        return rlc_error(RLC_ERR_INVALID,
                         "dataset observations have %lld values but %s observations have %d (is "
                         "the dataset from %s?)",
                         (long long)rlc_dataset_obs_dim(d), a->env_id, c->D, src);
    if (c->discrete) {
        if (!m->discrete_actions || rlc_dataset_act_dim(d) != 1)
            return rlc_error(RLC_ERR_INVALID,
                             "dataset has Box actions of %lld values but %s has Discrete(%d) "
                             "actions",
                             (long long)rlc_dataset_act_dim(d), a->env_id, c->n_actions);
        if (m->num_actions > 0 && m->num_actions != c->n_actions)
            return rlc_error(RLC_ERR_INVALID,
                             "dataset has Discrete(%lld) actions but %s has Discrete(%d)",
                             (long long)m->num_actions, a->env_id, c->n_actions);
    } else if (m->discrete_actions || rlc_dataset_act_dim(d) != c->A) {
        return rlc_error(RLC_ERR_INVALID,
                         "dataset has %s actions of %lld values but %s has Box actions of %d",
                         m->discrete_actions ? "Discrete" : "Box",
                         (long long)rlc_dataset_act_dim(d), a->env_id, c->A);
    }
    return RLC_OK;
}

/* Observation mean/std over every transition's observation (std + 1e-3, as TD3+BC). */
static void obs_stats(rlc__offline_core *c, const rlc_dataset_view *v) {
    const int D = c->D;
    for (int j = 0; j < D; j++) {
        double s = 0, s2 = 0;
        for (int64_t e = 0; e < v->num_episodes; e++)
            for (int64_t t = v->episode_offsets[e]; t < v->episode_offsets[e + 1]; t++) {
                double x = v->observations[(size_t)(t + e) * (size_t)D + (size_t)j];
                s += x;
                s2 += x * x;
            }
        double n = (double)v->num_steps, mean = s / n, var = s2 / n - mean * mean;
        c->obs_mean[j] = (float)mean;
        c->obs_std[j] = (float)(sqrt(var > 0 ? var : 0) + 1e-3);
    }
}

/* Per-episode sampling weights (trajectory weight x length, so that uniform weights give
 * uniform transitions) with %BC's filter. */
static rlc_status episode_weights(const rlc__offline_core *c, const rlc_dataset *d,
                                  const rlc_dataset_view *v, double *w) {
    rlc_status st = rlc_dataset_trajectory_weights(d, c->sampler, c->temperature, w);
    if (st) return st;
    const int64_t E = v->num_episodes;
    if (c->top_fraction < 1) {
        int64_t keep = (int64_t)ceil(c->top_fraction * (double)E);
        if (keep < 1) keep = 1;
        /* the keep-th largest return is the threshold; ties at it go by episode order */
        for (int64_t e = 0; e < E; e++) {
            int64_t better = 0;
            for (int64_t f = 0; f < E; f++)
                if (v->episode_returns[f] > v->episode_returns[e] ||
                    (v->episode_returns[f] == v->episode_returns[e] && f < e))
                    better++;
            if (better >= keep) w[e] = 0;
        }
    }
    for (int64_t e = 0; e < E; e++)
        w[e] *= (double)(v->episode_offsets[e + 1] - v->episode_offsets[e]);
    return RLC_OK;
}

/* Checks the dataset's actions once: Discrete indices integral in [0, n), Box finite. */
static rlc_status check_actions(const rlc__offline_core *c, const rlc_dataset_view *v) {
    const int64_t n = v->num_steps * (int64_t)c->A;
    for (int64_t i = 0; i < n; i++) {
        float x = v->actions[i];
        if (!isfinite(x))
            return rlc_error(RLC_ERR_INVALID, "dataset action %lld is not finite",
                             (long long)(i / c->A));
        if (c->discrete && (x < 0 || x >= (float)c->n_actions || x != floorf(x)))
            return rlc_error(RLC_ERR_INVALID,
                             "dataset action %lld is %g, not an index of Discrete(%d)",
                             (long long)i, (double)x, c->n_actions);
    }
    return RLC_OK;
}

/* Normalises the sampled batch in place: observations, actions to [-1, 1], rewards scaled,
 * terminations turned into the bootstrap mask 1 - terminated. */
static void prepare(rlc__offline_core *c) {
    const int B = c->B, A = c->A;
    if (c->norm_obs) {
        rlc__offline_norm_obs(c, c->obs, c->obs, B);
        rlc__offline_norm_obs(c, c->next, c->next, B);
    }
    if (!c->discrete)
        for (int i = 0; i < B * A; i++) {
            int j = i % A;
            float x = (c->act[i] - c->bias[j]) / c->scale[j];
            c->act[i] = x < -1 ? -1.0f : x > 1 ? 1.0f : x;
        }
    for (int i = 0; i < B; i++) {
        c->rew[i] = (float)(c->rew[i] * c->reward_scale);
        c->notdone[i] = 1.0f - c->notdone[i];
    }
}

/* ---- resumable checkpoints -------------------------------------------------------------- */

enum { CK_U, CK_UPDATES, CK_EPISODES, CK_STEPS, CK_N };

/* The agent (as rlc_agent_save) plus the run's state: update counters, the dataset's size (a
 * check), the sampler's and the algorithm's random streams and the last evaluation. */
static rlc_status write_ckpt(rlc_agent *a, const rlc__offline_core *c, const char *path,
                             int64_t u, int64_t total, const rlc_dataset_view *v,
                             const rlc_rng *rng, const double last[3]) {
    rlc_st_writer *w = rlc_st_writer_create();
    if (!w) return RLC_ERR_NOMEM;
    int64_t k[CK_N] = {u, c->updates, v->num_episodes, v->num_steps}, nk = CK_N, three = 3;
    int64_t nr = (int64_t)sizeof(rlc_rng), shp[2] = {c->nrngs, nr};
    uint8_t rb[RLC__OFFLINE_MAX_RNGS * sizeof(rlc_rng)];
    for (int i = 0; i < c->nrngs; i++)
        memcpy(rb + (size_t)i * sizeof(rlc_rng), c->rngs[i], sizeof(rlc_rng));
    char buf[32];
    rlc_status st = rlc__agent_fill_writer(a, w);
    if (!st) st = rlc_st_writer_add_copy(w, "offline.trainer.counters", RLC_ST_I64, 1, &nk, k);
    if (!st) st = rlc_st_writer_add_copy(w, "offline.trainer.rng", RLC_ST_U8, 1, &nr, rng);
    if (!st) st = rlc_st_writer_add_copy(w, "offline.trainer.algo_rngs", RLC_ST_U8, 2, shp, rb);
    if (!st) st = rlc_st_writer_add_copy(w, "offline.trainer.last_eval", RLC_ST_F64, 1, &three, last);
    if (!st) st = rlc_st_writer_set_meta(w, "rlc.ckpt.mode", "offline");
    snprintf(buf, sizeof buf, "%llu", (unsigned long long)a->seed);
    if (!st) st = rlc_st_writer_set_meta(w, "rlc.ckpt.seed", buf);
    snprintf(buf, sizeof buf, "%lld", (long long)total);
    if (!st) st = rlc_st_writer_set_meta(w, "rlc.ckpt.total_steps", buf);
    snprintf(buf, sizeof buf, "%lld", (long long)u);
    if (!st) st = rlc_st_writer_set_meta(w, "rlc.ckpt.step", buf);
    if (!st) st = rlc_st_writer_save(w, path);
    rlc_st_writer_destroy(w);
    return st;
}

static rlc_status ck_meta(const rlc_st_file *f, const char *path, const char *key, const char *what,
                          const char *want) {
    const char *m = rlc_st_meta(f, key);
    if (m && !strcmp(m, want)) return RLC_OK;
    return rlc_error(RLC_ERR_FORMAT, "%s: checkpoint of another run (%s %s, expected %s)", path,
                     what, m ? m : "missing", want);
}

/* Restores the run state of write_ckpt's file into the agent and *u, *rng, last; checks
 * everything before anything is changed (the parameters are read last, each set checked
 * before it is copied). */
static rlc_status read_ckpt(rlc_agent *a, rlc__offline_core *c, const char *path, int64_t total,
                            const rlc_dataset_view *v, int64_t *u, rlc_rng *rng, double last[3]) {
    rlc_st_file *f = NULL;
    rlc_status st = rlc_st_load(path, &f);
    if (st) return st;
    const char *mode = rlc_st_meta(f, "rlc.ckpt.mode");
    if (!mode || strcmp(mode, "offline"))
        st = rlc_error(RLC_ERR_FORMAT, "%s: not a resumable checkpoint of an offline run", path);
    char want[32];
    if (!st) st = ck_meta(f, path, "rlc.algo", "algo", a->algo->name);
    if (!st) st = ck_meta(f, path, "rlc.env", "env", a->env_id);
    snprintf(want, sizeof want, "%llu", (unsigned long long)a->seed);
    if (!st) st = ck_meta(f, path, "rlc.ckpt.seed", "seed", want);
    snprintf(want, sizeof want, "%lld", (long long)total);
    if (!st) st = ck_meta(f, path, "rlc.ckpt.total_steps", "updates", want);
    int64_t k[CK_N], nk = CK_N, three = 3, nr = (int64_t)sizeof(rlc_rng), shp[2] = {c->nrngs, nr};
    uint8_t rb[RLC__OFFLINE_MAX_RNGS * sizeof(rlc_rng)];
    rlc_rng tr;
    double le[3];
    if (!st) st = rlc_st_read_into(f, "offline.trainer.counters", RLC_ST_I64, 1, &nk, k);
    if (!st && (k[CK_EPISODES] != v->num_episodes || k[CK_STEPS] != v->num_steps))
        st = rlc_error(RLC_ERR_FORMAT,
                       "%s: checkpoint of a run on another dataset (%lld episodes, %lld steps; "
                       "this one has %lld, %lld)",
                       path, (long long)k[CK_EPISODES], (long long)k[CK_STEPS],
                       (long long)v->num_episodes, (long long)v->num_steps);
    if (!st && (k[CK_U] < 1 || k[CK_U] > total || k[CK_UPDATES] < 0))
        st = rlc_error(RLC_ERR_FORMAT, "%s: corrupt update counters (%lld of %lld)", path,
                       (long long)k[CK_U], (long long)total);
    if (!st) st = rlc_st_read_into(f, "offline.trainer.rng", RLC_ST_U8, 1, &nr, &tr);
    if (!st) st = rlc_st_read_into(f, "offline.trainer.algo_rngs", RLC_ST_U8, 2, shp, rb);
    if (!st) st = rlc_st_read_into(f, "offline.trainer.last_eval", RLC_ST_F64, 1, &three, le);
    if (!st) st = rlc_params_read(a->algo->params(a), f, "", RLC_CKPT_OPTIM);
    if (!st && a->algo->read_state) st = a->algo->read_state(a, f);
    if (!st) {
        for (int i = 0; i < c->nrngs; i++)
            memcpy(c->rngs[i], rb + (size_t)i * sizeof(rlc_rng), sizeof(rlc_rng));
        c->updates = k[CK_UPDATES];
        *u = k[CK_U];
        *rng = tr;
        memcpy(last, le, sizeof le);
    } else if (st != RLC_ERR_NOMEM && st != RLC_ERR_FORMAT) {
        st = rlc_error(RLC_ERR_FORMAT, "%s: %s", path, rlc_last_error());
    }
    rlc_st_file_destroy(f);
    return st;
}

rlc_status rlc_offline_train(rlc_agent *a, const rlc_dataset *d, const rlc_offline_options *opt,
                             rlc_offline_result *res) {
    if (!a || !d) return rlc_error(RLC_ERR_INVALID, "offline_train: NULL argument");
    rlc_status st = rlc_offline_check_dataset(a, d);
    if (st) return st;
    const rlc__offline_algo *al = rlc__offline_of(a);
    rlc__offline_core *c = a->impl;
    rlc_offline_options o = {0};
    if (opt) o = *opt;
    if (o.updates <= 0) o.updates = 100000;
    if (o.checkpoint_every <= 0) o.checkpoint_every = o.updates / 10 > 0 ? o.updates / 10 : 1;
    rlc_dataset_view v;
    rlc_dataset_view_get(d, &v);
    if (v.num_steps < 1) return rlc_error(RLC_ERR_STATE, "offline_train: empty dataset");
    if ((st = check_actions(c, &v))) return st;

    if (c->norm_obs) obs_stats(c, &v);
    c->reward_scale = 1;
    if (c->reward_norm) {
        double lo = v.episode_returns[0], hi = lo;
        for (int64_t e = 1; e < v.num_episodes; e++) {
            if (v.episode_returns[e] < lo) lo = v.episode_returns[e];
            if (v.episode_returns[e] > hi) hi = v.episode_returns[e];
        }
        if (hi > lo) c->reward_scale = 1000.0 / (hi - lo);
    }
    double ref_min = rlc_dataset_meta_get(d)->ref_min_score;
    double ref_max = rlc_dataset_meta_get(d)->ref_max_score;
    if (!(isfinite(ref_min) && isfinite(ref_max) && ref_max != ref_min) &&
        !rlc_dataset_ref_scores(a->env_id, &ref_min, &ref_max))
        ref_min = ref_max = NAN;

    const int64_t E = v.num_episodes, EV = c->eval_episodes;
    double *w = rlc_malloc(sizeof(double) * (size_t)(E > EV ? E : EV));
    double *rets = rlc_malloc(sizeof(double) * (size_t)EV);
    rlc_dataset_sampler *smp = NULL;
    if (!w || !rets) st = RLC_ERR_NOMEM;
    if (!st) st = episode_weights(c, d, &v, w);
    if (!st) st = rlc_dataset_sampler_create(&smp, d, w, 1);
    if (st) {
        rlc_free(w);
        rlc_free(rets);
        return st;
    }
    rlc_rng rng;
    rlc_rng_seed_stream(&rng, a->seed, 7);
    rlc_dataset_batch b = {.obs = c->obs,
                           .actions = c->act,
                           .rewards = c->rew,
                           .next_obs = c->next,
                           .terminations = c->notdone};
    al->base.begin(a, o.updates);

    rlc__update_info info = {0};
    double t0 = rlc_time_now(), last[3] = {NAN, NAN, NAN};
    int64_t u = 0;
    if (o.resume_path) st = read_ckpt(a, c, o.resume_path, o.updates, &v, &u, &rng, last);
    double last_ret = last[0], last_std = last[1], last_norm = last[2];
    if (!st && o.progress) rlc_progress_update(o.progress, u);
    while (!st && u < o.updates) {
        if ((st = rlc_dataset_sampler_sample(smp, &rng, c->B, &b))) break;
        prepare(c);
        info.n = 0;
        if ((st = al->update(a, &info))) break;
        c->updates = ++u;
        int eval = (c->eval_every > 0 && u % c->eval_every == 0) || u == o.updates;
        int logrow = eval || (o.log_interval > 0 && u % o.log_interval == 0);
        if (eval) {
            if ((st = rlc_agent_evaluate(a, (int)EV, o.eval_seed, 0, rets, NULL, 0, 0))) break;
            double m = 0, s2 = 0;
            for (int64_t i = 0; i < EV; i++)
                m += rets[i];
            m /= (double)EV;
            for (int64_t i = 0; i < EV; i++)
                s2 += (rets[i] - m) * (rets[i] - m);
            last_ret = m;
            last_std = sqrt(s2 / (double)EV);
            last_norm = 100.0 * (m - ref_min) / (ref_max - ref_min);
            if (o.print) {
                fprintf(o.print, "update %lld  eval return %.2f +- %.2f", (long long)u, m,
                        last_std);
                if (isfinite(last_norm)) fprintf(o.print, "  normalized %.1f", last_norm);
                for (int j = 0; j < info.n; j++)
                    fprintf(o.print, "  %s %.4g", info.key[j], info.value[j]);
                fputc('\n', o.print);
                fflush(o.print);
            }
        }
        if (logrow && o.logger) {
            for (int j = 0; j < info.n; j++)
                rlc_logger_record(o.logger, info.key[j], info.value[j]);
            if (eval) {
                rlc_logger_record(o.logger, "eval/return_mean", last_ret);
                rlc_logger_record(o.logger, "eval/return_std", last_std);
                if (isfinite(last_norm))
                    rlc_logger_record(o.logger, "eval/normalized_score", last_norm);
            }
            if ((st = rlc_logger_dump(o.logger, u))) break;
        }
        if (o.checkpoint_path && (u % o.checkpoint_every == 0 || u == o.updates)) {
            if (o.logger && (st = rlc_logger_flush(o.logger))) break;
            double le[3] = {last_ret, last_std, last_norm};
            if ((st = write_ckpt(a, c, o.checkpoint_path, u, o.updates, &v, &rng, le))) break;
            if (o.stop_at > 0 && u >= o.stop_at) {
                rlc_progress_update(o.progress, u);
                break; /* as if killed right after the checkpoint */
            }
        }
        rlc_progress_update(o.progress, u);
    }
    rlc_progress_finish(o.progress, u);
    rlc_dataset_sampler_destroy(smp);
    rlc_free(w);
    rlc_free(rets);
    if (res) {
        res->updates = u;
        res->eval_return = last_ret;
        res->eval_return_std = last_std;
        res->normalized_score = last_norm;
        res->seconds = rlc_time_now() - t0;
    }
    return st;
}
