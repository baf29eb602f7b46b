/* PPO learns continuous control: with the tuned Pendulum-v1 entry of data/defaults/ppo.json
 * and a fixed seed, 303k steps (74 rollouts of 4 x 1024, RLtools' budget) bring the
 * deterministic evaluation return to -200 or better (from about -1200 before training). */
#include "test.h"

#include "rlc/agent.h"

static rlc_ppo_config pendulum_config(void) {
    rlc_ppo_config c;
    rlc_config_defaults(rlc_ppo_config_table(), &c);
    char path[4096];
    int applied = 0;
    if (rlc_data_find("defaults/ppo.json", path, sizeof path) ||
        rlc_config_apply_env_defaults(rlc_ppo_config_table(), &c, path, "Pendulum-v1", &applied))
        fail_msg("defaults/ppo.json: %s", rlc_last_error());
    assert_true(applied >= 10);
    return c;
}

static double mean_eval(rlc_agent *a, int episodes) {
    double ret[32], m = 0;
    assert_true(episodes <= 32);
    assert_int_equal(rlc_agent_evaluate(a, episodes, 0, 0, ret, NULL, 0, 0), RLC_OK);
    for (int i = 0; i < episodes; i++) m += ret[i];
    return m / episodes;
}

static void test_solves_pendulum(void **st) {
    (void)st;
    if (getenv("RLC_VALGRIND")) skip(); /* seconds of learning; other tests cover the code */
    rlc_ppo_config c = pendulum_config();
    const uint64_t seed = 1;
    rlc_agent *a = NULL;
    if (rlc_agent_create(&a, "ppo", "Pendulum-v1", NULL, &c, seed))
        fail_msg("create: %s", rlc_last_error());
    double before = mean_eval(a, 10);
    rlc_train_options o = {.total_steps = 303104};
    rlc_train_result res;
    if (rlc_agent_train(a, seed, &o, &res)) fail_msg("train: %s", rlc_last_error());
    double m = mean_eval(a, 10);
    if (getenv("RLC_TEST_VERBOSE"))
        printf("ppo Pendulum-v1: %lld steps in %.2f s, eval mean %.1f (before %.1f)\n",
               (long long)res.steps, res.seconds, m, before);
    assert_true(before < -900);
    if (m < -200)
        fail_msg("eval mean return %.1f < -200 after %lld steps", m, (long long)res.steps);
    rlc_agent_destroy(a);
}

RLC_TESTS(algo_ppo_learn, cmocka_unit_test(test_solves_pendulum))
