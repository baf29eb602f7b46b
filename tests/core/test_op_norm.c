/* Gradient checks, values and error cases for layer_norm, dropout, stop_gradient and where. */
#include "test.h"

#include <math.h>

#include "core/gradcheck.h"
#include "rlc/graph.h"

static void set_all(rlc_tensor *t, const double *v) {
    for (int64_t i = 0; i < t->size; i++) rlc_tensor_set(t, i, v[i]);
}

/* ---- layer_norm ---- */

typedef struct {
    int gamma, beta;
    double eps;
} ln_ctx;

static rlc_tensor *build_ln(rlc_graph *g, rlc_tensor **in, void *ctx) {
    ln_ctx *c = ctx;
    rlc_tensor *gm = c->gamma ? in[1] : NULL, *bt = c->beta ? in[1 + c->gamma] : NULL;
    return rlc_layer_norm(g, in[0], gm, bt, c->eps);
}

static void check_ln(const char *name, int gamma, int beta, int ndim, int d0, int d1, int d2) {
    gc_input in[3];
    int nin = 1, D = ndim == 1 ? d0 : ndim == 2 ? d1 : d2;
    in[0] = gc_in(-2, 2, ndim, d0, d1, d2, 0);
    if (gamma) in[nin++] = gc_in(0.5, 1.5, 1, D, 0, 0, 0);
    if (beta) in[nin++] = gc_in(-1, 1, 1, D, 0, 0, 0);
    ln_ctx c = {gamma, beta, 1e-5};
    gradcheck(name, build_ln, &c, in, nin, 1e-6);
}

static void test_layer_norm_grad(void **st) {
    (void)st;
    check_ln("layer_norm [3,5]", 0, 0, 2, 3, 5, 0);
    check_ln("layer_norm [2,3,4] affine", 1, 1, 3, 2, 3, 4);
    check_ln("layer_norm [4,6] gamma only", 1, 0, 2, 4, 6, 0);
    check_ln("layer_norm [4,6] beta only", 0, 1, 2, 4, 6, 0);
    check_ln("layer_norm [7] affine", 1, 1, 1, 7, 0, 0);
    check_ln("layer_norm [3,2] affine", 1, 1, 2, 3, 2, 0);
    check_ln("layer_norm [5,1] affine", 1, 1, 2, 5, 1, 0); /* D = 1: output is beta */
}

static void test_layer_norm_values(void **st) {
    (void)st;
    for (int dt = 0; dt < 2; dt++) {
        rlc_graph *g = rlc_graph_create(dt ? RLC_F64 : RLC_F32, 0);
        rlc_tensor *x = rlc_input(g, 2, (int[]){2, 4});
        rlc_tensor *gm = rlc_input(g, 1, (int[]){4}), *bt = rlc_input(g, 1, (int[]){4});
        set_all(x, (double[]){1, 2, 3, 4, 5, 5, 5, 5});
        set_all(gm, (double[]){1, 2, 3, 4});
        set_all(bt, (double[]){0.5, 0, 0, -1});
        double eps = 1e-5;
        rlc_tensor *y = rlc_layer_norm(g, x, NULL, NULL, eps);
        rlc_tensor *ya = rlc_layer_norm(g, x, gm, bt, eps);
        assert_int_equal(rlc_graph_status(g), RLC_OK);
        double rstd = 1 / sqrt(1.25 + eps), tol = dt ? 1e-12 : 1e-5;
        double h[] = {-1.5 * rstd, -0.5 * rstd, 0.5 * rstd, 1.5 * rstd};
        double gv[] = {1, 2, 3, 4}, bv[] = {0.5, 0, 0, -1};
        for (int j = 0; j < 4; j++) {
            assert_close(rlc_tensor_get(y, j), h[j], tol);
            assert_close(rlc_tensor_get(ya, j), h[j] * gv[j] + bv[j], tol);
            assert_close(rlc_tensor_get(y, 4 + j), 0, tol); /* constant row: 0, not NaN */
            assert_close(rlc_tensor_get(ya, 4 + j), bv[j], tol);
        }
        rlc_graph_destroy(g);
    }
}

