/* SAC and TD3 (DDPG as TD3 settings): solve Pendulum-v1 with the tuned defaults of
 * data/defaults/{sac,td3}.json, bit-reproducibility, checkpoint round trips, the tanh log-prob
 * correction and target policy smoothing on tiny cases, and `rlc train --algo sac|td3`. */
#include "test.h"

#include <math.h>
#include <sys/wait.h>

#include "rlc/agent.h"
#include "rlc/graph.h"
#include "rlc/nn.h"
#include "rlc/sac.h"
#include "rlc/safetensors.h"
#include "rlc/td3.h"

/* Internal helpers of src/algo/sac.c and td3.c, tested directly. */
rlc_status rlc__sac_policy_head(rlc_graph *g, rlc_tensor *out, rlc_tensor *noise, double lo,
                                double hi, rlc_tensor **action, rlc_tensor **logp);
rlc_tensor *rlc__td3_smoothed_action(rlc_graph *g, rlc_tensor *mu, rlc_tensor *noise, double sigma,
                                     double clip);

/* Storage for either config struct. */
typedef union anycfg {
    rlc_sac_config sac;
    rlc_td3_config td3;
} anycfg;

/* The config of `algo` with the tuned Pendulum-v1 entries of data/defaults/<algo>.json. */
static void tuned(const char *algo, void *cfg) {
    const rlc_config_table *t = rlc_algo_config_table(algo);
    assert_non_null(t);
    rlc_config_defaults(t, cfg);
    char rel[64], path[4096];
    snprintf(rel, sizeof rel, "defaults/%s.json", algo);
    if (rlc_data_find(rel, path, sizeof path)) fail_msg("%s", rlc_last_error());
    int applied = 0;
    if (rlc_config_apply_env_defaults(t, cfg, path, "Pendulum-v1", &applied))
        fail_msg("%s", rlc_last_error());
    assert_true(applied > 0);
}

/* A small fast config for the mechanics tests. */
static void small(const char *algo, void *cfg) {
    const rlc_config_table *t = rlc_algo_config_table(algo);
    rlc_config_defaults(t, cfg);
    const char *sets[] = {"hidden=16", "batch_size=16", "learning_starts=300", "buffer_size=5000",
                          "num_envs=2"};
    for (size_t i = 0; i < sizeof sets / sizeof sets[0]; i++)
        assert_int_equal(rlc_config_assign(t, cfg, sets[i]), RLC_OK);
}

static rlc_agent *train(const char *algo, const void *cfg, uint64_t seed, int64_t steps,
                        rlc_train_result *res) {
    rlc_agent *a = NULL;
    if (rlc_agent_create(&a, algo, "Pendulum-v1", NULL, cfg, seed))
        fail_msg("create %s: %s", algo, rlc_last_error());
    rlc_train_options o = {.total_steps = steps};
    if (rlc_agent_train(a, seed, &o, res)) fail_msg("train %s: %s", algo, rlc_last_error());
    return a;
}

static double mean_eval(rlc_agent *a, int episodes) {
    double ret[16];
    assert_true(episodes <= 16);
    assert_int_equal(rlc_agent_evaluate(a, episodes, 1000, 0, ret, NULL, 0, 0), RLC_OK);
    double m = 0;
    for (int i = 0; i < episodes; i++)
        m += ret[i];
    return m / episodes;
}

/* Whole file into memory (malloc); size in *n. */
static unsigned char *slurp(const char *path, size_t *n) {
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *b = malloc((size_t)len + 1);
    assert_int_equal(fread(b, 1, (size_t)len, f), (size_t)len);
    fclose(f);
    *n = (size_t)len;
    return b;
}

static void assert_same_file(const char *p1, const char *p2) {
    size_t n1, n2;
    unsigned char *a = slurp(p1, &n1), *b = slurp(p2, &n2);
    assert_int_equal(n1, n2);
    assert_memory_equal(a, b, n1);
    free(a);
    free(b);
}

