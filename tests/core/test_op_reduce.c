/* Gradient checks, exact values and error cases for the reductions (sum, mean, max, min,
 * sum_all, mean_all) and the last-axis ops softmax, log_softmax and logsumexp. */
#include "test.h"

#include <math.h>

#include "core/gradcheck.h"
#include "rlc/graph.h"

enum { R_SUM, R_MEAN, R_MAX, R_MIN, R_SUM_ALL, R_MEAN_ALL, R_SOFTMAX, R_LOG_SOFTMAX, R_LSE };

typedef struct {
    int op, axis, keepdim;
} red_ctx;

static rlc_tensor *build_red(rlc_graph *g, rlc_tensor **in, void *ctx) {
    const red_ctx *c = ctx;
    switch (c->op) {
    case R_SUM: return rlc_sum(g, in[0], c->axis, c->keepdim);
    case R_MEAN: return rlc_mean(g, in[0], c->axis, c->keepdim);
    case R_MAX: return rlc_max(g, in[0], c->axis, c->keepdim);
    case R_MIN: return rlc_min(g, in[0], c->axis, c->keepdim);
    case R_SUM_ALL: return rlc_sum_all(g, in[0]);
    case R_MEAN_ALL: return rlc_mean_all(g, in[0]);
    case R_SOFTMAX: return rlc_softmax(g, in[0]);
    case R_LOG_SOFTMAX: return rlc_log_softmax(g, in[0]);
    default: return rlc_logsumexp(g, in[0], c->keepdim);
    }
}

static const char *const NAMES[] = {"sum",     "mean",        "max",      "min",      "sum_all",
                                    "mean_all", "softmax", "log_softmax", "logsumexp"};

/* Shapes for the reductions, each with the axes to try (negative ones included). */
typedef struct {
    int ndim, d[4];
    int axes[5], naxes;
} shape_case;

static const shape_case SHAPES[] = {
    {1, {7}, {0, -1}, 2},
    {2, {3, 5}, {0, 1, -1, -2}, 4},
    {3, {2, 3, 4}, {0, 1, 2, -1, -2}, 5},
    {4, {2, 1, 3, 2}, {1, 2, -1}, 3},
};

static void test_reduce_axis_grad(void **st) {
    (void)st;
    for (int op = R_SUM; op <= R_MIN; op++)
        for (size_t s = 0; s < sizeof SHAPES / sizeof SHAPES[0]; s++)
            for (int a = 0; a < SHAPES[s].naxes; a++)
                for (int keep = 0; keep < 2; keep++) {
                    const shape_case *sc = &SHAPES[s];
                    gc_input in = gc_in(-1, 1, sc->ndim, sc->d[0], sc->d[1], sc->d[2], sc->d[3]);
                    red_ctx c = {op, sc->axes[a], keep};
                    char name[96];
                    snprintf(name, sizeof name, "%s %dD axis %d keepdim %d", NAMES[op], sc->ndim,
                             c.axis, keep);
                    gradcheck(name, build_red, &c, &in, 1, 1e-6);
                }
}

static void test_reduce_all_grad(void **st) {
    (void)st;
    for (int op = R_SUM_ALL; op <= R_MEAN_ALL; op++)
        for (size_t s = 0; s < sizeof SHAPES / sizeof SHAPES[0]; s++) {
            const shape_case *sc = &SHAPES[s];
            gc_input in = gc_in(-1, 1, sc->ndim, sc->d[0], sc->d[1], sc->d[2], sc->d[3]);
            red_ctx c = {op, 0, 0};
            char name[64];
            snprintf(name, sizeof name, "%s %dD", NAMES[op], sc->ndim);
            gradcheck(name, build_red, &c, &in, 1, 1e-6);
        }
    /* long rows exercise the unrolled accumulation and its tail */
    gc_input in = gc_in(-1, 1, 2, 3, 203, 0, 0);
    red_ctx c = {R_MEAN, -1, 0};
    gradcheck("mean long rows", build_red, &c, &in, 1, 1e-6);
    c.op = R_SUM_ALL;
    gradcheck("sum_all long", build_red, &c, &in, 1, 1e-6);
}

