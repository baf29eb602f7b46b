/* Roadmap row 7, `rlc experiment harness`: "Harnessing mixed offline RL datasets via trajectory
 * weighting" (Hong et al. 2023). A MountainCarContinuous-v0 dataset of mostly uniform-random
 * episodes (999 steps each, none reaching the goal) plus a few (3%) episodes of an
 * energy-pumping controller (an expert, about +91; 0.4% of the transitions); IQL, TD3+BC and
 * CQL with uniform sampling against the same algorithms with return-weighted trajectory
 * sampling (sampler=return), plus BC and %BC (top 10%) as references. Scores are normalised to
 * 100 (R - random) / (expert - random) with the dataset's own random and expert episode means.
 * (The first proxy, Pendulum-v1, left IQL and CQL no headroom: docs/experiments/harness.md.) */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "experiments/exp_impl.h"
#include "rlc/agent.h"
#include "rlc/dataset.h"
#include "rlc/env.h"
#include "rlc/offline.h"

#define ENV_ID "MountainCarContinuous-v0"

rlc_status rlc__exp_harness(const rlc_experiment_options *o, rlc_experiment_result *res);

/* Energy pumping: full force along the velocity (reaches the goal from any start of the
 * env's reset range in about 110-130 steps). obs = (position, velocity). */
static float pump(const float *obs) {
    return obs[1] >= 0 ? 1.0f : -1.0f;
}

/* Appends n episodes of the expert (expert = 1, with N(0, 0.3) action noise, clipped) or of
 * uniform random actions in [-1, 1], env seeds seed0 + i; their mean return goes to *mean. */
static rlc_status add_episodes(rlc_dataset *d, rlc_env *env, int n, int expert, int64_t seed0,
                               rlc_rng *rng, double *mean) {
    float obs[2], act;
    double total = 0;
    rlc_status st = RLC_OK;
    for (int e = 0; e < n && !st; e++) {
        double ret = 0;
        if ((st = rlc_env_reset(env, seed0 + e, obs))) break;
        if ((st = rlc_dataset_begin_episode(d, obs))) break;
        for (;;) {
            if (expert) {
                double a = pump(obs) + 0.3 * rlc_rng_normal(rng);
                act = (float)(a > 1 ? 1 : a < -1 ? -1 : a);
            } else {
                act = (float)rlc_rng_uniform(rng, -1, 1);
            }
            rlc_step_result r;
            if ((st = rlc_env_step(env, &act, obs, &r))) break;
            ret += r.reward;
            if ((st = rlc_dataset_add_step(d, &act, (float)r.reward, obs, r.terminated,
                                           r.truncated)))
                break;
            if (r.terminated || r.truncated) break;
        }
        total += ret;
    }
    *mean = total / n;
    return st;
}

typedef struct method {
    const char *label, *algo, *sets;
} method;

#define COMMON "hidden=64,batch_size=256,norm_obs=1,eval_every=0,eval_episodes=10"
static const method METHODS[] = {
    {"BC", "bc", "lr=1e-3"},
    {"%BC (top 10%)", "bc", "lr=1e-3,top_fraction=0.1"},
    {"IQL uniform", "iql", "policy_lr=1e-3,q_lr=1e-3,v_lr=1e-3"},
    {"IQL return-weighted", "iql", "policy_lr=1e-3,q_lr=1e-3,v_lr=1e-3,sampler=return"},
    {"TD3+BC uniform", "td3bc", "policy_lr=1e-3,q_lr=1e-3"},
    {"TD3+BC return-weighted", "td3bc", "policy_lr=1e-3,q_lr=1e-3,sampler=return"},
    {"CQL uniform", "cql", "policy_lr=1e-3,q_lr=1e-3,batch_size=128"},
    {"CQL return-weighted", "cql", "policy_lr=1e-3,q_lr=1e-3,batch_size=128,sampler=return"},
};
#define NM ((int)(sizeof METHODS / sizeof METHODS[0]))