static void test_layer_norm_errors(void **st) {
    (void)st;
    rlc_graph *g = rlc_graph_create(RLC_F32, 0);
    rlc_tensor *x = rlc_input(g, 2, (int[]){3, 4}), *gm = rlc_input(g, 1, (int[]){5});
    assert_null(rlc_layer_norm(g, x, gm, NULL, 1e-5));
    assert_contains(rlc_graph_error(g), "layer_norm: gamma [5] must be [4] for x [3, 4]");
    rlc_graph_destroy(g);
    g = rlc_graph_create(RLC_F32, 0);
    x = rlc_input(g, 2, (int[]){3, 4});
    assert_null(rlc_layer_norm(g, x, NULL, NULL, -1));
    assert_contains(rlc_graph_error(g), "layer_norm: eps = -1");
    rlc_graph_destroy(g);
}

/* ---- dropout ---- */

static rlc_tensor *build_dropout_eval(rlc_graph *g, rlc_tensor **in, void *ctx) {
    (void)ctx;
    rlc_graph_set_training(g, 0);
    return rlc_dropout(g, in[0], 0.5, 7);
}

static rlc_tensor *build_dropout_p0(rlc_graph *g, rlc_tensor **in, void *ctx) {
    (void)ctx;
    return rlc_dropout(g, in[0], 0.0, 7);
}

static void test_dropout_eval_identity(void **st) {
    (void)st;
    gc_input in[1] = {gc_in(-1, 1, 2, 3, 4, 0, 0)};
    gradcheck("dropout eval", build_dropout_eval, NULL, in, 1, 1e-6);
    gradcheck("dropout p=0 training", build_dropout_p0, NULL, in, 1, 1e-6);
    rlc_graph *g = rlc_graph_create(RLC_F32, 0);
    rlc_tensor *x = rlc_input(g, 1, (int[]){100});
    for (int i = 0; i < 100; i++) rlc_tensor_set(x, i, i + 1);
    rlc_tensor *y = rlc_dropout(g, x, 0.9, 1);
    rlc_graph_set_training(g, 0);
    assert_int_equal(rlc_graph_forward(g), RLC_OK);
    for (int i = 0; i < 100; i++) assert_close(rlc_tensor_get(y, i), i + 1, 0);
    rlc_graph_destroy(g);
}

static void test_dropout_training(void **st) {
    (void)st;
    const int N = 10000;
    const double p = 0.3;
    rlc_graph *g1 = rlc_graph_create(RLC_F32, 0), *g2 = rlc_graph_create(RLC_F32, 0);
    rlc_tensor *x1 = rlc_input_grad(g1, 2, (int[]){100, 100});
    rlc_tensor *x2 = rlc_input_grad(g2, 2, (int[]){100, 100});
    for (int i = 0; i < N; i++) {
        rlc_tensor_set(x1, i, 1.0 + i % 7);
        rlc_tensor_set(x2, i, 1.0 + i % 7);
    }
    rlc_tensor *y1 = rlc_dropout(g1, x1, p, 1234), *y2 = rlc_dropout(g2, x2, p, 1234);
    assert_non_null(y1);
    assert_non_null(y2);
    unsigned char *prev = calloc((size_t)N, 1);
    for (int run = 0; run < 3; run++) {
        assert_int_equal(rlc_graph_forward(g1), RLC_OK);
        assert_int_equal(rlc_graph_forward(g2), RLC_OK);
        int zeros = 0, changed = 0;
        for (int i = 0; i < N; i++) {
            double v = rlc_tensor_get(y1, i), xv = 1.0 + i % 7;
            /* same seed: same mask on the other graph */
            assert_true(v == rlc_tensor_get(y2, i));
            if (v == 0) {
                zeros++;
            } else {
                assert_close(v, xv / (1 - p), 1e-5);
            }
            changed += prev[i] != (v == 0);
            prev[i] = v == 0;
        }
        /* binomial(10000, 0.3): sd ~ 46; allow 5 sd */
        assert_true(abs(zeros - (int)(p * N)) < 230);
        if (run > 0) assert_true(changed > N / 4); /* a fresh mask each forward */
    }
    /* gradient: zero where dropped, 1/(1-p) where kept */
    float *seed = malloc(sizeof(float) * (size_t)N);
    for (int i = 0; i < N; i++) seed[i] = 1.0f + (float)(i % 3);
    assert_int_equal(rlc_graph_backward_seed(g1, y1, seed), RLC_OK);
    for (int i = 0; i < N; i++) {
        double gx = rlc_tensor_grad_get(x1, i);
        if (rlc_tensor_get(y1, i) == 0)
            assert_true(gx == 0);
        else
            assert_close(gx, seed[i] / (1 - p), 1e-5);
    }
    /* a different seed gives a different mask */
    rlc_graph *g3 = rlc_graph_create(RLC_F32, 0);
    rlc_tensor *x3 = rlc_input(g3, 1, (int[]){N});
    for (int i = 0; i < N; i++) rlc_tensor_set(x3, i, 1);
    rlc_tensor *y3a = rlc_dropout(g3, x3, p, 1), *y3b = rlc_dropout(g3, x3, p, 2);
    int differ = 0;
    for (int i = 0; i < N; i++) differ += rlc_tensor_get(y3a, i) != rlc_tensor_get(y3b, i);
    assert_true(differ > N / 4);
    free(prev);
    free(seed);
    rlc_graph_destroy(g1);
    rlc_graph_destroy(g2);
    rlc_graph_destroy(g3);
}

