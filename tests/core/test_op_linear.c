/* The fused dense layer rlc__linear_act: gradient checks (each activation, with and without
 * bias, SIMD/BLAS and portable GEMM), bit-identity with the unfused matmul -> add -> activation
 * chain, error messages; and rlc_mlp_forward_frozen built on it. */
#include "test.h"

#include <math.h>

#include "core/gemm.h"
#include "core/gradcheck.h"
#include "core/graph_impl.h"
#include "rlc/nn.h"

typedef struct {
    int act, bias;
} lin_ctx;

static rlc_tensor *build_lin(rlc_graph *g, rlc_tensor **in, void *ctx) {
    lin_ctx *c = ctx;
    return rlc__linear_act(g, in[0], in[1], c->bias ? in[2] : NULL, c->act);
}

static void test_linear_grad(void **st) {
    (void)st;
    static const char *names[] = {"none", "relu", "tanh"};
    /* 20 x 17 -> 18: every product of forward and backward is wide enough for the SIMD kernel;
     * 5 x 3 -> 4: the narrow products OpenBLAS (or the portable kernel) keeps. */
    static const int sizes[][3] = {{20, 17, 18}, {5, 3, 4}};
    for (int portable = 0; portable < 2; portable++) {
        rlc__gemm_force_portable(portable);
        for (int s = 0; s < 2; s++)
            for (int act = RLC__LIN_NONE; act <= RLC__LIN_TANH; act++)
                for (int bias = 0; bias < 2; bias++) {
                    const int R = sizes[s][0], in = sizes[s][1], out = sizes[s][2];
                    gc_input ins[3] = {gc_in(-1, 1, 2, R, in, 0, 0), gc_in(-1, 1, 2, out, in, 0, 0),
                                       gc_in(-1, 1, 1, out, 0, 0, 0)};
                    lin_ctx c = {act, bias};
                    char name[96];
                    snprintf(name, sizeof name, "linear %s bias=%d %dx%d->%d portable=%d",
                             names[act], bias, R, in, out, portable);
                    gradcheck(name, build_lin, &c, ins, bias ? 3 : 2, 1e-6);
                }
    }
    rlc__gemm_force_portable(0);
}

/* Fused and unfused graphs on the same float32 data give the same bits, forward and backward. */
static void test_linear_matches_unfused(void **st) {
    (void)st;
    const int R = 100, in = 64, out = 64;
    for (int act = RLC__LIN_NONE; act <= RLC__LIN_TANH; act++) {
        rlc_graph *g[2];
        rlc_tensor *x[2], *w[2], *b[2], *y[2], *loss[2];
        for (int k = 0; k < 2; k++) {
            g[k] = rlc_graph_create(RLC_F32, 0);
            x[k] = rlc_input_grad(g[k], 2, (int[]){R, in});
            w[k] = rlc_input_grad(g[k], 2, (int[]){out, in});
            b[k] = rlc_input_grad(g[k], 1, (int[]){out});
            for (int64_t i = 0; i < x[k]->size; i++) rlc_tensor_set(x[k], i, sin(0.37 * i));
            for (int64_t i = 0; i < w[k]->size; i++) rlc_tensor_set(w[k], i, 0.2 * cos(0.11 * i));
            for (int64_t i = 0; i < b[k]->size; i++) rlc_tensor_set(b[k], i, 0.1 * sin(i + 0.5));
        }
        y[0] = rlc__linear_act(g[0], x[0], w[0], b[0], act);
        rlc_tensor *h = rlc_add(g[1], rlc_matmul(g[1], x[1], w[1], 0, 1), b[1]);
        y[1] = act == RLC__LIN_RELU ? rlc_relu(g[1], h) : act == RLC__LIN_TANH ? rlc_tanh(g[1], h) : h;
        for (int k = 0; k < 2; k++) {
            /* a loss whose gradient differs per element */
            rlc_tensor *t = rlc_input(g[k], 2, (int[]){R, out});
            for (int64_t i = 0; i < t->size; i++) rlc_tensor_set(t, i, cos(0.05 * i));
            loss[k] = rlc_mse(g[k], y[k], t);
            assert_int_equal(rlc_graph_status(g[k]), RLC_OK);
            assert_int_equal(rlc_graph_forward(g[k]), RLC_OK);
            assert_int_equal(rlc_graph_backward(g[k], loss[k]), RLC_OK);
        }
        assert_memory_equal(y[0]->data, y[1]->data, sizeof(float) * R * out);
        assert_memory_equal(x[0]->grad, x[1]->grad, sizeof(float) * R * in);
        assert_memory_equal(w[0]->grad, w[1]->grad, sizeof(float) * out * in);
        assert_memory_equal(b[0]->grad, b[1]->grad, sizeof(float) * out);
        assert_true(rlc_graph_num_nodes(g[0]) < rlc_graph_num_nodes(g[1]));
        rlc_graph_destroy(g[0]);
        rlc_graph_destroy(g[1]);
    }
}

