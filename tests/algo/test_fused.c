/* The fused small-network path: rlc__tmlp (src/nn/tiny_mlp.c) against the graph's MLP forward and
 * backward, and SAC / TD3 with fused=1 against their graph versions (same batches and noise: the
 * same training run up to rounding), determinism, the refusal of networks it cannot run, and
 * SAC learning Pendulum-v1. */
#include "test.h"

#include <math.h>

#include "core/gemm.h"
#include "nn/nn_impl.h"
#include "rlc/agent.h"
#include "rlc/graph.h"
#include "rlc/nn.h"
#include "rlc/sac.h"
#include "rlc/td3.h"
#include "rlc/safetensors.h"

/* Fused forward and backward of a random MLP against rlc_mlp_forward on a graph: outputs with
 * the same bits where the graph's products run on the SIMD kernel (the same FMA chains; hidden
 * layers of width >= 16 are checked that way through a final layer of >= 16), weight, bias and
 * input gradients within float rounding. Several shapes: padded and unpadded widths, batch not a
 * multiple of 4, relu and tanh. */
static void check_mlp(const int *sizes, int ns, rlc_act act, rlc_act oact, int B, uint64_t seed) {
    rlc_params *p = rlc_params_create(RLC_F32);
    rlc_rng r;
    rlc_rng_seed(&r, seed);
    rlc_mlp_spec spec = {.sizes = sizes, .nsizes = ns, .act = act, .out_act = oact};
    rlc_mlp *m = rlc_mlp_create(p, "m", &spec, &r);
    assert_non_null(m);
    float *pd = rlc_params_data(p);
    for (int64_t i = 0; i < rlc_params_count(p); i++) /* non-zero biases too */
        pd[i] = rlc_rng_uniformf(&r, -0.6f, 0.6f);
    const int in = sizes[0], out = sizes[ns - 1];

    rlc_graph *g = rlc_graph_create(RLC_F32, 0);
    float *xbuf = calloc((size_t)B * in, sizeof(float)),
          *xgrad = calloc((size_t)B * in, sizeof(float));
    rlc_tensor *x = rlc_param(g, xbuf, xgrad, 2, (int[]){B, in});
    rlc_tensor *y = rlc_mlp_forward(g, m, x);
    rlc_tensor *w = rlc_input(g, 2, (int[]){B, out});
    rlc_tensor *loss = rlc_sum_all(g, rlc_mul(g, y, w));
    assert_int_equal(rlc_graph_status(g), RLC_OK);
    float *xd = x->data, *wd = w->data;
    for (int i = 0; i < B * in; i++)
        xd[i] = rlc_rng_uniformf(&r, -2, 2);
    for (int i = 0; i < B * out; i++)
        wd[i] = rlc_rng_uniformf(&r, -1, 1);
    assert_int_equal(rlc_graph_forward(g), RLC_OK);
    rlc_params_zero_grad(p);
    memset(x->grad, 0, sizeof(float) * (size_t)B * in);
    assert_int_equal(rlc_graph_backward(g, loss), RLC_OK);

    rlc__tmlp t;
    assert_int_equal(rlc__tmlp_init(&t, m, B + 3), RLC_OK);
    rlc__tmlp_load(&t, pd);
    for (int b = 0; b < B; b++)
        memcpy(t.y[0] + (size_t)b * t.np[0], xd + (size_t)b * in, sizeof(float) * in);
    const float *yo = rlc__tmlp_forward(&t, B);
    const int os = t.np[t.nl], is = t.np[0];
    const float *yg = y->data;
    /* exact where the graph's products run on rlc's SIMD kernel (outputs >= 16 wide, batch >= 2,
     * with AVX2: gemm.c's use_simd) */
    const int exact = rlc__sgemm_simd_level() >= 1 && out >= 16 && B >= 2;
    for (int b = 0; b < B; b++)
        for (int j = 0; j < out; j++) {
            const float a = yo[(size_t)b * os + j], e = yg[(size_t)b * out + j];
            if (exact ? memcmp(&a, &e, sizeof a) != 0 : fabsf(a - e) > 1e-5f * (1 + fabsf(e)))
                fail_msg("forward [%d][%d]: fused %a, graph %a", b, j, (double)a, (double)e);
        }
    float *dout = calloc((size_t)B * os, sizeof(float));
    for (int b = 0; b < B; b++)
        memcpy(dout + (size_t)b * os, wd + (size_t)b * out, sizeof(float) * out);
    const int64_t np = rlc_params_count(p);
    float *grad = calloc((size_t)np, sizeof(float));
    const float *dx = rlc__tmlp_backward(&t, B, dout, grad, 1);
    const float *gg = rlc_params_grad(p);
    for (int64_t i = 0; i < np; i++)
        if (fabsf(grad[i] - gg[i]) > 1e-5f * (1 + fabsf(gg[i])))
            fail_msg("gradient %lld: fused %g, graph %g", (long long)i, grad[i], gg[i]);
    for (int b = 0; b < B; b++)
        for (int k = 0; k < in; k++) {
            const float a = dx[(size_t)b * is + k], e = ((float *)x->grad)[(size_t)b * in + k];
            if (fabsf(a - e) > 1e-5f * (1 + fabsf(e)))
                fail_msg("input gradient [%d][%d]: fused %g, graph %g", b, k, a, e);
        }
    /* without the input gradient: NULL, and the weight gradients are the same */
    memset(grad, 0, sizeof(float) * (size_t)np);
    assert_null(rlc__tmlp_backward(&t, B, dout, grad, 0));
    for (int64_t i = 0; i < np; i++)
        assert_true(fabsf(grad[i] - gg[i]) <= 1e-5f * (1 + fabsf(gg[i])));
    free(dout);
    free(grad);
    free(xbuf);
    free(xgrad);
    rlc__tmlp_free(&t);
    rlc_graph_destroy(g);
    rlc_mlp_destroy(m);
    rlc_params_destroy(p);
}