static void test_config_and_refusal(void **st) {
    (void)st;
    assert_int_equal(rlc_config_table_check(rlc_sac_config_table()), RLC_OK);
    assert_int_equal(rlc_config_table_check(rlc_td3_config_table()), RLC_OK);
    assert_ptr_equal(rlc_algo_config_table("sac"), rlc_sac_config_table());
    assert_ptr_equal(rlc_algo_config_table("td3"), rlc_td3_config_table());
    rlc_agent *a = NULL;
    assert_int_equal(rlc_agent_create(&a, "sac", "CartPole-v1", NULL, NULL, 0),
                     RLC_ERR_UNSUPPORTED);
    assert_contains(rlc_last_error(), "sac needs a Box action space; CartPole-v1 has Discrete(2)");
    assert_int_equal(rlc_agent_create(&a, "td3", "CartPole-v1", NULL, NULL, 0),
                     RLC_ERR_UNSUPPORTED);
    assert_contains(rlc_last_error(), "td3 needs a Box action space; CartPole-v1 has Discrete(2)");
    assert_null(a);
    rlc_sac_config c;
    small("sac", &c);
    c.num_threads = 3;
    assert_int_equal(rlc_agent_create(&a, "sac", "Pendulum-v1", NULL, &c, 0), RLC_ERR_INVALID);
    assert_null(a);
}

/* The squashed Gaussian's log-density against the change of variables computed numerically:
 * log p(a) = log N(u; mean, std) - sum log |d tanh(u) / du|, the derivative by central
 * differences. */
static void test_tanh_log_prob(void **st) {
    (void)st;
    enum { B = 3, A = 2 };
    const double lo = -5, hi = 2;
    const float outv[B * 2 * A] = {0.3f,  -1.2f, 0.5f, -0.7f, 2.0f,  0.1f,
                                   -1.0f, 0.9f,  0.0f, 0.4f,  -3.0f, 1.5f};
    const float nz[B * A] = {0.5f, -1.5f, 2.0f, 0.1f, -0.3f, 1.1f};
    rlc_graph *g = rlc_graph_create(RLC_F64, 0);
    rlc_tensor *out = rlc_input(g, 2, (int[]){B, 2 * A});
    rlc_tensor *noise = rlc_input(g, 2, (int[]){B, A});
    rlc_tensor *act = NULL, *logp = NULL;
    assert_int_equal(rlc__sac_policy_head(g, out, noise, lo, hi, &act, &logp), RLC_OK);
    rlc_tensor_load_f32(out, outv, B * 2 * A);
    rlc_tensor_load_f32(noise, nz, B * A);
    assert_int_equal(rlc_graph_forward(g), RLC_OK);
    for (int i = 0; i < B; i++) {
        double want = 0, plain = 0;
        for (int j = 0; j < A; j++) {
            double mu = outv[i * 2 * A + j], raw = outv[i * 2 * A + A + j];
            double ls = lo + 0.5 * (hi - lo) * (tanh(raw) + 1), sd = exp(ls);
            double u = mu + sd * nz[i * A + j];
            assert_close(rlc_tensor_get(act, i * A + j), tanh(u), 1e-9);
            double z = (u - mu) / sd;
            double lgauss = -0.5 * z * z - ls - 0.5 * log(2 * M_PI);
            double h = 1e-5, dtanh = (tanh(u + h) - tanh(u - h)) / (2 * h);
            want += lgauss - log(dtanh);
            plain += lgauss;
        }
        assert_close(rlc_tensor_get(logp, i), want, 1e-6);
        assert_true(fabs(want - plain) > 0.05); /* the correction matters on this case */
    }
    rlc_graph_destroy(g);
}

/* clamp(mu + clamp(sigma noise, -c, c), -1, 1) element by element, and no gradient through the
 * clipped parts. */
