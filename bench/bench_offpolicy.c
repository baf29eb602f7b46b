/* Off-policy learning speed on Pendulum-v1 in RLtools' setting: TD3 for 20,000 steps and SAC for
 * 10,000 steps (64x64 networks, batch 100; data/defaults/{td3,sac}.json), one thread, seeds 0-9:
 * wall time of the training loop and the deterministic evaluation return per seed, with medians.
 * Usage: bench_offpolicy [sac|td3] [seeds] */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_util.h"
#include "rlc/agent.h"
#include "rlc/sac.h"
#include "rlc/td3.h"

typedef union anycfg {
    rlc_sac_config sac;
    rlc_td3_config td3;
} anycfg;

static int bench(const char *algo, int64_t steps, int seeds, double rltools_s) {
    const rlc_config_table *t = rlc_algo_config_table(algo);
    anycfg cfg;
    rlc_config_defaults(t, &cfg);
    char rel[64], path[4096];
    snprintf(rel, sizeof rel, "defaults/%s.json", algo);
    if (rlc_data_find(rel, path, sizeof path) ||
        rlc_config_apply_env_defaults(t, &cfg, path, "Pendulum-v1", NULL)) {
        fprintf(stderr, "bench_offpolicy: %s\n", rlc_last_error());
        return 1;
    }
    double secs[64], cpus[64], rets[64];
    printf("%s Pendulum-v1, %lld steps (tuned defaults of %s):\n", algo, (long long)steps, path);
    for (int s = 0; s < seeds; s++) {
        rlc_agent *a = NULL;
        rlc_train_result res;
        rlc_train_options o = {.total_steps = steps};
        double ret[10], c0 = 0;
        rlc_status st = rlc_agent_create(&a, algo, "Pendulum-v1", NULL, &cfg, (uint64_t)s);
        if (!st) {
            c0 = bench_cpu();
            st = rlc_agent_train(a, (uint64_t)s, &o, &res);
            cpus[s] = bench_cpu() - c0;
        }
        if (!st) st = rlc_agent_evaluate(a, 10, 1000, 0, ret, NULL, 0, 0);
        if (st) {
            fprintf(stderr, "bench_offpolicy: %s seed %d: %s\n", algo, s, rlc_last_error());
            rlc_agent_destroy(a);
            return 1;
        }
        double m = 0;
        for (int k = 0; k < 10; k++)
            m += ret[k];
        secs[s] = res.seconds;
        rets[s] = m / 10;
        printf("  seed %d: %.2f s wall, %.2f s CPU  eval return %.1f (10 deterministic "
               "episodes)\n",
               s, secs[s], cpus[s], rets[s]);
        fflush(stdout);
        rlc_agent_destroy(a);
    }
    int solved = 0;
    for (int s = 0; s < seeds; s++)
        solved += rets[s] >= -200;
    printf("  median %.2f s wall, %.2f s CPU (RLtools on this machine: %.2f s), median return "
           "%.1f, %d/%d seeds >= -200\n",
           bench_median(secs, seeds), bench_median(cpus, seeds), rltools_s,
           bench_median(rets, seeds), solved, seeds);
    return 0;
}

int main(int argc, char **argv) {
    const char *only = argc > 1 ? argv[1] : NULL;
    int seeds = argc > 2 ? atoi(argv[2]) : 10;
    if (seeds < 1 || seeds > 64) seeds = 10;
    rlc_set_blas_threads(1);
    int rc = 0;
    if (!only || !strcmp(only, "td3")) rc |= bench("td3", 20000, seeds, 3.46);
    if (!only || !strcmp(only, "sac")) rc |= bench("sac", 10000, seeds, 2.25);
    return rc;
}
