/* Roadmap row 9, `rlc experiment snapshot-rl`: S3RL (Snapshot RL with status classification and
 * student trajectory truncation) around unchanged TD3 / SAC / PPO, against the same algorithms
 * from the env's own start states. The teacher is a weak scripted controller (a fraction of its
 * actions random) on the classic-control tasks and, on MuJoCo, the same algorithm trained for a
 * fraction of the student's budget (the paper's setting); its trajectories are recorded once per
 * task. The measure is the number of
 * env steps until the deterministic evaluation return from the env's own start states reaches a
 * threshold (the budget when never reached). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "experiments/exp_impl.h"
#include "rlc/agent.h"
#include "rlc/wrappers.h"

/* ---- weak scripted teachers ------------------------------------------------------------ */

typedef struct teacher {
    int kind; /* 0 Pendulum, 1 MountainCarContinuous, 2 a trained agent */
    double p_random;
    rlc_rng rng;
    rlc_agent *agent; /* kind 2: its deterministic actions */
    const rlc_space *obs_space;
    float obs32[64];  /* the observation as float32 (MuJoCo's are float64) */
} teacher;

static rlc_status teacher_act(const void *obs, void *action, void *user) {
    teacher *t = user;
    if (t->kind == 2) {
        rlc_space_to_f32(t->obs_space, obs, t->obs32);
        return rlc_agent_act(t->agent, t->obs32, 1, action, 1);
    }
    const float *o = obs;
    float *a = action;
    double u;
    if (t->kind == 0) { /* energy pumping, PD hold near the top */
        double th = atan2(o[1], o[0]), thd = o[2];
        if (o[0] > 0.85)
            u = -12.0 * th - 2.5 * thd;
        else
            u = 3.0 * (5.0 - (thd * thd / 6.0 + 5.0 * o[0])) * (thd >= 0 ? 1.0 : -1.0);
        u = u > 2 ? 2 : u < -2 ? -2 : u;
        if (rlc_rng_random(&t->rng) < t->p_random) u = rlc_rng_uniform(&t->rng, -2, 2);
    } else { /* push along the velocity */
        u = o[1] >= 0 ? 1.0 : -1.0;
        if (rlc_rng_random(&t->rng) < t->p_random) u = rlc_rng_uniform(&t->rng, -1, 1);
    }
    a[0] = (float)u;
    return RLC_OK;
}

/* ---- one task: an env, an algorithm, its settings -------------------------------------- */

typedef struct task {
    const char *env, *algo, *cfg; /* cfg: comma-separated key=value */
    int teacher_kind;             /* 2: the same algorithm and cfg trained for teacher_steps */
    double threshold;
    int64_t budget, eval_every, horizon;
    int eval_episodes;
    int64_t teacher_steps;
} task;

typedef struct run_ctx {
    const double *states;
    int64_t n;
    rlc_snapshot_options so;
    const task *t;
    int64_t next_eval, first_hit;
    int npts;
    double *hit_curve; /* [npts]: 1 once the threshold was reached by that eval point */
    rlc_status err;
} run_ctx;

static rlc_status wrap_snapshot(rlc_env **env, int index, void *user) {
    (void)index;
    run_ctx *c = user;
    return rlc_wrap_snapshot(env, *env, c->states, c->n, &c->so);
}

static int after_update(rlc_agent *a, int64_t steps, void *user) {
    run_ctx *c = user;
    if (steps < c->next_eval) return 0;
    while (c->next_eval <= steps)
        c->next_eval += c->t->eval_every;
    double rets[32];
    rlc_status st = rlc_agent_evaluate(a, c->t->eval_episodes, 100000, 0, rets, NULL, 0, 0);
    if (st) {
        c->err = st;
        return 1;
    }
    double m = 0;
    for (int i = 0; i < c->t->eval_episodes; i++)
        m += rets[i];
    m /= c->t->eval_episodes;
    if (m >= c->t->threshold) {
        c->first_hit = steps;
        return 1; /* the measure is known: stop */
    }
    return 0;
}

/* The task's algorithm with its settings. */
static rlc_status make_agent(const task *t, uint64_t seed, rlc_agent **a) {
    const rlc_config_table *tab = rlc_algo_config_table(t->algo);
    char cfgbuf[4096];
    if (!tab || tab->size > sizeof cfgbuf)
        return rlc_error(RLC_ERR_INVALID, "snapshot-rl: no config table for %s", t->algo);
    rlc_config_defaults(tab, cfgbuf);
    rlc_status st = rlc__exp_apply_sets(tab, cfgbuf, t->cfg);
    if (st) return st;
    return rlc_agent_create(a, t->algo, t->env, NULL, cfgbuf, seed);
}

