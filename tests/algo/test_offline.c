/* Offline RL: BC, %BC, TD3+BC, IQL, CQL (continuous and discrete) and AWAC learn from the small
 * expert datasets in tests/data/offline/ (Pendulum-v1 from a SAC agent, CartPole-v1 from a PPO
 * agent, made once with `rlc dataset collect`); trajectory weights and the positive-sided
 * return variance against hand-computed values; checkpoints; error messages; `rlc train
 * --dataset` and its determinism. */
#include "test.h"

#include <math.h>
#include <sys/wait.h>

#include "rlc/agent.h"
#include "rlc/dataset.h"
#include "rlc/env.h"
#include "rlc/experiment.h"
#include "rlc/offline.h"
#include "rlc/safetensors.h"

#define PENDULUM RLC_TEST_DATA("offline/pendulum_expert")
#define CARTPOLE RLC_TEST_DATA("offline/cartpole_expert")

static rlc_dataset *load(const char *path) {
    rlc_dataset *d = NULL;
    if (rlc_dataset_load(&d, path)) fail_msg("load %s: %s", path, rlc_last_error());
    return d;
}

static rlc_agent *make(const char *algo, const char *env, const char *const *sets, int nsets,
                       uint64_t seed) {
    const rlc_config_table *t = rlc_algo_config_table(algo);
    assert_non_null(t);
    assert_int_equal(rlc_config_table_check(t), RLC_OK);
    void *cfg = malloc(t->size);
    rlc_config_defaults(t, cfg);
    for (int i = 0; i < nsets; i++)
        if (rlc_config_assign(t, cfg, sets[i])) fail_msg("%s: %s", sets[i], rlc_last_error());
    rlc_agent *a = NULL;
    if (rlc_agent_create(&a, algo, env, NULL, cfg, seed))
        fail_msg("create %s: %s", algo, rlc_last_error());
    free(cfg);
    return a;
}

/* Trains `algo` on d for `updates` steps and returns the final evaluation's mean return. */
static double train_eval(const char *algo, const char *env, const rlc_dataset *d,
                         const char *const *sets, int nsets, int64_t updates, uint64_t seed) {
    if (!rlc_dataset_have_hdf5()) skip();
    rlc_agent *a = make(algo, env, sets, nsets, seed);
    rlc_offline_options o = {.updates = updates};
    rlc_offline_result r;
    if (rlc_offline_train(a, d, &o, &r)) fail_msg("train %s: %s", algo, rlc_last_error());
    assert_int_equal(r.updates, updates);
    rlc_agent_destroy(a);
    printf("    %s: eval return %.1f +- %.1f\n", algo, r.eval_return, r.eval_return_std);
    return r.eval_return;
}

#define SMALL "hidden=64", "eval_every=0", "eval_episodes=10"

static void test_bc_pendulum(void **state) {
    (void)state;
    if (!rlc_dataset_have_hdf5()) skip();
    rlc_dataset *d = load(PENDULUM);
    const char *sets[] = {SMALL, "lr=1e-3"};
    assert_true(train_eval("bc", "Pendulum-v1", d, sets, 4, 2000, 0) >= -250);
    const char *gs[] = {SMALL, "lr=1e-3", "policy=gaussian"};
    assert_true(train_eval("bc", "Pendulum-v1", d, gs, 5, 2000, 0) >= -250);
    rlc_dataset_destroy(d);
}

static void test_td3bc_pendulum(void **state) {
    (void)state;
    if (!rlc_dataset_have_hdf5()) skip();
    rlc_dataset *d = load(PENDULUM);
    const char *sets[] = {SMALL, "policy_lr=1e-3", "q_lr=1e-3"};
    assert_true(train_eval("td3bc", "Pendulum-v1", d, sets, 5, 3000, 0) >= -250);
    rlc_dataset_destroy(d);
}

static void test_iql_pendulum(void **state) {
    (void)state;
    if (!rlc_dataset_have_hdf5()) skip();
    rlc_dataset *d = load(PENDULUM);
    /* the paper's expectile, beta and reward scaling; standardised observations */
    const char *sets[] = {SMALL, "policy_lr=1e-3", "q_lr=1e-3", "v_lr=1e-3", "norm_obs=1"};
    assert_true(train_eval("iql", "Pendulum-v1", d, sets, 7, 3000, 0) >= -250);
    rlc_dataset_destroy(d);
}

