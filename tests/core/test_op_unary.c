/* Gradient checks, exact values, extreme-input stability and error cases for the elementwise
 * unary ops and the scalar ops (src/core/op_unary.c). */
#include "test.h"

#include <math.h>

#include <stdint.h>
#include <string.h>

#include "core/fastmath.h"
#include "core/gemm.h"
#include "rlc/rng.h"
#include "core/gradcheck.h"
#include "rlc/graph.h"

enum {
    U_ADD_S, U_MUL_S, U_RSUB_S, U_RDIV_S, U_POW_S, U_NEG, U_RELU, U_LEAKY, U_ELU, U_GELU, U_TANH,
    U_SIGMOID, U_SOFTPLUS, U_EXP, U_LOG, U_SQRT, U_SQUARE, U_ABS, U_CLAMP
};

typedef struct {
    int op;
    double a, b;
} un_ctx;

static rlc_tensor *apply(rlc_graph *g, rlc_tensor *x, const un_ctx *c) {
    switch (c->op) {
    case U_ADD_S: return rlc_add_scalar(g, x, c->a);
    case U_MUL_S: return rlc_mul_scalar(g, x, c->a);
    case U_RSUB_S: return rlc_rsub_scalar(g, x, c->a);
    case U_RDIV_S: return rlc_rdiv_scalar(g, x, c->a);
    case U_POW_S: return rlc_pow_scalar(g, x, c->a);
    case U_NEG: return rlc_neg(g, x);
    case U_RELU: return rlc_relu(g, x);
    case U_LEAKY: return rlc_leaky_relu(g, x, c->a);
    case U_ELU: return rlc_elu(g, x, c->a);
    case U_GELU: return rlc_gelu(g, x);
    case U_TANH: return rlc_tanh(g, x);
    case U_SIGMOID: return rlc_sigmoid(g, x);
    case U_SOFTPLUS: return rlc_softplus(g, x);
    case U_EXP: return rlc_exp(g, x);
    case U_LOG: return rlc_log(g, x);
    case U_SQRT: return rlc_sqrt(g, x);
    case U_SQUARE: return rlc_square(g, x);
    case U_ABS: return rlc_abs(g, x);
    default: return rlc_clamp(g, x, c->a, c->b);
    }
}

static rlc_tensor *build_un(rlc_graph *g, rlc_tensor **in, void *ctx) {
    return apply(g, in[0], ctx);
}

typedef struct {
    const char *name;
    un_ctx c;
    double lo, hi; /* input range valid for the op */
} un_case;

static const un_case CASES[] = {
    {"add_scalar", {U_ADD_S, 1.5, 0}, -2, 2},
    {"mul_scalar", {U_MUL_S, -0.75, 0}, -2, 2},
    {"rsub_scalar", {U_RSUB_S, 3, 0}, -2, 2},
    {"rdiv_scalar", {U_RDIV_S, 3, 0}, 0.5, 2},
    {"pow_scalar 3", {U_POW_S, 3, 0}, -2, 2},
    {"pow_scalar -1.5", {U_POW_S, -1.5, 0}, 0.5, 2},
    {"pow_scalar 2.5", {U_POW_S, 2.5, 0}, 0.2, 2},
    {"pow_scalar 2", {U_POW_S, 2, 0}, -2, 2},
    {"pow_scalar 1", {U_POW_S, 1, 0}, -2, 2},
    {"pow_scalar 0.5", {U_POW_S, 0.5, 0}, 0.2, 2},
    {"pow_scalar 0", {U_POW_S, 0, 0}, 0.2, 2},
    {"neg", {U_NEG, 0, 0}, -2, 2},
    {"relu", {U_RELU, 0, 0}, -2, 2},
    {"leaky_relu", {U_LEAKY, 0.1, 0}, -2, 2},
    {"elu", {U_ELU, 1.3, 0}, -2, 2},
    {"gelu", {U_GELU, 0, 0}, -3, 3},
    {"tanh", {U_TANH, 0, 0}, -3, 3},
    {"sigmoid", {U_SIGMOID, 0, 0}, -6, 6},
    {"softplus", {U_SOFTPLUS, 0, 0}, -5, 5},
    {"exp", {U_EXP, 0, 0}, -2, 2},
    {"log", {U_LOG, 0, 0}, 0.2, 3},
    {"sqrt", {U_SQRT, 0, 0}, 0.2, 3},
    {"square", {U_SQUARE, 0, 0}, -2, 2},
    {"abs", {U_ABS, 0, 0}, -2, 2},
    {"clamp", {U_CLAMP, -0.5, 0.7}, -2, 2}, /* inputs straddle both bounds */
};

