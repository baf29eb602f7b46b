/* PPO: solves CartPole-v1 with a fixed seed, is bit-reproducible (also across vector-env
 * thread counts), round-trips through a checkpoint, handles Box actions, and the `rlc train` /
 * `rlc eval` commands fail clearly on bad input. */
#include "test.h"

#include <math.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "algo/algo_impl.h"
#include "rlc/agent.h"
#include "rlc/optim.h"
#include "rlc/safetensors.h"

/* The tuned CartPole config used by the tests: CleanRL's recipe with 8 envs x 32 steps and a
 * 10x larger learning rate, which solves CartPole in about a third of the steps. */
static rlc_ppo_config cartpole_config(void) {
    rlc_ppo_config c;
    rlc_config_defaults(rlc_ppo_config_table(), &c);
    c.num_envs = 8;
    c.n_steps = 32;
    c.lr = 2.5e-3;
    return c;
}

static rlc_agent *train(const char *env, const rlc_ppo_config *c, uint64_t seed, int64_t steps,
                        rlc_train_result *res) {
    rlc_agent *a = NULL;
    rlc_status st = rlc_agent_create(&a, "ppo", env, NULL, c, seed);
    if (st) fail_msg("create: %s", rlc_last_error());
    rlc_train_options o = {.total_steps = steps};
    st = rlc_agent_train(a, seed, &o, res);
    if (st) fail_msg("train: %s", rlc_last_error());
    return a;
}

static double mean_eval(rlc_agent *a, int episodes, double *ret) {
    assert_int_equal(rlc_agent_evaluate(a, episodes, 12345, 0, ret, NULL, 0, 0), RLC_OK);
    double m = 0;
    for (int i = 0; i < episodes; i++) m += ret[i];
    return m / episodes;
}

static void test_config_table(void **st) {
    (void)st;
    assert_int_equal(rlc_config_table_check(rlc_ppo_config_table()), RLC_OK);
    assert_ptr_equal(rlc_algo_config_table("ppo"), rlc_ppo_config_table());
    assert_null(rlc_algo_config_table("nope"));
    rlc_agent *a = NULL;
    assert_int_equal(rlc_agent_create(&a, "nope", "CartPole-v1", NULL, NULL, 0),
                     RLC_ERR_NOT_FOUND);
    assert_contains(rlc_last_error(), "unknown algorithm 'nope'");
    rlc_ppo_config c = cartpole_config();
    c.n_minibatches = 3;
    assert_int_equal(rlc_agent_create(&a, "ppo", "CartPole-v1", NULL, &c, 0), RLC_ERR_INVALID);
    assert_null(a);
}

/* GAE by hand: env 0 terminates at t=1 (autoreset at t=2) and is truncated at t=4 (autoreset
 * at t=5); env 1 runs through and bootstraps from last_val. */
static void test_gae(void **st) {
    (void)st;
    enum { T = 6, N = 2 };
    const double g = 0.9, l = 0.8;
    float rew[T * N], val[T * N], adv[T * N], ret[T * N], last[N] = {0.4f, -0.25f};
    uint8_t term[T * N] = {0}, trunc[T * N] = {0}, valid[T * N];
    const float v0[T] = {0.5f, 0.6f, 0.7f, 0.2f, 0.3f, 0.9f};
    for (int t = 0; t < T; t++) {
        rew[t * N] = 1, val[t * N] = v0[t], valid[t * N] = 1;
        rew[t * N + 1] = 0.5f * (float)t, val[t * N + 1] = 0.1f * (float)t, valid[t * N + 1] = 1;
    }
    term[1 * N] = 1;
    valid[2 * N] = 0;
    trunc[4 * N] = 1;
    valid[5 * N] = 0;
    rlc__gae(T, N, g, l, rew, val, last, term, trunc, valid, adv, ret);
    double a4 = 1 + g * v0[5] - v0[4]; /* truncation: bootstrap from V(final obs) = val[5] */
    double a3 = 1 + g * v0[4] - v0[3] + g * l * a4;
    double a1 = 1 - v0[1]; /* termination: no bootstrap */
    double a0 = 1 + g * v0[1] - v0[0] + g * l * a1;
    double want0[T] = {a0, a1, 0, a3, a4, 0};
    for (int t = 0; t < T; t++) {
        assert_close(adv[t * N], want0[t], 1e-6);
        assert_close(ret[t * N], want0[t] + v0[t], 1e-6);
    }
    double a = 0;
    for (int t = T - 1; t >= 0; t--) {
        double nv = t == T - 1 ? last[1] : val[(t + 1) * N + 1];
        a = rew[t * N + 1] + g * nv - val[t * N + 1] + g * l * a;
        assert_close(adv[t * N + 1], a, 1e-5);
    }
}

