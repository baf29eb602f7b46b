/* Speed of offline updates: IQL (and TD3+BC, CQL for comparison) gradient steps per second at
 * batch 256 with 256x256 networks on a HalfCheetah-sized problem (17 observations, 6 actions),
 * from a synthetic dataset of random transitions; one thread (OPENBLAS_NUM_THREADS decides
 * BLAS threads). Reports updates/s by wall clock and by process CPU time. The target:
 * >= 120 IQL updates/s on one core (about 0.55 GFLOP of matrix products per update). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_util.h"
#include "rlc/agent.h"
#include "rlc/dataset.h"
#include "rlc/offline.h"

int main(int argc, char **argv) {
    const char *env = argc > 1 ? argv[1] : "HalfCheetah-v4";
    int updates = argc > 2 ? atoi(argv[2]) : 300;
    rlc_env *e = NULL;
    if (rlc_env_make(&e, env, NULL)) {
        fprintf(stderr, "bench_offline: %s\n", rlc_last_error());
        return 1;
    }
    const int D = (int)rlc_env_obs_space(e)->size, A = (int)rlc_env_action_space(e)->size;
    rlc_env_destroy(e);
    /* 10 synthetic episodes of 1000 random transitions of the env's sizes */
    rlc_dataset *d = rlc_dataset_create(D, A);
    rlc_rng rng;
    rlc_rng_seed(&rng, 0);
    const int T = 1000;
    float *obs = malloc(sizeof(float) * (size_t)(T + 1) * (size_t)D);
    float *act = malloc(sizeof(float) * (size_t)T * (size_t)A);
    float *rew = malloc(sizeof(float) * (size_t)T);
    for (int ep = 0; ep < 10; ep++) {
        for (int i = 0; i < (T + 1) * D; i++)
            obs[i] = (float)rlc_rng_normal(&rng);
        for (int i = 0; i < T * A; i++)
            act[i] = (float)rlc_rng_uniform(&rng, -1, 1);
        for (int i = 0; i < T; i++)
            rew[i] = (float)rlc_rng_normal(&rng);
        if (rlc_dataset_add_episode(d, T, obs, act, rew, NULL, NULL)) return 1;
    }
    printf("offline updates on %s (obs %d, actions %d), batch 256, 256x256 networks, %d updates\n",
           env, D, A, updates);
    const char *algos[] = {"iql", "td3bc", "awac", "bc", "cql"};
    for (int k = 0; k < 5; k++) {
        const rlc_config_table *t = rlc_algo_config_table(algos[k]);
        void *cfg = malloc(t->size);
        rlc_config_defaults(t, cfg);
        rlc_config_assign(t, cfg, "eval_every=0");
        rlc_config_assign(t, cfg, "eval_episodes=1");
        rlc_agent *a = NULL;
        if (rlc_agent_create(&a, algos[k], env, NULL, cfg, 0)) {
            fprintf(stderr, "bench_offline: %s\n", rlc_last_error());
            return 1;
        }
        int n = !strcmp(algos[k], "cql") ? updates / 4 : updates;
        /* warm-up (first graph passes), then the timed run; the final 1-episode evaluation is
         * timed separately and subtracted */
        rlc_offline_options o = {.updates = 10};
        rlc_offline_train(a, d, &o, NULL);
        double c0 = bench_cpu(), w0 = rlc_time_now();
        rlc_agent_evaluate(a, 1, 0, 0, NULL, NULL, 0, 0);
        double ce = bench_cpu() - c0, we = rlc_time_now() - w0;
        o.updates = n;
        c0 = bench_cpu();
        w0 = rlc_time_now();
        rlc_status st = rlc_offline_train(a, d, &o, NULL);
        double c = bench_cpu() - c0 - ce, w = rlc_time_now() - w0 - we;
        if (st) {
            fprintf(stderr, "bench_offline: %s\n", rlc_last_error());
            return 1;
        }
        printf("  %-6s %8.1f updates/s (CPU time)  %8.1f updates/s (wall)\n", algos[k], n / c,
               n / w);
        rlc_agent_destroy(a);
        free(cfg);
    }
    free(obs);
    free(act);
    free(rew);
    rlc_dataset_destroy(d);
    return 0;
}
