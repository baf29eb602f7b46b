/* Roadmap row 43, `rlc experiment rlif`: RLIF (SAC whose only reward is -1 when the expert
 * intervenes) against DAgger and HG-DAgger with the same scripted Pendulum expert at several
 * qualities, each method given the same budget of env steps (the expert's takeover steps
 * included). The measure is the task return of the final learner (deterministic, fixed resets),
 * set beside the expert's own return at that quality. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "experiments/exp_impl.h"
#include "rlc/agent.h"
#include "rlc/rlif.h"

#define EVAL_EPISODES 10
#define EVAL_SEED 900000

typedef struct rlif_ctx {
    rlc_rlif_expert ex;
    rlc_env *layer; /* the training sub-env (num_envs = 1) */
    rlc_agent *agent;
    int inject; /* the expert's takeover steps into the agent's replay (reward 0) */
    int64_t budget;
    int64_t first_dec, first_int, last_dec, last_int; /* intervention rate, first/last quarter */
} rlif_ctx;

static rlc_status wrap_rlif(rlc_env **env, int index, void *user) {
    rlif_ctx *c = user;
    rlc_status st = rlc_wrap_rlif(env, *env, &c->ex);
    if (!st && index == 0) c->layer = *env;
    return st;
}

/* After each env step: the expert's takeover steps, if it intervened, into the agent's replay
 * as transitions of reward 0 (no intervention happens while it drives), as the paper's
 * RLPD-style agent keeps the intervention data. */
static rlc_status rlif_step(const struct rlc_vec_env *v, void *user) {
    (void)v;
    rlif_ctx *c = user;
    const float *obs, *act;
    int term, trunc;
    const int n = c->inject ? rlc_rlif_takeover(c->layer, &obs, &act, &term, &trunc) : 0;
    const size_t D = (size_t)rlc_env_obs_space(c->layer)->size;
    const size_t A = (size_t)rlc_env_action_space(c->layer)->size;
    rlc_status st = RLC_OK;
    for (int k = 0; k < n && !st; k++)
        st = rlc_agent_add_transition(c->agent, obs + k * D, act + k * A, 0.0,
                                      obs + (k + 1) * D, k == n - 1 && term,
                                      k == n - 1 && trunc);
    return st;
}

static int rlif_after(rlc_agent *a, int64_t steps, void *user) {
    (void)a;
    (void)steps;
    rlif_ctx *c = user;
    int64_t dec, itv, env_steps;
    rlc_rlif_counts(c->layer, &dec, &itv, &env_steps);
    if (c->first_dec == 0 && env_steps >= c->budget / 4) {
        c->first_dec = dec;
        c->first_int = itv;
    }
    c->last_dec = dec;
    c->last_int = itv;
    return env_steps >= c->budget;
}

/* RLIF with SAC; *ret = mean task return, *rate0 / *rate1 the intervention rates (per agent
 * decision) over the first quarter of the env-step budget (mostly the uniform random warm-up)
 * and over the rest. */
/* `episodes` episodes driven by the expert's executed actions (as HG-DAgger's iteration 0) into
 * the agent's replay with reward 0 (no intervention while it drives); returns the env steps
 * taken in *steps. */
static rlc_status add_demos(rlc_agent *a, const rlc_rlif_expert *ex, int episodes, uint64_t seed,
                            int64_t *steps) {
    rlc_env *e = NULL;
    rlc_status st = rlc_env_make(&e, "Pendulum-v1", NULL);
    if (st) return st;
    rlc_rng rng;
    rlc_rng_seed_stream(&rng, seed, 7);
    const rlc_space *as = rlc_env_action_space(e);
    float obs[3], nobs[3], act[1];
    *steps = 0;
    for (int ep = 0; ep < episodes && !st; ep++) {
        st = rlc_env_reset(e, (int64_t)(seed * 1000 + (uint64_t)ep), obs);
        rlc_step_result r = {0};
        while (!st && !r.terminated && !r.truncated) {
            ex->policy(obs, act, ex->user);
            if (rlc_rng_random(&rng) >= ex->quality)
                act[0] = (float)rlc_rng_uniform(&rng, as->low[0], as->high[0]);
            st = rlc_env_step(e, act, nobs, &r);
            if (!st)
                st = rlc_agent_add_transition(a, obs, act, 0.0, nobs, r.terminated, r.truncated);
            memcpy(obs, nobs, sizeof obs);
            ++*steps;
        }
    }
    rlc_env_destroy(e);
    return st;
}

