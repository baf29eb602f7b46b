/* Speed of the stream-x learners: learning steps per second of CPU time (env step + forward +
 * backward into the traces + ObGD update) of stream AC(lambda), stream Q(lambda) and stream
 * TD(lambda) on CartPole-v1 with the paper's networks (2 hidden layers of 128, LayerNorm),
 * through the public trainer (rlc_agent_train, one core), against the bare env loop measured
 * in the same process. CPU time (CLOCK_PROCESS_CPUTIME_ID), so a loaded machine inflates it
 * less than wall time. Reports the median and the best of REPS runs (on a shared machine the
 * best run is the one least disturbed by other processes' cache traffic). */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "bench_util.h"
#include "rlc/rlc.h"

#define REPS 7

int main(int argc, char **argv) {
    int64_t steps = argc > 1 ? atoll(argv[1]) : 200000;
    /* bare env loop: random actions, resets */
    double t[REPS];
    for (int r = 0; r < REPS; r++) {
        rlc_env *e;
        if (rlc_env_make(&e, "CartPole-v1", NULL)) return 1;
        float obs[4];
        rlc_rng rng;
        rlc_rng_seed(&rng, 1);
        rlc_env_reset(e, 1, obs);
        double t0 = bench_cpu();
        for (int64_t i = 0; i < steps; i++) {
            int64_t a = (int64_t)(rlc_rng_next_u32(&rng) & 1);
            rlc_step_result s;
            rlc_env_step(e, &a, obs, &s);
            if (s.terminated || s.truncated) rlc_env_reset(e, RLC_ENV_NO_SEED, obs);
        }
        t[r] = bench_cpu() - t0;
        rlc_env_destroy(e);
    }
    printf("CartPole-v1 bare env loop: %.2f M steps/s (CPU time)\n",
           steps / bench_median(t, REPS) / 1e6);
    const char *algos[3] = {"stream-ac", "stream-q", "stream-td"};
    for (int k = 0; k < 3; k++) {
        double ret = 0;
        for (int r = 0; r < REPS; r++) {
            rlc_agent *a;
            if (rlc_agent_create(&a, algos[k], "CartPole-v1", NULL, NULL, 1 + (uint64_t)r)) {
                fprintf(stderr, "%s\n", rlc_last_error());
                return 1;
            }
            rlc_train_options o = {.total_steps = steps};
            rlc_train_result res;
            double t0 = bench_cpu();
            if (rlc_agent_train(a, 1 + (uint64_t)r, &o, &res)) return 1;
            t[r] = bench_cpu() - t0;
            ret = res.mean_return;
            rlc_agent_destroy(a);
        }
        double med = bench_median(t, REPS), best = t[0];
        for (int r = 1; r < REPS; r++)
            best = t[r] < best ? t[r] : best;
        printf("%-9s CartPole-v1, 4-128-128 (x2 for AC), %lld steps: %.0f learning steps/s "
               "median, %.0f best of %d (CPU time; last run's final return %.1f)\n",
               algos[k], (long long)steps, steps / med, steps / best, REPS, ret);
    }
    return 0;
}