static void test_cql_pendulum(void **state) {
    (void)state;
    if (!rlc_dataset_have_hdf5()) skip();
    rlc_dataset *d = load(PENDULUM);
    /* Pendulum's angular velocity spans [-8, 8]: standardised observations */
    const char *sets[] = {SMALL, "policy_lr=1e-3", "q_lr=1e-3", "batch_size=128", "norm_obs=1"};
    assert_true(train_eval("cql", "Pendulum-v1", d, sets, 7, 3000, 0) >= -250);
    rlc_dataset_destroy(d);
}

/* Continuous CQL: the Lagrange multiplier moves the right way (alpha' grows while the penalty
 * exceeds target_action_gap, shrinks below it). */
static double log_alpha_prime(rlc_agent *a) {
    char path[1200];
    snprintf(path, sizeof path, "%s/cql_lagrange.safetensors", rlc_test_tmpdir());
    assert_int_equal(rlc_agent_save(a, path), RLC_OK);
    rlc_st_file *f = NULL;
    assert_int_equal(rlc_st_load(path, &f), RLC_OK);
    float v = 0;
    int64_t one = 1;
    assert_int_equal(rlc_st_read_into(f, "alpha_prime.log_alpha_prime", RLC_ST_F32, 1, &one, &v), RLC_OK);
    rlc_st_file_destroy(f);
    return v;
}

static void test_cql_lagrange(void **state) {
    (void)state;
    if (!rlc_dataset_have_hdf5()) skip();
    rlc_dataset *d = load(PENDULUM);
    const char *hi[] = {"hidden=16", "batch_size=32", "n_actions=4", "lagrange=1",
                        "target_action_gap=-1000", "eval_episodes=1", "alpha_lr=0.01"};
    const char *lo[] = {"hidden=16", "batch_size=32", "n_actions=4", "lagrange=1",
                        "target_action_gap=1000", "eval_episodes=1", "alpha_lr=0.01"};
    for (int k = 0; k < 2; k++) {
        rlc_agent *a = make("cql", "Pendulum-v1", k ? lo : hi, 7, 1);
        double before = log_alpha_prime(a);
        assert_close(before, log(5.0), 1e-6);
        rlc_offline_options o = {.updates = 50};
        rlc_offline_result r;
        if (rlc_offline_train(a, d, &o, &r)) fail_msg("%s", rlc_last_error());
        double after = log_alpha_prime(a);
        if (k == 0)
            assert_true(after > before + 0.3); /* 50 Adam steps of 0.01 */
        else
            assert_true(after < before - 0.3);
        assert_true(isfinite(r.eval_return));
        rlc_agent_destroy(a);
    }
    rlc_dataset_destroy(d);
}

static void test_awac_pendulum(void **state) {
    (void)state;
    if (!rlc_dataset_have_hdf5()) skip();
    rlc_dataset *d = load(PENDULUM);
    const char *sets[] = {SMALL, "policy_lr=1e-3", "q_lr=1e-3", "norm_obs=1"};
    /* 4000 updates: at 3000 seed 0 still fails some episodes (-427 +- 475), at 4000 seeds 0
     * and 1 evaluate at -131 and -144 */
    assert_true(train_eval("awac", "Pendulum-v1", d, sets, 6, 4000, 0) >= -250);
    rlc_dataset_destroy(d);
}

static void test_cql_discrete_cartpole(void **state) {
    (void)state;
    if (!rlc_dataset_have_hdf5()) skip();
    rlc_dataset *d = load(CARTPOLE);
    const char *sets[] = {SMALL, "q_lr=1e-3", "cql_alpha=1", "target_update_interval=200"};
    assert_true(train_eval("cql", "CartPole-v1", d, sets, 6, 3000, 0) >= 400);
    rlc_dataset_destroy(d);
}

