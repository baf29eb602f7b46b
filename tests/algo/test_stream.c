/* Tests of ObGD (src/nn/obgd.c) and the stream-x agents (src/algo/stream_*.c): the step-size
 * bound on constructed examples, the fused network passes against the autodiff graph, learning
 * CartPole-v1 with stream AC(lambda), stream Q(lambda) and stream TD(lambda) predictions, and
 * determinism. */
#include "test.h"

#include <math.h>

#include "algo/stream_impl.h"
#include "rlc/rlc.h"

/* One params entry of n floats with an ObGD on it. */
static rlc_params *vec_params(int n, const rlc_obgd_config *c, rlc_obgd **o) {
    rlc_params *p = rlc_params_create(RLC_F32);
    assert_non_null(p);
    assert_int_equal(rlc_params_add(p, "w", 1, &n, NULL), RLC_OK);
    *o = rlc_obgd_create(p, c);
    assert_non_null(*o);
    return p;
}

static void test_obgd_numbers(void **state) {
    (void)state;
    rlc_obgd_config c = rlc_obgd_defaults();
    c.gamma = 1.0;
    c.lambda = 0.5;
    c.zero_grad = 1;
    rlc_obgd *o;
    rlc_params *p = vec_params(3, &c, &o);
    float *w = rlc_params_data(p), *g = rlc_params_grad(p), *z = rlc_params_state(p, 0);
    const float w0[3] = {0.1f, -0.2f, 0.3f}, g0[3] = {0.5f, -1.0f, 2.0f};
    memcpy(w, w0, sizeof w0);
    memcpy(g, g0, sizeof g0);
    /* z = g, ||z||_1 = 3.5, delta 3 -> dbar 3, M = 1 * 2 * 3 * 3.5 = 21, step = 1/21:
     * w += (3/21) z = z / 7 */
    double step = rlc_obgd_step(o, 3.0, 0);
    assert_close(step, 1.0 / 21.0, 1e-15);
    for (int i = 0; i < 3; i++) {
        assert_close(z[i], g0[i], 0);
        assert_close(w[i], w0[i] + g0[i] / 7.0, 1e-6);
        assert_true(g[i] == 0); /* zero_grad */
    }
    /* z = 0.5 z + (0, 0, 0.1) = (0.25, -0.5, 1.1), ||z||_1 = 1.85; delta 0.5 -> dbar 1,
     * M = 3.7, step = 1/3.7; w += (0.5/3.7) z */
    float w1[3];
    memcpy(w1, w, sizeof w1);
    g[2] = 0.1f;
    step = rlc_obgd_step(o, 0.5, 1);
    assert_close(step, 1.0 / 3.7, 1e-7);
    const double z1[3] = {0.25, -0.5, 1.1};
    for (int i = 0; i < 3; i++) {
        assert_close(w[i], w1[i] + 0.5 / 3.7 * z1[i], 1e-6);
        assert_true(z[i] == 0); /* reset */
    }
    /* a small trace: M < 1, the full step lr */
    g[0] = 0.01f;
    step = rlc_obgd_step(o, -0.2, 0);
    assert_close(step, 1.0, 0);
    assert_close(rlc_obgd_step_size(0.5, 2.0, -4.0, 0.25), 0.5 / 1.0, 0); /* M = 1 exactly */
    assert_close(rlc_obgd_step_size(0.5, 2.0, -4.0, 1.0), 0.5 / 4.0, 0);
    rlc_obgd_destroy(o);
    rlc_params_destroy(p);
}

/* The bound on a linear predictor v = w.x with |x_i| <= 1 and lambda = 0: after one ObGD step
 * with kappa >= 1 the TD error toward a fixed target keeps its sign (no overshooting), while
 * the same step size without the bound overshoots. */