static void test_unary_grad(void **st) {
    (void)st;
    for (size_t k = 0; k < sizeof CASES / sizeof CASES[0]; k++) {
        const un_case *u = &CASES[k];
        gc_input shapes[3] = {gc_in(u->lo, u->hi, 1, 7, 0, 0, 0),
                              gc_in(u->lo, u->hi, 2, 3, 5, 0, 0),
                              gc_in(u->lo, u->hi, 3, 2, 3, 4, 0)};
        for (int s = 0; s < 3; s++) {
            char name[64];
            snprintf(name, sizeof name, "%s %dD", u->name, shapes[s].ndim);
            un_ctx c = u->c;
            gradcheck(name, build_un, &c, &shapes[s], 1, 1e-6);
        }
    }
}

/* Runs op on xs in a graph of dtype dt, backward with a seed of ones; checks values and
 * gradients (want_d may be NULL) and that nothing is inf/nan unless expected. */
static void check_values(rlc_dtype dt, un_ctx c, int n, const double *xs, const double *want,
                         const double *want_d) {
    rlc_graph *g = rlc_graph_create(dt, 0);
    rlc_tensor *x = rlc_input_grad(g, 1, (int[]){n});
    for (int i = 0; i < n; i++) rlc_tensor_set(x, i, xs[i]);
    rlc_tensor *y = apply(g, x, &c);
    assert_non_null(y);
    assert_int_equal(y->ndim, 1);
    assert_int_equal(y->shape[0], n);
    double rel = dt == RLC_F32 ? 2e-7 : 1e-15;
    for (int i = 0; i < n; i++) {
        double v = rlc_tensor_get(y, i);
        if (isnan(want[i]))
            assert_true(isnan(v));
        else
            assert_close(v, want[i], rel * (1 + fabs(want[i])));
    }
    if (want_d) {
        double ones64[16];
        float ones32[16];
        for (int i = 0; i < 16; i++) ones64[i] = ones32[i] = 1;
        assert_int_equal(rlc_graph_backward_seed(g, y, dt == RLC_F32 ? (void *)ones32 : ones64),
                         RLC_OK);
        for (int i = 0; i < n; i++) {
            double d = rlc_tensor_grad_get(x, i);
            assert_true(isfinite(d));
            assert_close(d, want_d[i], rel * (1 + fabs(want_d[i])));
        }
    }
    rlc_graph_destroy(g);
}

#define N_OF(a) ((int)(sizeof(a) / sizeof((a)[0])))
#define CHECK(dt, op, a, b, xs, want, want_d)                                                  \
    check_values(dt, (un_ctx){op, a, b}, N_OF(xs), xs, want, want_d)