/* Appends n episodes of uniform random Pendulum actions (seeds 1000 + i). */
static void add_random_episodes(rlc_dataset *d, int n) {
    rlc_env *env = NULL;
    assert_int_equal(rlc_env_make(&env, "Pendulum-v1", NULL), RLC_OK);
    rlc_rng rng;
    rlc_rng_seed(&rng, 5);
    float obs[3], act[1];
    for (int e = 0; e < n; e++) {
        assert_int_equal(rlc_env_reset(env, 1000 + e, obs), RLC_OK);
        assert_int_equal(rlc_dataset_begin_episode(d, obs), RLC_OK);
        for (;;) {
            act[0] = (float)rlc_rng_uniform(&rng, -2, 2);
            rlc_step_result r;
            assert_int_equal(rlc_env_step(env, act, obs, &r), RLC_OK);
            assert_int_equal(rlc_dataset_add_step(d, act, (float)r.reward, obs, r.terminated,
                                                  r.truncated),
                             RLC_OK);
            if (r.terminated || r.truncated) break;
        }
    }
    rlc_env_destroy(env);
}

/* %BC on 20 expert + 60 random episodes: cloning everything fails, the top 20% succeeds; the
 * return-weighted sampler also rescues plain BC (row 7's claim in miniature). */
static void test_percent_bc_and_return_weighting(void **state) {
    (void)state;
    if (!rlc_dataset_have_hdf5()) skip();
    rlc_dataset *x = load(PENDULUM);
    rlc_dataset *d = rlc_dataset_create(3, 1);
    for (int64_t e = 0; e < rlc_dataset_num_episodes(x); e++)
        assert_int_equal(rlc_dataset_copy_episode(d, x, e), RLC_OK);
    add_random_episodes(d, 60);
    double psv_mix, psv_exp;
    assert_int_equal(rlc_dataset_return_psv(d, &psv_mix), RLC_OK);
    assert_int_equal(rlc_dataset_return_psv(x, &psv_exp), RLC_OK);
    assert_true(psv_mix > 0 && psv_exp > 0);
    const char *all[] = {SMALL, "lr=1e-3"};
    double r_all = train_eval("bc", "Pendulum-v1", d, all, 4, 2000, 0);
    const char *top[] = {SMALL, "lr=1e-3", "top_fraction=0.2"};
    double r_top = train_eval("bc", "Pendulum-v1", d, top, 5, 2000, 0);
    const char *rw[] = {SMALL, "lr=1e-3", "sampler=return", "sampler_temperature=0.05"};
    double r_rw = train_eval("bc", "Pendulum-v1", d, rw, 5, 2000, 0);
    assert_true(r_all < -400);
    assert_true(r_top >= -250);
    assert_true(r_rw >= -250);
    rlc_dataset_destroy(d);
    rlc_dataset_destroy(x);
}

/* Three one-step episodes with returns 0, 1, 3 and initial observations 0, 1, 2. */
static rlc_dataset *tiny(void) {
    rlc_dataset *d = rlc_dataset_create(1, 1);
    const float rets[3] = {0, 1, 3};
    for (int e = 0; e < 3; e++) {
        float obs[2] = {(float)e, (float)e + 1}, a = 0;
        assert_int_equal(rlc_dataset_add_episode(d, 1, obs, &a, &rets[e], NULL, NULL), RLC_OK);
    }
    return d;
}