static void test_tmlp_matches_graph(void **st) {
    (void)st;
    check_mlp((int[]){22, 16, 16, 16, 16, 8}, 6, RLC_ACT_TANH, RLC_ACT_NONE, 32, 1);
    check_mlp((int[]){26, 16, 16, 16, 16, 1}, 6, RLC_ACT_TANH, RLC_ACT_NONE, 32, 2);
    check_mlp((int[]){5, 24, 40, 3}, 4, RLC_ACT_RELU, RLC_ACT_NONE, 7, 3);
    check_mlp((int[]){3, 64, 64, 2}, 4, RLC_ACT_RELU, RLC_ACT_NONE, 1, 4);
    check_mlp((int[]){9, 8, 1}, 3, RLC_ACT_TANH, RLC_ACT_NONE, 13, 5);
    check_mlp((int[]){22, 16, 16, 16, 32}, 5, RLC_ACT_TANH, RLC_ACT_NONE, 32,
              6); /* bit-exact on AVX2 */
    check_mlp((int[]){17, 32, 16}, 3, RLC_ACT_RELU, RLC_ACT_NONE, 30, 7);
    /* output activations (TD3's tanh actor; relu) */
    check_mlp((int[]){18, 16, 16, 4}, 4, RLC_ACT_RELU, RLC_ACT_TANH, 32, 8);
    check_mlp((int[]){18, 16, 16, 16}, 4, RLC_ACT_TANH, RLC_ACT_TANH, 32, 9);
    check_mlp((int[]){6, 16, 16}, 3, RLC_ACT_TANH, RLC_ACT_RELU, 5, 10);
}

/* The same on the portable kernels (no AVX2): same tolerances, and the SIMD and scalar paths of
 * the fused MLP give the same bits. */