/* Every allocation of agent creation may fail: creation then reports an error, leaves *out
 * untouched and leaks nothing. */
static void test_alloc_failures(void **st) {
    (void)st;
    rlc_ppo_config c = cartpole_config();
    rlc_agent *a = NULL;
    long long live0 = rlc_alloc_live();
    rlc_alloc_fail_reset();
    assert_int_equal(rlc_agent_create(&a, "ppo", "CartPole-v1", NULL, &c, 1), RLC_OK);
    long n = rlc_alloc_count();
    rlc_agent_destroy(a);
    assert_true(n > 10);
    for (long k = 1; k <= n; k++) {
        a = NULL;
        rlc_alloc_fail_after(k);
        rlc_status s = rlc_agent_create(&a, "ppo", "CartPole-v1", NULL, &c, 1);
        rlc_alloc_fail_reset();
        if (s == RLC_OK) fail_msg("allocation %ld of %ld failed but creation succeeded", k, n);
        assert_null(a);
        if (rlc_alloc_live() != live0) fail_msg("allocation %ld failed: leak", k);
    }
}

static void test_solves_cartpole(void **st) {
    (void)st;
    if (getenv("RLC_VALGRIND")) skip(); /* a minute of learning; the other tests cover the code */
    rlc_ppo_config c = cartpole_config();
    rlc_train_result res;
    rlc_agent *a = train("CartPole-v1", &c, 1, 60000, &res);
    double ret[10];
    double m = mean_eval(a, 10, ret);
    if (getenv("RLC_TEST_VERBOSE"))
        printf("ppo CartPole-v1: %lld steps in %.2f s (%.0f steps/s), eval mean %.1f\n",
               (long long)res.steps, res.seconds, res.steps / res.seconds, m);
    if (m < 475) fail_msg("eval mean return %.1f < 475 after %lld steps", m, (long long)res.steps);
    rlc_agent_destroy(a);
}

static void test_deterministic(void **st) {
    (void)st;
    rlc_ppo_config c = cartpole_config();
    rlc_train_result r1, r2, r3;
    rlc_agent *a = train("CartPole-v1", &c, 7, 4096, &r1);
    rlc_agent *b = train("CartPole-v1", &c, 7, 4096, &r2);
    c.num_threads = 4; /* the vector env's threads must not change anything */
    rlc_agent *d = train("CartPole-v1", &c, 7, 4096, &r3);
    int64_t n = rlc_params_count(rlc_agent_params(a));
    assert_memory_equal(rlc_params_data(rlc_agent_params(a)), rlc_params_data(rlc_agent_params(b)),
                        sizeof(float) * (size_t)n);
    assert_memory_equal(rlc_params_data(rlc_agent_params(a)), rlc_params_data(rlc_agent_params(d)),
                        sizeof(float) * (size_t)n);
    assert_int_equal(r1.episodes, r2.episodes);
    assert_true(r1.mean_return == r2.mean_return);
    assert_true(r1.mean_return == r3.mean_return);
    double ra[5], rb[5];
    mean_eval(a, 5, ra);
    mean_eval(b, 5, rb);
    assert_memory_equal(ra, rb, sizeof ra);
    /* another seed gives other parameters */
    rlc_agent *e = train("CartPole-v1", &c, 8, 1024, &r3);
    assert_true(memcmp(rlc_params_data(rlc_agent_params(a)), rlc_params_data(rlc_agent_params(e)),
                       sizeof(float) * (size_t)n) != 0);
    rlc_agent_destroy(a);
    rlc_agent_destroy(b);
    rlc_agent_destroy(d);
    rlc_agent_destroy(e);
}