static void test_unary_values(void **st) {
    (void)st;
    for (int t = 0; t < 2; t++) {
        rlc_dtype dt = t ? RLC_F64 : RLC_F32;
        {
            double x[] = {-1, 0, 2, -0.5}, y[] = {0, 0, 2, 0}, d[] = {0, 0, 1, 0};
            CHECK(dt, U_RELU, 0, 0, x, y, d);
        }
        {
            double x[] = {-2, 3}, y[] = {-0.2, 3}, d[] = {0.1, 1};
            CHECK(dt, U_LEAKY, 0.1, 0, x, y, d);
        }
        {
            double x[] = {-1, 2}, y[] = {-0.6321205588285577, 2}, d[] = {0.36787944117144233, 1};
            CHECK(dt, U_ELU, 1, 0, x, y, d);
        }
        {
            double x[] = {1, -2}, y[] = {0.8411919906082768, -0.04540230591222494};
            CHECK(dt, U_GELU, 0, 0, x, y, NULL);
        }
        { /* no overflow at the extremes; derivative 0 there, not nan */
            double x[] = {-1000, 1000, 0, 2}, y[] = {0, 1, 0.5, 0.8807970779778823};
            double d[] = {0, 0, 0.25, 0.8807970779778823 * (1 - 0.8807970779778823)};
            CHECK(dt, U_SIGMOID, 0, 0, x, y, d);
        }
        {
            double x[] = {1000, -1000, 0, 3};
            double y[] = {1000, 0, 0.6931471805599453, 3.0485873515737420};
            double d[] = {1, 0, 0.5, 0.9525741268224334};
            CHECK(dt, U_SOFTPLUS, 0, 0, x, y, d);
        }
        {
            double x[] = {1000, -1000, 0.5}, y[] = {1, -1, 0.46211715726000974};
            double d[] = {0, 0, 1 - 0.46211715726000974 * 0.46211715726000974};
            CHECK(dt, U_TANH, 0, 0, x, y, d);
        }
        {
            double x[] = {0, 1}, y[] = {1, 2.718281828459045}, d[] = {1, 2.718281828459045};
            CHECK(dt, U_EXP, 0, 0, x, y, d);
        }
        {
            double x[] = {1, 4}, y[] = {0, 1.3862943611198906}, d[] = {1, 0.25};
            CHECK(dt, U_LOG, 0, 0, x, y, d);
        }
        {
            double x[] = {4, 0.25}, y[] = {2, 0.5}, d[] = {0.25, 1};
            CHECK(dt, U_SQRT, 0, 0, x, y, d);
        }
        {
            double x[] = {-3, 0.5}, y[] = {9, 0.25}, d[] = {-6, 1};
            CHECK(dt, U_SQUARE, 0, 0, x, y, d);
        }
        {
            double x[] = {-3, 0, 2}, y[] = {3, 0, 2}, d[] = {-1, 0, 1};
            CHECK(dt, U_ABS, 0, 0, x, y, d);
        }
        {
            double x[] = {-2, 0.1, 3, -1, 1}, y[] = {-1, 0.1, 1, -1, 1}, d[] = {0, 1, 0, 0, 0};
            CHECK(dt, U_CLAMP, -1, 1, x, y, d);
        }
        {
            double x[] = {2, -0.5}, y[] = {8, -0.125}, d[] = {12, 0.75};
            CHECK(dt, U_POW_S, 3, 0, x, y, d);
        }
        {
            double x[] = {4, 0.25}, y[] = {0.125, 8}, d[] = {-0.046875, -48};
            CHECK(dt, U_POW_S, -1.5, 0, x, y, d);
        }
        {
            double x[] = {4, -1}, y[] = {0.5, -2}, d[] = {-0.125, -2};
            CHECK(dt, U_RDIV_S, 2, 0, x, y, d);
        }
        {
            double x[] = {1, -2}, y[] = {4, 7}, d[] = {-1, -1};
            CHECK(dt, U_RSUB_S, 5, 0, x, y, d);
        }
        {
            double x[] = {1, -2}, y[] = {2.5, -0.5}, d[] = {1, 1};
            CHECK(dt, U_ADD_S, 1.5, 0, x, y, d);
        }
        {
            double x[] = {1, -2}, y[] = {-3, 6}, d[] = {-3, -3};
            CHECK(dt, U_MUL_S, -3, 0, x, y, d);
        }
        {
            double x[] = {1, -2}, y[] = {-1, 2}, d[] = {-1, -1};
            CHECK(dt, U_NEG, 0, 0, x, y, d);
        }
        { /* NaN propagates through relu and clamp */
            double x[] = {NAN, 1}, y[] = {NAN, 1};
            CHECK(dt, U_RELU, 0, 0, x, y, NULL);
            CHECK(dt, U_CLAMP, -1, 0.5, x, ((double[]){NAN, 0.5}), NULL);
        }
    }
}

/* Recorded graphs recompute from the current inputs, and input gradients accumulate (+=) only
 * through the graph's own buffers: a second backward gives the same gradient. */
static void test_unary_rerun(void **st) {
    (void)st;
    rlc_graph *g = rlc_graph_create(RLC_F64, 0);
    rlc_tensor *x = rlc_input_grad(g, 1, (int[]){3});
    rlc_tensor *y = rlc_sum_all(g, rlc_tanh(g, rlc_relu(g, x)));
    assert_int_equal(rlc_graph_status(g), RLC_OK);
    double v[] = {-1, 0.5, 2};
    for (int i = 0; i < 3; i++) rlc_tensor_set(x, i, v[i]);
    assert_int_equal(rlc_graph_forward(g), RLC_OK);
    assert_close(rlc_tensor_get(y, 0), tanh(0.5) + tanh(2), 1e-15);
    for (int rep = 0; rep < 2; rep++) {
        assert_int_equal(rlc_graph_backward(g, y), RLC_OK);
        assert_close(rlc_tensor_grad_get(x, 0), 0, 0);
        assert_close(rlc_tensor_grad_get(x, 1), 1 - tanh(0.5) * tanh(0.5), 1e-15);
        assert_close(rlc_tensor_grad_get(x, 2), 1 - tanh(2) * tanh(2), 1e-15);
    }
    rlc_graph_destroy(g);
}

