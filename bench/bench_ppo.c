/* PPO learning speed against RLtools' figures: Pendulum-v1 for about 300,000 steps (RLtools:
 * 0.58 s) and CartPole-v1 until the mean of the last 20 training returns reaches 475 (target:
 * under 3 s wall), both with the tuned defaults of data/defaults/ppo.json, one thread: wall and
 * CPU time of the training loop and the deterministic evaluation return per seed, with medians.
 * Usage: bench_ppo [pendulum|cartpole] [seeds] [pendulum steps] [key=value ...]
 * (key=value: config overrides applied after the tuned defaults, as `rlc train --set`). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_util.h"
#include "rlc/agent.h"




/* Trains `env` for `steps` (stopping early once the recent training return reaches
 * stop_return when it is > 0) per seed; solved means an evaluation return >= goal. */
static int bench(const char *env, int64_t steps, double stop_return, double goal, int seeds,
                 const char *reference, char **sets, int nsets) {
    const rlc_config_table *t = rlc_ppo_config_table();
    rlc_ppo_config cfg;
    rlc_config_defaults(t, &cfg);
    char path[4096];
    if (rlc_data_find("defaults/ppo.json", path, sizeof path) ||
        rlc_config_apply_env_defaults(t, &cfg, path, env, NULL)) {
        fprintf(stderr, "bench_ppo: %s\n", rlc_last_error());
        return 1;
    }
    for (int i = 0; i < nsets; i++)
        if (rlc_config_assign(t, &cfg, sets[i])) {
            fprintf(stderr, "bench_ppo: %s\n", rlc_last_error());
            return 1;
        }
    double secs[64], cpus[64], rets[64], nsteps[64];
    printf("ppo %s, %s %lld steps (tuned defaults of %s):\n", env,
           stop_return > 0 ? "until a training return of 475, at most" : "", (long long)steps,
           path);
    for (int s = 0; s < seeds; s++) {
        rlc_agent *a = NULL;
        rlc_train_result res;
        rlc_train_options o = {.total_steps = steps, .stop_return = stop_return};
        double ret[10], c0 = 0;
        rlc_status st = rlc_agent_create(&a, "ppo", env, NULL, &cfg, (uint64_t)s);
        if (!st) {
            c0 = bench_cpu();
            st = rlc_agent_train(a, (uint64_t)s, &o, &res);
            cpus[s] = bench_cpu() - c0;
        }
        if (!st) st = rlc_agent_evaluate(a, 10, 1000, 0, ret, NULL, 0, 0);
        if (st) {
            fprintf(stderr, "bench_ppo: %s seed %d: %s\n", env, s, rlc_last_error());
            rlc_agent_destroy(a);
            return 1;
        }
        double m = 0;
        for (int k = 0; k < 10; k++) m += ret[k];
        secs[s] = res.seconds;
        rets[s] = m / 10;
        nsteps[s] = (double)res.steps;
        printf("  seed %d: %lld steps, %.2f s wall, %.2f s CPU, eval return %.1f (10 "
               "deterministic episodes)\n",
               s, (long long)res.steps, secs[s], cpus[s], rets[s]);
        fflush(stdout);
        rlc_agent_destroy(a);
    }
    int solved = 0;
    for (int s = 0; s < seeds; s++) solved += rets[s] >= goal;
    printf("  median %.0f steps, %.2f s wall, %.2f s CPU (%s), median return %.1f, %d/%d seeds "
           ">= %g\n",
           bench_median(nsteps, seeds), bench_median(secs, seeds), bench_median(cpus, seeds), reference,
           bench_median(rets, seeds), solved, seeds, goal);
    return 0;
}

int main(int argc, char **argv) {
    const char *only = argc > 1 ? argv[1] : NULL;
    int seeds = argc > 2 ? atoi(argv[2]) : 5;
    if (seeds < 1 || seeds > 64) seeds = 5;
    int64_t psteps = argc > 3 ? atoll(argv[3]) : 303104; /* 74 rollouts of 4 x 1024, as RLtools */
    if (psteps < 4096) psteps = 303104;
    rlc_set_blas_threads(1);
    int rc = 0;
    if (!only || !strcmp(only, "pendulum"))
        rc |= bench("Pendulum-v1", psteps, 0, -200, seeds, "RLtools: 0.58 s for ~300k steps", argv + 4,
                    argc > 4 ? argc - 4 : 0);
    if (!only || !strcmp(only, "cartpole"))
        rc |= bench("CartPole-v1", 200000, 475, 475, seeds, "target: under 3 s wall", argv + 4,
                    argc > 4 ? argc - 4 : 0);
    return rc;
}
