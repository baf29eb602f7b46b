/* Gradient checks, values and error cases for the losses (mse, huber, cross_entropy) and the
 * distribution terms (Gaussian and categorical log-prob and entropy). */
#include "test.h"

#include <math.h>

#include "core/gradcheck.h"
#include "rlc/graph.h"

#define HALF_LOG_2PI 0.9189385332046727

static void set_all(rlc_tensor *t, const double *v) {
    for (int64_t i = 0; i < t->size; i++) rlc_tensor_set(t, i, v[i]);
}

/* Backward of sum(y) (y has at most 16 elements). */
static rlc_status backward_ones(rlc_graph *g, rlc_tensor *y) {
    double d[16];
    float f[16];
    assert_true(y->size <= 16);
    for (int i = 0; i < 16; i++) d[i] = f[i] = 1;
    return rlc_graph_backward_seed(g, y, rlc_graph_dtype(g) == RLC_F64 ? (void *)d : (void *)f);
}

/* ---- mse / huber ---- */

static rlc_tensor *build_mse(rlc_graph *g, rlc_tensor **in, void *ctx) {
    (void)ctx;
    return rlc_mse(g, in[0], in[1]);
}

static rlc_tensor *build_huber(rlc_graph *g, rlc_tensor **in, void *ctx) {
    return rlc_huber(g, in[0], in[1], *(double *)ctx);
}

static void test_mse(void **st) {
    (void)st;
    gc_input in[2] = {gc_in(-2, 2, 2, 4, 3, 0, 0), gc_in(-2, 2, 2, 4, 3, 0, 0)};
    gradcheck("mse [4,3]", build_mse, NULL, in, 2, 1e-6);
    in[0] = in[1] = gc_in(-2, 2, 1, 1, 0, 0, 0);
    gradcheck("mse [1]", build_mse, NULL, in, 2, 1e-6);
    for (int dt = 0; dt < 2; dt++) {
        rlc_graph *g = rlc_graph_create(dt ? RLC_F64 : RLC_F32, 0);
        rlc_tensor *p = rlc_input_grad(g, 1, (int[]){3}), *t = rlc_input(g, 1, (int[]){3});
        set_all(p, (double[]){1, 2, 3});
        set_all(t, (double[]){0, 0, 1});
        rlc_tensor *l = rlc_mse(g, p, t);
        assert_int_equal(l->ndim, 1);
        assert_int_equal(l->shape[0], 1);
        assert_close(rlc_tensor_get(l, 0), 9.0 / 3, 1e-6);
        assert_int_equal(rlc_graph_backward(g, l), RLC_OK);
        assert_close(rlc_tensor_grad_get(p, 0), 2.0 / 3, 1e-6);
        assert_close(rlc_tensor_grad_get(p, 2), 4.0 / 3, 1e-6);
        rlc_graph_destroy(g);
    }
}

static void test_huber(void **st) {
    (void)st;
    double deltas[] = {1.0, 0.5, 3.0};
    for (int k = 0; k < 3; k++) {
        gc_input in[2] = {gc_in(-2, 2, 2, 5, 4, 0, 0), gc_in(-2, 2, 2, 5, 4, 0, 0)};
        char name[32];
        snprintf(name, sizeof name, "huber delta %g", deltas[k]);
        gradcheck(name, build_huber, &deltas[k], in, 2, 1e-6);
    }
    rlc_graph *g = rlc_graph_create(RLC_F64, 0);
    rlc_tensor *p = rlc_input_grad(g, 1, (int[]){4}), *t = rlc_input_grad(g, 1, (int[]){4});
    set_all(p, (double[]){0.5, 3, -3, 1});
    set_all(t, (double[]){0, 0, 0, 0});
    rlc_tensor *l = rlc_huber(g, p, t, 1.0);
    /* 0.5 * 0.25, 1 * (3 - 0.5), same, 0.5 * 1 (edge: quadratic branch) */
    assert_close(rlc_tensor_get(l, 0), (0.125 + 2.5 + 2.5 + 0.5) / 4, 1e-15);
    assert_int_equal(rlc_graph_backward(g, l), RLC_OK);
    double want[] = {0.5 / 4, 1.0 / 4, -1.0 / 4, 1.0 / 4};
    for (int i = 0; i < 4; i++) {
        assert_close(rlc_tensor_grad_get(p, i), want[i], 1e-15);
        assert_close(rlc_tensor_grad_get(t, i), -want[i], 1e-15);
    }
    rlc_tensor *l2 = rlc_huber(g, p, t, 2.0); /* delta 2: 3 -> 2 * (3 - 1) = 4 */
    assert_close(rlc_tensor_get(l2, 0), (0.125 + 4 + 4 + 0.5) / 4, 1e-15);
    rlc_graph_destroy(g);
}

