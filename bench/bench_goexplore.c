/* Go-Explore phase 1 against random exploration: env steps until the first trajectory that
 * solves the task, over 5 seeds, on KeyDoorRooms-v0 (goal reached = return 13) and a 21x21
 * GridMaze-v0; then the Backward Algorithm on KeyDoorRooms' best trajectory under sticky
 * actions. Usage: bench_goexplore [budget_steps] (default 2000000). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "rlc/goexplore.h"

#define NSEEDS 5

static void die(const char *what) {
    fprintf(stderr, "%s: %s\n", what, rlc_last_error());
    exit(1);
}

static void fmt_steps(char *buf, size_t cap, int64_t steps, int64_t budget) {
    if (steps < 0)
        snprintf(buf, cap, "> %lld", (long long)budget);
    else
        snprintf(buf, cap, "%lld", (long long)steps);
}

/* One table: Go-Explore vs random (repeat 0.95) vs uniform random, per seed. */
static void compare(const char *id, const char *kwargs, double solve, int64_t budget) {
    printf("\n%s%s%s: env steps to the first solve (score >= %g), budget %lld\n", id,
           kwargs ? " " : "", kwargs ? kwargs : "", solve, (long long)budget);
    printf("%-5s %14s %8s %10s %16s %16s\n", "seed", "go-explore", "cells", "time (s)",
           "random (0.95)", "random (0)");
    int ge_solved = 0, r_solved = 0, u_solved = 0;
    for (int seed = 0; seed < NSEEDS; seed++) {
        rlc_env *env;
        if (rlc_env_make(&env, id, kwargs)) die(id);
        rlc_goexplore_config cfg;
        rlc_goexplore_config_default(&cfg);
        cfg.seed = (uint64_t)seed;
        cfg.solve_score = solve;
        rlc_goexplore *ge;
        if (rlc_goexplore_create(&ge, env, &cfg)) die("create");
        double t0 = rlc_time_now();
        rlc_goexplore_stats st;
        /* run in chunks, stopping once solved */
        for (int64_t done = 0; done < budget; done += 10000) {
            if (rlc_goexplore_run(ge, budget - done < 10000 ? budget - done : 10000)) die("run");
            rlc_goexplore_get_stats(ge, &st);
            if (st.first_solve_step >= 0) break;
        }
        double t = rlc_time_now() - t0;
        rlc_goexplore_stats rs, us;
        if (rlc_goexplore_random(env, &cfg, budget, &rs)) die("random");
        cfg.repeat_prob = 0;
        if (rlc_goexplore_random(env, &cfg, budget, &us)) die("random");
        char a[32], b[32], c[32];
        fmt_steps(a, sizeof a, st.first_solve_step, budget);
        fmt_steps(b, sizeof b, rs.first_solve_step, budget);
        fmt_steps(c, sizeof c, us.first_solve_step, budget);
        printf("%-5d %14s %8lld %10.2f %16s %16s\n", seed, a, (long long)st.cells, t, b, c);
        ge_solved += st.first_solve_step >= 0;
        r_solved += rs.first_solve_step >= 0;
        u_solved += us.first_solve_step >= 0;
        rlc_goexplore_destroy(ge);
        rlc_env_destroy(env);
    }
    printf("solved: go-explore %d/%d, random (0.95) %d/%d, random (0) %d/%d\n", ge_solved, NSEEDS,
           r_solved, NSEEDS, u_solved, NSEEDS);
}

/* Success rate of replaying the demo open-loop with sticky actions. */
static double open_loop(rlc_env *env, const int64_t *demo, int64_t len, double p, int episodes,
                        uint64_t seed) {
    rlc_rng rng;
    rlc_rng_seed(&rng, seed);
    int ok = 0;
    for (int e = 0; e < episodes; e++) {
        rlc_env_reset(env, 0, NULL);
        double ret = 0;
        int64_t prev = -1;
        for (int64_t t = 0; t < len && rlc_env_running(env); t++) {
            int64_t a = prev >= 0 && rlc_rng_random(&rng) < p ? prev : demo[t];
            rlc_step_result r;
            rlc_env_step(env, &a, NULL, &r);
            ret += r.reward;
            prev = a;
        }
        ok += ret >= 13;
    }
    return (double)ok / episodes;
}

/* Phase 1 until solved, then the Backward Algorithm, evaluated with sticky actions. */
static void robustify(int64_t budget) {
    printf("\nKeyDoorRooms-v0: Backward Algorithm (tabular Q-learning, sticky p = 0.25) on the "
           "best phase-1 trajectory\n");
    printf("%-5s %8s %10s %12s %12s %10s %10s %12s\n", "seed", "demo len", "train", "start left",
           "success", "mean ret", "time (s)", "open loop");
    for (int seed = 0; seed < NSEEDS; seed++) {
        rlc_env *env;
        if (rlc_env_make(&env, "KeyDoorRooms-v0", NULL)) die("make");
        rlc_goexplore_config cfg;
        rlc_goexplore_config_default(&cfg);
        cfg.seed = (uint64_t)seed;
        cfg.solve_score = 13;
        rlc_goexplore *ge;
        if (rlc_goexplore_create(&ge, env, &cfg)) die("create");
        rlc_goexplore_stats st;
        for (int64_t done = 0; done < budget; done += 10000) {
            if (rlc_goexplore_run(ge, 10000)) die("run");
            rlc_goexplore_get_stats(ge, &st);
            if (st.first_solve_step >= 0) break;
        }
        /* a few more steps shorten the demo */
        if (rlc_goexplore_run(ge, 100000)) die("run");
        int64_t best = rlc_goexplore_best_cell(ge);
        int64_t len = rlc_goexplore_trajectory(ge, best, NULL, 0);
        int64_t *demo = malloc((size_t)(len + 1) * sizeof *demo);
        rlc_goexplore_trajectory(ge, best, demo, len);
        rlc_goexplore_robust *r;
        if (rlc_goexplore_robust_create(&r, env, demo, len, &cfg, NULL)) die("robust");
        double t0 = rlc_time_now();
        int64_t train = 1000000;
        if (rlc_goexplore_robust_train(r, train)) die("train");
        double sr, mr;
        if (rlc_goexplore_robust_evaluate(r, 200, 1000 + seed, &sr, &mr)) die("eval");
        double t = rlc_time_now() - t0;
        double ol = open_loop(env, demo, len, 0.25, 200, 1000 + seed);
        printf("%-5d %8lld %10lld %12lld %11.1f%% %10.2f %10.2f %11.1f%%\n", seed, (long long)len,
               (long long)train, (long long)rlc_goexplore_robust_start(r), 100 * sr, mr, t,
               100 * ol);
        free(demo);
        rlc_goexplore_robust_destroy(r);
        rlc_goexplore_destroy(ge);
        rlc_env_destroy(env);
    }
}

int main(int argc, char **argv) {
    int64_t budget = argc > 1 ? atoll(argv[1]) : 2000000;
    compare("KeyDoorRooms-v0", NULL, 13, budget);
    compare("GridMaze-v0", "size=31,layout_seed=7,max_episode_steps=3844", 0.1, budget);
    robustify(budget);
    return 0;
}