static void test_trajectory_weights(void **state) {
    (void)state;
    rlc_dataset *d = tiny();
    double w[3];
    /* return: softmax of (G - min) / (max - min) = (0, 1/3, 1) at temperature 0.5 */
    assert_int_equal(rlc_dataset_trajectory_weights(d, 1, 0.5, w), RLC_OK);
    double z[3] = {exp(0.0), exp(2.0 / 3.0), exp(2.0)}, s = z[0] + z[1] + z[2];
    for (int i = 0; i < 3; i++)
        assert_close(w[i], z[i] / s, 1e-12);
    assert_int_equal(rlc_dataset_trajectory_weights(d, 0, 1, w), RLC_OK);
    assert_close(w[1], 1.0 / 3.0, 1e-15);
    /* advantage: G - V(s0) with V the ridge fit of G on (s0, 1): residuals of 0, 1, 3 on
     * 0, 1, 2 are (1/6, -1/3, 1/6) (lambda 1e-3 moves them below 1e-3) */
    assert_int_equal(rlc_dataset_trajectory_weights(d, 2, 1.0, w), RLC_OK);
    assert_close(w[0], w[2], 5e-3);
    assert_true(w[1] < w[0]);
    double zr[2] = {exp(0.0), exp(-1.0)};
    assert_close(w[1] / w[0], zr[1] / zr[0], 2e-3);
    /* PSV: returns scaled to (0, 1/3, 1), mean 4/9: only 1 is above, (5/9)^2 / 3 */
    double psv;
    assert_int_equal(rlc_dataset_return_psv(d, &psv), RLC_OK);
    assert_close(psv, (25.0 / 81.0) / 3.0, 1e-12);
    assert_int_equal(rlc_dataset_trajectory_weights(d, 1, 0, w), RLC_ERR_INVALID);
    assert_contains(rlc_last_error(), "temperature");
    int kind = -1;
    assert_int_equal(rlc_dataset_sampler_kind_parse("advantage", &kind), RLC_OK);
    assert_int_equal(kind, 2);
    assert_int_equal(rlc_dataset_sampler_kind_parse("best", &kind), RLC_ERR_INVALID);
    assert_contains(rlc_last_error(), "unknown sampler 'best'");
    rlc_dataset_destroy(d);
}

static void test_errors(void **state) {
    (void)state;
    if (!rlc_dataset_have_hdf5()) skip();
    rlc_dataset *cp = load(CARTPOLE), *pd = load(PENDULUM);
    /* spaces that do not match */
    rlc_agent *a = make("iql", "Pendulum-v1", NULL, 0, 0);
    assert_int_equal(rlc_offline_train(a, cp, NULL, NULL), RLC_ERR_INVALID);
    assert_contains(rlc_last_error(), "dataset observations have 4 values but Pendulum-v1");
    /* offline agents refuse online training */
    rlc_train_options o = {.total_steps = 10};
    assert_int_equal(rlc_agent_train(a, 0, &o, NULL), RLC_ERR_UNSUPPORTED);
    assert_contains(rlc_last_error(), "iql is an offline algorithm");
    rlc_agent_destroy(a);
    /* Discrete data for a Box agent and the other way round */
    a = make("cql", "CartPole-v1", NULL, 0, 0);
    rlc_dataset *boxy = rlc_dataset_create(4, 1);
    float obs[8] = {0}, act = 0.5f, r = 1;
    assert_int_equal(rlc_dataset_add_episode(boxy, 1, obs, &act, &r, NULL, NULL), RLC_OK);
    assert_int_equal(rlc_offline_check_dataset(a, boxy), RLC_ERR_INVALID);
    assert_contains(rlc_last_error(), "Box actions of 1 values but CartPole-v1 has Discrete(2)");
    rlc_agent_destroy(a);
    rlc_dataset_destroy(boxy);
    /* TD3+BC / IQL need Box actions */
    const rlc_config_table *t = rlc_algo_config_table("iql");
    assert_int_equal(rlc_agent_create(&a, "iql", "CartPole-v1", NULL, NULL, 0),
                     RLC_ERR_UNSUPPORTED);
    assert_contains(rlc_last_error(), "iql needs a Box action space");
    /* online agents refuse datasets */
    assert_int_equal(rlc_agent_create(&a, "ppo", "Pendulum-v1", NULL, NULL, 0), RLC_OK);
    assert_int_equal(rlc_offline_train(a, pd, NULL, NULL), RLC_ERR_INVALID);
    assert_contains(rlc_last_error(), "ppo is an online algorithm");
    rlc_agent_destroy(a);
    /* bad sampler name */
    void *cfg = malloc(t->size);
    rlc_config_defaults(t, cfg);
    assert_int_not_equal(rlc_config_assign(t, cfg, "sampler=best"), RLC_OK);
    assert_contains(rlc_last_error(), "best");
    free(cfg);
    assert_true(rlc_algo_is_offline("cql"));
    assert_false(rlc_algo_is_offline("sac"));
    rlc_dataset_destroy(cp);
    rlc_dataset_destroy(pd);
}