static void test_softmax_grad(void **st) {
    (void)st;
    for (int op = R_SOFTMAX; op <= R_LSE; op++)
        for (size_t s = 0; s < sizeof SHAPES / sizeof SHAPES[0]; s++)
            for (int keep = 0; keep < 2; keep++) {
                if (op != R_LSE && keep) continue;
                const shape_case *sc = &SHAPES[s];
                gc_input in = gc_in(-3, 3, sc->ndim, sc->d[0], sc->d[1], sc->d[2], sc->d[3]);
                red_ctx c = {op, -1, keep};
                char name[64];
                snprintf(name, sizeof name, "%s %dD keepdim %d", NAMES[op], sc->ndim, keep);
                gradcheck(name, build_red, &c, &in, 1, 1e-6);
            }
    /* large logits: the max shift keeps everything finite */
    gc_input in = gc_in(500, 510, 2, 3, 6, 0, 0);
    for (int op = R_SOFTMAX; op <= R_LSE; op++) {
        red_ctx c = {op, -1, 1};
        char name[64];
        snprintf(name, sizeof name, "%s large logits", NAMES[op]);
        gradcheck(name, build_red, &c, &in, 1, 1e-6);
    }
}

/* x: a [2, 3] input of the given dtype holding 1..6 (or `vals`). */
static rlc_tensor *input23(rlc_graph *g, const double *vals) {
    rlc_tensor *x = rlc_input_grad(g, 2, (int[]){2, 3});
    for (int i = 0; i < 6; i++) rlc_tensor_set(x, i, vals ? vals[i] : i + 1);
    return x;
}

static void expect(const rlc_tensor *t, int ndim, const int *shape, const double *want,
                   double tol) {
    assert_non_null(t);
    assert_int_equal(t->ndim, ndim);
    for (int i = 0; i < ndim; i++) assert_int_equal(t->shape[i], shape[i]);
    for (int64_t i = 0; i < t->size; i++)
        assert_close(rlc_tensor_get(t, i), want[i], tol * (1 + fabs(want[i])));
}

static void expect_grad(const rlc_tensor *t, const double *want, double tol) {
    for (int64_t i = 0; i < t->size; i++)
        assert_close(rlc_tensor_grad_get(t, i), want[i], tol * (1 + fabs(want[i])));
}

static void test_reduce_values(void **st) {
    (void)st;
    for (int t = 0; t < 2; t++) {
        rlc_graph *g = rlc_graph_create(t ? RLC_F64 : RLC_F32, 0);
        rlc_tensor *x = input23(g, NULL);
        expect(rlc_sum(g, x, 1, 0), 1, (int[]){2}, (double[]){6, 15}, 0);
        expect(rlc_sum(g, x, -1, 1), 2, (int[]){2, 1}, (double[]){6, 15}, 0);
        expect(rlc_sum(g, x, 0, 0), 1, (int[]){3}, (double[]){5, 7, 9}, 0);
        expect(rlc_sum(g, x, -2, 1), 2, (int[]){1, 3}, (double[]){5, 7, 9}, 0);
        expect(rlc_mean(g, x, 1, 0), 1, (int[]){2}, (double[]){2, 5}, 0);
        expect(rlc_mean(g, x, 0, 1), 2, (int[]){1, 3}, (double[]){2.5, 3.5, 4.5}, 0);
        expect(rlc_max(g, x, 1, 0), 1, (int[]){2}, (double[]){3, 6}, 0);
        expect(rlc_min(g, x, 0, 0), 1, (int[]){3}, (double[]){1, 2, 3}, 0);
        expect(rlc_sum_all(g, x), 1, (int[]){1}, (double[]){21}, 0);
        expect(rlc_mean_all(g, x), 1, (int[]){1}, (double[]){3.5}, 0);
        /* a 1-D reduction without keepdim gives a 0-d tensor (NumPy), with keepdim [1] */
        rlc_tensor *v = rlc_input(g, 1, (int[]){4});
        for (int i = 0; i < 4; i++) rlc_tensor_set(v, i, i);
        expect(rlc_sum(g, v, 0, 0), 0, NULL, (double[]){6}, 0);
        expect(rlc_max(g, v, -1, 1), 1, (int[]){1}, (double[]){3}, 0);
        assert_int_equal(rlc_graph_status(g), RLC_OK);
        rlc_graph_destroy(g);
    }
}