static void test_save_load(void **st) {
    (void)st;
    rlc_ppo_config c = cartpole_config();
    rlc_train_result r;
    rlc_agent *a = train("CartPole-v1", &c, 3, 4096, &r);
    char path[512];
    snprintf(path, sizeof path, "%s/ppo.safetensors", rlc_test_tmpdir());
    assert_int_equal(rlc_agent_save(a, path), RLC_OK);
    rlc_agent *b = NULL;
    if (rlc_agent_load(&b, path, 3)) fail_msg("load: %s", rlc_last_error());
    assert_string_equal(rlc_agent_env_id(b), "CartPole-v1");
    assert_memory_equal(rlc_agent_config(a), rlc_agent_config(b), sizeof(rlc_ppo_config));
    rlc_params *pa = rlc_agent_params(a), *pb = rlc_agent_params(b);
    int64_t n = rlc_params_count(pa);
    assert_memory_equal(rlc_params_data(pa), rlc_params_data(pb), sizeof(float) * (size_t)n);
    for (int k = 0; k < 2; k++) /* Adam's moments */
        assert_memory_equal(rlc_params_state(pa, k), rlc_params_state(pb, k),
                            sizeof(float) * (size_t)n);
    /* identical deterministic actions, batch 1 and batch num_envs */
    rlc_rng r0;
    rlc_rng_seed(&r0, 99);
    float obs[8 * 4];
    int64_t xa[8], xb[8];
    for (int rep = 0; rep < 20; rep++) {
        for (int i = 0; i < 32; i++) obs[i] = rlc_rng_uniformf(&r0, -0.5f, 0.5f);
        assert_int_equal(rlc_agent_act(a, obs, 8, xa, 1), RLC_OK);
        assert_int_equal(rlc_agent_act(b, obs, 8, xb, 1), RLC_OK);
        assert_memory_equal(xa, xb, sizeof xa);
        assert_int_equal(rlc_agent_act(a, obs, 1, xa, 1), RLC_OK);
        assert_int_equal(rlc_agent_act(b, obs, 1, xb, 1), RLC_OK);
        assert_int_equal(xa[0], xb[0]);
    }
    assert_int_equal(rlc_agent_act(a, obs, 3, xa, 1), RLC_ERR_INVALID);
    double ra[3], rb[3];
    mean_eval(a, 3, ra);
    mean_eval(b, 3, rb);
    assert_memory_equal(ra, rb, sizeof ra);
    /* metadata */
    rlc_st_file *f = NULL;
    assert_int_equal(rlc_st_load(path, &f), RLC_OK);
    assert_string_equal(rlc_st_meta(f, "rlc.algo"), "ppo");
    assert_string_equal(rlc_st_meta(f, "config.lr"), "0.0025");
    assert_non_null(rlc_st_meta(f, "rlc.config"));
    rlc_st_file_destroy(f);
    rlc_agent_destroy(a);
    rlc_agent_destroy(b);
}

/* Nothing is allocated per step or per update: a run 4x longer makes no more allocations. */
static void test_no_alloc_in_loop(void **st) {
    (void)st;
    rlc_ppo_config c = cartpole_config();
    long counts[2];
    for (int k = 0; k < 2; k++) {
        rlc_train_result r;
        rlc_alloc_fail_reset();
        rlc_agent *a = train("CartPole-v1", &c, 2, k ? 4096 : 1024, &r);
        counts[k] = rlc_alloc_count();
        rlc_agent_destroy(a);
    }
    assert_int_equal(counts[0], counts[1]);
}

