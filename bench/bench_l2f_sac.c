/* Training throughput in the shape of RLtools' quadrotor benchmark (rl-tools
 * rl_zoo_l2f_sac_benchmark, src/rl/zoo/l2f/sac_tiny.h): SAC on QuadHover-v0 with L2F-tiny-like
 * starts and reward weights, 8 envs x 35,000 steps = 280,000 env steps, a critic update of batch
 * 32 every 2 loop steps and an actor update every 4 (17,500 + 8,750), actor and critics of 4
 * hidden tanh layers of 16, replay 10,000, gamma 0.98, Adam 1e-3 (actor, alpha) / 2e-3 (critic).
 * Issue #11 quotes RLtools at 1.15 s wall on the project's 2-core VM. Both of rlc's SAC paths,
 * the fused small-network one (fused=1) and the graph one, interleaved, one thread; wall time of
 * create + train + destroy, medians over the repetitions.
 * Usage: bench_l2f_sac [reps] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_util.h"
#include "rlc/agent.h"
#include "rlc/sac.h"

#define RLTOOLS_S 1.15



static const char *KWARGS = "init_pos=0.5,init_angle=0.349,init_vel=1,init_rate=1,r_const=1.1,"
                            "w_pos=10,w_ori=2.5,w_vel=1,w_rate=0,w_action=2,r_scale=0.1,"
                            "action_history=1";

/* One run: seconds (create + train + destroy), or a negative value on error. */
static double run(int fused, uint64_t seed, int64_t *updates) {
    const rlc_config_table *t = rlc_sac_config_table();
    rlc_sac_config c;
    rlc_config_defaults(t, &c);
    const char *sets[] = {"num_envs=8",         "utd=0.0625",        "policy_every=2",
                          "hidden=16",          "layers=4",          "activation=tanh",
                          "batch_size=32",      "buffer_size=10000", "learning_starts=1600",
                          "gamma=0.98",         "policy_lr=0.001",   "q_lr=0.002"};
    for (size_t i = 0; i < sizeof sets / sizeof sets[0]; i++)
        if (rlc_config_assign(t, &c, sets[i])) return -1;
    c.fused = fused;
    const double t0 = bench_wall();
    rlc_agent *a = NULL;
    if (rlc_agent_create(&a, "sac", "QuadHover-v0", KWARGS, &c, seed)) return -1;
    rlc_train_options o = {.total_steps = 280000};
    rlc_train_result res;
    rlc_status st = rlc_agent_train(a, seed, &o, &res);
    rlc_agent_destroy(a);
    if (st) return -1;
    *updates = res.updates;
    return bench_wall() - t0;
}

int main(int argc, char **argv) {
    int reps = argc > 1 ? atoi(argv[1]) : 5;
    if (reps < 1 || reps > 64) reps = 5;
    double s[2][64];
    int64_t upd[2] = {0, 0};
    printf("SAC, QuadHover-v0 in RLtools' l2f benchmark shape (280,000 env steps, 8 envs, 4x16 "
           "tanh, batch 32), %d runs each:\n",
           reps);
    for (int r = 0; r < reps; r++)
        for (int f = 1; f >= 0; f--) {
            s[f][r] = run(f, (uint64_t)r, &upd[f]);
            if (s[f][r] < 0) {
                fprintf(stderr, "bench_l2f_sac: %s\n", rlc_last_error());
                return 1;
            }
        }
    double med[2];
    for (int f = 0; f < 2; f++) {
        qsort(s[f], (size_t)reps, sizeof(double), bench_cmp_double);
        med[f] = reps % 2 ? s[f][reps / 2] : 0.5 * (s[f][reps / 2 - 1] + s[f][reps / 2]);
    }
    printf("  fused=1  median %.3f s (min %.3f, max %.3f), %lld update calls\n", med[1], s[1][0],
           s[1][reps - 1], (long long)upd[1]);
    printf("  graph    median %.3f s (min %.3f, max %.3f)\n", med[0], s[0][0], s[0][reps - 1]);
    printf("  fused vs graph %.2fx; vs RLtools' %.2f s (issue #11, same VM): %.2fx\n",
           med[0] / med[1], RLTOOLS_S, RLTOOLS_S / med[1]);
    return 0;
}
