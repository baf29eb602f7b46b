/* Roadmap row 57, `rlc experiment stream-x`: stream AC(lambda) and stream Q(lambda) (batch 1, no
 * replay, no target networks, ObGD + sparse init + LayerNorm + normalisation) against the naive
 * streaming learners (the same AC(lambda) / Q(lambda) with a fixed SGD step, PyTorch-default
 * init, no LayerNorm, no normalisation) and batch learners (PPO, SAC) on CartPole-v1,
 * Acrobot-v1, Pendulum-v1, HalfCheetah-v4 and Hopper-v4, with the same number of environment
 * steps. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "experiments/exp_stream_pairs.h"
#include "rlc/agent.h"

typedef struct method {
    const char *label, *algo, *sets;
    int family; /* 0 stream-x, 1 naive streaming, 2 batch */
} method;

/* The naive streaming learners: the same algorithms with a fixed step and none of the
 * stream-x ingredients. */
#define NAIVE "optimizer=sgd,lr=0.001,layer_norm=false,sparse_init=false,norm_obs=false," \
              "scale_reward=false"

static const method M_SAC = {"stream AC(lambda)", "stream-ac", NULL, 0};
static const method M_SQ = {"stream Q(lambda)", "stream-q", NULL, 0};
static const method M_NAC = {"naive AC(lambda)", "stream-ac", NAIVE, 1};
static const method M_NQ = {"naive Q(lambda)", "stream-q", NAIVE, 1};
static const method M_PPO = {"PPO", "ppo", NULL, 2};
/* CleanRL's ppo_continuous_action.py settings for MuJoCo (one env, 2048-step rollouts, 10
 * epochs of 32 minibatches, lr 3e-4, no entropy bonus, observation and reward normalisation) */
static const method M_PPOM = {"PPO", "ppo",
                              "num_envs=1,n_steps=2048,n_minibatches=32,update_epochs=10,"
                              "lr=0.0003,ent_coef=0,norm_obs=1,norm_reward=1",
                              2};
static const method M_SACB = {"SAC", "sac", NULL, 2};

typedef struct task {
    const char *env;
    int64_t steps, quick_steps;
    double random_return; /* uniform random policy, for the normalised score */
    int nm;
    const method *m[5];
} task;

static const task TASKS[] = {
    {"CartPole-v1", 100000, 30000, 22.0, 5, {&M_SAC, &M_SQ, &M_NAC, &M_NQ, &M_PPO}},
    {"Acrobot-v1", 100000, 0, -500.0, 5, {&M_SAC, &M_SQ, &M_NAC, &M_NQ, &M_PPO}},
    {"Pendulum-v1", 50000, 0, -1230.0, 3, {&M_SAC, &M_NAC, &M_SACB}},
    /* MuJoCo (random-policy returns: D4RL's reference scores) */
    {"HalfCheetah-v4", 300000, 0, -280.18, 3, {&M_SAC, &M_NAC, &M_PPOM}},
    {"Hopper-v4", 300000, 0, -20.27, 3, {&M_SAC, &M_NAC, &M_PPOM}},
};
#define NTASK ((int)(sizeof TASKS / sizeof TASKS[0]))
#define NPTS 20
#define EVAL_EPISODES 10

/* One training run: the learning curve (mean of the last 20 training returns at NPTS evenly
 * spaced steps, read from the trainer's text log) and the final deterministic evaluation. */
static rlc_status run_one(const method *m, const char *env, int64_t steps, uint64_t seed,
                          double fill, double *curve, double *final, int *diverged) {
    rlc_agent *a = NULL;
    rlc_status st = rlc__exp_make_agent(&a, m->algo, env, NULL, m->sets, seed);
    if (st) return st;
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f) {
        rlc_agent_destroy(a);
        return rlc_error(RLC_ERR_IO, "stream-x: open_memstream failed");
    }
    rlc_train_options o = {.total_steps = steps, .log_interval = steps / NPTS, .print = f};
    st = rlc_agent_train(a, seed + 1000, &o, NULL);
    fclose(f);
    for (int i = 0; i < NPTS; i++)
        curve[i] = NAN;
    if (st == RLC_ERR_RANGE) {
        /* the learner diverged (non-finite TD error): its curve stops, its score is random */
        st = RLC_OK;
        *final = fill;
        (*diverged)++;
    } else if (!st) {
        double ret[EVAL_EPISODES];
        st = rlc_agent_evaluate(a, EVAL_EPISODES, 50000 + seed * 100, 0, ret, NULL, 0, 0);
        double s = 0;
        for (int i = 0; i < EVAL_EPISODES; i++)
            s += ret[i];
        *final = s / EVAL_EPISODES;
    }
    for (char *line = buf; line && *line;) {
        long long stp, eps;
        double r;
        if (sscanf(line, "step %lld episodes %lld return %lf", &stp, &eps, &r) == 3 &&
            isfinite(r)) {
            int i = (int)((double)stp * NPTS / (double)steps + 1e-9) - 1;
            if (i >= 0 && i < NPTS) curve[i] = r;
        }
        char *nl = strchr(line, '\n');
        line = nl ? nl + 1 : NULL;
    }
    free(buf);
    double last = fill;
    for (int i = 0; i < NPTS; i++) {
        if (isfinite(curve[i]))
            last = curve[i];
        else
            curve[i] = last;
    }
    rlc_agent_destroy(a);
    return st;
}

