/* `rlc export`: export PPO (Box and Discrete, with and without observation normalisation),
 * TD3 and SAC actors and the offline agents' (TD3+BC, IQL, AWAC, BC, CQL; their dataset
 * normalisation included) as C headers, compile a program with them and compare its actions
 * with rlc_agent_act (deterministic). */
#include "test.h"

#include <math.h>

#include "rlc/agent.h"
#include "rlc/env.h"
#include "rlc/dataset.h"
#include "rlc/nn.h"
#include "rlc/offline.h"

/* saves an agent, exports it, builds a program that prints the header's actions for `nobs`
 * observations drawn from the env, and compares them with rlc_agent_act */
static void check_export_ds(const char *algo, const char *env_id, const char *set, int tag,
                            const char *dataset) {
    const rlc_config_table *t = rlc_algo_config_table(algo);
    assert_non_null(t);
    char cfg[8192] __attribute__((aligned(16)));
    assert_true(t->size <= sizeof cfg);
    rlc_config_defaults(t, cfg);
    char sets[256];
    snprintf(sets, sizeof sets, "%s", set ? set : "");
    for (char *tok = strtok(sets, ","); tok; tok = strtok(NULL, ","))
        if (rlc_config_assign(t, cfg, tok)) fail_msg("%s", rlc_last_error());
    rlc_agent *a = NULL;
    if (rlc_agent_create(&a, algo, env_id, NULL, cfg, 7)) fail_msg("%s", rlc_last_error());
    if (dataset) { /* a few offline updates: the dataset's observation statistics */
        rlc_dataset *d = NULL;
        if (rlc_dataset_load(&d, dataset)) fail_msg("%s", rlc_last_error());
        rlc_offline_options o = {.updates = 2};
        if (rlc_offline_train(a, d, &o, NULL)) fail_msg("%s", rlc_last_error());
        rlc_dataset_destroy(d);
    }
    /* perturb the (tiny-output) fresh weights so actions are far from 0 and some clip */
    rlc_params *ps = rlc_agent_params(a);
    float *pd = rlc_params_data(ps);
    rlc_rng prng;
    rlc_rng_seed(&prng, 11);
    for (int64_t i = 0; i < rlc_params_count(ps); i++)
        pd[i] += (float)(0.05 * rlc_rng_normal(&prng));
    char ck[512], hdr[512], src[512], bin[512], cmd[2048];
    const char *dir = rlc_test_tmpdir();
    snprintf(ck, sizeof ck, "%s/exp%d.safetensors", dir, tag);
    snprintf(hdr, sizeof hdr, "%s/pol%d.h", dir, tag);
    snprintf(src, sizeof src, "%s/main%d.c", dir, tag);
    snprintf(bin, sizeof bin, "%s/main%d", dir, tag);
    assert_int_equal(rlc_agent_save(a, ck), RLC_OK);
    snprintf(cmd, sizeof cmd, "%s export --checkpoint %s --c-header %s --name pol%d >/dev/null",
             rlc_test_rlc_binary(), ck, hdr, tag);
    assert_int_equal(system(cmd), 0);
    /* observations from a random rollout */
    rlc_env *env = NULL;
    assert_int_equal(rlc_env_make(&env, env_id, NULL), RLC_OK);
    const rlc_space *os = rlc_env_obs_space(env), *as = rlc_env_action_space(env);
    int D = (int)os->size, A = as->kind == RLC_SPACE_DISCRETE ? 1 : (int)as->size;
    enum { NOBS = 8 };
    float obs[NOBS][64], raw[64];
    assert_true(D <= 64);
    rlc_rng rng;
    rlc_rng_seed(&rng, 3);
    rlc_env_reset(env, 1, raw);
    for (int i = 0; i < NOBS; i++) {
        rlc_space_to_f32(os, raw, obs[i]);
        char act[512];
        rlc_space_sample(as, &rng, act);
        rlc_step_result r;
        if (rlc_env_step(env, act, raw, &r) || r.terminated || r.truncated)
            rlc_env_reset(env, RLC_ENV_NO_SEED, raw);
    }
    FILE *f = fopen(src, "w");
    assert_non_null(f);
    fprintf(f, "#include <stdio.h>\n#include \"%s\"\nint main(void) {\n", hdr);
    fprintf(f, "    static const float obs[%d][%d] = {\n", NOBS, D);
    for (int i = 0; i < NOBS; i++) {
        fprintf(f, "        {");
        for (int j = 0; j < D; j++)
            fprintf(f, "%af,", (double)obs[i][j]);
        fprintf(f, "},\n");
    }
    fprintf(f, "    };\n    float act[%d];\n", A);
    fprintf(f, "    for (int i = 0; i < %d; i++) {\n        pol%d_forward(obs[i], act);\n", NOBS,
            tag);
    fprintf(f, "        for (int j = 0; j < %d; j++) printf(\"%%.9g\\n\", act[j]);\n    }\n", A);
    fprintf(f, "    return 0;\n}\n");
    fclose(f);
    snprintf(cmd, sizeof cmd, "cc -std=c99 -Wall -Wextra -Werror -O1 -o %s %s -lm", bin, src);
    assert_int_equal(system(cmd), 0);
    FILE *p = popen(bin, "r");
    assert_non_null(p);
    double maxd = 0, last = 0;
    for (int i = 0; i < NOBS; i++) {
        char ab[512];
        assert_int_equal(rlc_agent_act(a, obs[i], 1, ab, 1), RLC_OK);
        for (int j = 0; j < A; j++) {
            double got;
            assert_int_equal(fscanf(p, "%lf", &got), 1);
            if (as->kind == RLC_SPACE_DISCRETE)
                assert_int_equal((int64_t)got, ((int64_t *)ab)[0]);
            else {
                double want = ((float *)ab)[j], d = fabs(got - want);
                last = want;
                if (d > maxd) maxd = d;
                assert_close(got, want, 1e-5 * (1 + fabs(want)));
            }
        }
    }
    pclose(p);
    print_message("export %s %s: max |header - agent| = %.3g (last action %g)\n", algo, env_id,
                  maxd, (double)last);
    rlc_env_destroy(env);
    rlc_agent_destroy(a);
}

