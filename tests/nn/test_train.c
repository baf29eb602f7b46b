/* End-to-end training with fixed seeds: an MLP regresses sin(x) on [-pi, pi] to MSE < 1e-3 and
 * a classifier separates two spirals with 100% training accuracy; each run twice must give
 * bit-identical parameters. */
#include "test.h"

#include "rlc/nn.h"
#include "rlc/optim.h"

#include <math.h>

typedef struct train_result {
    double loss;
    int steps;
    double accuracy;
    float *params; /* malloc'd copy of the final parameters */
    int64_t count;
} train_result;

static train_result fit_sin(void) {
    enum { N = 256 };
    rlc_rng r;
    rlc_rng_seed(&r, 2024);
    rlc_params *p = rlc_params_create(RLC_F32);
    rlc_mlp_spec s = {.sizes = (int[]){1, 64, 64, 1}, .nsizes = 4, .act = RLC_ACT_TANH};
    rlc_mlp *m = rlc_mlp_create(p, "f", &s, &r);
    rlc_optim_config oc = rlc_optim_defaults(RLC_OPTIM_ADAM);
    oc.lr = 3e-3;
    oc.zero_grad = 1;
    rlc_optim *o = rlc_optim_create(p, &oc);
    rlc_graph *g = rlc_graph_create(RLC_F32, 0);
    rlc_tensor *x = rlc_input(g, 2, (int[]){N, 1});
    rlc_tensor *y = rlc_input(g, 2, (int[]){N, 1});
    rlc_tensor *loss = rlc_mse(g, rlc_mlp_forward(g, m, x), y);
    assert_int_equal(rlc_graph_status(g), RLC_OK);
    for (int i = 0; i < N; i++) {
        double v = -M_PI + 2 * M_PI * i / (N - 1);
        rlc_tensor_set(x, i, v);
        rlc_tensor_set(y, i, sin(v));
    }
    train_result res = {0};
    rlc_params_zero_grad(p);
    for (res.steps = 0; res.steps < 5000; res.steps++) {
        rlc_graph_forward(g);
        res.loss = rlc_tensor_get(loss, 0);
        if (res.loss < 5e-4) break;
        rlc_graph_backward(g, loss);
        rlc_optim_step(o);
    }
    res.count = rlc_params_count(p);
    res.params = malloc(sizeof(float) * res.count);
    memcpy(res.params, rlc_params_data(p), sizeof(float) * res.count);
    rlc_graph_destroy(g);
    rlc_optim_destroy(o);
    rlc_mlp_destroy(m);
    rlc_params_destroy(p);
    return res;
}

static void test_fit_sin(void **st) {
    (void)st;
    double t0 = rlc_time_now();
    train_result a = fit_sin();
    double t1 = rlc_time_now();
    train_result b = fit_sin();
    if (!(a.loss < 1e-3)) fail_msg("sin fit: MSE %g after %d steps", a.loss, a.steps);
    assert_int_equal(a.steps, b.steps);
    assert_true(a.loss == b.loss);
    assert_memory_equal(a.params, b.params, sizeof(float) * a.count);
    if (getenv("RLC_TEST_VERBOSE"))
        printf("sin: MSE %.3g after %d Adam steps, %.2f s\n", a.loss, a.steps, t1 - t0);
    free(a.params);
    free(b.params);
}

/* Two interleaved spirals (two turns each), class 1 the point reflection of class 0. */
static train_result fit_spirals(void) {
    enum { PER = 100, N = 2 * PER };
    rlc_rng r;
    rlc_rng_seed(&r, 7);
    rlc_params *p = rlc_params_create(RLC_F32);
    rlc_mlp_spec s = {.sizes = (int[]){2, 64, 64, 2}, .nsizes = 4, .act = RLC_ACT_RELU};
    rlc_mlp *m = rlc_mlp_create(p, "clf", &s, &r);
    rlc_optim_config oc = rlc_optim_defaults(RLC_OPTIM_ADAM);
    oc.lr = 1e-2;
    rlc_optim *o = rlc_optim_create(p, &oc);
    rlc_graph *g = rlc_graph_create(RLC_F32, 0);
    rlc_tensor *x = rlc_input(g, 2, (int[]){N, 2});
    rlc_tensor *lab = rlc_input(g, 1, (int[]){N});
    rlc_tensor *logits = rlc_mlp_forward(g, m, x);
    rlc_tensor *loss = rlc_cross_entropy(g, logits, lab);
    assert_int_equal(rlc_graph_status(g), RLC_OK);
    for (int i = 0; i < PER; i++) {
        double t = 4 * M_PI * (i + 5) / (PER + 5), rad = t / (4 * M_PI);
        for (int c = 0; c < 2; c++) {
            int k = 2 * i + c;
            double sg = c ? -1 : 1;
            rlc_tensor_set(x, 2 * k, sg * rad * cos(t));
            rlc_tensor_set(x, 2 * k + 1, sg * rad * sin(t));
            rlc_tensor_set(lab, k, c);
        }
    }
    train_result res = {0};
    int64_t pred[N];
    for (res.steps = 0; res.steps < 4000; res.steps++) {
        rlc_graph_forward(g);
        rlc_categorical_argmax(logits, pred);
        int ok = 0;
        for (int k = 0; k < N; k++)
            ok += pred[k] == (int64_t)rlc_tensor_get(lab, k);
        res.accuracy = (double)ok / N;
        res.loss = rlc_tensor_get(loss, 0);
        if (ok == N) break;
        rlc_params_zero_grad(p);
        rlc_graph_backward(g, loss);
        rlc_optim_step(o);
    }
    res.count = rlc_params_count(p);
    res.params = malloc(sizeof(float) * res.count);
    memcpy(res.params, rlc_params_data(p), sizeof(float) * res.count);
    rlc_graph_destroy(g);
    rlc_optim_destroy(o);
    rlc_mlp_destroy(m);
    rlc_params_destroy(p);
    return res;
}

static void test_two_spirals(void **st) {
    (void)st;
    double t0 = rlc_time_now();
    train_result a = fit_spirals();
    double t1 = rlc_time_now();
    train_result b = fit_spirals();
    if (a.accuracy < 1.0)
        fail_msg("spirals: accuracy %g after %d steps (loss %g)", a.accuracy, a.steps, a.loss);
    assert_int_equal(a.steps, b.steps);
    assert_true(a.loss == b.loss);
    assert_memory_equal(a.params, b.params, sizeof(float) * a.count);
    if (getenv("RLC_TEST_VERBOSE"))
        printf("spirals: 100%% after %d Adam steps, %.2f s\n", a.steps, t1 - t0);
    free(a.params);
    free(b.params);
}

RLC_TESTS(nn_train, cmocka_unit_test(test_fit_sin), cmocka_unit_test(test_two_spirals))