rlc_status rlc__exp_stream_x(const rlc_experiment_options *o, rlc_experiment_result *res) {
    rlc__exp x;
    rlc_status st = rlc__exp_begin(&x, rlc_experiment_find("stream-x"), o, res, 5, 2);
    if (st) return st;
    int NS = x.seeds, ntask = o->quick ? 1 : NTASK;
    double *curves = rlc_malloc(sizeof(double) * 5 * (size_t)NS * NPTS);
    double *finals = rlc_malloc(sizeof(double) * 5 * (size_t)NS);
    double xs[NPTS];
    if (!curves || !finals) {
        st = RLC_ERR_NOMEM;
        goto fail;
    }
    rlc__exp_note(&x, 1,
                  "Setup: stream-x = the paper's single hyperparameter set (ObGD lr 1, kappa 2 / "
                  "3 for the policy, gamma 0.99, lambda 0.8, entropy 0.01, 2x128 leaky-ReLU with "
                  "LayerNorm, sparsity 0.9, observation and reward normalisation); naive = the "
                  "same learners with SGD step 1e-3 and none of those ingredients; batch = PPO "
                  "and SAC with rlc's (tuned) defaults, on MuJoCo PPO with CleanRL's MuJoCo "
                  "settings. Every method gets the same env steps; "
                  "score = mean return of %d deterministic evaluation episodes after training; "
                  "curves = mean of the last 20 training episodes.",
                  EVAL_EPISODES);
    int all_beat_naive = 1, all_close_batch = 1;
    char reason[400] = "";
    size_t rl = 0;
    for (int ti = 0; ti < ntask; ti++) {
        const task *tk = &TASKS[ti];
        int64_t steps = o->quick ? tk->quick_steps : tk->steps;
        int nm = o->quick ? 3 : tk->nm;
        const method *ms[5];
        if (o->quick) {
            ms[0] = &M_SAC;
            ms[1] = &M_NAC;
            ms[2] = &M_PPO;
        } else {
            for (int k = 0; k < nm; k++)
                ms[k] = tk->m[k];
        }
        int div[5] = {0};
        for (int k = 0; k < nm; k++)
            for (int s = 0; s < NS; s++) {
                st = run_one(ms[k], tk->env, steps, 1 + (uint64_t)s, tk->random_return,
                             curves + ((size_t)k * NS + s) * NPTS, finals + (size_t)k * NS + s,
                             &div[k]);
                if (st) goto fail;
            }
        for (int k = 0; k < nm; k++)
            if (div[k])
                rlc__exp_note(&x, 1,
                              "%s, %s: diverged (non-finite TD error) in %d of %d seeds; scored "
                              "as the random policy (%.0f) from there.",
                              tk->env, ms[k]->label, div[k], NS, tk->random_return);
        char title[160];
        snprintf(title, sizeof title, "%s: final deterministic return after %lld env steps",
                 tk->env, (long long)steps);
        rlc__exp_table(&x, title);
        rlc_stats_ci ci[5];
        const char *labels[5];
        char metric[64];
        snprintf(metric, sizeof metric, "return_%s", tk->env);
        for (int k = 0; k < nm; k++) {
            labels[k] = ms[k]->label;
            rlc__exp_row(&x, ms[k]->label, metric, finals + (size_t)k * NS, NS, &ci[k]);
        }
        for (int i = 0; i < NPTS; i++)
            xs[i] = (double)steps * (i + 1) / NPTS;
        char file[64];
        snprintf(file, sizeof file, "curves_%s", tk->env);
        rlc__exp_curves(&x, file, tk->env, "env steps", "training return (last 20 episodes)", 0,
                        0, nm, labels, xs, NPTS, curves);
        /* claim per env: the best stream-x beats every naive learner, and reaches 80% of the
         * best batch learner's improvement over the random policy */
        double bx = -INFINITY, bn = -INFINITY, bb = -INFINITY;
        for (int k = 0; k < nm; k++) {
            double v = ci[k].point;
            if (ms[k]->family == 0 && v > bx) bx = v;
            if (ms[k]->family == 1 && v > bn) bn = v;
            if (ms[k]->family == 2 && v > bb) bb = v;
        }
        double frac = (bx - tk->random_return) / (bb - tk->random_return);
        int beat = bx > bn, close = frac >= 0.8;
        all_beat_naive &= beat;
        all_close_batch &= close;
        rlc__exp_note(&x, 1,
                      "%s: best stream-x IQM %.1f, best naive %.1f, best batch %.1f; stream-x "
                      "reaches %.0f%% of the batch improvement over random (%.0f).",
                      tk->env, bx, bn, bb, 100 * frac, tk->random_return);
        if (rl < sizeof reason)
            rl += (size_t)snprintf(reason + rl, sizeof reason - rl,
                                   "%s%s: x %.0f vs naive %.0f vs batch %.0f (%.0f%%)",
                                   ti ? "; " : "", tk->env, bx, bn, bb, 100 * frac);
    }
    rlc_free(curves);
    rlc_free(finals);
    return rlc__exp_end(&x, all_beat_naive && all_close_batch,
                        "%s; beats naive everywhere: %s; >= 80%% of batch everywhere: %s", reason,
                        all_beat_naive ? "yes" : "no", all_close_batch ? "yes" : "no");
fail:
    rlc_free(curves);
    rlc_free(finals);
    rlc__exp_abort(&x);
    return st;
}