static void test_target_smoothing(void **st) {
    (void)st;
    enum { N = 6 };
    const double sigma = 0.2, clip = 0.5;
    const float mu[N] = {0.1f, 0.9f, -0.95f, 0.0f, 0.5f, -0.2f};
    const float nz[N] = {1.0f, 1.0f, -1.0f, 4.0f, -3.0f, 0.0f};
    /* 0.1+0.2, 0.9+0.2 -> 1, -0.95-0.2 -> -1, 0+0.8 -> clip 0.5, 0.5-0.6 -> -0.5 clip: 0, -0.2 */
    const double want[N] = {0.3, 1.0, -1.0, 0.5, 0.0, -0.2};
    rlc_graph *g = rlc_graph_create(RLC_F64, 0);
    rlc_tensor *m = rlc_input_grad(g, 2, (int[]){1, N});
    rlc_tensor *n = rlc_input(g, 2, (int[]){1, N});
    rlc_tensor *a = rlc__td3_smoothed_action(g, m, n, sigma, clip);
    rlc_tensor *loss = rlc_sum_all(g, a);
    assert_int_equal(rlc_graph_status(g), RLC_OK);
    rlc_tensor_load_f32(m, mu, N);
    rlc_tensor_load_f32(n, nz, N);
    assert_int_equal(rlc_graph_forward(g), RLC_OK);
    for (int i = 0; i < N; i++)
        assert_close(rlc_tensor_get(a, i), want[i], 1e-6);
    assert_int_equal(rlc_graph_backward(g, loss), RLC_OK);
    const double dwant[N] = {1, 0, 0, 1, 1, 1}; /* saturated at +-1: no gradient */
    for (int i = 0; i < N; i++)
        assert_close(rlc_tensor_grad_get(m, i), dwant[i], 1e-12);
    rlc_graph_destroy(g);
}

static void solve(const char *algo, int64_t steps, uint64_t seed) {
    if (getenv("RLC_VALGRIND")) skip();
    anycfg cfg;
    tuned(algo, &cfg);
    rlc_train_result res;
    rlc_agent *a = train(algo, &cfg, seed, steps, &res);
    double m = mean_eval(a, 10);
    if (getenv("RLC_TEST_VERBOSE"))
        printf("%s Pendulum-v1: %lld steps in %.2f s, eval mean %.1f\n", algo, (long long)res.steps,
               res.seconds, m);
    if (m < -200) fail_msg("%s: eval mean return %.1f < -200", algo, m);
    rlc_agent_destroy(a);
}

static void test_sac_pendulum(void **st) {
    (void)st;
    solve("sac", 10000, 1);
}

static void test_td3_pendulum(void **st) {
    (void)st;
    solve("td3", 20000, 1);
}

/* Same seed twice: identical checkpoints (actor, critics, targets, optimizer states, alpha);
 * another seed differs. */
static void deterministic(const char *algo, const char *extra) {
    anycfg c;
    small(algo, &c);
    if (extra) assert_int_equal(rlc_config_assign(rlc_algo_config_table(algo), &c, extra), 0);
    char p[3][600];
    for (int k = 0; k < 3; k++) {
        rlc_train_result r;
        rlc_agent *a = train(algo, &c, k == 2 ? 8 : 7, 1200, &r);
        snprintf(p[k], sizeof p[k], "%s/%s_det%d.safetensors", rlc_test_tmpdir(), algo, k);
        assert_int_equal(rlc_agent_save(a, p[k]), RLC_OK);
        rlc_agent_destroy(a);
    }
    assert_same_file(p[0], p[1]);
    size_t n0, n2;
    unsigned char *a0 = slurp(p[0], &n0), *a2 = slurp(p[2], &n2);
    assert_true(n0 != n2 || memcmp(a0, a2, n0) != 0);
    free(a0);
    free(a2);
}

static void test_deterministic(void **st) {
    (void)st;
    deterministic("sac", NULL);
    deterministic("td3", NULL);
    deterministic("sac", "critic_layer_norm=true");
}

/* save -> load -> identical actions (batch 1 and num_envs), and saving the loaded agent gives
 * the same file (every tensor and optimizer state round-trips). */