/* save -> load gives the same deterministic actions (observation statistics included). */
static void test_checkpoint_round_trip(void **state) {
    (void)state;
    if (!rlc_dataset_have_hdf5()) skip();
    rlc_dataset *d = load(PENDULUM);
    const char *algos[] = {"bc", "td3bc", "iql", "cql", "awac"};
    char path[1200];
    snprintf(path, sizeof path, "%s/offline_agent.safetensors", rlc_test_tmpdir());
    for (int i = 0; i < 5; i++) {
        const char *sets[] = {"hidden=16", "batch_size=32", "norm_obs=1", "eval_episodes=1"};
        rlc_agent *a = make(algos[i], "Pendulum-v1", sets, 4, 3);
        rlc_offline_options o = {.updates = 20};
        assert_int_equal(rlc_offline_train(a, d, &o, NULL), RLC_OK);
        assert_int_equal(rlc_agent_save(a, path), RLC_OK);
        rlc_agent *b = NULL;
        if (rlc_agent_load(&b, path, 9)) fail_msg("%s: %s", algos[i], rlc_last_error());
        assert_string_equal(rlc_agent_algo(b), algos[i]);
        float obs[3] = {0.3f, -0.9f, 2.5f}, x, y;
        assert_int_equal(rlc_agent_act(a, obs, 1, &x, 1), RLC_OK);
        assert_int_equal(rlc_agent_act(b, obs, 1, &y, 1), RLC_OK);
        assert_true(x == y);
        rlc_agent_destroy(a);
        rlc_agent_destroy(b);
    }
    rlc_dataset_destroy(d);
}

/* Runs the rlc binary with args (a shell command line); returns the exit code, stderr and
 * stdout into out (NULL: dropped). */
static int run_rlc(const char *args, char *out, size_t cap) {
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "%s %s 2>&1", rlc_test_rlc_binary(), args);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t n = 0;
    char buf[4096];
    size_t k;
    while ((k = fread(buf, 1, sizeof buf, p)) > 0)
        if (out && n + 1 < cap) {
            size_t m = k < cap - 1 - n ? k : cap - 1 - n;
            memcpy(out + n, buf, m);
            n += m;
        }
    if (out) out[n] = 0;
    int st = pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static char *slurp(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    if (fread(s, 1, (size_t)n, f) != (size_t)n) n = 0;
    s[n] = 0;
    fclose(f);
    return s;
}

static void test_cli_train_dataset(void **state) {
    (void)state;
    if (!rlc_dataset_have_hdf5()) skip();
    char out[8192], args[2048], p1[1200], p2[1200];
    const char *tmp = rlc_test_tmpdir();
    for (int k = 0; k < 2; k++) {
        snprintf(args, sizeof args,
                 "train --algo iql --dataset %s --steps 60 --seed 4 --set hidden=16 --set "
                 "batch_size=32 --set eval_every=20 --set eval_episodes=2 --set sampler=return "
                 "--out %s/iql%d --quiet",
                 PENDULUM, tmp, k);
        int rc = run_rlc(args, out, sizeof out);
        if (rc) fail_msg("rc %d: %s", rc, out);
    }
    snprintf(p1, sizeof p1, "%s/iql0/progress.csv", tmp);
    snprintf(p2, sizeof p2, "%s/iql1/progress.csv", tmp);
    char *a = slurp(p1), *b = slurp(p2);
    assert_non_null(a);
    assert_non_null(b);
    assert_contains(a, "eval/return_mean");
    assert_contains(a, "eval/normalized_score");
    assert_contains(a, "\n60,");
    assert_string_equal(a, b);
    free(a);
    free(b);
    snprintf(p1, sizeof p1, "%s/iql0/config.json", tmp);
    a = slurp(p1);
    assert_contains(a, "\"dataset\"");
    assert_contains(a, "\"expectile\"");
    free(a);
    /* the agent evaluates like any other */
    snprintf(args, sizeof args, "eval --checkpoint %s/iql0/final.safetensors --episodes 1", tmp);
    int rc = run_rlc(args, out, sizeof out);
    if (rc) fail_msg("eval rc %d: %s", rc, out);
    /* errors */
    assert_int_equal(run_rlc("train --algo iql --env Pendulum-v1 --steps 10", out, sizeof out), 2);
    assert_contains(out, "iql is an offline algorithm: give its data with --dataset PATH");
    snprintf(args, sizeof args, "train --algo ppo --dataset %s --out %s/x", PENDULUM, tmp);
    assert_int_equal(run_rlc(args, out, sizeof out), 2);
    assert_contains(out, "ppo is an online algorithm");
    snprintf(args, sizeof args, "train --algo td3bc --dataset %s --out %s/y", CARTPOLE, tmp);
    assert_int_equal(run_rlc(args, out, sizeof out), 2);
    assert_contains(out, "td3bc needs a Box action space; CartPole-v1 has Discrete(2)");
    snprintf(args, sizeof args, "train --algo bc --dataset %s --env Pendulum-v1 --out %s/z", CARTPOLE,
             tmp);
    assert_int_equal(run_rlc(args, out, sizeof out), 2);
    assert_contains(out, "dataset observations have 4 values but Pendulum-v1 observations have 3");
    snprintf(args, sizeof args, "train --algo cql --dataset %s --set sampler=best --out %s/w",
             CARTPOLE, tmp);
    assert_int_equal(run_rlc(args, out, sizeof out), 2);
    assert_contains(out, "--set sampler=best");
    snprintf(args, sizeof args, "dataset info %s", PENDULUM);
    assert_int_equal(run_rlc(args, out, sizeof out), 0);
    assert_contains(out, "return_psv");
}