static void test_obgd_no_overshoot(void **state) {
    (void)state;
    enum { N = 16 };
    rlc_obgd_config c = rlc_obgd_defaults();
    c.lambda = 0;
    c.kappa = 1.0;
    rlc_obgd *o;
    rlc_params *p = vec_params(N, &c, &o);
    float *w = rlc_params_data(p), *g = rlc_params_grad(p);
    rlc_rng rng;
    rlc_rng_seed(&rng, 7);
    int overshoot_sgd = 0;
    for (int trial = 0; trial < 200; trial++) {
        float x[N];
        double v = 0, y = rlc_rng_uniform(&rng, -50, 50);
        for (int i = 0; i < N; i++) {
            x[i] = (float)rlc_rng_uniform(&rng, -1, 1);
            w[i] = (float)rlc_rng_uniform(&rng, -1, 1);
            v += (double)w[i] * x[i];
        }
        double delta = y - v, xx = 0;
        for (int i = 0; i < N; i++) {
            g[i] = x[i];
            xx += (double)x[i] * x[i];
        }
        /* the unbounded step lr = 1 would leave delta (1 - xx): overshoot when xx > 2 */
        if (xx > 2) overshoot_sgd++;
        rlc_obgd_step(o, delta, 1);
        double v2 = 0;
        for (int i = 0; i < N; i++)
            v2 += (double)w[i] * x[i];
        double d2 = y - v2;
        assert_true(d2 * delta >= -1e-9 * fabs(delta));
        assert_true(fabs(d2) <= fabs(delta) + 1e-6);
    }
    assert_true(overshoot_sgd > 100);
    rlc_obgd_destroy(o);
    rlc_params_destroy(p);
}

static void test_obgd_errors(void **state) {
    (void)state;
    rlc_params *p = rlc_params_create(RLC_F32);
    int n = 4;
    assert_int_equal(rlc_params_add(p, "w", 1, &n, NULL), RLC_OK);
    rlc_obgd_config c = rlc_obgd_defaults();
    c.kappa = 0;
    assert_null(rlc_obgd_create(p, &c));
    assert_contains(rlc_last_error(), "kappa");
    c = rlc_obgd_defaults();
    c.first_entry = 1;
    c.n_entries = 1;
    assert_null(rlc_obgd_create(p, &c));
    assert_contains(rlc_last_error(), "entry range");
    rlc_optim_config oc = rlc_optim_defaults(RLC_OPTIM_ADAM);
    rlc_optim *opt = rlc_optim_create(p, &oc);
    assert_non_null(opt);
    c = rlc_obgd_defaults();
    assert_null(rlc_obgd_create(p, &c));
    assert_contains(rlc_last_error(), "adam");
    rlc_optim_destroy(opt);
    rlc_params_destroy(p);
}

/* The fused forward and backward of the stream network equal the autodiff graph's
 * (rlc_mlp with LayerNorm without affine and leaky ReLU) on the same parameters. */
static void net_matches_graph(int layer_norm) {
    rlc_agent *a;
    const rlc_config_table *t = rlc_stream_ac_config_table();
    rlc_stream_ac_config c;
    rlc_config_defaults(t, &c);
    c.layer_norm = layer_norm;
    c.sparse_init = layer_norm; /* the naive baseline: neither */
    assert_int_equal(rlc_agent_create(&a, "stream-ac", "CartPole-v1", NULL, &c, 3), RLC_OK);
    rlc__stream *s = *(rlc__stream **)((char *)a + offsetof(struct rlc_agent, impl));
    rlc_params *p = s->p;
    /* perturb the biases so that every path carries gradient */
    float *data = rlc_params_data(p);
    for (int64_t i = 0; i < rlc_params_count(p); i++)
        if (data[i] == 0) data[i] = (float)(0.01 * sin((double)i));
    const float x[4] = {0.3f, -1.2f, 0.05f, 0.9f};
    for (int k = 0; k < 2; k++) {
        rlc_graph *g = rlc_graph_create(RLC_F32, 0);
        int shp[2] = {1, 4};
        rlc_tensor *in = rlc_input(g, 2, shp);
        rlc_tensor *out = rlc_mlp_forward(g, s->mlp[k], in);
        assert_int_equal(rlc_graph_status(g), RLC_OK);
        rlc_tensor_load_f32(in, x, 4);
        assert_int_equal(rlc_graph_forward(g), RLC_OK);
        rlc__snet_forward(&s->net[k], &s->cur[k], x);
        int nout = s->net[k].size[s->net[k].nl];
        float dout[4] = {0.7f, -0.4f, 0, 0};
        for (int i = 0; i < nout; i++)
            assert_close(s->cur[k].out[i], rlc_tensor_get(out, i), 1e-5);
        rlc_params_zero_grad(p);
        assert_int_equal(rlc_graph_backward_seed(g, out, dout), RLC_OK);
        rlc__snet_zero_trace(&s->net[0]);
        rlc__snet_zero_trace(&s->net[1]);
        double l1 = rlc__snet_backward(&s->net[k], &s->cur[k], dout, 0.0f);
        const float *grad = rlc_params_grad(p), *z = rlc_params_state(p, 0);
        double l1g = 0;
        for (int64_t i = 0; i < rlc_params_count(p); i++) {
            assert_close(z[i], grad[i], 1e-5 + 1e-4 * fabs(grad[i]));
            l1g += fabs(grad[i]);
        }
        assert_close(l1, l1g, 1e-4 * l1g);
        assert_true(l1g > 0.1);
        rlc_graph_destroy(g);
    }
    /* update fused with the forward = update then forward */
    rlc__snet *n = &s->net[1];
    rlc__snet_update(n, &s->cur[1], 0.05f, x);
    float fused = s->cur[1].out[0];
    rlc__snet_forward(n, &s->nxt[1], x);
    assert_close(fused, s->nxt[1].out[0], 0);
    rlc_agent_destroy(a);
}