static void test_reduce_mean_grad_values(void **st) {
    (void)st;
    rlc_graph *g = rlc_graph_create(RLC_F64, 0);
    rlc_tensor *x = input23(g, NULL);
    rlc_tensor *m = rlc_mean(g, x, 0, 0);
    assert_int_equal(rlc_graph_backward_seed(g, m, (double[]){1, 2, 3}), RLC_OK);
    expect_grad(x, (double[]){0.5, 1, 1.5, 0.5, 1, 1.5}, 1e-15);
    rlc_tensor *a = rlc_mean_all(g, x);
    assert_int_equal(rlc_graph_backward(g, a), RLC_OK);
    double sixth = 1.0 / 6;
    expect_grad(x, (double[]){sixth, sixth, sixth, sixth, sixth, sixth}, 1e-15);
    rlc_graph_destroy(g);
}

static void test_max_ties(void **st) {
    (void)st;
    for (int t = 0; t < 2; t++) {
        rlc_graph *g = rlc_graph_create(t ? RLC_F64 : RLC_F32, 0);
        /* rows: [3, 1, 3] and [2, 2, 0]; along axis 1 the first maximum / minimum wins */
        rlc_tensor *x = input23(g, (double[]){3, 1, 3, 2, 2, 0});
        rlc_tensor *mx = rlc_max(g, x, 1, 0), *mn = rlc_min(g, x, 1, 0);
        rlc_tensor *c0 = rlc_max(g, x, 0, 0); /* columns: [3, 2], [1, 2], [3, 0] */
        rlc_tensor *tie = rlc_input_grad(g, 2, (int[]){3, 2}); /* column ties along axis 0 */
        for (int i = 0; i < 6; i++) rlc_tensor_set(tie, i, (double[]){5, 1, 5, 4, 2, 4}[i]);
        rlc_tensor *tmax = rlc_max(g, tie, 0, 1), *tmin = rlc_min(g, tie, 0, 1);
        assert_int_equal(rlc_graph_status(g), RLC_OK);
        expect(mx, 1, (int[]){2}, (double[]){3, 2}, 0);
        expect(mn, 1, (int[]){2}, (double[]){1, 0}, 0);
        expect(c0, 1, (int[]){3}, (double[]){3, 2, 3}, 0);
        expect(tmax, 2, (int[]){1, 2}, (double[]){5, 4}, 0);
        expect(tmin, 2, (int[]){1, 2}, (double[]){2, 1}, 0);
        assert_int_equal(rlc_graph_backward_seed(g, mx, t ? (void *)(double[]){1, 1}
                                                         : (void *)(float[]){1, 1}),
                         RLC_OK);
        expect_grad(x, (double[]){1, 0, 0, 1, 0, 0}, 0);
        assert_int_equal(rlc_graph_backward_seed(g, tmax, t ? (void *)(double[]){1, 1}
                                                           : (void *)(float[]){1, 1}),
                         RLC_OK);
        expect_grad(tie, (double[]){1, 0, 0, 1, 0, 0}, 0);
        assert_int_equal(rlc_graph_backward_seed(g, tmin, t ? (void *)(double[]){1, 1}
                                                           : (void *)(float[]){1, 1}),
                         RLC_OK);
        expect_grad(tie, (double[]){0, 1, 0, 0, 1, 0}, 0);
        rlc_graph_destroy(g);
    }
}

/* The argmax is recomputed on every forward: after the inputs change, the gradient follows. */
static void test_max_rerun(void **st) {
    (void)st;
    rlc_graph *g = rlc_graph_create(RLC_F32, 0);
    rlc_tensor *x = input23(g, NULL);
    rlc_tensor *m = rlc_sum_all(g, rlc_max(g, x, -1, 0));
    assert_int_equal(rlc_graph_backward(g, m), RLC_OK);
    expect_grad(x, (double[]){0, 0, 1, 0, 0, 1}, 0);
    double v[] = {9, 1, 2, 4, 8, 5};
    for (int i = 0; i < 6; i++) rlc_tensor_set(x, i, v[i]);
    assert_int_equal(rlc_graph_forward(g), RLC_OK);
    assert_close(rlc_tensor_get(m, 0), 17, 0);
    assert_int_equal(rlc_graph_backward(g, m), RLC_OK);
    expect_grad(x, (double[]){1, 0, 0, 0, 1, 0}, 0);
    rlc_graph_destroy(g);
}