static void save_load(const char *algo) {
    anycfg c;
    small(algo, &c);
    rlc_train_result r;
    rlc_agent *a = train(algo, &c, 3, 1000, &r);
    char p1[600], p2[600];
    snprintf(p1, sizeof p1, "%s/%s_a.safetensors", rlc_test_tmpdir(), algo);
    snprintf(p2, sizeof p2, "%s/%s_b.safetensors", rlc_test_tmpdir(), algo);
    assert_int_equal(rlc_agent_save(a, p1), RLC_OK);
    rlc_agent *b = NULL;
    if (rlc_agent_load(&b, p1, 3)) fail_msg("load: %s", rlc_last_error());
    assert_string_equal(rlc_agent_algo(b), algo);
    assert_int_equal(rlc_agent_save(b, p2), RLC_OK);
    assert_same_file(p1, p2);
    rlc_rng r0;
    rlc_rng_seed(&r0, 99);
    for (int rep = 0; rep < 20; rep++) {
        float obs[6], xa[2], xb[2];
        for (int i = 0; i < 6; i++)
            obs[i] = rlc_rng_uniformf(&r0, -1.5f, 1.5f);
        assert_int_equal(rlc_agent_act(a, obs, 2, xa, 1), RLC_OK);
        assert_int_equal(rlc_agent_act(b, obs, 2, xb, 1), RLC_OK);
        assert_memory_equal(xa, xb, sizeof xa);
        assert_int_equal(rlc_agent_act(a, obs, 1, xa, 1), RLC_OK);
        assert_int_equal(rlc_agent_act(b, obs, 1, xb, 1), RLC_OK);
        assert_true(xa[0] == xb[0]);
        assert_true(xa[0] >= -2.0f && xa[0] <= 2.0f);
        /* stochastic actions stay in bounds */
        assert_int_equal(rlc_agent_act(a, obs, 2, xa, 0), RLC_OK);
        assert_true(fabsf(xa[0]) <= 2.0f && fabsf(xa[1]) <= 2.0f);
    }
    rlc_st_file *f = NULL;
    assert_int_equal(rlc_st_load(p1, &f), RLC_OK);
    assert_non_null(rlc_st_get(f, "actor.0.weight"));
    assert_non_null(rlc_st_get(f, "actor.0.weight.exp_avg"));
    assert_non_null(rlc_st_get(f, "critic.q1.0.weight.exp_avg_sq"));
    assert_non_null(rlc_st_get(f, "critic.q2.0.weight"));
    assert_non_null(rlc_st_get(f, "target.q2.0.weight"));
    if (!strcmp(algo, "sac"))
        assert_non_null(rlc_st_get(f, "alpha.log_alpha"));
    else
        assert_non_null(rlc_st_get(f, "target.actor.0.weight"));
    rlc_st_file_destroy(f);
    rlc_agent_destroy(a);
    rlc_agent_destroy(b);
}

static void test_save_load(void **st) {
    (void)st;
    save_load("sac");
    save_load("td3");
}

/* DDPG as TD3 settings (one critic, no smoothing, no delay), UTD 2 and LayerNorm critics. */
static void test_ddpg_utd_layernorm(void **st) {
    (void)st;
    rlc_td3_config c;
    small("td3", &c);
    c.policy_delay = 1;
    c.policy_noise = 0;
    c.n_critics = 1;
    c.utd = 2;
    c.critic_layer_norm = 1;
    rlc_train_result r;
    rlc_agent *a = train("td3", &c, 4, 1000, &r);
    assert_int_equal(r.steps, 1000);
    char p[600];
    snprintf(p, sizeof p, "%s/ddpg.safetensors", rlc_test_tmpdir());
    assert_int_equal(rlc_agent_save(a, p), RLC_OK);
    rlc_st_file *f = NULL;
    assert_int_equal(rlc_st_load(p, &f), RLC_OK);
    assert_null(rlc_st_get(f, "critic.q2.0.weight"));
    assert_non_null(rlc_st_get(f, "critic.q1.ln0.weight"));
    rlc_st_file_destroy(f);
    assert_true(isfinite(mean_eval(a, 1)));
    rlc_agent_destroy(a);
    rlc_sac_config s;
    small("sac", &s);
    s.utd = 0.5;
    s.autotune = 0;
    s.critic_layer_norm = 1;
    a = train("sac", &s, 4, 1000, &r);
    assert_true(isfinite(mean_eval(a, 1)));
    rlc_agent_destroy(a);
}