static void test_tmlp_scalar(void **st) {
    (void)st;
    rlc_params *p = rlc_params_create(RLC_F32);
    rlc_rng r;
    rlc_rng_seed(&r, 9);
    rlc_mlp_spec spec = {.sizes = (int[]){11, 16, 24, 5}, .nsizes = 4, .act = RLC_ACT_TANH};
    rlc_mlp *m = rlc_mlp_create(p, "m", &spec, &r);
    enum { B = 10 };
    rlc__tmlp t[2];
    float *out[2], *gr[2], *dx[2];
    const int64_t np = rlc_params_count(p);
    for (int k = 0; k < 2; k++) {
        rlc__sgemm_set_simd(k ? 0 : -1);
        assert_int_equal(rlc__tmlp_init(&t[k], m, B), RLC_OK);
        rlc__tmlp_load(&t[k], rlc_params_data(p));
        rlc_rng ri;
        rlc_rng_seed(&ri, 3);
        for (int b = 0; b < B; b++)
            for (int i = 0; i < 11; i++)
                t[k].y[0][(size_t)b * t[k].np[0] + i] = rlc_rng_uniformf(&ri, -3, 3);
        out[k] = (float *)rlc__tmlp_forward(&t[k], B);
        float dout[B * 8] = {0};
        for (int b = 0; b < B; b++)
            for (int j = 0; j < 5; j++)
                dout[b * 8 + j] = (float)(b - j) * 0.1f;
        gr[k] = calloc((size_t)np, sizeof(float));
        dx[k] = rlc__tmlp_backward(&t[k], B, dout, gr[k], 1);
    }
    rlc__sgemm_set_simd(-1);
    assert_memory_equal(out[0], out[1], sizeof(float) * B * 8);
    assert_memory_equal(gr[0], gr[1], sizeof(float) * (size_t)np);
    assert_memory_equal(dx[0], dx[1], sizeof(float) * B * t[0].np[0]);
    for (int k = 0; k < 2; k++) {
        free(gr[k]);
        rlc__tmlp_free(&t[k]);
    }
    rlc_mlp_destroy(m);
    rlc_params_destroy(p);
}

/* Storage for either config struct. */
typedef union anycfg {
    rlc_sac_config sac;
    rlc_td3_config td3;
} anycfg;

static void config(const char *algo, anycfg *c, int fused, const char *extra) {
    const rlc_config_table *t = rlc_algo_config_table(algo);
    rlc_config_defaults(t, c);
    const char *sets[] = {
        "hidden=16",           "layers=3",         "activation=tanh", "batch_size=32",
        "learning_starts=300", "buffer_size=5000", "num_envs=2"};
    for (size_t i = 0; i < sizeof sets / sizeof sets[0]; i++)
        assert_int_equal(rlc_config_assign(t, c, sets[i]), RLC_OK);
    assert_int_equal(rlc_config_assign(t, c, fused ? "fused=1" : "fused=0"), RLC_OK);
    if (extra) {
        char buf[256];
        snprintf(buf, sizeof buf, "%s", extra);
        for (char *tok = strtok(buf, " "); tok; tok = strtok(NULL, " "))
            assert_int_equal(rlc_config_assign(t, c, tok), RLC_OK);
    }
}

static rlc_agent *run(const char *algo, const char *env, const char *kwargs, const anycfg *c,
                      uint64_t seed, int64_t steps) {
    rlc_agent *a = NULL;
    if (rlc_agent_create(&a, algo, env, kwargs, c, seed)) fail_msg("create: %s", rlc_last_error());
    rlc_train_options o = {.total_steps = steps};
    rlc_train_result res;
    if (rlc_agent_train(a, seed, &o, &res)) fail_msg("train: %s", rlc_last_error());
    return a;
}

/* Largest |a - b| / (1e-3 + max |b|) over the float tensors two checkpoints share by name. */
static double max_rel_diff(const char *p1, const char *p2, int *count) {
    rlc_st_file *f1 = NULL, *f2 = NULL;
    assert_int_equal(rlc_st_load(p1, &f1), RLC_OK);
    assert_int_equal(rlc_st_load(p2, &f2), RLC_OK);
    double worst = 0;
    *count = 0;
    for (int i = 0; i < rlc_st_count(f1); i++) {
        const rlc_st_tensor *a = rlc_st_at(f1, i), *b = rlc_st_get(f2, a->name);
        assert_non_null(b);
        if (a->dtype != RLC_ST_F32) continue;
        assert_int_equal(a->numel, b->numel);
        const float *x = (const float *)a->data, *y = (const float *)b->data;
        double scale = 1e-3;
        for (int64_t k = 0; k < a->numel; k++)
            scale = fmax(scale, fabs(y[k]));
        for (int64_t k = 0; k < a->numel; k++) {
            const double d = fabs((double)x[k] - y[k]) / scale;
            if (!(d <= worst)) worst = d; /* nan propagates */
        }
        (*count)++;
    }
    rlc_st_file_destroy(f1);
    rlc_st_file_destroy(f2);
    return worst;
}

/* 300 random steps then 100 gradient steps: fused and graph runs end with the same actor,
 * critics, targets, optimizer moments (and SAC's alpha) up to rounding; the fused run is
 * bit-reproducible. */
