/* Roadmap row 34, `rlc experiment go-explore`: Go-Explore phase 1 (archive of cells, return by
 * state restore, explore) on KeyDoorRooms-v0 against PPO, PPO+RND (random network distillation
 * bonus) and DQN trained with the same env-step budget through the public agent API, plus the
 * robustified (Backward Algorithm) policy under sticky actions. */
#include <math.h>
#include <string.h>

#include "experiments/exp_impl.h"
#include "rlc/agent.h"
#include "rlc/goexplore.h"
#include "rlc/graph.h"
#include "rlc/nn.h"
#include "rlc/optim.h"
#include "rlc/vec_env.h"

#define ENV_ID "KeyDoorRooms-v0"
#define SOLVED 13.0 /* both keys used on the doors (+1 key, +1 key, +1 final door) and the goal */

enum { M_GE, M_PPO, M_RND, M_DQN, NMETHODS };
static const char *const NAMES[NMETHODS] = {"Go-Explore (phase 1)", "PPO", "PPO+RND", "DQN"};

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

/* Random network distillation (Burda et al. 2018) as a bonus added to the training rewards: a
 * fixed random target MLP f and a predictor MLP f^ trained online (Adam, one step per vector
 * step on that step's next observations) to match it; the bonus of a transition is
 * ||f^(o') - f(o')||^2 on the normalised next observation (running mean / std per dimension,
 * clipped to +-5), divided by the running std of the discounted intrinsic return (gamma 0.99,
 * per env, as the paper's reward normalisation) and scaled by `coef`. Single value head:
 * the bonus is added to the extrinsic reward (the paper uses two heads). It is added from the
 * trainer's after_step hook, which runs before the algorithm reads the step's rewards
 * (src/algo/agent.c); evaluation envs are not touched. */
typedef struct rnd {
    int B, D, K;
    double coef;
    uint64_t seed;
    rlc_params *pt, *pp;
    rlc_mlp *mt, *mp;
    rlc_optim *opt;
    rlc_graph *g;
    rlc_tensor *x, *yt, *yp, *loss;
    double *mean, *m2, cnt; /* observation statistics (Welford) */
    double *ret;            /* discounted intrinsic return per env */
    double rmean, rm2, rcnt;
    double err_first, err_last; /* mean raw error over the first / last `window` steps */
    int64_t calls, window, total;
    double *ring;
} rnd;

static void rnd_free(rnd *r) {
    rlc_graph_destroy(r->g);
    rlc_optim_destroy(r->opt);
    rlc_mlp_destroy(r->mt);
    rlc_mlp_destroy(r->mp);
    rlc_params_destroy(r->pt);
    rlc_params_destroy(r->pp);
    rlc_free(r->mean);
    rlc_free(r->m2);
    rlc_free(r->ret);
    rlc_free(r->ring);
}

static rlc_status rnd_init(rnd *r, int B, int D) {
    r->B = B;
    r->D = D;
    r->K = 32;
    rlc_rng rng;
    rlc_rng_seed_stream(&rng, r->seed, 34);
    r->pt = rlc_params_create(RLC_F32);
    r->pp = rlc_params_create(RLC_F32);
    if (!r->pt || !r->pp) return RLC_ERR_NOMEM;
    rlc_mlp_spec spec = {.sizes = (int[]){D, 64, 64, r->K}, .nsizes = 4, .act = RLC_ACT_RELU};
    r->mt = rlc_mlp_create(r->pt, "target", &spec, &rng);
    r->mp = rlc_mlp_create(r->pp, "predictor", &spec, &rng);
    if (!r->mt || !r->mp)
        return rlc_error(RLC_ERR_STATE, "go-explore: RND networks: %s", rlc_last_error());
    rlc_optim_config oc = rlc_optim_defaults(RLC_OPTIM_ADAM);
    oc.lr = 1e-3;
    oc.zero_grad = 1;
    r->opt = rlc_optim_create(r->pp, &oc);
    r->g = rlc_graph_create(RLC_F32, 0);
    r->mean = rlc_calloc((size_t)D, sizeof(double));
    r->m2 = rlc_calloc((size_t)D, sizeof(double));
    r->ret = rlc_calloc((size_t)B, sizeof(double));
    r->ring = rlc_calloc((size_t)r->window, sizeof(double));
    if (!r->opt || !r->g || !r->mean || !r->m2 || !r->ret || !r->ring) return RLC_ERR_NOMEM;
    r->x = rlc_input(r->g, 2, (int[]){B, D});
    r->yt = rlc_mlp_forward_frozen(r->g, r->mt, r->pt, r->x);
    r->yp = rlc_mlp_forward(r->g, r->mp, r->x);
    r->loss = rlc_mse(r->g, r->yp, r->yt);
    rlc_status st = rlc_graph_status(r->g);
    if (st) return rlc_error(st, "go-explore: RND graph: %s", rlc_graph_error(r->g));
    rlc_params_zero_grad(r->pp);
    return RLC_OK;
}