/* Trains one agent; *steps = env steps to the threshold (budget when never). */
static rlc_status run_one(const task *t, int s3rl, const rlc_snapshot_options *so,
                          const double *states, int64_t n, uint64_t seed, double *steps,
                          double *hit_curve, int npts) {
    rlc_agent *a = NULL;
    rlc_status st = make_agent(t, seed, &a);
    if (st) return st;
    run_ctx c = {states, n, *so, t, t->eval_every, -1, npts, hit_curve, RLC_OK};
    rlc_train_hooks h = {.wrap = s3rl ? wrap_snapshot : NULL, .after_update = after_update, .user = &c};
    rlc_train_options o = {0};
    o.total_steps = t->budget;
    st = rlc_agent_train_hooked(a, seed, &o, &h, NULL);
    if (!st) st = c.err;
    rlc_agent_destroy(a);
    if (st) return st;
    *steps = c.first_hit >= 0 ? (double)c.first_hit : (double)t->budget;
    for (int k = 0; k < npts; k++) {
        double x = (double)t->budget * (k + 1) / npts;
        hit_curve[k] = c.first_hit >= 0 && (double)c.first_hit <= x;
    }
    return RLC_OK;
}

#define PEND_OFF "hidden=64,batch_size=100,learning_starts=1000,policy_lr=0.001,q_lr=0.001," \
                 "gamma=0.98,tau=0.01"
#define MCC_OFF "hidden=64,batch_size=100,learning_starts=1000,policy_lr=0.001,q_lr=0.001," \
                "gamma=0.99,tau=0.01"

/* CleanRL's ppo_continuous_action defaults (with its observation and reward normalisation) */
#define PPO_CLEANRL                                                                                \
    "num_envs=1,n_steps=2048,lr=0.0003,n_minibatches=32,update_epochs=10,gamma=0.99,"               \
    "gae_lambda=0.95,ent_coef=0.0,norm_obs=true,norm_reward=true"

static const task FULL[] = {
    {"Pendulum-v1", "td3", PEND_OFF, 0, -200, 20000, 500, 50, 20, 0},
    {"Pendulum-v1", "sac", PEND_OFF, 0, -200, 20000, 500, 50, 20, 0},
    {"MountainCarContinuous-v0", "td3", MCC_OFF ",exploration_noise=0.3", 1, 80, 30000, 1000, 200,
     3, 0},
    {"MountainCarContinuous-v0", "sac", MCC_OFF, 1, 80, 30000, 1000, 200, 3, 0},
    {"MountainCarContinuous-v0", "ppo", PPO_CLEANRL, 1, 80, 100000, 2048, 200, 3, 0},
#ifdef RLC_HAVE_MUJOCO
    /* the paper's setting: a teacher trained for a third of the student's budget */
    {"Hopper-v4", "ppo", PPO_CLEANRL, 2, 1000, 300000, 10240, 200, 5, 100000},
#endif
};
static const task QUICK[] = {
    {"Pendulum-v1", "td3", PEND_OFF, 0, -300, 8000, 500, 50, 3, 0},
};

