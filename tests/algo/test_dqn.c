/* DQN: solves CartPole-v1 with the tuned defaults and a fixed seed, is bit-reproducible,
 * round-trips through a checkpoint (online + target + Adam), computes double-Q targets and
 * dueling Q-values as by hand, runs every option, and `rlc train --algo dqn` works and
 * refuses Box actions. */
#include "test.h"

#include <math.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "rlc/agent.h"
#include "rlc/dqn.h"
#include "rlc/optim.h"
#include "rlc/safetensors.h"

/* The tuned CartPole-v1 settings of data/defaults/dqn.json. */
static rlc_dqn_config cartpole_config(void) {
    rlc_dqn_config c;
    rlc_config_defaults(rlc_dqn_config_table(), &c);
    char path[4096];
    int applied = 0;
    if (rlc_data_find("defaults/dqn.json", path, sizeof path) ||
        rlc_config_apply_env_defaults(rlc_dqn_config_table(), &c, path, "CartPole-v1",
                                      &applied))
        fail_msg("defaults/dqn.json: %s", rlc_last_error());
    assert_true(applied > 5);
    return c;
}

/* A small, fast config for the mechanics tests: updates start early and are frequent. */
static rlc_dqn_config quick_config(void) {
    rlc_dqn_config c;
    rlc_config_defaults(rlc_dqn_config_table(), &c);
    c.num_envs = 2;
    c.hidden = 32;
    c.buffer_size = 5000;
    c.learning_starts = 200;
    c.train_freq = 8;
    c.gradient_steps = 2;
    c.target_update_interval = 100;
    c.lr = 1e-3;
    return c;
}

static rlc_agent *train(const rlc_dqn_config *c, uint64_t seed, int64_t steps,
                        rlc_train_result *res) {
    rlc_agent *a = NULL;
    if (rlc_agent_create(&a, "dqn", "CartPole-v1", NULL, c, seed))
        fail_msg("create: %s", rlc_last_error());
    rlc_train_options o = {.total_steps = steps};
    if (rlc_agent_train(a, seed, &o, res)) fail_msg("train: %s", rlc_last_error());
    return a;
}

static double mean_eval(rlc_agent *a, int episodes, double *ret) {
    assert_int_equal(rlc_agent_evaluate(a, episodes, 12345, 0, ret, NULL, 0, 0), RLC_OK);
    double m = 0;
    for (int i = 0; i < episodes; i++) m += ret[i];
    return m / episodes;
}

static void test_config_and_spaces(void **st) {
    (void)st;
    assert_int_equal(rlc_config_table_check(rlc_dqn_config_table()), RLC_OK);
    assert_ptr_equal(rlc_algo_config_table("dqn"), rlc_dqn_config_table());
    rlc_agent *a = NULL;
    assert_int_equal(rlc_agent_create(&a, "dqn", "Pendulum-v1", NULL, NULL, 0),
                     RLC_ERR_UNSUPPORTED);
    assert_null(a);
    assert_string_equal(rlc_last_error(),
                        "dqn needs a Discrete action space; Pendulum-v1 has Box(1,)");
    rlc_dqn_config c = quick_config();
    c.num_threads = 3;
    assert_int_equal(rlc_agent_create(&a, "dqn", "CartPole-v1", NULL, &c, 0), RLC_ERR_INVALID);
    /* q_values refuses other agents */
    assert_int_equal(rlc_agent_create(&a, "ppo", "CartPole-v1", NULL, NULL, 0), RLC_OK);
    float obs[4] = {0}, q[2];
    assert_int_equal(rlc_dqn_q_values(a, obs, 1, q), RLC_ERR_INVALID);
    rlc_agent_destroy(a);
}

/* Targets on a hand-made batch: plain DQN takes the target net's max, double DQN evaluates
 * the online net's argmax with the target net; termination (discount 0) drops both. */
static void test_targets(void **st) {
    (void)st;
    enum { B = 3, A = 3 };
    const float qt[B * A] = {1, 5, 2, /**/ -1, -3, -2, /**/ 7, 8, 9};
    const float qo[B * A] = {9, 0, 1, /**/ 0, 4, 4, /**/ 1, 2, 3};
    const float r[B] = {0.5f, 1, -2}, d[B] = {0.99f, 0.9801f, 0};
    float y[B];
    rlc_dqn_targets(B, A, qt, NULL, r, d, 0, y);
    assert_close(y[0], 0.5 + 0.99 * 5, 1e-6);
    assert_close(y[1], 1 + 0.9801 * -1, 1e-6);
    assert_close(y[2], -2, 0);
    rlc_dqn_targets(B, A, qt, qo, r, d, 1, y);
    assert_close(y[0], 0.5 + 0.99 * 1, 1e-6);    /* online argmax 0 */
    assert_close(y[1], 1 + 0.9801 * -3, 1e-6);   /* tie 4, 4: the first, index 1 */
    assert_close(y[2], -2, 0);
}