static void test_max_nan(void **st) {
    (void)st;
    rlc_graph *g = rlc_graph_create(RLC_F64, 0);
    rlc_tensor *x = input23(g, (double[]){1, NAN, 3, 4, 5, 6});
    rlc_tensor *mx = rlc_max(g, x, 1, 0), *mn = rlc_min(g, x, 1, 0), *c = rlc_max(g, x, 0, 0);
    assert_true(isnan(rlc_tensor_get(mx, 0)));
    assert_true(isnan(rlc_tensor_get(mn, 0)));
    assert_close(rlc_tensor_get(mx, 1), 6, 0);
    assert_close(rlc_tensor_get(c, 0), 4, 0);
    assert_true(isnan(rlc_tensor_get(c, 1)));
    rlc_graph_destroy(g);
}

static void test_softmax_values(void **st) {
    (void)st;
    for (int t = 0; t < 2; t++) {
        double tol = t ? 1e-15 : 2e-7;
        rlc_graph *g = rlc_graph_create(t ? RLC_F64 : RLC_F32, 0);
        rlc_tensor *x = rlc_input_grad(g, 1, (int[]){3});
        for (int i = 0; i < 3; i++) rlc_tensor_set(x, i, i + 1);
        expect(rlc_softmax(g, x), 1, (int[]){3},
               (double[]){0.09003057317038046, 0.24472847105479767, 0.6652409557748219}, tol);
        expect(rlc_log_softmax(g, x), 1, (int[]){3},
               (double[]){-2.40760596444438, -1.4076059644443801, -0.40760596444438013}, tol);
        expect(rlc_logsumexp(g, x, 0), 0, NULL, (double[]){3.40760596444438}, tol);
        expect(rlc_logsumexp(g, x, 1), 1, (int[]){1}, (double[]){3.40760596444438}, tol);

        /* large and tiny values: no overflow, no underflow to -inf */
        rlc_tensor *big = rlc_input_grad(g, 2, (int[]){3, 2});
        double bv[] = {1000, 1000, -1000, -1000, 1000, 0};
        for (int i = 0; i < 6; i++) rlc_tensor_set(big, i, bv[i]);
        rlc_tensor *lse = rlc_logsumexp(g, big, 0);
        expect(lse, 1, (int[]){3},
               (double[]){1000.6931471805599, -999.3068528194401, 1000}, tol);
        expect(rlc_softmax(g, big), 2, (int[]){3, 2}, (double[]){0.5, 0.5, 0.5, 0.5, 1, 0}, tol);
        expect(rlc_log_softmax(g, big), 2, (int[]){3, 2},
               (double[]){-0.6931471805599453, -0.6931471805599453, -0.6931471805599453,
                          -0.6931471805599453, 0, -1000},
               tol);
        assert_int_equal(rlc_graph_backward_seed(g, lse, t ? (void *)(double[]){1, 1, 1}
                                                          : (void *)(float[]){1, 1, 1}),
                         RLC_OK);
        /* exp(x - lse) inherits lse's rounding at 1000 (one ulp: 1e-13 / 6e-5) */
        expect_grad(big, (double[]){0.5, 0.5, 0.5, 0.5, 1, 0}, t ? 1e-12 : 1e-4);

        /* a row of -inf: logsumexp is -inf (not NaN) */
        rlc_tensor *ninf = rlc_full(g, 2, (int[]){1, 2}, -INFINITY);
        rlc_tensor *l2 = rlc_logsumexp(g, ninf, 1);
        assert_non_null(l2);
        assert_true(isinf(rlc_tensor_get(l2, 0)) && rlc_tensor_get(l2, 0) < 0);
        assert_int_equal(rlc_graph_status(g), RLC_OK);
        rlc_graph_destroy(g);
    }
}

