/* Roadmap row 8, `rlc experiment dataset-measures`: "A Dataset Perspective on Offline
 * Reinforcement Learning" (Schweighofer et al. 2022). Ten CartPole-v1 datasets in the paper's
 * behaviour regimes (random, expert, noisy expert, mixed expert/random, replay of a policy whose
 * exploration decays), their trajectory quality TQ and state-action coverage SACo, and the
 * returns of BC, offline DQN (CQL with cql_alpha = 0) and discrete CQL trained on each; the
 * claim is checked as rank correlations over the datasets. The expert is a linear controller
 * (push right when 0.05 x + 0.1 x' + theta + 0.3 theta' > 0: 500 on every seed). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "experiments/exp_impl.h"
#include "rlc/agent.h"
#include "rlc/dataset.h"
#include "rlc/env.h"
#include "rlc/offline.h"

/* A behaviour regime: each episode is expert-driven with probability p_expert, otherwise
 * epsilon-greedy around the expert with epsilon eps0 -> eps1 linearly over the dataset
 * (eps 1: uniform random). */
typedef struct regime {
    const char *name;
    double p_expert, eps0, eps1;
} regime;

static const regime REGIMES[] = {
    {"random", 0, 1, 1},           {"expert", 1, 0, 0},          {"noisy 0.2", 0, 0.2, 0.2},
    {"noisy 0.5", 0, 0.5, 0.5},    {"noisy 0.8", 0, 0.8, 0.8},   {"mixed 20%", 0.2, 1, 1},
    {"mixed 50%", 0.5, 1, 1},      {"mixed 80%", 0.8, 1, 1},     {"replay", 0, 1, 0},
    {"replay 1-0.5", 0, 1, 0.5},
};
#define NR ((int)(sizeof REGIMES / sizeof REGIMES[0]))
#define REPLAY 8 /* SACo's reference dataset */

static int64_t expert_action(const float *o) {
    return 0.05 * o[0] + 0.1 * o[1] + o[2] + 0.3 * o[3] > 0;
}

static rlc_status collect(rlc_dataset *d, rlc_env *env, const regime *r, int64_t steps,
                          int64_t seed0, rlc_rng *rng) {
    float obs[4], act;
    rlc_status st = RLC_OK;
    int64_t t = 0;
    for (int e = 0; t < steps && !st; e++) {
        int expert = rlc_rng_random(rng) < r->p_expert;
        if ((st = rlc_env_reset(env, seed0 + e, obs))) break;
        if ((st = rlc_dataset_begin_episode(d, obs))) break;
        for (; t < steps; t++) {
            double eps = expert ? 0 : r->eps0 + (r->eps1 - r->eps0) * (double)t / (double)steps;
            int64_t a = rlc_rng_random(rng) < eps ? rlc_rng_integers(rng, 0, 2) : expert_action(obs);
            act = (float)a;
            rlc_step_result sr;
            if ((st = rlc_env_step(env, &a, obs, &sr))) break;
            if ((st = rlc_dataset_add_step(d, &act, (float)sr.reward, obs, sr.terminated,
                                           sr.truncated)))
                break;
            if (sr.terminated || sr.truncated) {
                t++;
                break;
            }
        }
        if (!st && t >= steps && rlc_dataset_end_episode(d)) st = RLC_ERR_NOMEM;
    }
    return st;
}

/* Spearman's rank correlation of x[n] and y[n] (average ranks for ties). */
static void ranks(const double *x, int n, double *r) {
    for (int i = 0; i < n; i++) {
        double less = 0, eq = 0;
        for (int j = 0; j < n; j++) {
            if (x[j] < x[i]) less++;
            if (x[j] == x[i]) eq++;
        }
        r[i] = less + (eq + 1) / 2;
    }
}

static double spearman(const double *x, const double *y, int n) {
    double rx[NR], ry[NR], mx = 0, my = 0, sxy = 0, sxx = 0, syy = 0;
    ranks(x, n, rx);
    ranks(y, n, ry);
    for (int i = 0; i < n; i++) {
        mx += rx[i] / n;
        my += ry[i] / n;
    }
    for (int i = 0; i < n; i++) {
        sxy += (rx[i] - mx) * (ry[i] - my);
        sxx += (rx[i] - mx) * (rx[i] - mx);
        syy += (ry[i] - my) * (ry[i] - my);
    }
    return sxx > 0 && syy > 0 ? sxy / sqrt(sxx * syy) : 0;
}

typedef struct method {
    const char *label, *algo, *sets;
} method;

static const method METHODS[] = {
    {"BC", "bc", "lr=1e-3"},
    {"DQN (offline)", "cql", "q_lr=1e-3,cql_alpha=0,target_update_interval=200"},
    {"CQL", "cql", "q_lr=1e-3,cql_alpha=1,target_update_interval=200"},
};
#define NM 3