static void test_stream_net_matches_graph(void **state) {
    (void)state;
    net_matches_graph(1);
    net_matches_graph(0);
}

/* Trains for a few hundred steps with the register kernels and with the generic loops only,
 * from the same seed: the parameters and traces must be the same bits. The widths cover the
 * small-input kernels (2, 3, 4, 6 inputs), the AVX-512 ones (16, 32, 64, 128) and generic
 * widths (17 inputs when MuJoCo is built, 48 hidden). */
static void kernels_run(const char *algo, const char *env, int hidden, int generic, float **out,
                        int64_t *n) {
    const rlc_config_table *t = !strcmp(algo, "stream-ac")  ? rlc_stream_ac_config_table()
                                : !strcmp(algo, "stream-q") ? rlc_stream_q_config_table()
                                                            : rlc_stream_td_config_table();
    union {
        rlc_stream_ac_config ac;
        rlc_stream_q_config q;
        rlc_stream_td_config td;
    } cfg;
    char h[16];
    snprintf(h, sizeof h, "%d", hidden);
    rlc_config_defaults(t, &cfg);
    assert_int_equal(rlc_config_set(t, &cfg, "hidden", h), RLC_OK);
    rlc_agent *a;
    assert_int_equal(rlc_agent_create(&a, algo, env, NULL, &cfg, 7), RLC_OK);
    rlc__snet_generic = generic;
    rlc_train_options o = {.total_steps = 700};
    rlc_status st = rlc_agent_train(a, 7, &o, NULL);
    rlc__snet_generic = 0;
    assert_int_equal(st, RLC_OK);
    rlc_params *p = rlc_agent_params(a);
    *n = rlc_params_count(p);
    *out = malloc(2 * sizeof(float) * (size_t)*n);
    memcpy(*out, rlc_params_data(p), sizeof(float) * (size_t)*n);
    memcpy(*out + *n, rlc_params_state(p, 0), sizeof(float) * (size_t)*n);
    rlc_agent_destroy(a);
}

static void test_stream_kernels_bitwise(void **state) {
    (void)state;
    const struct {
        const char *algo, *env;
        int hidden;
    } c[] = {{"stream-ac", "CartPole-v1", 128}, {"stream-ac", "Pendulum-v1", 64},
             {"stream-q", "Acrobot-v1", 32},    {"stream-td", "MountainCar-v0", 16},
             {"stream-ac", "CartPole-v1", 48},  {"stream-ac", "HalfCheetah-v4", 32}};
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
#ifndef RLC_HAVE_MUJOCO
        if (strstr(c[i].env, "Cheetah")) continue;
#endif
        float *fast, *gen;
        int64_t n1, n2;
        kernels_run(c[i].algo, c[i].env, c[i].hidden, 0, &fast, &n1);
        kernels_run(c[i].algo, c[i].env, c[i].hidden, 1, &gen, &n2);
        assert_int_equal(n1, n2);
        int64_t diff = 0;
        for (int64_t k = 0; k < 2 * n1; k++)
            diff += memcmp(&fast[k], &gen[k], sizeof(float)) != 0;
        printf("  %s %s hidden %d: %lld params, %lld differ\n", c[i].algo, c[i].env, c[i].hidden,
               (long long)n1, (long long)diff);
        assert_int_equal(diff, 0);
        free(fast);
        free(gen);
    }
}