rlc_status rlc__exp_snapshot_rl(const rlc_experiment_options *o, rlc_experiment_result *res) {
    const task *tasks = o->quick ? QUICK : FULL;
    int nt = o->quick ? (int)(sizeof QUICK / sizeof QUICK[0]) : (int)(sizeof FULL / sizeof FULL[0]);
    rlc__exp x;
    rlc_status st = rlc__exp_begin(&x, rlc_experiment_find("snapshot-rl"), o, res, 5, 3);
    if (st) return st;
    /* methods: 0 vanilla, 1 S3RL, 2 naive snapshot starts (uniform over the teacher states: one
     * cluster, no truncation; the paper's baseline without SC and STT) */
    const int NS = x.seeds, NP = 20, NM = 3;
    double *steps = rlc_malloc(sizeof(double) * (size_t)NM * NS);
    double *curves = rlc_malloc(sizeof(double) * (size_t)NM * NS * NP);
    double *xs = rlc_malloc(sizeof(double) * NP);
    double *frac = rlc_malloc(sizeof(double) * (size_t)NM * NS * NP);
    if (!steps || !curves || !xs || !frac) {
        st = RLC_ERR_NOMEM;
        goto done;
    }
    int wins = 0, figs = 0;
    char reason[400] = "";
    for (int ti = 0; ti < nt && !st; ti++) {
        const task *t = &tasks[ti];
        /* the teacher: 10 episodes of the weak scripted controller (30% random actions) or of
         * the trained teacher's deterministic actions */
        rlc_env *te = NULL;
        double *states = NULL, trets[10];
        int64_t n = 0;
        teacher tch = {t->teacher_kind, 0.3, {0}, NULL, NULL, {0}};
        rlc_rng_seed(&tch.rng, 77);
        if (t->teacher_kind == 2) { /* trained with a seed no student uses */
            rlc_train_options to = {.total_steps = t->teacher_steps};
            st = make_agent(t, 1000, &tch.agent);
            if (!st) st = rlc_agent_train(tch.agent, 1000, &to, NULL);
        }
        if (!st) st = rlc_env_make(&te, t->env, NULL);
        if (!st) {
            tch.obs_space = rlc_env_obs_space(te);
            if (tch.obs_space->size > (int64_t)(sizeof tch.obs32 / sizeof(float)))
                st = rlc_error(RLC_ERR_UNSUPPORTED, "snapshot-rl: %s observations too large",
                               t->env);
        }
        if (!st) st = rlc_snapshot_record(te, teacher_act, &tch, 10, 5000, &states, &n, trets);
        rlc_env_destroy(te);
        rlc_agent_destroy(tch.agent);
        if (st) break;
        double tmean = 0;
        for (int i = 0; i < 10; i++)
            tmean += trets[i] / 10;
        rlc_snapshot_options so;
        rlc_snapshot_options_init(&so);
        so.clusters = 8;
        so.horizon = t->horizon;
        so.seed = 1;
        rlc_snapshot_options naive = so;
        naive.clusters = 1;
        naive.horizon = 0;
        for (int m = 0; m < NM && !st; m++)
            for (int s = 0; s < NS && !st; s++)
                st = run_one(t, m >= 1, m == 2 ? &naive : &so, states, n, (uint64_t)(s + 1),
                             &steps[m * NS + s], &curves[((size_t)m * NS + s) * NP], NP);
        rlc_free(states);
        if (st) break;
        char name[3][96], metric[128], teacher_desc[96];
        if (t->teacher_kind == 2)
            snprintf(teacher_desc, sizeof teacher_desc, "%s trained %lld steps, deterministic",
                     t->algo, (long long)t->teacher_steps);
        else
            snprintf(teacher_desc, sizeof teacher_desc, "scripted, 30%% random actions");
        snprintf(name[0], sizeof name[0], "%s %s", t->algo, t->env);
        snprintf(name[1], sizeof name[1], "S3RL+%s %s", t->algo, t->env);
        snprintf(name[2], sizeof name[2], "naive snapshots+%s %s", t->algo, t->env);
        snprintf(metric, sizeof metric,
                 "env steps until the evaluation return reaches %g on %s with %s (lower is "
                 "better; %lld = never within the budget)",
                 t->threshold, t->env, t->algo, (long long)t->budget);
        rlc__exp_table(&x, metric);
        rlc_stats_ci ci[3];
        for (int m = 0; m < NM; m++)
            rlc__exp_row(&x, name[m], "steps_to_threshold", steps + (size_t)m * NS, NS, &ci[m]);
        int reached[3] = {0, 0, 0};
        for (int m = 0; m < NM; m++)
            for (int s = 0; s < NS; s++)
                reached[m] += steps[m * NS + s] < (double)t->budget;
        int win = ci[1].point < ci[0].point;
        wins += win;
        rlc__exp_note(&x, 1,
                      "%s on %s: teacher return %.1f (%lld states, %s); "
                      "vanilla reached the threshold in %d/%d seeds, S3RL in %d/%d, naive "
                      "snapshots in %d/%d; IQM steps %.0f vs %.0f vs %.0f.",
                      t->algo, t->env, tmean, (long long)n, teacher_desc, reached[0], NS,
                      reached[1], NS, reached[2], NS, ci[0].point, ci[1].point, ci[2].point);
        size_t rl = strlen(reason);
        snprintf(reason + rl, sizeof reason - rl, "%s%s/%s %.0f vs %.0f", ti ? "; " : "", t->algo,
                 t->env, ci[1].point, ci[0].point);
        if (figs < RLC_EXPERIMENT_MAX_FIGURES) {
            for (int k = 0; k < NP; k++)
                xs[k] = (double)t->budget * (k + 1) / NP;
            const char *labels[3] = {name[0], name[1], name[2]};
            char file[64], title[160];
            snprintf(file, sizeof file, "reached_%d", ti);
            snprintf(title, sizeof title, "%s, %s: seeds past the threshold %g", t->env, t->algo,
                     t->threshold);
            /* the fraction of seeds past the threshold (every seed row holds it, so the IQM
             * drawn is that fraction; an IQM of 0/1 values would hide a minority of seeds) */
            for (int m = 0; m < NM; m++)
                for (int k = 0; k < NP; k++) {
                    double f = 0;
                    for (int s = 0; s < NS; s++)
                        f += curves[((size_t)m * NS + s) * NP + k];
                    for (int s = 0; s < NS; s++)
                        frac[((size_t)m * NS + s) * NP + k] = f / NS;
                }
            rlc__exp_curves(&x, file, title, "env steps", "fraction of seeds past it", 0, 0, NM,
                            labels, xs, NP, frac);
            figs++;
        }
    }
done:
    rlc_free(steps);
    rlc_free(curves);
    rlc_free(xs);
    rlc_free(frac);
    if (st) {
        rlc__exp_abort(&x);
        return st;
    }
    return rlc__exp_end(&x, wins == nt,
                        "S3RL reached the threshold in fewer steps (IQM) in %d of %d tasks: %s "
                        "(S3RL vs vanilla)",
                        wins, nt, reason);
}