/* Dueling: Q = V + A - mean(A), checked against a hand forward pass of the parameters. */
static void test_dueling(void **st) {
    (void)st;
    rlc_dqn_config c = quick_config();
    c.dueling = 1;
    c.layers = 1;
    c.hidden = 5;
    rlc_agent *a = NULL;
    assert_int_equal(rlc_agent_create(&a, "dqn", "CartPole-v1", NULL, &c, 4), RLC_OK);
    rlc_params *p = rlc_agent_params(a);
    const float *d = rlc_params_data(p);
    int iw = rlc_params_find(p, "q.0.weight"), ib = rlc_params_find(p, "q.0.bias");
    int vw = rlc_params_find(p, "value.weight"), vb = rlc_params_find(p, "value.bias");
    int aw = rlc_params_find(p, "advantage.weight"), ab = rlc_params_find(p, "advantage.bias");
    assert_true(iw >= 0 && ib >= 0 && vw >= 0 && vb >= 0 && aw >= 0 && ab >= 0);
    const float *W = d + rlc_params_entry(p, iw)->offset, *b = d + rlc_params_entry(p, ib)->offset;
    const float *VW = d + rlc_params_entry(p, vw)->offset;
    const float *VB = d + rlc_params_entry(p, vb)->offset;
    const float *AW = d + rlc_params_entry(p, aw)->offset;
    const float *AB = d + rlc_params_entry(p, ab)->offset;
    float obs[2 * 4] = {0.1f, -0.2f, 0.3f, 0.05f, -1, 0.5f, 0.25f, 2}, q[4];
    assert_int_equal(rlc_dqn_q_values(a, obs, 2, q), RLC_OK);
    for (int n = 0; n < 2; n++) {
        double h[5], v = VB[0], adv[2] = {AB[0], AB[1]};
        for (int k = 0; k < 5; k++) {
            double z = b[k];
            for (int i = 0; i < 4; i++) z += (double)W[k * 4 + i] * obs[n * 4 + i];
            h[k] = z > 0 ? z : 0;
            v += VW[k] * h[k];
            adv[0] += AW[k] * h[k];
            adv[1] += AW[5 + k] * h[k];
        }
        double m = (adv[0] + adv[1]) / 2;
        assert_close(q[n * 2 + 0], v + adv[0] - m, 1e-5);
        assert_close(q[n * 2 + 1], v + adv[1] - m, 1e-5);
    }
    /* batch 1 gives the same */
    float q1[2];
    assert_int_equal(rlc_dqn_q_values(a, obs + 4, 1, q1), RLC_OK);
    assert_close(q1[0], q[2], 0);
    assert_close(q1[1], q[3], 0);
    assert_int_equal(rlc_dqn_q_values(a, obs, 3, q), RLC_ERR_INVALID);
    rlc_agent_destroy(a);
}

static void test_solves_cartpole(void **st) {
    (void)st;
    if (getenv("RLC_VALGRIND")) skip(); /* seconds of learning; the other tests cover the code */
    rlc_dqn_config c = cartpole_config();
    rlc_train_result res;
    rlc_agent *a = train(&c, 2, 50000, &res);
    double ret[10];
    double m = mean_eval(a, 10, ret);
    if (getenv("RLC_TEST_VERBOSE"))
        printf("dqn CartPole-v1: %lld steps in %.2f s (%.0f steps/s), eval mean %.1f\n",
               (long long)res.steps, res.seconds, res.steps / res.seconds, m);
    if (m < 475) fail_msg("eval mean return %.1f < 475 after %lld steps", m, (long long)res.steps);
    rlc_agent_destroy(a);
}