static rlc_status rnd_after_step(const rlc_vec_env *v, void *user) {
    rnd *r = user;
    int B = v->num_envs, D = (int)v->obs_size;
    if (!r->g) {
        rlc_status st = rnd_init(r, B, D);
        if (st) return st;
    }
    int first = r->calls++ == 0; /* the starting observations: statistics only */
    for (int i = 0; i < B; i++) {
        int end = v->terminated[i] | v->truncated[i];
        const float *o = (end ? v->final_obs_f32 : v->obs_f32) + (size_t)i * D;
        r->cnt += 1;
        for (int j = 0; j < D; j++) {
            double d = o[j] - r->mean[j];
            r->mean[j] += d / r->cnt;
            r->m2[j] += d * (o[j] - r->mean[j]);
        }
    }
    for (int i = 0; i < B; i++) {
        int end = v->terminated[i] | v->truncated[i];
        const float *o = (end ? v->final_obs_f32 : v->obs_f32) + (size_t)i * D;
        for (int j = 0; j < D; j++) {
            double sd = sqrt(r->m2[j] / r->cnt) + 1e-8, z = (o[j] - r->mean[j]) / sd;
            rlc_tensor_set(r->x, (int64_t)i * D + j, z < -5 ? -5 : z > 5 ? 5 : z);
        }
    }
    rlc_status st = rlc_graph_forward(r->g);
    if (st) return st;
    if (first) return RLC_OK;
    double err_mean = 0;
    for (int i = 0; i < B; i++) {
        double e = 0;
        for (int k = 0; k < r->K; k++) {
            double d = rlc_tensor_get(r->yp, (int64_t)i * r->K + k) -
                       rlc_tensor_get(r->yt, (int64_t)i * r->K + k);
            e += d * d;
        }
        err_mean += e / B;
        if (v->autoreset[i]) continue; /* not a real transition */
        r->ret[i] = 0.99 * r->ret[i] + e;
        r->rcnt += 1;
        double d = r->ret[i] - r->rmean;
        r->rmean += d / r->rcnt;
        r->rm2 += d * (r->ret[i] - r->rmean);
        double sd = sqrt(r->rm2 / r->rcnt) + 1e-8;
        v->rewards[i] += r->coef * e / sd;
        if (v->terminated[i] | v->truncated[i]) r->ret[i] = 0;
    }
    int64_t k = r->calls - 2; /* index of this update */
    if (k < r->window) r->err_first += err_mean / r->window;
    r->ring[k % r->window] = err_mean;
    if ((st = rlc_graph_backward(r->g, r->loss))) return st;
    rlc_optim_step(r->opt);
    return RLC_OK;
}

/* Trains `algo` on the env for the budget (configured through --set-style keys) and returns the
 * best evaluation return and the mean training return of the last episodes; with `rd` (PPO+RND)
 * the RND bonus is added to the training rewards. */
