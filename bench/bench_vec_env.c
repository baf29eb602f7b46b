/* Vector-env throughput (env steps per second, autoreset included) for CartPole-v1 and
 * Pendulum-v1 with 64..1024 envs on 1 and 2 threads, against a plain loop of rlc_env_step
 * over the same number of single envs. Actions come from a pre-drawn pool so that drawing
 * them is not timed. Usage: bench_vec_env [seconds per cell, default 0.3] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rlc/env.h"
#include "rlc/rng.h"
#include "rlc/vec_env.h"

#define POOL 64 /* pre-drawn action sets cycled through */

static double bench_vec(const char *id, int n, int threads, double secs) {
    rlc_vec_env_options opt = {threads, RLC_VEC_AUTORESET_NEXT_STEP, NULL, NULL};
    rlc_vec_env *v;
    if (rlc_vec_env_create(&v, id, NULL, n, &opt)) {
        fprintf(stderr, "%s\n", rlc_last_error());
        exit(1);
    }
    size_t ab = (size_t)n * v->action_bytes;
    char *pool = malloc(POOL * ab);
    rlc_rng rng;
    rlc_rng_seed(&rng, 1);
    for (int k = 0; k < POOL; k++)
        for (int i = 0; i < n; i++)
            rlc_space_sample(v->action_space, &rng, pool + k * ab + (size_t)i * v->action_bytes);
    rlc_vec_env_reset(v, 0);
    for (int k = 0; k < 50; k++)
        rlc_vec_env_step(v, pool + (k % POOL) * ab); /* warm up */
    long steps = 0;
    double t0 = rlc_time_now(), t;
    do {
        for (int k = 0; k < 50; k++)
            rlc_vec_env_step(v, pool + ((steps + k) % POOL) * ab);
        steps += 50;
        t = rlc_time_now();
    } while (t - t0 < secs);
    free(pool);
    rlc_vec_env_destroy(v);
    return (double)steps * n / (t - t0);
}

/* The same work with rlc_env_step on n separate envs, reset by hand when they end. */
static double bench_loop(const char *id, int n, double secs) {
    rlc_env **envs = malloc(sizeof *envs * (size_t)n);
    for (int i = 0; i < n; i++) {
        rlc_env_make(&envs[i], id, NULL);
        rlc_env_reset(envs[i], i, NULL);
    }
    size_t ab = rlc_space_bytes(rlc_env_action_space(envs[0]));
    char *pool = malloc(POOL * ab * (size_t)n);
    rlc_rng rng;
    rlc_rng_seed(&rng, 1);
    for (int k = 0; k < POOL * n; k++)
        rlc_space_sample(rlc_env_action_space(envs[0]), &rng, pool + k * ab);
    float obs[64];
    long steps = 0;
    double t0 = rlc_time_now(), t;
    do {
        for (int k = 0; k < 50; k++) {
            const char *a = pool + ((steps + k) % POOL) * ab * (size_t)n;
            for (int i = 0; i < n; i++) {
                rlc_step_result r;
                rlc_env_step(envs[i], a + (size_t)i * ab, obs, &r);
                if (r.terminated || r.truncated) rlc_env_reset(envs[i], RLC_ENV_NO_SEED, obs);
            }
        }
        steps += 50;
        t = rlc_time_now();
    } while (t - t0 < secs);
    for (int i = 0; i < n; i++)
        rlc_env_destroy(envs[i]);
    free(envs);
    free(pool);
    return (double)steps * n / (t - t0);
}

int main(int argc, char **argv) {
    double secs = argc > 1 ? atof(argv[1]) : 0.3;
    if (!(secs > 0)) secs = 0.3;
    const char *ids[] = {"CartPole-v1", "Pendulum-v1"};
    const int ns[] = {64, 256, 1024};
    printf("vector env throughput, million env steps per second (%.2f s per cell)\n", secs);
    printf("%-12s %6s %12s %12s %12s\n", "env", "N", "env_step", "vec 1 thr", "vec 2 thr");
    for (int e = 0; e < 2; e++)
        for (int k = 0; k < 3; k++) {
            int n = ns[k];
            double loop = bench_loop(ids[e], n, secs);
            double v1 = bench_vec(ids[e], n, 1, secs);
            double v2 = bench_vec(ids[e], n, 2, secs);
            printf("%-12s %6d %12.2f %12.2f %12.2f\n", ids[e], n, loop / 1e6, v1 / 1e6, v2 / 1e6);
        }
    return 0;
}