static void test_regression_errors(void **st) {
    (void)st;
    rlc_graph *g = rlc_graph_create(RLC_F32, 0);
    rlc_tensor *p = rlc_input(g, 1, (int[]){3}), *t = rlc_input(g, 2, (int[]){3, 1});
    assert_null(rlc_mse(g, p, t));
    assert_contains(rlc_graph_error(g), "mse: pred [3] and target [3, 1] differ in shape");
    rlc_graph_destroy(g);
    g = rlc_graph_create(RLC_F32, 0);
    p = rlc_input(g, 1, (int[]){3});
    t = rlc_input(g, 1, (int[]){4});
    assert_null(rlc_huber(g, p, t, 1.0));
    assert_contains(rlc_graph_error(g), "huber: pred [3] and target [4] differ in shape");
    rlc_graph_destroy(g);
    g = rlc_graph_create(RLC_F32, 0);
    p = rlc_input(g, 1, (int[]){3});
    assert_null(rlc_huber(g, p, p, 0.0));
    assert_contains(rlc_graph_error(g), "huber: delta = 0");
    rlc_graph_destroy(g);
}

/* ---- cross_entropy ---- */

static rlc_tensor *build_ce(rlc_graph *g, rlc_tensor **in, void *ctx) {
    (void)ctx;
    return rlc_cross_entropy(g, in[0], in[1]);
}

static void test_cross_entropy_grad(void **st) {
    (void)st;
    gc_input in[2];
    in[0] = gc_in(-3, 3, 2, 6, 5, 0, 0);
    in[1] = gc_in(0, 0, 1, 6, 0, 0, 0);
    in[1].integer = 5;
    gradcheck("cross_entropy [6,5] [6]", build_ce, NULL, in, 2, 1e-6);
    in[1] = gc_in(0, 0, 2, 6, 1, 0, 0);
    in[1].integer = 5;
    gradcheck("cross_entropy [6,5] [6,1]", build_ce, NULL, in, 2, 1e-6);
    in[0] = gc_in(-3, 3, 3, 2, 3, 4, 0);
    in[1] = gc_in(0, 0, 2, 2, 3, 0, 0);
    in[1].integer = 4;
    gradcheck("cross_entropy [2,3,4] [2,3]", build_ce, NULL, in, 2, 1e-6);
    /* labels in [0, 6) with C = 4: some rows ignored */
    in[1].integer = 6;
    gradcheck("cross_entropy ignored rows", build_ce, NULL, in, 2, 1e-6);
}