static void test_continuous_smoke(void **st) {
    (void)st;
    rlc_ppo_config c;
    rlc_config_defaults(rlc_ppo_config_table(), &c);
    c.num_envs = 2;
    c.n_steps = 64;
    rlc_train_result r;
    rlc_agent *a = train("Pendulum-v1", &c, 5, 1024, &r);
    assert_int_equal(r.steps, 1024);
    assert_int_equal(r.episodes, 4); /* 200-step episodes, truncated */
    float obs[3] = {1, 0, 0}, act[1];
    for (int k = 0; k < 50; k++) {
        assert_int_equal(rlc_agent_act(a, obs, 1, act, 0), RLC_OK);
        assert_true(act[0] >= -2.0f && act[0] <= 2.0f);
    }
    double ret[2];
    mean_eval(a, 2, ret);
    assert_true(isfinite(ret[0]) && ret[0] < 0);
    rlc_agent_destroy(a);
}

/* Runs `cmd` with stderr merged; returns the exit status, output in *out (malloc). */
static int run(const char *cmd, char **out) {
    char full[4096];
    snprintf(full, sizeof full, "%s 2>&1", cmd);
    FILE *p = popen(full, "r");
    assert_non_null(p);
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap);
    size_t k;
    while ((k = fread(buf + len, 1, cap - len - 1, p)) > 0) {
        len += k;
        if (cap - len < 4096) buf = realloc(buf, cap *= 2);
    }
    buf[len] = 0;
    int s = pclose(p);
    *out = buf;
    return WIFEXITED(s) ? WEXITSTATUS(s) : -1;
}

static void expect(const char *args, int code, const char *msg) {
    char cmd[2048], *out;
    snprintf(cmd, sizeof cmd, "%s %s", rlc_test_rlc_binary(), args);
    int rc = run(cmd, &out);
    if (rc != code) fail_msg("`%s`: exit %d (expected %d), output:\n%s", args, rc, code, out);
    if (msg && !strstr(out, msg)) fail_msg("`%s`: output lacks '%s':\n%s", args, msg, out);
    free(out);
}

/* Box actions with observation and reward normalisation: the statistics travel with the
 * checkpoint, so a loaded agent acts exactly like the saved one. */
static void test_normalized_save_load(void **st) {
    (void)st;
    rlc_ppo_config c;
    rlc_config_defaults(rlc_ppo_config_table(), &c);
    c.num_envs = 2;
    c.n_steps = 64;
    c.norm_obs = 1;
    c.norm_reward = 1;
    rlc_train_result r;
    rlc_agent *a = train("Pendulum-v1", &c, 6, 1024, &r);
    char path[512];
    snprintf(path, sizeof path, "%s/ppo_norm.safetensors", rlc_test_tmpdir());
    assert_int_equal(rlc_agent_save(a, path), RLC_OK);
    rlc_st_file *f = NULL;
    assert_int_equal(rlc_st_load(path, &f), RLC_OK);
    const rlc_st_tensor *m = rlc_st_get(f, "obs_norm.mean");
    assert_non_null(m);
    assert_int_equal(m->numel, 3);
    assert_true(((const double *)m->data)[0] != 0); /* statistics were gathered */
    assert_non_null(rlc_st_get(f, "ret_norm.var"));
    assert_non_null(rlc_st_get(f, "actor_logstd"));
    rlc_st_file_destroy(f);
    rlc_agent *b = NULL;
    if (rlc_agent_load(&b, path, 6)) fail_msg("load: %s", rlc_last_error());
    rlc_rng r0;
    rlc_rng_seed(&r0, 5);
    for (int rep = 0; rep < 20; rep++) {
        float obs[6], xa[2], xb[2];
        for (int i = 0; i < 6; i++) obs[i] = rlc_rng_uniformf(&r0, -3, 3);
        assert_int_equal(rlc_agent_act(a, obs, 2, xa, 1), RLC_OK);
        assert_int_equal(rlc_agent_act(b, obs, 2, xb, 1), RLC_OK);
        assert_memory_equal(xa, xb, sizeof xa);
    }
    rlc_agent_destroy(a);
    rlc_agent_destroy(b);
}