static rlc_status make_agent(rlc_agent **a, const method *m, uint64_t seed) {
    char sets[512];
    snprintf(sets, sizeof sets, "%s,%s", COMMON, m->sets);
    return rlc__exp_make_agent(a, m->algo, ENV_ID, NULL, sets, seed);
}

rlc_status rlc__exp_harness(const rlc_experiment_options *o, rlc_experiment_result *res) {
    rlc__exp x;
    rlc_status st = rlc__exp_begin(&x, rlc_experiment_find("harness"), o, res, 5, 1);
    if (st) return st;
    const int quick = o->quick, S = x.seeds;
    const int n_rand = quick ? 48 : 97, n_exp = quick ? 2 : 3;
    const int64_t updates = quick ? 600 : 5000;
    const int nm = quick ? 6 : NM; /* quick: no CQL (its 30 sampled actions per state) */
    double *score = rlc_calloc((size_t)NM * (size_t)S, sizeof(double));
    rlc_env *env = NULL;
    if (!score) st = RLC_ERR_NOMEM;
    if (!st) st = rlc_env_make(&env, ENV_ID, NULL);
    double psv_sum = 0;
    for (int s = 0; s < S && !st; s++) {
        rlc_dataset *d = rlc_dataset_create(2, 1);
        if (!d) {
            st = RLC_ERR_NOMEM;
            break;
        }
        snprintf(rlc_dataset_meta_of(d)->env_id, 128, "%s", ENV_ID);
        rlc_rng rng;
        rlc_rng_seed(&rng, 1000 + (uint64_t)s);
        double r_rand = 0, r_exp = 0, psv = 0;
        st = add_episodes(d, env, n_rand, 0, 100000 + 1000 * s, &rng, &r_rand);
        if (!st) st = add_episodes(d, env, n_exp, 1, 200000 + 1000 * s, &rng, &r_exp);
        if (!st) st = rlc_dataset_return_psv(d, &psv);
        if (!st) {
            psv_sum += psv;
            rlc__exp_note(&x, 1,
                          "seed %d: %d random episodes (mean %.1f) + %d expert (mean %.1f), "
                          "return PSV %.4f",
                          s, n_rand, r_rand, n_exp, r_exp, psv);
        }
        for (int m = 0; m < nm && !st; m++) {
            rlc_agent *a = NULL;
            st = make_agent(&a, &METHODS[m], (uint64_t)s);
            rlc_offline_options oo = {.updates = updates, .eval_seed = 5000};
            rlc_offline_result r;
            if (!st) st = rlc_offline_train(a, d, &oo, &r);
            if (!st) {
                score[m * S + s] = 100.0 * (r.eval_return - r_rand) / (r_exp - r_rand);
                rlc__exp_record(&x, METHODS[m].label, s, "return", r.eval_return);
            }
            rlc_agent_destroy(a);
        }
        rlc_dataset_destroy(d);
    }
    rlc_env_destroy(env);
    if (st) {
        rlc_free(score);
        rlc__exp_abort(&x);
        return st;
    }
    rlc__exp_table(&x, "normalised score 100 (R - random) / (expert - random), 10 episodes");
    rlc_stats_ci ci[NM];
    for (int m = 0; m < nm; m++)
        rlc__exp_row(&x, METHODS[m].label, "normalized_score", score + m * S, S, &ci[m]);
    /* the claim: each return-weighted algorithm clearly above its uniform twin (>= 20 points
     * of normalised score, IQM) */
    int held = 1, npairs = 0;
    char why[400] = "";
    size_t len = 0;
    for (int m = 2; m + 1 < nm; m += 2) {
        double gain = ci[m + 1].point - ci[m].point;
        if (!(gain >= 20)) held = 0;
        len += (size_t)snprintf(why + len, sizeof why - len, "%s%s %+.1f", npairs ? ", " : "",
                                METHODS[m].algo, gain);
        npairs++;
        if (len >= sizeof why) len = sizeof why - 1;
    }
    rlc_free(score);
    return rlc__exp_end(&x, held,
                        "return-weighted minus uniform normalised score (IQM): %s (>= 20 "
                        "needed); mean return PSV %.4f",
                        why, psv_sum / S);
}