static void check_export(const char *algo, const char *env_id, const char *set, int tag) {
    check_export_ds(algo, env_id, set, tag, NULL);
}

static void test_export_ppo_box(void **st) {
    (void)st;
    check_export("ppo", "QuadHover-v0", NULL, 0);
    check_export("ppo", "Pendulum-v1", "init_log_std=-1,norm_obs=1,activation=relu,layers=3", 1);
}

static void test_export_ppo_discrete(void **st) {
    (void)st;
    check_export("ppo", "CartPole-v1", "hidden=32", 2);
    check_export("ppo", "Acrobot-v1", NULL, 3);
}

static void test_export_td3_sac(void **st) {
    (void)st;
    check_export("td3", "Pendulum-v1", NULL, 4);
    check_export("sac", "QuadHover-v0", NULL, 5);
}

static void test_export_offline(void **st) {
    (void)st;
    if (!rlc_dataset_have_hdf5()) skip();
    const char *pend = RLC_TEST_DATA("offline/pendulum_expert"),
               *cart = RLC_TEST_DATA("offline/cartpole_expert");
    const char *common = "hidden=32,eval_every=0,norm_obs=1";
    char set[128];
    snprintf(set, sizeof set, "%s", common);
    check_export_ds("td3bc", "Pendulum-v1", set, 10, pend);
    check_export_ds("iql", "Pendulum-v1", set, 11, pend);
    check_export_ds("awac", "Pendulum-v1", set, 12, pend);
    check_export_ds("cql", "Pendulum-v1", set, 13, pend);
    check_export_ds("bc", "Pendulum-v1", "hidden=32,eval_every=0,norm_obs=1,policy=gaussian", 14,
                    pend);
    check_export_ds("bc", "CartPole-v1", set, 15, cart);
    check_export_ds("cql", "CartPole-v1", set, 16, cart);
}

static void test_export_errors(void **st) {
    (void)st;
    char cmd[1024];
    snprintf(cmd, sizeof cmd,
             "%s export --checkpoint /nonexistent.st --c-header /tmp/x.h 2>/dev/null",
             rlc_test_rlc_binary());
    assert_int_not_equal(system(cmd), 0);
    snprintf(cmd, sizeof cmd, "%s export --checkpoint a 2>/dev/null", rlc_test_rlc_binary());
    assert_int_not_equal(system(cmd), 0);
    snprintf(cmd, sizeof cmd, "%s export --checkpoint a --c-header b --name 9x 2>/dev/null",
             rlc_test_rlc_binary());
    assert_int_not_equal(system(cmd), 0);
}

RLC_TESTS(io_export, cmocka_unit_test(test_export_ppo_box),
          cmocka_unit_test(test_export_ppo_discrete), cmocka_unit_test(test_export_td3_sac),
          cmocka_unit_test(test_export_offline),
          cmocka_unit_test(test_export_errors))