static void test_dropout_double_and_errors(void **st) {
    (void)st;
    rlc_graph *g = rlc_graph_create(RLC_F64, 0);
    rlc_tensor *x = rlc_input_grad(g, 1, (int[]){1000});
    for (int i = 0; i < 1000; i++) rlc_tensor_set(x, i, 2.0);
    rlc_tensor *y = rlc_dropout(g, x, 0.5, 99);
    int zeros = 0;
    for (int i = 0; i < 1000; i++) {
        double v = rlc_tensor_get(y, i);
        assert_true(v == 0 || v == 4.0);
        zeros += v == 0;
    }
    assert_true(zeros > 400 && zeros < 600);
    assert_null(rlc_dropout(g, x, 1.0, 1));
    assert_contains(rlc_graph_error(g), "dropout: p = 1, must be in [0, 1)");
    rlc_graph_destroy(g);
    g = rlc_graph_create(RLC_F64, 0);
    x = rlc_input(g, 1, (int[]){3});
    assert_null(rlc_dropout(g, x, NAN, 1));
    assert_int_equal(rlc_graph_status(g), RLC_ERR_RANGE);
    rlc_graph_destroy(g);
    /* forward-only graph (acting): no mask buffer, still drops */
    g = rlc_graph_create(RLC_F32, RLC_GRAPH_NO_GRAD);
    x = rlc_full(g, 1, (int[]){1000}, 1.0);
    y = rlc_dropout(g, x, 0.5, 5);
    assert_non_null(y);
    assert_null(y->grad);
    assert_int_equal(rlc_graph_forward(g), RLC_OK);
    zeros = 0;
    for (int i = 0; i < 1000; i++) zeros += rlc_tensor_get(y, i) == 0;
    assert_true(zeros > 400 && zeros < 600);
    rlc_graph_destroy(g);
}

/* ---- stop_gradient ---- */

static void test_stop_gradient(void **st) {
    (void)st;
    /* y = x * stop(x): dy/dx = x (not 2x) */
    rlc_graph *g = rlc_graph_create(RLC_F64, 0);
    rlc_tensor *x = rlc_input_grad(g, 1, (int[]){4});
    set_all(x, (double[]){1, -2, 3, 0.5});
    rlc_tensor *s = rlc_stop_gradient(g, x);
    assert_non_null(s);
    assert_null(s->grad);
    for (int i = 0; i < 4; i++) assert_close(rlc_tensor_get(s, i), rlc_tensor_get(x, i), 0);
    rlc_tensor *y = rlc_mul(g, x, s);
    assert_int_equal(rlc_graph_backward_seed(g, y, (double[]){1, 1, 1, 1}), RLC_OK);
    for (int i = 0; i < 4; i++) {
        assert_close(rlc_tensor_get(y, i), rlc_tensor_get(x, i) * rlc_tensor_get(x, i), 0);
        assert_close(rlc_tensor_grad_get(x, i), rlc_tensor_get(x, i), 0);
    }
    /* the stopped copy follows x on reruns */
    set_all(x, (double[]){5, 6, 7, 8});
    assert_int_equal(rlc_graph_forward(g), RLC_OK);
    assert_close(rlc_tensor_get(s, 3), 8, 0);
    /* backward from a stopped tensor alone is refused: nothing to differentiate */
    assert_int_not_equal(rlc_graph_backward_seed(g, s, (double[]){1, 1, 1, 1}), RLC_OK);
    rlc_graph_destroy(g);
    /* (no finite-difference check: by design the analytic gradient differs from the numeric
     * one, which sees the stopped copy move too) */
}