/* Nothing is allocated per step or per update: a run 3x longer makes no more allocations. */
static void test_no_alloc_in_loop(void **st) {
    (void)st;
    const char *algos[] = {"sac", "td3"};
    for (int al = 0; al < 2; al++) {
        anycfg c;
        small(algos[al], &c);
        long counts[2];
        for (int k = 0; k < 2; k++) {
            rlc_train_result r;
            rlc_alloc_fail_reset();
            rlc_agent *a = train(algos[al], &c, 2, k ? 1500 : 500, &r);
            counts[k] = rlc_alloc_count();
            rlc_agent_destroy(a);
        }
        assert_int_equal(counts[0], counts[1]);
    }
}

/* Every allocation of creation may fail: an error, *out untouched, no leak. */
static void test_alloc_failures(void **st) {
    (void)st;
    const char *algos[] = {"sac", "td3"};
    for (int al = 0; al < 2; al++) {
        anycfg c;
        small(algos[al], &c);
        rlc_agent *a = NULL;
        long long live0 = rlc_alloc_live();
        rlc_alloc_fail_reset();
        assert_int_equal(rlc_agent_create(&a, algos[al], "Pendulum-v1", NULL, &c, 1), RLC_OK);
        long n = rlc_alloc_count();
        rlc_agent_destroy(a);
        for (long k = 1; k <= n; k++) {
            a = NULL;
            rlc_alloc_fail_after(k);
            rlc_status s = rlc_agent_create(&a, algos[al], "Pendulum-v1", NULL, &c, 1);
            rlc_alloc_fail_reset();
            if (s == RLC_OK)
                fail_msg("%s: allocation %ld failed but creation succeeded", algos[al], k);
            assert_null(a);
            if (rlc_alloc_live() != live0)
                fail_msg("%s: allocation %ld failed: leak", algos[al], k);
        }
    }
}

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
    char args[1024];
    snprintf(args, sizeof args, "train --env CartPole-v1 --algo sac --out %s/x", tmp);
    expect(args, 2, "sac needs a Box action space; CartPole-v1 has Discrete(2)");
    snprintf(args, sizeof args, "train --env CartPole-v1 --algo td3 --out %s/x", tmp);
    expect(args, 2, "td3 needs a Box action space; CartPole-v1 has Discrete(2)");
    const char *algos[] = {"sac", "td3"};
    for (int al = 0; al < 2; al++) {
        snprintf(args, sizeof args,
                 "train --env Pendulum-v1 --algo %s --steps 600 --seed 2 --set learning_starts=200 "
                 "--set hidden=16 --quiet --out %s/cli_%s",
                 algos[al], tmp, algos[al]);
        expect(args, 0, NULL);
        char msg[64];
        snprintf(msg, sizeof msg, "%s Pendulum-v1: 2 deterministic episodes  mean", algos[al]);
        snprintf(args, sizeof args, "eval --checkpoint %s/cli_%s/final.safetensors --episodes 2",
                 tmp, algos[al]);
        expect(args, 0, msg);
    }
}

RLC_TESTS(algo_offpolicy, cmocka_unit_test(test_config_and_refusal),
          cmocka_unit_test(test_tanh_log_prob), cmocka_unit_test(test_target_smoothing),
          cmocka_unit_test(test_deterministic), cmocka_unit_test(test_save_load),
          cmocka_unit_test(test_ddpg_utd_layernorm), cmocka_unit_test(test_no_alloc_in_loop),
          cmocka_unit_test(test_alloc_failures), cmocka_unit_test(test_sac_pendulum),
          cmocka_unit_test(test_td3_pendulum), cmocka_unit_test(test_cli))