static void test_softmax_grad_values(void **st) {
    (void)st;
    /* softmax rows sum to 1, so a constant upstream gradient gives zero input gradient */
    rlc_graph *g = rlc_graph_create(RLC_F64, 0);
    rlc_tensor *x = input23(g, NULL);
    rlc_tensor *s = rlc_softmax(g, x);
    assert_int_equal(rlc_graph_backward_seed(g, s, (double[]){2, 2, 2, 2, 2, 2}), RLC_OK);
    expect_grad(x, (double[]){0, 0, 0, 0, 0, 0}, 1e-15);
    /* d/dx sum(log_softmax(x)) = 1 - C * softmax(x) */
    rlc_tensor *ls = rlc_sum_all(g, rlc_log_softmax(g, x));
    assert_int_equal(rlc_graph_backward(g, ls), RLC_OK);
    double p[] = {0.09003057317038046, 0.24472847105479767, 0.6652409557748219};
    expect_grad(x, (double[]){1 - 3 * p[0], 1 - 3 * p[1], 1 - 3 * p[2], 1 - 3 * p[0],
                              1 - 3 * p[1], 1 - 3 * p[2]},
                1e-14);
    rlc_graph_destroy(g);
}

static void test_reduce_errors(void **st) {
    (void)st;
    static const struct {
        int op, axis;
        const char *msg;
    } cases[] = {
        {R_SUM, 3, "sum: axis 3 out of range for shape [2, 3]"},
        {R_MEAN, -3, "mean: axis -3 out of range for shape [2, 3]"},
        {R_MAX, 2, "max: axis 2 out of range for shape [2, 3]"},
        {R_MIN, -7, "min: axis -7 out of range for shape [2, 3]"},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        rlc_graph *g = rlc_graph_create(RLC_F32, 0);
        rlc_tensor *x = rlc_input(g, 2, (int[]){2, 3});
        red_ctx c = {cases[k].op, cases[k].axis, 0};
        assert_null(build_red(g, &x, &c));
        assert_int_equal(rlc_graph_status(g), RLC_ERR_INVALID);
        assert_contains(rlc_graph_error(g), cases[k].msg);
        assert_null(rlc_sum_all(g, x)); /* sticky */
        rlc_graph_destroy(g);
    }
    rlc_graph *g = rlc_graph_create(RLC_F32, 0);
    rlc_tensor *e = rlc_input(g, 2, (int[]){2, 0});
    rlc_tensor *se = rlc_sum(g, e, 1, 0); /* empty sums are 0 */
    expect(se, 1, (int[]){2}, (double[]){0, 0}, 0);
    assert_null(rlc_max(g, e, 1, 0));
    assert_contains(rlc_graph_error(g), "max: cannot reduce empty axis 1 of shape [2, 0]");
    rlc_graph_destroy(g);

    g = rlc_graph_create(RLC_F32, 0);
    rlc_tensor *s = rlc_input(g, 0, NULL);
    assert_null(rlc_sum(g, s, 0, 0));
    assert_contains(rlc_graph_error(g), "sum: axis 0 out of range for shape []");
    rlc_graph_destroy(g);

    g = rlc_graph_create(RLC_F32, 0);
    s = rlc_input(g, 0, NULL);
    assert_null(rlc_softmax(g, s));
    assert_contains(rlc_graph_error(g), "softmax: needs at least one axis, got shape []");
    rlc_graph_destroy(g);

    g = rlc_graph_create(RLC_F32, 0);
    assert_null(rlc_logsumexp(g, NULL, 1));
    assert_contains(rlc_graph_error(g), "logsumexp: input 0 is NULL");
    rlc_graph_destroy(g);
}

RLC_TESTS(core_op_reduce, cmocka_unit_test(test_reduce_axis_grad),
          cmocka_unit_test(test_reduce_all_grad), cmocka_unit_test(test_softmax_grad),
          cmocka_unit_test(test_reduce_values), cmocka_unit_test(test_reduce_mean_grad_values),
          cmocka_unit_test(test_max_ties), cmocka_unit_test(test_max_rerun),
          cmocka_unit_test(test_max_nan), cmocka_unit_test(test_softmax_values),
          cmocka_unit_test(test_softmax_grad_values), cmocka_unit_test(test_reduce_errors))