/* ---- where ---- */

static rlc_tensor *build_where(rlc_graph *g, rlc_tensor **in, void *ctx) {
    (void)ctx;
    return rlc_where(g, in[0], in[1], in[2]);
}

static void test_where_grad(void **st) {
    (void)st;
    struct {
        int nd[3];
        int sh[3][4];
    } cases[] = {
        {{2, 2, 2}, {{3, 4}, {3, 4}, {3, 4}}},       /* same shape: flat loops */
        {{2, 2, 1}, {{3, 1}, {1, 4}, {4}}},          /* everything broadcasts */
        {{1, 3, 1}, {{4}, {2, 3, 4}, {1}}},          /* cond row mask, scalar b */
        {{3, 1, 2}, {{2, 3, 1}, {1}, {3, 5}}},       /* trailing broadcast of cond */
        {{1, 1, 1}, {{1}, {6}, {6}}},                /* scalar cond */
    };
    for (int k = 0; k < 5; k++) {
        gc_input in[3];
        for (int j = 0; j < 3; j++) {
            int *s = cases[k].sh[j];
            in[j] = gc_in(-1, 1, cases[k].nd[j], s[0], s[1], s[2], s[3]);
        }
        in[0].integer = 2; /* 0/1 condition, no gradient */
        char name[32];
        snprintf(name, sizeof name, "where case %d", k);
        gradcheck(name, build_where, NULL, in, 3, 1e-6);
    }
}

static void test_where_values(void **st) {
    (void)st;
    rlc_graph *g = rlc_graph_create(RLC_F32, 0);
    rlc_tensor *c = rlc_input(g, 2, (int[]){2, 1});
    rlc_tensor *a = rlc_input_grad(g, 1, (int[]){3});
    rlc_tensor *b = rlc_input_grad(g, 0, NULL);
    set_all(c, (double[]){0, -0.5}); /* any nonzero picks a */
    set_all(a, (double[]){1, 2, 3});
    rlc_tensor_set(b, 0, 9);
    rlc_tensor *y = rlc_where(g, c, a, b);
    assert_non_null(y);
    assert_int_equal(y->ndim, 2);
    assert_int_equal(y->shape[0], 2);
    assert_int_equal(y->shape[1], 3);
    double want[] = {9, 9, 9, 1, 2, 3};
    for (int i = 0; i < 6; i++) assert_close(rlc_tensor_get(y, i), want[i], 0);
    float seed[] = {1, 2, 3, 4, 5, 6};
    assert_int_equal(rlc_graph_backward_seed(g, y, seed), RLC_OK);
    assert_close(rlc_tensor_grad_get(a, 0), 4, 0);
    assert_close(rlc_tensor_grad_get(a, 2), 6, 0);
    assert_close(rlc_tensor_grad_get(b, 0), 6, 0);
    rlc_tensor *bad = rlc_input(g, 1, (int[]){4});
    assert_null(rlc_where(g, c, a, bad));
    assert_contains(rlc_graph_error(g), "where: shapes [2, 1], [3] and [4] do not broadcast");
    rlc_graph_destroy(g);
}

RLC_TESTS(core_op_norm, cmocka_unit_test(test_layer_norm_grad),
          cmocka_unit_test(test_layer_norm_values), cmocka_unit_test(test_layer_norm_errors),
          cmocka_unit_test(test_dropout_eval_identity), cmocka_unit_test(test_dropout_training),
          cmocka_unit_test(test_dropout_double_and_errors), cmocka_unit_test(test_stop_gradient),
          cmocka_unit_test(test_where_grad), cmocka_unit_test(test_where_values))