static void fused_matches_graph(const char *algo, const char *env, const char *kwargs,
                                const char *extra) {
    char path[3][600];
    for (int k = 0; k < 3; k++) {
        anycfg c;
        config(algo, &c, k > 0, extra);
        rlc_agent *a = run(algo, env, kwargs, &c, 11, 500);
        snprintf(path[k], sizeof path[k], "%s/%s_fused%d.safetensors", rlc_test_tmpdir(), algo, k);
        assert_int_equal(rlc_agent_save(a, path[k]), RLC_OK);
        rlc_agent_destroy(a);
    }
    int n = 0;
    const double d = max_rel_diff(path[1], path[0], &n);
    print_message("fused vs graph %s on %s (%s) after 100 updates: max relative difference %.3g "
                  "over %d tensors\n",
                  algo, env, extra ? extra : "", d, n);
    assert_true(n >= 20);
    if (!(d < 1e-3)) fail_msg("fused and graph %s differ by %g (relative)", algo, d);
    assert_true(max_rel_diff(path[1], path[2], &n) == 0);
}

static void test_sac_fused_matches_graph(void **st) {
    (void)st;
    fused_matches_graph("sac", "Pendulum-v1", NULL, "policy_every=2");
    fused_matches_graph("sac", "Pendulum-v1", NULL, "activation=relu layers=2 hidden=24");
}

static void test_td3_fused_matches_graph(void **st) {
    (void)st;
    fused_matches_graph("td3", "Pendulum-v1", NULL, NULL);
    fused_matches_graph("td3", "Pendulum-v1", NULL, "n_critics=1 activation=relu");
    /* the asymmetric critic on QuadHover's privileged state */
    fused_matches_graph("td3", "QuadHover-v0", NULL, "critic_state=1");
}

static void test_fused_refusal(void **st) {
    (void)st;
    const char *algos[] = {"sac", "td3"};
    for (int i = 0; i < 2; i++) {
        anycfg c;
        config(algos[i], &c, 1, "critic_layer_norm=true");
        rlc_agent *a = NULL;
        assert_int_equal(rlc_agent_create(&a, algos[i], "Pendulum-v1", NULL, &c, 0),
                         RLC_ERR_INVALID);
        assert_null(a);
        char want[64];
        snprintf(want, sizeof want, "%s: fused=1 needs plain networks", algos[i]);
        assert_contains(rlc_last_error(), want);
        assert_contains(rlc_last_error(), "no LayerNorm");
    }
}

/* Pendulum-v1 with the tuned SAC settings of data/defaults/sac.json and fused=1: learns as the
 * graph path does (the same threshold as test_sac_td3's). */
static void test_sac_fused_pendulum(void **st) {
    (void)st;
    if (getenv("RLC_VALGRIND")) skip();
    const rlc_config_table *t = rlc_sac_config_table();
    rlc_sac_config c;
    rlc_config_defaults(t, &c);
    char path[4096];
    if (rlc_data_find("defaults/sac.json", path, sizeof path)) fail_msg("%s", rlc_last_error());
    int applied = 0;
    assert_int_equal(rlc_config_apply_env_defaults(t, &c, path, "Pendulum-v1", &applied), RLC_OK);
    c.fused = 1;
    rlc_agent *a = run("sac", "Pendulum-v1", NULL, (const anycfg *)(const void *)&c, 1, 10000);
    double ret[10];
    assert_int_equal(rlc_agent_evaluate(a, 10, 1000, 0, ret, NULL, 0, 0), RLC_OK);
    double m = 0;
    for (int i = 0; i < 10; i++)
        m += ret[i] / 10;
    print_message("fused SAC Pendulum-v1, 10000 steps: eval mean %.1f\n", m);
    if (m < -200) fail_msg("fused sac: eval mean return %.1f < -200", m);
    rlc_agent_destroy(a);
}

RLC_TESTS(algo_fused, cmocka_unit_test(test_tmlp_matches_graph), cmocka_unit_test(test_tmlp_scalar),
          cmocka_unit_test(test_sac_fused_matches_graph),
          cmocka_unit_test(test_td3_fused_matches_graph), cmocka_unit_test(test_fused_refusal),
          cmocka_unit_test(test_sac_fused_pendulum))