static double eval_mean(rlc_agent *a, int episodes) {
    double ret[10];
    assert_int_equal(rlc_agent_evaluate(a, episodes, 1000, 0, ret, NULL, 0, 0), RLC_OK);
    double m = 0;
    for (int i = 0; i < episodes; i++)
        m += ret[i];
    return m / episodes;
}

static void test_stream_ac_cartpole(void **state) {
    (void)state;
    rlc_agent *a;
    assert_int_equal(rlc_agent_create(&a, "stream-ac", "CartPole-v1", NULL, NULL, 1), RLC_OK);
    rlc_train_options o = {.total_steps = 60000};
    rlc_train_result r;
    assert_int_equal(rlc_agent_train(a, 1, &o, &r), RLC_OK);
    double m = eval_mean(a, 10);
    printf("  stream-ac CartPole-v1: %lld steps, train return %.1f, eval %.1f\n",
           (long long)r.steps, r.mean_return, m);
    assert_true(m > 400);
    rlc_agent_destroy(a);
}

static void test_stream_q_cartpole(void **state) {
    (void)state;
    rlc_agent *a;
    assert_int_equal(rlc_agent_create(&a, "stream-q", "CartPole-v1", NULL, NULL, 1), RLC_OK);
    rlc_train_options o = {.total_steps = 50000};
    assert_int_equal(rlc_agent_train(a, 1, &o, NULL), RLC_OK);
    double m = eval_mean(a, 10);
    printf("  stream-q CartPole-v1: eval %.1f\n", m);
    assert_true(m > 400);
    rlc_agent_destroy(a);
}

static void test_stream_determinism(void **state) {
    (void)state;
    const char *algos[3] = {"stream-ac", "stream-q", "stream-td"};
    for (int k = 0; k < 3; k++) {
        rlc_agent *a, *b;
        assert_int_equal(rlc_agent_create(&a, algos[k], "CartPole-v1", NULL, NULL, 5), RLC_OK);
        assert_int_equal(rlc_agent_create(&b, algos[k], "CartPole-v1", NULL, NULL, 5), RLC_OK);
        rlc_train_options o = {.total_steps = 3000};
        assert_int_equal(rlc_agent_train(a, 9, &o, NULL), RLC_OK);
        assert_int_equal(rlc_agent_train(b, 9, &o, NULL), RLC_OK);
        rlc_params *pa = rlc_agent_params(a), *pb = rlc_agent_params(b);
        size_t bytes = sizeof(float) * (size_t)rlc_params_count(pa);
        assert_memory_equal(rlc_params_data(pa), rlc_params_data(pb), bytes);
        assert_memory_equal(rlc_params_state(pa, 0), rlc_params_state(pb, 0), bytes);
        rlc_agent_destroy(a);
        rlc_agent_destroy(b);
    }
}