static void test_unary_no_grad(void **st) {
    (void)st;
    rlc_graph *g = rlc_graph_create(RLC_F32, RLC_GRAPH_NO_GRAD);
    rlc_tensor *x = rlc_input(g, 2, (int[]){2, 2});
    for (int i = 0; i < 4; i++) rlc_tensor_set(x, i, i - 1.5);
    rlc_tensor *y = rlc_sigmoid(g, rlc_relu(g, x));
    rlc_tensor *ge = rlc_gelu(g, x); /* no scratch buffer without gradients */
    assert_non_null(y);
    assert_null(y->grad);
    assert_non_null(ge);
    assert_int_equal(rlc_graph_forward(g), RLC_OK);
    assert_close(rlc_tensor_get(y, 0), 0.5, 0);
    assert_close(rlc_tensor_get(y, 3), 1 / (1 + exp(-1.5)), 1e-7);
    /* gelu(-0.5), gelu(1.5) */
    assert_close(rlc_tensor_get(ge, 1), -0.15428599017485606, 1e-7);
    assert_close(rlc_tensor_get(ge, 3), 1.3995715769802328, 2e-7);
    rlc_graph_destroy(g);
    /* a graph with gradients, but an input without one: no gradient buffer either */
    g = rlc_graph_create(RLC_F64, 0);
    x = rlc_input(g, 1, (int[]){3});
    y = rlc_exp(g, x);
    assert_non_null(y);
    assert_null(y->grad);
    rlc_graph_destroy(g);
}

static void test_unary_errors(void **st) {
    (void)st;
    rlc_graph *g = rlc_graph_create(RLC_F32, 0);
    rlc_tensor *x = rlc_input(g, 2, (int[]){2, 3});
    assert_null(rlc_clamp(g, x, 2, 1));
    assert_int_equal(rlc_graph_status(g), RLC_ERR_INVALID);
    assert_contains(rlc_graph_error(g), "clamp: need lo <= hi, got 2 and 1 (input [2, 3])");
    assert_null(rlc_relu(g, x)); /* sticky */
    rlc_graph_destroy(g);

    g = rlc_graph_create(RLC_F32, 0);
    assert_null(rlc_tanh(g, NULL));
    assert_contains(rlc_graph_error(g), "tanh: input 0 is NULL");
    rlc_graph_destroy(g);

    g = rlc_graph_create(RLC_F32, 0);
    rlc_graph *other = rlc_graph_create(RLC_F32, 0);
    rlc_tensor *xo = rlc_input(other, 1, (int[]){2});
    assert_null(rlc_pow_scalar(g, xo, 3));
    assert_contains(rlc_graph_error(g), "pow_scalar: input 0 belongs to another graph");
    assert_null(rlc_clamp(g, NULL, 0, 1));
    rlc_graph_destroy(g);
    rlc_graph_destroy(other);

    g = rlc_graph_create(RLC_F64, 0); /* p = 2 runs the square kernel, still named pow_scalar */
    assert_null(rlc_pow_scalar(g, NULL, 2));
    assert_contains(rlc_graph_error(g), "pow_scalar: input 0 is NULL");
    rlc_graph_destroy(g);
    assert_null(rlc_relu(NULL, NULL));
}

/* ulps of |got - tanh x| in units of the float spacing at the correctly rounded tanh x */
static double tanh_ulps(float x, float got) {
    const double want = tanh((double)x);
    int e;
    frexp(fabs((double)(float)want), &e);
    const double ulp = want == 0 ? 0x1p-149 : ldexp(1.0, (e - 24 < -149 ? -149 : e - 24));
    return fabs((double)got - want) / ulp;
}

/* rlc__tanhf (the float tanh of the tanh op and the fused tanh layers) is within 1.6 ulp of
 * tanh, correctly rounded for >= 99.5% of floats: every 61st float of each sign against tanh in
 * double, plus the special values; and the tanh op gives exactly its values, including in the
 * vectorised blocks of 8. */
