/* Roadmap row 34, `rlc experiment go-explore`: Go-Explore phase 1 (archive of cells, return by
 * state restore, explore) on KeyDoorRooms-v0 against PPO and DQN trained with the same env-step
 * budget through the public agent API, plus the robustified (Backward Algorithm) policy under
 * sticky actions. */
#include <math.h>
#include <string.h>

#include "experiments/exp_impl.h"
#include "rlc/agent.h"
#include "rlc/goexplore.h"

#define ENV_ID "KeyDoorRooms-v0"
#define SOLVED 13.0 /* both keys used on the doors (+1 key, +1 key, +1 final door) and the goal */

enum { M_GE, M_PPO, M_DQN, NMETHODS };
static const char *const NAMES[NMETHODS] = {"Go-Explore (phase 1)", "PPO", "DQN"};

typedef struct setup {
    int64_t budget;       /* env steps per method and seed */
    int64_t robust_steps; /* Backward Algorithm training steps */
    int eval_episodes;    /* stochastic evaluation episodes of PPO / DQN */
    int npts;             /* curve points of Go-Explore's best score */
} setup;

/* Best return of the trained agent: its deterministic policy (one episode: the env and the
 * start are deterministic) and `n` stochastic episodes. */
static rlc_status agent_best(rlc_agent *a, int n, uint64_t seed, double *best, double *det) {
    double r = 0, *rs = rlc_malloc(sizeof(double) * (size_t)n);
    if (!rs) return RLC_ERR_NOMEM;
    rlc_status st = rlc_agent_evaluate(a, 1, seed, 0, &r, NULL, 0, 0);
    if (!st) st = rlc_agent_evaluate(a, n, seed, 1, rs, NULL, 0, 0);
    if (!st) {
        *det = r;
        *best = r;
        for (int i = 0; i < n; i++)
            *best = fmax(*best, rs[i]);
    }
    rlc_free(rs);
    return st;
}

/* Trains `algo` on the env for the budget (configured through --set-style keys) and returns the
 * best evaluation return and the mean training return of the last episodes. */
static rlc_status run_agent(const setup *su, const char *algo, uint64_t seed, double *best,
                            double *det, double *train_ret) {
    const rlc_config_table *t = rlc_algo_config_table(algo);
    if (!t) return rlc_error(RLC_ERR_NOT_FOUND, "go-explore experiment: no algorithm '%s'", algo);
    void *cfg = rlc_malloc(t->size);
    if (!cfg) return RLC_ERR_NOMEM;
    rlc_config_defaults(t, cfg);
    rlc_status st = RLC_OK;
    if (!strcmp(algo, "dqn")) {
        /* SB3 defaults except the exploration schedule, which decays over a third of the run
         * (a tenth is too short for a sparse-reward maze) */
        st = rlc_config_set(t, cfg, "exploration_fraction", "0.3");
        if (!st) st = rlc_config_set(t, cfg, "target_update_interval", "2000");
    }
    rlc_agent *a = NULL;
    if (!st) st = rlc_agent_create(&a, algo, ENV_ID, NULL, cfg, seed);
    rlc_train_options to = {0};
    to.total_steps = su->budget;
    rlc_train_result tr = {0};
    if (!st) st = rlc_agent_train(a, seed, &to, &tr);
    if (!st) st = agent_best(a, su->eval_episodes, 1000 + seed, best, det);
    if (!st) *train_ret = isnan(tr.mean_return) ? 0 : tr.mean_return;
    rlc_agent_destroy(a);
    rlc_free(cfg);
    return st;
}

/* Go-Explore phase 1 for the budget (best score sampled along the way into curve[npts]), then
 * the Backward Algorithm on the best trajectory; success rate of the robust policy under
 * sticky actions (NaN when phase 1 did not solve). */