static void test_cli(void **st) {
    (void)st;
    if (getenv("RLC_VALGRIND")) skip(); /* spawns the rlc program */
    const char *tmp = rlc_test_tmpdir();
    char args[1024], dir[600];
    snprintf(dir, sizeof dir, "%s/run", tmp);
    snprintf(args, sizeof args, "train --env CartPole-v1 --algo dqnx --out %s/a", tmp);
    expect(args, 2, "unknown algorithm 'dqnx' (known: ppo");
    snprintf(args, sizeof args, "train --env CartPole-v1 --set lrr=1 --out %s/a", tmp);
    expect(args, 2, "unknown key 'lrr'; did you mean 'lr'?");
    snprintf(args, sizeof args, "train --env CartPole-v1 --set lr=abc --out %s/a", tmp);
    expect(args, 2, "lr expects a number, got 'abc'");
    snprintf(args, sizeof args, "train --env CartPole-v1 --set clip_coef=50 --out %s/a", tmp);
    expect(args, 2, "clip_coef");
    snprintf(args, sizeof args, "train --env CartPole-v1 --steps -5 --out %s/a", tmp);
    expect(args, 2, "--steps");
    snprintf(args, sizeof args, "train --env CartPole-v9 --out %s/a", tmp);
    expect(args, 2, "CartPole-v9");
    expect("train --steps 100", 2, "--env ID is required");
    struct stat sb;
    snprintf(args, sizeof args, "%s/a", tmp);
    assert_int_not_equal(stat(args, &sb), 0); /* bad input creates no run folder */
    /* a short real run */
    snprintf(args, sizeof args,
             "train --env CartPole-v1 --steps 2048 --seed 4 --set num_envs=2 --quiet --out %s",
             dir);
    expect(args, 0, NULL);
    const char *files[] = {"config.json", "progress.csv", "final.safetensors"};
    for (int i = 0; i < 3; i++) {
        char p[700];
        snprintf(p, sizeof p, "%s/%s", dir, files[i]);
        if (stat(p, &sb) || sb.st_size == 0) fail_msg("missing %s", p);
    }
    /* refuses the now non-empty folder without --force, accepts it with */
    snprintf(args, sizeof args, "train --env CartPole-v1 --steps 512 --quiet --out %s", dir);
    expect(args, 2, "already exists and is not empty");
    snprintf(args, sizeof args, "train --env CartPole-v1 --steps 512 --quiet --force --out %s",
             dir);
    expect(args, 0, NULL);
    snprintf(args, sizeof args, "eval --checkpoint %s/final.safetensors --episodes 3", dir);
    expect(args, 0, "ppo CartPole-v1: 3 deterministic episodes  mean");
    snprintf(args, sizeof args, "eval --checkpoint %s/missing.safetensors", dir);
    expect(args, 1, "missing.safetensors");
    expect("eval", 2, "--run DIR or --checkpoint FILE is required");
    /* --run DIR evaluates the folder's final checkpoint: the same numbers */
    snprintf(args, sizeof args, "eval --run %s --episodes 3", dir);
    expect(args, 0, "ppo CartPole-v1: 3 deterministic episodes  mean");
    snprintf(args, sizeof args, "eval --run %s/nope", dir);
    expect(args, 2, "not a run folder");
    char both[1400];
    snprintf(both, sizeof both, "eval --run %s --checkpoint %s/final.safetensors", dir, dir);
    expect(both, 2, "not both");
}

RLC_TESTS(algo_ppo, cmocka_unit_test(test_config_table), cmocka_unit_test(test_gae),
          cmocka_unit_test(test_alloc_failures),
          cmocka_unit_test(test_solves_cartpole), cmocka_unit_test(test_deterministic),
          cmocka_unit_test(test_save_load), cmocka_unit_test(test_no_alloc_in_loop),
          cmocka_unit_test(test_continuous_smoke), cmocka_unit_test(test_normalized_save_load),
          cmocka_unit_test(test_cli))