static void test_deterministic(void **st) {
    (void)st;
    rlc_dqn_config c = quick_config();
    rlc_train_result r1, r2, r3;
    rlc_agent *a = train(&c, 7, 3000, &r1);
    rlc_agent *b = train(&c, 7, 3000, &r2);
    c.num_threads = 2; /* the vector env's threads must not change anything */
    rlc_agent *d = train(&c, 7, 3000, &r3);
    int64_t n = rlc_params_count(rlc_agent_params(a));
    assert_memory_equal(rlc_params_data(rlc_agent_params(a)), rlc_params_data(rlc_agent_params(b)),
                        sizeof(float) * (size_t)n);
    assert_memory_equal(rlc_params_data(rlc_agent_params(a)), rlc_params_data(rlc_agent_params(d)),
                        sizeof(float) * (size_t)n);
    assert_int_equal(r1.episodes, r2.episodes);
    assert_true(r1.mean_return == r2.mean_return && r1.mean_return == r3.mean_return);
    assert_true(r1.updates > 100);
    /* another seed gives other parameters */
    c.num_threads = 1;
    rlc_agent *e = train(&c, 8, 3000, &r3);
    assert_true(memcmp(rlc_params_data(rlc_agent_params(a)), rlc_params_data(rlc_agent_params(e)),
                       sizeof(float) * (size_t)n) != 0);
    rlc_agent_destroy(a);
    rlc_agent_destroy(b);
    rlc_agent_destroy(d);
    rlc_agent_destroy(e);
}

static void test_save_load(void **st) {
    (void)st;
    rlc_dqn_config c = quick_config();
    c.target_update_interval = 1000; /* the target lags the online net when saved */
    rlc_train_result r;
    rlc_agent *a = train(&c, 3, 2500, &r);
    char path[512];
    snprintf(path, sizeof path, "%s/dqn.safetensors", rlc_test_tmpdir());
    assert_int_equal(rlc_agent_save(a, path), RLC_OK);
    rlc_agent *b = NULL;
    if (rlc_agent_load(&b, path, 3)) fail_msg("load: %s", rlc_last_error());
    assert_string_equal(rlc_agent_algo(b), "dqn");
    assert_memory_equal(rlc_agent_config(a), rlc_agent_config(b), sizeof(rlc_dqn_config));
    rlc_params *pa = rlc_agent_params(a), *pb = rlc_agent_params(b);
    int64_t n = rlc_params_count(pa);
    assert_memory_equal(rlc_params_data(pa), rlc_params_data(pb), sizeof(float) * (size_t)n);
    for (int k = 0; k < 2; k++) /* Adam's moments */
        assert_memory_equal(rlc_params_state(pa, k), rlc_params_state(pb, k),
                            sizeof(float) * (size_t)n);
    /* the target network is in the file and differs from the online one */
    rlc_st_file *f = NULL;
    assert_int_equal(rlc_st_load(path, &f), RLC_OK);
    const rlc_st_tensor *t = rlc_st_get(f, "target.q.0.weight");
    const rlc_st_tensor *o = rlc_st_get(f, "q.0.weight");
    assert_non_null(t);
    assert_non_null(o);
    assert_int_equal(t->numel, o->numel);
    assert_true(memcmp(t->data, o->data, sizeof(float) * (size_t)t->numel) != 0);
    assert_string_equal(rlc_st_meta(f, "rlc.algo"), "dqn");
    rlc_st_file_destroy(f);
    /* identical greedy actions, batch 1 and batch num_envs */
    rlc_rng r0;
    rlc_rng_seed(&r0, 99);
    float obs[2 * 4];
    int64_t xa[2], xb[2];
    int differ = 0;
    for (int rep = 0; rep < 50; rep++) {
        for (int i = 0; i < 8; i++) obs[i] = rlc_rng_uniformf(&r0, -1.0f, 1.0f);
        assert_int_equal(rlc_agent_act(a, obs, 2, xa, 1), RLC_OK);
        assert_int_equal(rlc_agent_act(b, obs, 2, xb, 1), RLC_OK);
        assert_memory_equal(xa, xb, sizeof xa);
        differ += xa[0] != xa[1];
        assert_int_equal(rlc_agent_act(a, obs, 1, xa, 1), RLC_OK);
        assert_int_equal(rlc_agent_act(b, obs, 1, xb, 1), RLC_OK);
        assert_int_equal(xa[0], xb[0]);
    }
    assert_true(differ > 0); /* the greedy policy is not constant */
    double ra[3], rb[3];
    mean_eval(a, 3, ra);
    mean_eval(b, 3, rb);
    assert_memory_equal(ra, rb, sizeof ra);
    /* the loaded agent trains on */
    rlc_train_options o2 = {.total_steps = 600};
    assert_int_equal(rlc_agent_train(a, 5, &o2, NULL), RLC_OK);
    assert_int_equal(rlc_agent_train(b, 5, &o2, NULL), RLC_OK);
    rlc_agent_destroy(a);
    rlc_agent_destroy(b);
}