static rlc_status run_goexplore(const setup *su, uint64_t seed, double *best, double *first,
                                double *cells, double *robust, double *curve) {
    rlc_env *env = NULL;
    rlc_status st = rlc_env_make(&env, ENV_ID, NULL);
    if (st) return st;
    rlc_goexplore_config cfg;
    rlc_goexplore_config_default(&cfg);
    cfg.seed = seed;
    cfg.solve_score = SOLVED;
    rlc_goexplore *ge = NULL;
    rlc_goexplore_robust *r = NULL;
    int64_t *demo = NULL;
    st = rlc_goexplore_create(&ge, env, &cfg);
    rlc_goexplore_stats gs = {0};
    for (int p = 0; p < su->npts && !st; p++) {
        int64_t upto = su->budget * (p + 1) / su->npts;
        rlc_goexplore_get_stats(ge, &gs);
        st = rlc_goexplore_run(ge, upto - gs.env_steps);
        rlc_goexplore_get_stats(ge, &gs);
        curve[p] = gs.best_score;
    }
    if (!st) {
        *best = gs.best_score;
        *first = gs.first_solve_step >= 0 ? (double)gs.first_solve_step : (double)su->budget;
        *cells = (double)gs.cells;
        *robust = NAN;
    }
    if (!st && gs.best_score >= SOLVED && su->robust_steps > 0) {
        int64_t bc = rlc_goexplore_best_cell(ge);
        int64_t len = rlc_goexplore_trajectory(ge, bc, NULL, 0);
        demo = rlc_malloc(sizeof(int64_t) * (size_t)(len + 1));
        if (!demo) st = RLC_ERR_NOMEM;
        if (!st) rlc_goexplore_trajectory(ge, bc, demo, len);
        if (!st) st = rlc_goexplore_robust_create(&r, env, demo, len, &cfg, NULL);
        if (!st) st = rlc_goexplore_robust_train(r, su->robust_steps);
        if (!st) st = rlc_goexplore_robust_evaluate(r, 200, 1 + seed, robust, NULL);
    }
    rlc_goexplore_robust_destroy(r);
    rlc_free(demo);
    rlc_goexplore_destroy(ge);
    rlc_env_destroy(env);
    return st;
}