static rlc_status run_agent(const setup *su, const char *algo, uint64_t seed, double *best,
                            double *det, double *train_ret, rnd *rd) {
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
    rlc_train_hooks hk = {0};
    hk.after_step = rnd_after_step;
    hk.user = rd;
    if (!st)
        st = rd ? rlc_agent_train_hooked(a, seed, &to, &hk, &tr)
                : rlc_agent_train(a, seed, &to, &tr);
    if (!st && rd) { /* the last `window` updates' mean error */
        int64_t n = rd->calls - 1 < rd->window ? rd->calls - 1 : rd->window;
        rd->err_last = 0;
        for (int64_t i = 0; i < n; i++)
            rd->err_last += rd->ring[i] / (double)n;
    }
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
    if (st) return st;
    int NS = x.seeds;
    double *best = rlc_calloc((size_t)NMETHODS * NS, sizeof(double));
    double *det = rlc_calloc((size_t)NMETHODS * NS, sizeof(double));
    double *trainr = rlc_calloc((size_t)NMETHODS * NS, sizeof(double));
    double *first = rlc_calloc((size_t)NS, sizeof(double)),
           *cells = rlc_calloc((size_t)NS, sizeof(double)),
           *robust = rlc_calloc((size_t)NS, sizeof(double));
    double *curve = rlc_calloc((size_t)NS * su.npts, sizeof(double)),
           *xs = rlc_calloc((size_t)su.npts, sizeof(double));
    double *rnd_first = rlc_calloc((size_t)NS, sizeof(double)),
           *rnd_last = rlc_calloc((size_t)NS, sizeof(double));
    if (!best || !det || !trainr || !first || !cells || !robust || !curve || !xs || !rnd_first ||
        !rnd_last) {
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
                  "PPO+RND: the same PPO with a random-network-distillation bonus (target and "
                  "predictor MLPs 64-64-32 on the normalised next observation, Adam 1e-3, bonus "
                  "= 0.5 x error / std of the discounted intrinsic return, added to the "
                  "extrinsic reward); "
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
                            &trainr[M_PPO * NS + i], NULL)))
            goto fail;
        rnd rd = {0};
        rd.coef = 0.5;
        rd.seed = 3400 + seed;
        rd.window = 100;
        st = run_agent(&su, "ppo", seed, &best[M_RND * NS + i], &det[M_RND * NS + i],
                       &trainr[M_RND * NS + i], &rd);
        rnd_first[i] = rd.err_first;
        rnd_last[i] = rd.err_last;
        rnd_free(&rd);
        if (st) goto fail;
        if ((st = run_agent(&su, "dqn", seed, &best[M_DQN * NS + i], &det[M_DQN * NS + i],
                            &trainr[M_DQN * NS + i], NULL)))
            goto fail;
        if (o->log)
            fprintf(o->log,
                    "seed %d: Go-Explore best %.0f (first solve at %.0f steps, %.0f cells, "
                    "robust success %.3f), PPO best %.0f, PPO+RND best %.0f (RND error %.3g -> "
                    "%.3g), DQN best %.0f\n",
                    s, best[M_GE * NS + i], first[i], cells[i], robust[i], best[M_PPO * NS + i],
                    best[M_RND * NS + i], rnd_first[i], rnd_last[i], best[M_DQN * NS + i]);
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
    rlc__exp_table(&x, "PPO+RND: mean RND prediction error (squared), first and last 100 updates");
    rlc__exp_row(&x, "RND error, first 100 updates", "rnd_error_first", rnd_first, NS, NULL);
    rlc__exp_row(&x, "RND error, last 100 updates", "rnd_error_last", rnd_last, NS, NULL);
    double rnd_drop = 0;
    for (int s = 0; s < NS; s++)
        rnd_drop += rnd_last[s] < rnd_first[s];
    rlc__exp_table(&x, "PPO / PPO+RND / DQN: mean (extrinsic) training return of the last 20 "
                       "episodes");
    for (int m = M_PPO; m <= M_DQN; m++)
        rlc__exp_row(&x, NAMES[m], "train_return", trainr + (size_t)m * NS, NS, NULL);
    for (int m = M_PPO; m <= M_DQN; m++)
        for (int s = 0; s < NS; s++)
            rlc__exp_record(&x, NAMES[m], s, "greedy_return", det[(size_t)m * NS + s]);
    int held =
        nsolved[M_GE] == ns && nsolved[M_PPO] == 0 && nsolved[M_RND] == 0 && nsolved[M_DQN] == 0;
    int robust_held = nrob == 0 || rob_ok == nrob;
    rlc_free(best);
    rlc_free(det);
    rlc_free(trainr);
    rlc_free(first);
    rlc_free(cells);
    rlc_free(robust);
    rlc_free(curve);
    rlc_free(xs);
    rlc_free(rnd_first);
    rlc_free(rnd_last);
    return rlc__exp_end(&x, held,
                        "Go-Explore solved %d/%d seeds, PPO %d/%d, PPO+RND %d/%d, DQN %d/%d "
                        "within %lld steps (best return IQM: %.3g / %.3g / %.3g / %.3g); RND "
                        "error fell in %.0f/%d seeds; robustified policy >= 90%% success with "
                        "sticky actions in %d/%d solved seeds%s",
                        nsolved[M_GE], ns, nsolved[M_PPO], ns, nsolved[M_RND], ns, nsolved[M_DQN],
                        ns, (long long)su.budget, ci[M_GE].point, ci[M_PPO].point, ci[M_RND].point,
                        ci[M_DQN].point, rnd_drop, NS, rob_ok, nrob,
                        robust_held ? "" : " (robustification fell short)");
fail:
    rlc_free(best);
    rlc_free(det);
    rlc_free(trainr);
    rlc_free(first);
    rlc_free(cells);
    rlc_free(robust);
    rlc_free(curve);
    rlc_free(xs);
    rlc_free(rnd_first);
    rlc_free(rnd_last);
    rlc__exp_abort(&x);
    return st;
}