/* `rlc experiment harness --quick`: 1 seed, 600 updates; return weighting lifts IQL and TD3+BC
 * above uniform sampling on 48 random + 2 expert MountainCarContinuous episodes (uniform: the
 * do-nothing policy, score ~27; return-weighted: the goal, ~100). */
static void test_harness_quick(void **state) {
    (void)state;
    const rlc_experiment *e = rlc_experiment_find("harness");
    assert_non_null(e);
    assert_int_equal(e->row, 7);
    rlc_experiment_options o;
    rlc_experiment_options_init(&o);
    o.quick = 1;
    rlc_experiment_result r;
    if (rlc_experiment_run(e, &o, &r)) fail_msg("%s", rlc_last_error());
    assert_contains(r.reason, "iql +");
    assert_contains(r.reason, "td3bc +");
    assert_int_equal(r.claim_held, 1);
}

/* `rlc experiment dataset-measures --quick`: ten CartPole datasets, TQ of the random dataset 0
 * and of the expert's 1 in results.csv-backed table; the verdict names both correlations. */
static void test_dataset_measures_quick(void **state) {
    (void)state;
    const rlc_experiment *e = rlc_experiment_find("dataset-measures");
    assert_non_null(e);
    assert_int_equal(e->row, 8);
    char dir[1200];
    snprintf(dir, sizeof dir, "%s/dm", rlc_test_tmpdir());
    rlc_experiment_options o;
    rlc_experiment_options_init(&o);
    o.quick = 1;
    o.out_dir = dir;
    rlc_experiment_result r;
    if (rlc_experiment_run(e, &o, &r)) fail_msg("%s", rlc_last_error());
    assert_contains(r.reason, "Spearman BC return ~ TQ");
    assert_contains(r.reason, "SACo");
    char path[1300];
    snprintf(path, sizeof path, "%s/summary.md", dir);
    char *md = slurp(path);
    assert_non_null(md);
    assert_contains(md, "random       TQ 0.00");
    assert_contains(md, "expert       TQ 1.00");
    assert_contains(md, "replay       TQ 0.09 SACo 1.00"); /* SACo's reference is itself */
    free(md);
}

RLC_TESTS(offline, cmocka_unit_test(test_trajectory_weights), cmocka_unit_test(test_errors),
          cmocka_unit_test(test_checkpoint_round_trip), cmocka_unit_test(test_cli_train_dataset),
          cmocka_unit_test(test_bc_pendulum), cmocka_unit_test(test_percent_bc_and_return_weighting),
          cmocka_unit_test(test_td3bc_pendulum), cmocka_unit_test(test_iql_pendulum),
          cmocka_unit_test(test_cql_pendulum), cmocka_unit_test(test_cql_lagrange), cmocka_unit_test(test_awac_pendulum),
          cmocka_unit_test(test_cql_discrete_cartpole), cmocka_unit_test(test_harness_quick),
          cmocka_unit_test(test_dataset_measures_quick))