static void test_linear_errors(void **st) {
    (void)st;
    rlc_graph *g = rlc_graph_create(RLC_F32, 0);
    rlc_tensor *x = rlc_input(g, 2, (int[]){3, 4}), *w = rlc_input(g, 2, (int[]){5, 6});
    assert_null(rlc__linear_act(g, x, w, NULL, RLC__LIN_RELU));
    assert_contains(rlc_graph_error(g), "linear: input [3, 4] and weight [5, 6] do not match");
    rlc_graph_destroy(g);
    g = rlc_graph_create(RLC_F32, 0);
    x = rlc_input(g, 2, (int[]){3, 4});
    w = rlc_input(g, 2, (int[]){5, 4});
    rlc_tensor *b = rlc_input(g, 1, (int[]){4});
    assert_null(rlc__linear_act(g, x, w, b, RLC__LIN_NONE));
    assert_contains(rlc_graph_error(g), "linear: bias [4] does not match weight [5, 4]");
    rlc_graph_destroy(g);
    g = rlc_graph_create(RLC_F32, 0);
    x = rlc_input(g, 2, (int[]){3, 4});
    w = rlc_input(g, 2, (int[]){5, 4});
    assert_null(rlc__linear_act(g, x, w, NULL, 7));
    assert_contains(rlc_graph_error(g), "linear: unknown activation code 7");
    rlc_graph_destroy(g);
}

/* rlc_mlp_forward_frozen: the values of rlc_mlp_forward_params, the same input gradient, and no
 * gradient into the params. Hidden tanh with LayerNorm covers the unfused path too. */
static void test_mlp_frozen(void **st) {
    (void)st;
    for (int ln = 0; ln < 2; ln++) {
        rlc_rng r;
        rlc_rng_seed(&r, 3);
        rlc_params *p = rlc_params_create(RLC_F32);
        rlc_mlp_spec s = {.sizes = (int[]){5, 24, 24, 1},
                          .nsizes = 4,
                          .act = ln ? RLC_ACT_TANH : RLC_ACT_RELU,
                          .layer_norm = ln ? RLC_LN_AFFINE : RLC_LN_NONE};
        rlc_mlp *m = rlc_mlp_create(p, "q", &s, &r);
        assert_non_null(m);
        rlc_tensor *x[2], *y[2];
        rlc_graph *g[2];
        for (int k = 0; k < 2; k++) {
            g[k] = rlc_graph_create(RLC_F32, 0);
            x[k] = rlc_input_grad(g[k], 2, (int[]){9, 5});
            for (int64_t i = 0; i < x[k]->size; i++) rlc_tensor_set(x[k], i, sin(1.3 * i));
            y[k] = k ? rlc_mlp_forward_frozen(g[k], m, p, x[k]) : rlc_mlp_forward_params(g[k], m, p, x[k]);
            assert_non_null(y[k]);
            rlc_tensor *l = rlc_mean_all(g[k], y[k]);
            rlc_params_zero_grad(p);
            assert_int_equal(rlc_graph_backward(g[k], l), RLC_OK);
        }
        assert_memory_equal(y[0]->data, y[1]->data, sizeof(float) * 9);
        assert_memory_equal(x[0]->grad, x[1]->grad, sizeof(float) * 45);
        /* the last backward was the frozen one: the params' gradients stayed zero */
        const float *pg = rlc_params_grad(p);
        for (int64_t i = 0; i < rlc_params_count(p); i++) assert_true(pg[i] == 0.0f);
        for (int k = 0; k < 2; k++) rlc_graph_destroy(g[k]);
        rlc_mlp_destroy(m);
        rlc_params_destroy(p);
    }
}

RLC_TESTS(core_op_linear, cmocka_unit_test(test_linear_grad),
          cmocka_unit_test(test_linear_matches_unfused), cmocka_unit_test(test_linear_errors),
          cmocka_unit_test(test_mlp_frozen))