static void test_cross_entropy_values(void **st) {
    (void)st;
    for (int dt = 0; dt < 2; dt++) {
        double tol = dt ? 1e-12 : 1e-5;
        rlc_graph *g = rlc_graph_create(dt ? RLC_F64 : RLC_F32, 0);
        rlc_tensor *x = rlc_input_grad(g, 2, (int[]){2, 3}), *lab = rlc_input(g, 1, (int[]){2});
        set_all(x, (double[]){0, 0, 0, 0, 0, 0}); /* uniform: log C */
        set_all(lab, (double[]){0, 2});
        rlc_tensor *l = rlc_cross_entropy(g, x, lab);
        assert_close(rlc_tensor_get(l, 0), log(3.0), tol);
        set_all(x, (double[]){1, 2, 3, 1000, 0, -1000}); /* large logits stay finite */
        set_all(lab, (double[]){2, 1});
        assert_int_equal(rlc_graph_forward(g), RLC_OK);
        double r0 = log(exp(1.0) + exp(2.0) + exp(3.0)) - 3;
        assert_close(rlc_tensor_get(l, 0), (r0 + 1000) / 2, dt ? 1e-12 : 1e-3);
        assert_int_equal(rlc_graph_backward(g, l), RLC_OK);
        double s = exp(1.0) + exp(2.0) + exp(3.0);
        assert_close(rlc_tensor_grad_get(x, 0), exp(1.0) / s / 2, tol);
        assert_close(rlc_tensor_grad_get(x, 2), (exp(3.0) / s - 1) / 2, tol);
        assert_close(rlc_tensor_grad_get(x, 3), 0.5, tol);
        assert_close(rlc_tensor_grad_get(x, 4), -0.5, tol);
        /* label -1 ignores the row: mean over the rest */
        set_all(lab, (double[]){2, -1});
        assert_int_equal(rlc_graph_forward(g), RLC_OK);
        assert_close(rlc_tensor_get(l, 0), r0, tol);
        assert_int_equal(rlc_graph_backward(g, l), RLC_OK);
        assert_close(rlc_tensor_grad_get(x, 2), exp(3.0) / s - 1, tol);
        assert_close(rlc_tensor_grad_get(x, 3), 0, 0);
        set_all(lab, (double[]){NAN, 3});
        assert_int_equal(rlc_graph_forward(g), RLC_OK);
        assert_close(rlc_tensor_get(l, 0), 0, 0);
        rlc_graph_destroy(g);
    }
    rlc_graph *g = rlc_graph_create(RLC_F32, 0);
    rlc_tensor *x = rlc_input(g, 2, (int[]){2, 3}), *lab = rlc_input(g, 1, (int[]){3});
    assert_null(rlc_cross_entropy(g, x, lab));
    assert_contains(rlc_graph_error(g), "cross_entropy: logits [2, 3] and labels [3] do not fit");
    rlc_graph_destroy(g);
}

/* ---- Gaussian ---- */

static rlc_tensor *build_glp(rlc_graph *g, rlc_tensor **in, void *ctx) {
    (void)ctx;
    return rlc_gaussian_log_prob(g, in[0], in[1], in[2]);
}

static rlc_tensor *build_gent(rlc_graph *g, rlc_tensor **in, void *ctx) {
    (void)ctx;
    return rlc_gaussian_entropy(g, in[0]);
}

static void test_gaussian_grad(void **st) {
    (void)st;
    struct {
        int nd[3];
        int sh[3][4];
    } cases[] = {
        {{2, 2, 2}, {{3, 4}, {3, 4}, {3, 4}}},          /* all [B, D] */
        {{2, 2, 1}, {{3, 4}, {3, 4}, {4}}},             /* state-independent log_std (PPO) */
        {{2, 1, 1}, {{3, 4}, {4}, {4}}},                /* shared mean and log_std */
        {{1, 2, 2}, {{4}, {3, 4}, {3, 4}}},             /* one x under a batch of Gaussians */
        {{3, 3, 3}, {{2, 3, 2}, {2, 3, 2}, {1, 1, 2}}}, /* 3-D, log_std [1, 1, D] */
        {{1, 1, 1}, {{5}, {5}, {5}}},                   /* single row -> rank 0 */
    };
    for (int k = 0; k < 6; k++) {
        gc_input in[3];
        for (int j = 0; j < 3; j++) {
            int *s = cases[k].sh[j];
            in[j] = gc_in(-1, 1, cases[k].nd[j], s[0], s[1], s[2], s[3]);
        }
        char name[40];
        snprintf(name, sizeof name, "gaussian_log_prob case %d", k);
        gradcheck(name, build_glp, NULL, in, 3, 1e-6);
    }
    gc_input in[1] = {gc_in(-1, 1, 2, 3, 4, 0, 0)};
    gradcheck("gaussian_entropy [3,4]", build_gent, NULL, in, 1, 1e-6);
    in[0] = gc_in(-1, 1, 1, 4, 0, 0, 0);
    gradcheck("gaussian_entropy [4]", build_gent, NULL, in, 1, 1e-6);
}