static rlc_status run_rlif(const rlc_rlif_expert *ex, int inject, int demos, int64_t budget,
                           uint64_t seed, double *ret, double *rate0, double *rate1) {
    const rlc_config_table *tab = rlc_algo_config_table("sac");
    char cfg[4096];
    if (!tab || tab->size > sizeof cfg)
        return rlc_error(RLC_ERR_INVALID, "rlif: no SAC config table");
    rlc_config_defaults(tab, cfg);
    const char *sets[] = {"hidden=64",     "batch_size=100", "learning_starts=1000",
                          "policy_lr=0.001", "q_lr=0.001",   "gamma=0.98",
                          "tau=0.01"};
    rlc_status st = RLC_OK;
    for (size_t i = 0; i < sizeof sets / sizeof sets[0] && !st; i++)
        st = rlc_config_assign(tab, cfg, sets[i]);
    rlc_agent *a = NULL;
    if (!st) st = rlc_agent_create(&a, "sac", "Pendulum-v1", NULL, cfg, seed);
    if (st) return st;
    int64_t demo_steps = 0;
    if (demos) st = add_demos(a, ex, demos, seed, &demo_steps);
    if (st) {
        rlc_agent_destroy(a);
        return st;
    }
    /* the demonstrations count against the budget, as HG-DAgger's do */
    rlif_ctx c = {*ex, NULL, a, inject, budget - demo_steps, 0, 0, 0, 0};
    rlc_train_hooks h = {
        .wrap = wrap_rlif, .after_step = rlif_step, .after_update = rlif_after, .user = &c};
    rlc_train_options o = {0};
    o.total_steps = budget; /* agent decisions; the hook stops at the env-step budget */
    st = rlc_agent_train_hooked(a, seed, &o, &h, NULL);
    double r[EVAL_EPISODES];
    if (!st) st = rlc_agent_evaluate(a, EVAL_EPISODES, EVAL_SEED, 0, r, NULL, 0, 0);
    rlc_agent_destroy(a);
    if (st) return st;
    *ret = 0;
    for (int i = 0; i < EVAL_EPISODES; i++)
        *ret += r[i] / EVAL_EPISODES;
    *rate0 = c.first_dec ? (double)c.first_int / (double)c.first_dec : NAN;
    int64_t d1 = c.last_dec - c.first_dec;
    *rate1 = d1 > 0 ? (double)(c.last_int - c.first_int) / (double)d1 : NAN;
    return RLC_OK;
}

static rlc_status run_dagger(const rlc_rlif_expert *ex, int hg, int64_t budget, uint64_t seed,
                             double *ret) {
    rlc_dagger_options o;
    rlc_dagger_options_init(&o);
    o.hg = hg;
    o.seed = seed;
    o.bc_steps = 300;
    rlc_dagger *d = NULL;
    rlc_status st = rlc_dagger_create(&d, "Pendulum-v1", NULL, ex, &o);
    int64_t used = 0;
    while (!st && used < budget) {
        st = rlc_dagger_iterate(d);
        rlc_dagger_counts(d, &used, NULL, NULL);
    }
    double r[EVAL_EPISODES];
    if (!st) st = rlc_dagger_evaluate(d, EVAL_EPISODES, EVAL_SEED, r);
    rlc_dagger_destroy(d);
    if (st) return st;
    *ret = 0;
    for (int i = 0; i < EVAL_EPISODES; i++)
        *ret += r[i] / EVAL_EPISODES;
    return RLC_OK;
}