/* Save / load: parameters, traces and normalisers come back; the loaded agent acts the same. */
static void test_stream_save_load(void **state) {
    (void)state;
    rlc_agent *a, *b;
    assert_int_equal(rlc_agent_create(&a, "stream-ac", "Pendulum-v1", NULL, NULL, 2), RLC_OK);
    rlc_train_options o = {.total_steps = 2000};
    assert_int_equal(rlc_agent_train(a, 4, &o, NULL), RLC_OK);
    char path[512];
    snprintf(path, sizeof path, "%s/stream_ac.safetensors", rlc_test_tmpdir());
    assert_int_equal(rlc_agent_save(a, path), RLC_OK);
    assert_int_equal(rlc_agent_load(&b, path, 7), RLC_OK);
    assert_string_equal(rlc_agent_algo(b), "stream-ac");
    const float obs[3] = {0.3f, -0.9f, 1.5f};
    float act_a[1], act_b[1];
    assert_int_equal(rlc_agent_act(a, obs, 1, act_a, 1), RLC_OK);
    assert_int_equal(rlc_agent_act(b, obs, 1, act_b, 1), RLC_OK);
    assert_true(act_a[0] == act_b[0]);
    double va, vb;
    assert_int_equal(rlc_stream_value(a, obs, &va), RLC_OK);
    assert_int_equal(rlc_stream_value(b, obs, &vb), RLC_OK);
    assert_true(va == vb);
    size_t bytes = sizeof(float) * (size_t)rlc_params_count(rlc_agent_params(a));
    assert_memory_equal(rlc_params_state(rlc_agent_params(a), 0),
                        rlc_params_state(rlc_agent_params(b), 0), bytes);
    /* other agents are refused by the stream helpers; bad spaces are named */
    rlc_agent *d;
    assert_int_equal(rlc_agent_create(&d, "ppo", "CartPole-v1", NULL, NULL, 1), RLC_OK);
    assert_int_equal(rlc_stream_value(d, obs, &va), RLC_ERR_INVALID);
    assert_contains(rlc_last_error(), "not a stream-x agent");
    rlc_agent_destroy(d);
    assert_int_equal(rlc_agent_create(&d, "stream-q", "Pendulum-v1", NULL, NULL, 1),
                     RLC_ERR_UNSUPPORTED);
    assert_contains(rlc_last_error(), "Discrete");
    rlc_agent_destroy(a);
    rlc_agent_destroy(b);
}

/* Stream TD(lambda) predicts the discounted return of the random policy on CartPole-v1: v(s0)
 * times the reward scale is close to a Monte Carlo estimate from reset states. (Without reward
 * scaling the prediction is biased upward: ObGD treats every |delta| > 1 like 1, so the large
 * negative errors at termination weigh as little as the small positive ones elsewhere.) */
static void test_stream_td_prediction(void **state) {
    (void)state;
    rlc_agent *a;
    assert_int_equal(rlc_agent_create(&a, "stream-td", "CartPole-v1", NULL, NULL, 3), RLC_OK);
    rlc_train_options o = {.total_steps = 100000};
    assert_int_equal(rlc_agent_train(a, 8, &o, NULL), RLC_OK);
    double scale = rlc_stream_reward_scale(a);
    assert_true(scale > 1);
    /* Monte Carlo: discounted returns of the random policy from reset states */
    rlc_env *e;
    assert_int_equal(rlc_env_make(&e, "CartPole-v1", NULL), RLC_OK);
    rlc_rng rng;
    rlc_rng_seed(&rng, 11);
    double mc = 0, pred = 0;
    const int N = 300;
    for (int i = 0; i < N; i++) {
        float obs[4];
        rlc_env_reset(e, 7000 + i, obs);
        double v;
        assert_int_equal(rlc_stream_value(a, obs, &v), RLC_OK);
        pred += v * scale;
        double g = 0, disc = 1;
        rlc_step_result r = {0};
        while (!r.terminated && !r.truncated) {
            int64_t act = rlc_rng_integers(&rng, 0, 2);
            rlc_env_step(e, &act, obs, &r);
            g += disc * r.reward;
            disc *= 0.99;
        }
        mc += g;
    }
    mc /= N;
    pred /= N;
    printf("  stream-td: v(s0) %.2f vs Monte Carlo %.2f\n", pred, mc);
    assert_true(fabs(pred - mc) < 0.15 * mc);
    rlc_env_destroy(e);
    rlc_agent_destroy(a);
}

RLC_TESTS(stream, cmocka_unit_test(test_obgd_numbers), cmocka_unit_test(test_obgd_no_overshoot),
          cmocka_unit_test(test_obgd_errors), cmocka_unit_test(test_stream_net_matches_graph),
          cmocka_unit_test(test_stream_kernels_bitwise),
          cmocka_unit_test(test_stream_ac_cartpole), cmocka_unit_test(test_stream_q_cartpole),
          cmocka_unit_test(test_stream_determinism),
          cmocka_unit_test(test_stream_save_load), cmocka_unit_test(test_stream_td_prediction))