static rlc_status train_one(const method *m, const rlc_dataset *d, int64_t updates,
                            uint64_t seed, double *ret) {
    const rlc_config_table *t = rlc_algo_config_table(m->algo);
    void *cfg = rlc_malloc(t->size);
    if (!cfg) return RLC_ERR_NOMEM;
    rlc_config_defaults(t, cfg);
    char buf[256];
    snprintf(buf, sizeof buf, "hidden=64,eval_every=0,eval_episodes=10,%s", m->sets);
    rlc_status st = RLC_OK;
    char *save = NULL;
    for (char *tok = strtok_r(buf, ",", &save); tok && !st; tok = strtok_r(NULL, ",", &save))
        st = rlc_config_assign(t, cfg, tok);
    rlc_agent *a = NULL;
    if (!st) st = rlc_agent_create(&a, m->algo, "CartPole-v1", NULL, cfg, seed);
    rlc_offline_options o = {.updates = updates, .eval_seed = 7000};
    rlc_offline_result r;
    if (!st) st = rlc_offline_train(a, d, &o, &r);
    if (!st) *ret = r.eval_return;
    rlc_agent_destroy(a);
    rlc_free(cfg);
    return st;
}

rlc_status rlc__exp_dataset_measures(const rlc_experiment_options *o, rlc_experiment_result *res) {
    rlc__exp x;
    rlc_status st = rlc__exp_begin(&x, rlc_experiment_find("dataset-measures"), o, res, 3, 1);
    if (st) return st;
    const int S = x.seeds;
    const int64_t steps = o->quick ? 3000 : 20000, updates = o->quick ? 400 : 3000;
    double tq[NR] = {0}, saco[NR] = {0}, *score = rlc_calloc((size_t)NM * NR * (size_t)S,
                                                              sizeof(double));
    rlc_env *env = NULL;
    if (!score) st = RLC_ERR_NOMEM;
    if (!st) st = rlc_env_make(&env, "CartPole-v1", NULL);
    rlc_dataset *ds[NR] = {0};
    for (int s = 0; s < S && !st; s++) {
        rlc_rng rng;
        rlc_rng_seed(&rng, 3000 + (uint64_t)s);
        for (int r = 0; r < NR && !st; r++) {
            if (!(ds[r] = rlc_dataset_create(4, 1))) st = RLC_ERR_NOMEM;
            if (!st)
                st = rlc_dataset_set_spaces(ds[r], rlc_env_obs_space(env),
                                            rlc_env_action_space(env));
            if (!st) st = collect(ds[r], env, &REGIMES[r], steps, 100000 * (r + 1) + 1000 * s, &rng);
        }
        /* TQ against the random dataset's mean return and the expert's 500 */
        rlc_dataset_stats rs;
        if (!st) st = rlc_dataset_stats_get(ds[0], 0.1, &rs);
        for (int r = 0; r < NR && !st; r++) {
            rlc_dataset_stats ss;
            double c = 0;
            st = rlc_dataset_stats_get(ds[r], 0.1, &ss);
            if (!st) st = rlc_dataset_saco(ds[r], ds[REPLAY], 0.1, &c);
            if (!st) {
                tq[r] += (ss.return_mean - rs.return_mean) / (500 - rs.return_mean) / S;
                saco[r] += c / S;
            }
            for (int m = 0; m < NM && !st; m++) {
                double ret = 0;
                st = train_one(&METHODS[m], ds[r], updates, (uint64_t)s, &ret);
                if (!st) {
                    score[(m * NR + r) * S + s] = ret;
                    char lab[96];
                    snprintf(lab, sizeof lab, "%s / %s", METHODS[m].label, REGIMES[r].name);
                    rlc__exp_record(&x, lab, s, "return", ret);
                }
            }
        }
        for (int r = 0; r < NR; r++) {
            rlc_dataset_destroy(ds[r]);
            ds[r] = NULL;
        }
    }
    rlc_env_destroy(env);
    if (st) {
        rlc_free(score);
        rlc__exp_abort(&x);
        return st;
    }
    double iqm[NM][NR];
    for (int m = 0; m < NM; m++) {
        char metric[128];
        snprintf(metric, sizeof metric, "%s: return per dataset (10 episodes)", METHODS[m].label);
        rlc__exp_table(&x, metric);
        for (int r = 0; r < NR; r++) {
            char lab[128];
            snprintf(lab, sizeof lab, "%-12s TQ %.2f SACo %.2f", REGIMES[r].name, tq[r], saco[r]);
            rlc_stats_ci ci;
            rlc__exp_row(&x, lab, "return", score + (m * NR + r) * S, S, &ci);
            iqm[m][r] = ci.point;
        }
    }
    double bc_tq = spearman(tq, iqm[0], NR), dqn_saco = spearman(saco, iqm[1], NR);
    double cql_tq = spearman(tq, iqm[2], NR), cql_saco = spearman(saco, iqm[2], NR);
    rlc__exp_note(&x, 1,
                  "Spearman over %d datasets: BC~TQ %.2f, DQN~SACo %.2f, DQN~TQ %.2f, CQL~TQ "
                  "%.2f, CQL~SACo %.2f",
                  NR, bc_tq, dqn_saco, spearman(tq, iqm[1], NR), cql_tq, cql_saco);
    int held = bc_tq >= 0.5 && dqn_saco >= 0.3;
    rlc_free(score);
    return rlc__exp_end(&x, held,
                        "Spearman BC return ~ TQ %.2f (>= 0.5 needed), offline DQN return ~ "
                        "SACo %.2f (>= 0.3 needed); DQN on expert data %.0f",
                        bc_tq, dqn_saco, iqm[1][1]);
}