rlc_status rlc__exp_rlif(const rlc_experiment_options *o, rlc_experiment_result *res) {
    static const double QUAL_FULL[] = {0.3, 0.6, 0.9}, QUAL_QUICK[] = {0.6};
    const double *qual = o->quick ? QUAL_QUICK : QUAL_FULL;
    int nq = o->quick ? 1 : 3;
    int64_t budget = o->quick ? 12000 : 24000;
    rlc__exp x;
    rlc_status st = rlc__exp_begin(&x, rlc_experiment_find("rlif"), o, res, 5, 3);
    if (st) return st;
    const int NS = x.seeds;
    /* The claim is checked on M_RLIFDD, the roadmap's RLPD-style agent: SAC whose replay
     * starts with HG-DAgger's iteration-0 demonstrations (2 expert episodes, reward 0) and
     * receives the expert's takeover steps (reward 0) besides its own transitions. Ablations:
     * M_RLIFD without the demonstrations, M_RLIF with neither (the agent learns only from its
     * own decisions; the claim's method until 2026-11-28). */
    enum { M_RLIF, M_RLIFD, M_RLIFDD, M_HG, M_DAGGER, M_EXPERT, NM };
    const char *mname[NM] = {"RLIF (SAC)", "RLIF + takeover data", "RLIF + demos + takeover data",
                             "HG-DAgger", "DAgger", "expert"};
    double *score = rlc_malloc(sizeof(double) * (size_t)NM * NS);
    double *rate0 = rlc_malloc(sizeof(double) * NS), *rate1 = rlc_malloc(sizeof(double) * NS);
    double *curves = rlc_malloc(sizeof(double) * (size_t)NM * NS * 3);
    double xs[3];
    if (!score || !rate0 || !rate1 || !curves) {
        st = RLC_ERR_NOMEM;
        goto done;
    }
    int beats_hg = 0, beats_expert = 0, falls = 0;
    char reason[400] = "";
    for (int qi = 0; qi < nq && !st; qi++) {
        rlc_rlif_expert ex;
        rlc_rlif_pendulum_expert(&ex, qual[qi]);
        for (int s = 0; s < NS && !st; s++) {
            uint64_t seed = (uint64_t)s + 1;
            double r0u, r1u;
            st = run_rlif(&ex, 1, 2, budget, seed, &score[M_RLIFDD * NS + s], &rate0[s],
                          &rate1[s]);
            if (!st) st = run_rlif(&ex, 1, 0, budget, seed, &score[M_RLIFD * NS + s], &r0u, &r1u);
            if (!st) st = run_rlif(&ex, 0, 0, budget, seed, &score[M_RLIF * NS + s], &r0u, &r1u);
            if (!st) st = run_dagger(&ex, 1, budget, seed, &score[M_HG * NS + s]);
            if (!st) st = run_dagger(&ex, 0, budget, seed, &score[M_DAGGER * NS + s]);
            double er[EVAL_EPISODES];
            rlc_rlif_expert ex_s = ex;
            if (!st)
                st = rlc_rlif_expert_evaluate(&ex_s, "Pendulum-v1", EVAL_EPISODES,
                                              EVAL_SEED + 1000 * seed, er);
            if (!st) {
                double m = 0;
                for (int i = 0; i < EVAL_EPISODES; i++)
                    m += er[i] / EVAL_EPISODES;
                score[M_EXPERT * NS + s] = m;
            }
        }
        if (st) break;
        char metric[160], label[NM][64];
        snprintf(metric, sizeof metric,
                 "task return on Pendulum-v1 with a %.0f%%-quality expert, %lld env steps "
                 "(higher is better)",
                 100 * qual[qi], (long long)budget);
        rlc__exp_table(&x, metric);
        rlc_stats_ci ci[NM];
        for (int m = 0; m < NM; m++) {
            snprintf(label[m], sizeof label[m], "%s q=%.0f%%", mname[m], 100 * qual[qi]);
            rlc__exp_row(&x, label[m], "return", score + (size_t)m * NS, NS, &ci[m]);
        }
        double r0 = 0, r1 = 0;
        int nr = 0;
        for (int s = 0; s < NS; s++)
            if (isfinite(rate0[s]) && isfinite(rate1[s])) {
                r0 += rate0[s];
                r1 += rate1[s];
                nr++;
            }
        if (nr) {
            r0 /= nr;
            r1 /= nr;
        }
        int bh = ci[M_RLIFDD].point > ci[M_HG].point,
            be = ci[M_RLIFDD].point > ci[M_EXPERT].point;
        beats_hg += bh;
        beats_expert += be;
        falls += nr && r1 < r0;
        rlc__exp_note(&x, 1,
                      "quality %.0f%%: RLIF (demos + takeover data) %.1f (without the demos "
                      "%.1f, with neither %.1f), HG-DAgger %.1f, DAgger %.1f, expert %.1f (IQM); "
                      "RLIF intervention rate %.3f in the first quarter of the budget, %.3f "
                      "after.",
                      100 * qual[qi], ci[M_RLIFDD].point, ci[M_RLIFD].point, ci[M_RLIF].point,
                      ci[M_HG].point,
                      ci[M_DAGGER].point, ci[M_EXPERT].point, r0, r1);
        size_t rl = strlen(reason);
        snprintf(reason + rl, sizeof reason - rl, "%sq=%.0f%%: RLIF %.0f, HG %.0f, expert %.0f",
                 qi ? "; " : "", 100 * qual[qi], ci[M_RLIFDD].point, ci[M_HG].point,
                 ci[M_EXPERT].point);
        for (int m = 0; m < NM; m++)
            for (int s = 0; s < NS; s++)
                curves[((size_t)m * NS + s) * nq + qi] = score[m * NS + s];
    }
    if (!st) {
        /* the figure: return against expert quality (the quick run has one point) */
        for (int k = 0; k < nq; k++)
            xs[k] = 100 * qual[k];
        rlc__exp_curves(&x, "return_vs_quality", "Pendulum-v1: task return against expert quality",
                        "expert quality (%)", "task return", 0, 0, NM, mname, xs, nq, curves);
    }
done:
    rlc_free(score);
    rlc_free(rate0);
    rlc_free(rate1);
    rlc_free(curves);
    if (st) {
        rlc__exp_abort(&x);
        return st;
    }
    return rlc__exp_end(&x, beats_hg == nq && beats_expert >= (nq + 1) / 2,
                        "RLIF above HG-DAgger at %d/%d qualities and above the expert at %d/%d; "
                        "intervention rate fell at %d/%d: %s",
                        beats_hg, nq, beats_expert, nq, falls, nq, reason);
}