static void test_gaussian_values(void **st) {
    (void)st;
    for (int dt = 0; dt < 2; dt++) {
        double tol = dt ? 1e-14 : 1e-6;
        rlc_graph *g = rlc_graph_create(dt ? RLC_F64 : RLC_F32, 0);
        rlc_tensor *x = rlc_input(g, 2, (int[]){2, 3}), *mu = rlc_input(g, 2, (int[]){2, 3});
        rlc_tensor *ls = rlc_input_grad(g, 1, (int[]){3});
        rlc_tensor *lp = rlc_gaussian_log_prob(g, x, mu, ls);
        assert_non_null(lp);
        assert_int_equal(lp->ndim, 1);
        assert_int_equal(lp->shape[0], 2);
        /* N(0, 1) at 0: -0.5 log(2 pi) per dim */
        assert_close(rlc_tensor_get(lp, 0), -3 * HALF_LOG_2PI, tol);
        assert_close(rlc_tensor_get(lp, 1), -3 * HALF_LOG_2PI, tol);
        /* x = 1, mean = 0, std = 2 in every dim: -0.5/4 - log 2 - 0.5 log(2 pi) per dim */
        set_all(x, (double[]){1, 1, 1, 3, 3, 3});
        set_all(mu, (double[]){0, 0, 0, 2, 2, 2});
        set_all(ls, (double[]){log(2.0), log(2.0), log(2.0)});
        assert_int_equal(rlc_graph_forward(g), RLC_OK);
        double per = -0.125 - log(2.0) - HALF_LOG_2PI;
        assert_close(rlc_tensor_get(lp, 0), 3 * per, tol);
        assert_close(rlc_tensor_get(lp, 1), 3 * per, tol);
        /* the [D] log_std gradient sums the rows: d/dls = z^2 - 1 = -0.75 per row */
        assert_int_equal(backward_ones(g, lp), RLC_OK);
        for (int j = 0; j < 3; j++) assert_close(rlc_tensor_grad_get(ls, j), -1.5, tol);
        rlc_tensor *ent = rlc_gaussian_entropy(g, ls);
        assert_int_equal(ent->ndim, 0);
        assert_close(rlc_tensor_get(ent, 0), 3 * (log(2.0) + 0.5 + HALF_LOG_2PI), tol);
        rlc_graph_destroy(g);
    }
    rlc_graph *g = rlc_graph_create(RLC_F64, 0);
    rlc_tensor *ls = rlc_input(g, 2, (int[]){1, 2});
    rlc_tensor *ent = rlc_gaussian_entropy(g, ls);
    assert_int_equal(ent->ndim, 1);
    assert_close(rlc_tensor_get(ent, 0), 2 * 1.4189385332046727, 1e-15);
    rlc_tensor *x = rlc_input(g, 2, (int[]){3, 4}), *mu = rlc_input(g, 2, (int[]){3, 4});
    rlc_tensor *bad = rlc_input(g, 1, (int[]){3});
    assert_null(rlc_gaussian_log_prob(g, x, mu, bad));
    assert_contains(rlc_graph_error(g),
                    "gaussian_log_prob: x [3, 4], mean [3, 4] and log_std [3] do not broadcast");
    rlc_graph_destroy(g);
}

/* ---- categorical ---- */

static rlc_tensor *build_clp(rlc_graph *g, rlc_tensor **in, void *ctx) {
    (void)ctx;
    return rlc_categorical_log_prob(g, in[0], in[1]);
}

static rlc_tensor *build_cent(rlc_graph *g, rlc_tensor **in, void *ctx) {
    (void)ctx;
    return rlc_categorical_entropy(g, in[0]);
}