static void test_tanhf_rounded(void **st) {
    (void)st;
    long n = 0, exact = 0;
    double worst = 0;
    for (uint32_t b = 0; b < 0x7f800000u; b += 61) {
        for (uint32_t sign = 0; sign < 2; sign++) {
            uint32_t bb = b | sign << 31;
            float x, got;
            memcpy(&x, &bb, sizeof x);
            got = rlc__tanhf(x);
            const float want = (float)tanh((double)x);
            const double u = tanh_ulps(x, got);
            n++;
            exact += !memcmp(&got, &want, sizeof got);
            worst = u > worst ? u : worst;
            if (u > 1.6)
                fail_msg("tanhf(%a) = %a, %.2f ulp from tanh %a", (double)x, (double)got, u,
                         (double)want);
        }
    }
    if (exact < n / 1000 * 995)
        fail_msg("tanhf: only %ld of %ld floats correctly rounded", exact, n);
    /* exact at the special values: signed zeros, the tiny, the saturated, the infinities */
    const float sp[] = {0.0f, -0.0f, INFINITY, -INFINITY, 0x1p-12f, -0x1p-12f, 0x1.fffffep-13f,
                        20.0f, -20.0f, 1e30f, 9.1f, 1e-40f, -1e-40f};
    for (size_t i = 0; i < sizeof sp / sizeof sp[0]; i++) {
        float got = rlc__tanhf(sp[i]), want = (float)tanh((double)sp[i]);
        if (memcmp(&got, &want, sizeof got))
            fail_msg("tanhf(%a) = %a, rounded tanh %a", (double)sp[i], (double)got, (double)want);
    }
    assert_true(isnan(rlc__tanhf(NAN)));
    /* the op: 21 values (two blocks of 8 and a tail) */
    rlc_graph *g = rlc_graph_create(RLC_F32, RLC_GRAPH_NO_GRAD);
    rlc_tensor *x = rlc_input(g, 1, (int[]){21});
    rlc_tensor *y = rlc_tanh(g, x);
    assert_int_equal(rlc_graph_status(g), RLC_OK);
    float *xd = x->data;
    for (int i = 0; i < 21; i++) xd[i] = (float)(i - 10) * 0.37f;
    xd[3] = NAN;
    assert_int_equal(rlc_graph_forward(g), RLC_OK);
    const float *yd = y->data;
    for (int i = 0; i < 21; i++) {
        float want = rlc__tanhf(xd[i]);
        if (i == 3 ? !isnan(yd[i]) : memcmp(&yd[i], &want, sizeof want))
            fail_msg("tanh op [%d](%a) = %a, want %a", i, (double)xd[i], (double)yd[i], (double)want);
    }
    rlc_graph_destroy(g);
    print_message("tanhf: %ld of %ld floats correctly rounded, worst %.3f ulp\n", exact, n, worst);
    /* the array version on every SIMD level this CPU has (AVX-512, AVX2, baseline): the same
     * bits as the scalar function, tails included */
    enum { NV = 1000 };
    static float v[NV], w[NV];
    rlc_rng r;
    rlc_rng_seed(&r, 5);
    for (int i = 0; i < NV; i++) v[i] = (float)ldexp(rlc_rng_uniform(&r, -1, 1), (int)rlc_rng_integers(&r, -14, 6));
    v[7] = NAN;
    v[8] = INFINITY;
    v[9] = -0.0f;
    for (int lv = 2; lv >= 0; lv--) {
        rlc__sgemm_set_simd(lv);
        for (int len = NV - 7; len <= NV; len += 7) {
            memcpy(w, v, sizeof w);
            rlc__tanhf_inplace(w, len);
            for (int i = 0; i < NV; i++) {
                float want = i < len ? rlc__tanhf(v[i]) : v[i];
                if (memcmp(&w[i], &want, sizeof want) && !(isnan(w[i]) && isnan(want)))
                    fail_msg("level %d, n %d: tanhf_inplace[%d](%a) = %a, want %a", lv, len, i,
                             (double)v[i], (double)w[i], (double)want);
            }
        }
    }
    rlc__sgemm_set_simd(-1); /* back to the best this CPU has */
}

RLC_TESTS(core_op_unary, cmocka_unit_test(test_unary_grad), cmocka_unit_test(test_unary_values),
          cmocka_unit_test(test_unary_rerun), cmocka_unit_test(test_unary_no_grad),
          cmocka_unit_test(test_unary_errors), cmocka_unit_test(test_tanhf_rounded))