rlc_status rlc__exp_go_explore(const rlc_experiment_options *o, rlc_experiment_result *res) {
    setup su = {200000, 1000000, 20, 20};
    if (o->quick) {
        su.budget = 150000;
        su.robust_steps = 300000;
        su.eval_episodes = 5;
        su.npts = 10;
    }
    rlc__exp x;
    rlc_status st = rlc__exp_begin(&x, rlc_experiment_find("go-explore"), o, res, 5, 3);
    if (st) {
        rlc__exp_abort(&x);
        return st;
    }
    int NS = x.seeds;
    double *best = rlc_calloc((size_t)NMETHODS * NS, sizeof(double));
    double *det = rlc_calloc((size_t)NMETHODS * NS, sizeof(double));
    double *trainr = rlc_calloc((size_t)NMETHODS * NS, sizeof(double));
    double *first = rlc_calloc((size_t)NS, sizeof(double)),
           *cells = rlc_calloc((size_t)NS, sizeof(double)),
           *robust = rlc_calloc((size_t)NS, sizeof(double));
    double *curve = rlc_calloc((size_t)NS * su.npts, sizeof(double)),
           *xs = rlc_calloc((size_t)su.npts, sizeof(double));
    if (!best || !det || !trainr || !first || !cells || !robust || !curve || !xs) {
        st = RLC_ERR_NOMEM;
        goto fail;
    }
    rlc__exp_note(&x, 1,
                  "Setup: %s (6 rooms, 2 keys, a trap room, lava; reward 1 per key, 1 for the "
                  "final door, 10 for the goal: solved = return %g). Budget %lld env steps per "
                  "method and seed. Go-Explore: cells = the exact state vector, selection ~ "
                  "1/sqrt(chosen+1), 100 explore steps repeating the last action w.p. 0.95. "
                  "PPO and DQN: rlc's agents with their defaults (DQN: epsilon decays over 30%% "
                  "of the run, target update every 2000 steps) on the symbolic observation; "
                  "score = best return of the trained policy over 1 greedy and %d sampled "
                  "episodes. Robustification: Backward Algorithm (tabular Q on cells) for %lld "
                  "steps, evaluated over 200 episodes with sticky actions p = 0.25.",
                  ENV_ID, SOLVED, (long long)su.budget, su.eval_episodes,
                  (long long)su.robust_steps);
    for (int s = 0; s < NS; s++) {
        uint64_t seed = (uint64_t)s;
        size_t i = (size_t)s;
        if ((st = run_goexplore(&su, seed, &best[M_GE * NS + i], &first[i], &cells[i], &robust[i],
                                curve + i * su.npts)))
            goto fail;
        det[M_GE * NS + i] = best[M_GE * NS + i];
        if ((st = run_agent(&su, "ppo", seed, &best[M_PPO * NS + i], &det[M_PPO * NS + i],
                            &trainr[M_PPO * NS + i])))
            goto fail;
        if ((st = run_agent(&su, "dqn", seed, &best[M_DQN * NS + i], &det[M_DQN * NS + i],
                            &trainr[M_DQN * NS + i])))
            goto fail;
        if (o->log)
            fprintf(o->log,
                    "seed %d: Go-Explore best %.0f (first solve at %.0f steps, %.0f cells, "
                    "robust success %.3f), PPO best %.0f, DQN best %.0f\n",
                    s, best[M_GE * NS + i], first[i], cells[i], robust[i], best[M_PPO * NS + i],
                    best[M_DQN * NS + i]);
    }
    rlc_stats_ci ci[NMETHODS];
    rlc__exp_table(&x, "best return within the budget (solved = 13)");
    for (int m = 0; m < NMETHODS; m++)
        rlc__exp_row(&x, NAMES[m], "best_return", best + (size_t)m * NS, NS, &ci[m]);
    int nsolved[NMETHODS] = {0};
    int ns = NS;
    double *solved = trainr + (size_t)M_GE * NS; /* Go-Explore has no training return */
    for (int m = 0; m < NMETHODS; m++)
        for (int s = 0; s < ns; s++)
            nsolved[m] += best[(size_t)m * NS + s] >= SOLVED;
    rlc__exp_table(&x, "solved (goal reached) within the budget, fraction of seeds");
    for (int m = 0; m < NMETHODS; m++) {
        for (int s = 0; s < ns; s++)
            solved[s] = best[(size_t)m * NS + s] >= SOLVED;
        rlc__exp_row(&x, NAMES[m], "solved", solved, ns, NULL);
    }
    rlc__exp_table(&x, "Go-Explore: env steps to the first solve (budget when never)");
    rlc__exp_row(&x, "Go-Explore (phase 1)", "first_solve_step", first, NS, NULL);
    int nrob = 0, rob_ok = 0;
    for (int s = 0; s < NS; s++)
        rlc__exp_record(&x, "Go-Explore (phase 1)", s, "cells", cells[s]);
    double *rob = cells; /* reused: the cell counts are recorded */
    for (int s = 0; s < ns; s++)
        if (!isnan(robust[s])) {
            rob[nrob++] = robust[s];
            rob_ok += robust[s] >= 0.9;
        }
    if (nrob > 0) {
        rlc__exp_table(&x, "robustified policy: success rate with sticky actions (p = 0.25)");
        rlc__exp_row(&x, "Go-Explore + Backward Algorithm", "robust_success", rob, nrob, NULL);
    }
    for (int p = 0; p < su.npts; p++)
        xs[p] = (double)(su.budget * (p + 1) / su.npts);
    const char *lab[1] = {"Go-Explore (phase 1)"};
    rlc__exp_curves(&x, "goexplore_best", "Go-Explore on KeyDoorRooms-v0: best score", "env steps",
                    "best return found", 0, 0, 1, lab, xs, su.npts, curve);
    rlc__exp_table(&x, "PPO / DQN: mean training return of the last 20 episodes");
    for (int m = M_PPO; m <= M_DQN; m++)
        rlc__exp_row(&x, NAMES[m], "train_return", trainr + (size_t)m * NS, NS, NULL);
    for (int m = M_PPO; m <= M_DQN; m++)
        for (int s = 0; s < NS; s++)
            rlc__exp_record(&x, NAMES[m], s, "greedy_return", det[(size_t)m * NS + s]);
    int held = nsolved[M_GE] == ns && nsolved[M_PPO] == 0 && nsolved[M_DQN] == 0;
    int robust_held = nrob == 0 || rob_ok == nrob;
    rlc_free(best);
    rlc_free(det);
    rlc_free(trainr);
    rlc_free(first);
    rlc_free(cells);
    rlc_free(robust);
    rlc_free(curve);
    rlc_free(xs);
    return rlc__exp_end(&x, held,
                        "Go-Explore solved %d/%d seeds, PPO %d/%d, DQN %d/%d within %lld steps "
                        "(best return IQM: %.3g / %.3g / %.3g); robustified policy >= 90%% "
                        "success with sticky actions in %d/%d solved seeds%s",
                        nsolved[M_GE], ns, nsolved[M_PPO], ns, nsolved[M_DQN], ns,
                        (long long)su.budget, ci[M_GE].point, ci[M_PPO].point, ci[M_DQN].point,
                        rob_ok, nrob, robust_held ? "" : " (robustification fell short)");
fail:
    rlc_free(best);
    rlc_free(det);
    rlc_free(trainr);
    rlc_free(first);
    rlc_free(cells);
    rlc_free(robust);
    rlc_free(curve);
    rlc_free(xs);
    rlc__exp_abort(&x);
    return st;
}