/* Every allocation of agent creation may fail cleanly. */
static void test_alloc_failures(void **st) {
    (void)st;
    rlc_dqn_config c = quick_config();
    c.dueling = 1;
    c.double_q = 1;
    c.prioritized = 1;
    rlc_agent *a = NULL;
    long long live0 = rlc_alloc_live();
    rlc_alloc_fail_reset();
    assert_int_equal(rlc_agent_create(&a, "dqn", "CartPole-v1", NULL, &c, 1), RLC_OK);
    long n = rlc_alloc_count();
    rlc_agent_destroy(a);
    for (long k = 1; k <= n; k++) {
        a = NULL;
        rlc_alloc_fail_after(k);
        rlc_status s = rlc_agent_create(&a, "dqn", "CartPole-v1", NULL, &c, 1);
        rlc_alloc_fail_reset();
        if (s == RLC_OK) fail_msg("allocation %ld of %ld failed but creation succeeded", k, n);
        assert_null(a);
        if (rlc_alloc_live() != live0) fail_msg("allocation %ld failed: leak", k);
    }
}

/* Nothing is allocated per step or per update: a longer run makes no more allocations. */
static void test_no_alloc_in_loop(void **st) {
    (void)st;
    rlc_dqn_config c = quick_config();
    c.prioritized = 1;
    c.n_step = 3;
    long counts[2];
    for (int k = 0; k < 2; k++) {
        rlc_train_result r;
        rlc_alloc_fail_reset();
        rlc_agent *a = train(&c, 2, k ? 4000 : 1000, &r);
        counts[k] = rlc_alloc_count();
        rlc_agent_destroy(a);
    }
    assert_int_equal(counts[0], counts[1]);
}

/* Every option together (double Q, dueling, 3-step, prioritized, MSE, Polyak, tanh) runs,
 * reports finite statistics and learns something on CartPole. */
static void test_options(void **st) {
    (void)st;
    rlc_dqn_config c = quick_config();
    c.double_q = 1;
    c.dueling = 1;
    c.n_step = 3;
    c.prioritized = 1;
    c.loss = 1;
    c.tau = 0.01;
    c.target_update_interval = 1;
    c.activation = 1;
    c.exploration_fraction = 0.3;
    rlc_train_result r;
    rlc_agent *a = train(&c, 11, 6000, &r);
    assert_int_equal(r.steps, 6000);
    assert_true(isfinite(r.mean_return));
    float obs[4] = {0.01f, 0, 0.02f, 0}, q[2];
    assert_int_equal(rlc_dqn_q_values(a, obs, 1, q), RLC_OK);
    assert_true(isfinite(q[0]) && isfinite(q[1]) && q[0] > 1); /* values grew from ~0 */
    int64_t x;
    for (int k = 0; k < 20; k++) {
        assert_int_equal(rlc_agent_act(a, obs, 1, &x, 0), RLC_OK);
        assert_true(x == 0 || x == 1);
    }
    rlc_agent_destroy(a);
}

/* Runs `cmd` with stderr merged; returns the exit status, output in *out (malloc). */
static int run(const char *cmd, char **out) {
    char full[4096];
    snprintf(full, sizeof full, "%s 2>&1", cmd);
    FILE *p = popen(full, "r");
    assert_non_null(p);
    size_t cap = 1 << 16, len = 0, k;
    char *buf = malloc(cap);
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

static void test_cli(void **st) {
    (void)st;
    if (getenv("RLC_VALGRIND")) skip(); /* spawns the rlc program */
    const char *tmp = rlc_test_tmpdir();
    char args[1024], dir[600];
    snprintf(dir, sizeof dir, "%s/dqn_run", tmp);
    snprintf(args, sizeof args, "train --env Pendulum-v1 --algo dqn --out %s/x", tmp);
    expect(args, 2, "dqn needs a Discrete action space; Pendulum-v1 has Box(1,)");
    snprintf(args, sizeof args,
             "train --env CartPole-v1 --algo dqn --steps 1500 --seed 2 --set hidden=32 "
             "--set learning_starts=500 --out %s",
             dir);
    expect(args, 0, "tuned defaults for CartPole-v1");
    snprintf(args, sizeof args, "eval --checkpoint %s/final.safetensors --episodes 2", dir);
    expect(args, 0, "dqn CartPole-v1: 2 deterministic episodes  mean");
}

RLC_TESTS(algo_dqn, cmocka_unit_test(test_config_and_spaces), cmocka_unit_test(test_targets),
          cmocka_unit_test(test_dueling), cmocka_unit_test(test_solves_cartpole),
          cmocka_unit_test(test_deterministic), cmocka_unit_test(test_save_load),
          cmocka_unit_test(test_alloc_failures), cmocka_unit_test(test_no_alloc_in_loop),
          cmocka_unit_test(test_options), cmocka_unit_test(test_cli))
