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
    double t0 = rlc_time_now(), last_ret = NAN, last_std = NAN, last_norm = NAN;
    int64_t u = 0;
    while (u < o.updates) {
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
            if ((st = rlc_agent_save(a, o.checkpoint_path))) break;
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