static void test_categorical_grad(void **st) {
    (void)st;
    gc_input in[2];
    in[0] = gc_in(-3, 3, 2, 5, 4, 0, 0);
    in[1] = gc_in(0, 0, 1, 5, 0, 0, 0);
    in[1].integer = 4;
    gradcheck("categorical_log_prob [5,4] [5]", build_clp, NULL, in, 2, 1e-6);
    in[1] = gc_in(0, 0, 2, 5, 1, 0, 0);
    in[1].integer = 4;
    gradcheck("categorical_log_prob [5,4] [5,1]", build_clp, NULL, in, 2, 1e-6);
    in[0] = gc_in(-3, 3, 3, 2, 3, 6, 0);
    in[1] = gc_in(0, 0, 2, 2, 3, 0, 0);
    in[1].integer = 6;
    gradcheck("categorical_log_prob [2,3,6] [2,3]", build_clp, NULL, in, 2, 1e-6);
    in[0] = gc_in(-3, 3, 2, 5, 4, 0, 0);
    gradcheck("categorical_entropy [5,4]", build_cent, NULL, in, 1, 1e-6);
    in[0] = gc_in(-3, 3, 3, 2, 3, 6, 0);
    gradcheck("categorical_entropy [2,3,6]", build_cent, NULL, in, 1, 1e-6);
    in[0] = gc_in(-3, 3, 1, 7, 0, 0, 0);
    gradcheck("categorical_entropy [7]", build_cent, NULL, in, 1, 1e-6);
}

static void test_categorical_values(void **st) {
    (void)st;
    for (int dt = 0; dt < 2; dt++) {
        double tol = dt ? 1e-12 : 1e-5;
        rlc_graph *g = rlc_graph_create(dt ? RLC_F64 : RLC_F32, 0);
        rlc_tensor *x = rlc_input_grad(g, 2, (int[]){3, 4}), *idx = rlc_input(g, 1, (int[]){3});
        set_all(idx, (double[]){0, 3, 4}); /* 4 is out of range: 0, no gradient */
        rlc_tensor *lp = rlc_categorical_log_prob(g, x, idx);
        rlc_tensor *h = rlc_categorical_entropy(g, x);
        assert_int_equal(lp->ndim, 1);
        assert_int_equal(h->shape[0], 3);
        for (int r = 0; r < 3; r++) {
            assert_close(rlc_tensor_get(h, r), log(4.0), tol); /* uniform: log C */
            assert_close(rlc_tensor_get(lp, r), r < 2 ? -log(4.0) : 0, tol);
        }
        /* peaked and masked rows: finite entropy, no NaN */
        set_all(x, (double[]){100, 0, 0, 0, 0, 0, -INFINITY, -INFINITY, 1, 2, 3, 4});
        set_all(idx, (double[]){0, 1, 3});
        assert_int_equal(rlc_graph_forward(g), RLC_OK);
        assert_close(rlc_tensor_get(h, 0), 0, 1e-30); /* ~ 1e-41 */
        assert_close(rlc_tensor_get(h, 1), log(2.0), tol);
        double z = exp(1.0) + exp(2.0) + exp(3.0) + exp(4.0), h2 = 0;
        for (int j = 1; j <= 4; j++) h2 -= exp(j) / z * (j - log(z));
        assert_close(rlc_tensor_get(h, 2), h2, tol);
        assert_close(rlc_tensor_get(lp, 0), 0, 1e-30);
        assert_close(rlc_tensor_get(lp, 1), -log(2.0), tol);
        assert_close(rlc_tensor_get(lp, 2), 4 - log(z), tol);
        assert_int_equal(backward_ones(g, h), RLC_OK);
        for (int i = 0; i < 12; i++) assert_false(isnan(rlc_tensor_grad_get(x, i)));
        assert_close(rlc_tensor_grad_get(x, 6), 0, 0); /* masked logits get nothing */
        rlc_graph_destroy(g);
    }
    rlc_graph *g = rlc_graph_create(RLC_F32, 0);
    rlc_tensor *x = rlc_input(g, 2, (int[]){3, 4}), *idx = rlc_input(g, 1, (int[]){4});
    assert_null(rlc_categorical_log_prob(g, x, idx));
    assert_contains(rlc_graph_error(g), "categorical_log_prob: logits [3, 4] and index [4]");
    rlc_graph_destroy(g);
}

RLC_TESTS(core_op_loss, cmocka_unit_test(test_mse), cmocka_unit_test(test_huber),
          cmocka_unit_test(test_regression_errors), cmocka_unit_test(test_cross_entropy_grad),
          cmocka_unit_test(test_cross_entropy_values), cmocka_unit_test(test_gaussian_grad),
          cmocka_unit_test(test_gaussian_values), cmocka_unit_test(test_categorical_grad),
          cmocka_unit_test(test_categorical_values))
