/* Linear and MLP: values against a direct computation, PyTorch-style entry names, one MLP
 * recorded into several graphs, target params, LayerNorm, gradients and error cases. */
#include "test.h"

#include "rlc/nn.h"

#include <math.h>

/* Direct float64 evaluation of an MLP from its params (weights [out, in]). */
static void ref_forward(rlc_params *p, const rlc_mlp *m, const rlc_mlp_spec *s, const double *x,
                        double *y) {
    double h[64], t[64];
    int L = rlc_mlp_num_layers(m);
    int n = s->sizes[0];
    memcpy(h, x, sizeof(double) * n);
    rlc_dtype dt = rlc_params_dtype(p);
    const void *data = rlc_params_data(p);
#define VAL(off) (dt == RLC_F32 ? (double)((const float *)data)[off] : ((const double *)data)[off])
    for (int l = 0; l < L; l++) {
        const rlc_linear *lin = rlc_mlp_layer(m, l);
        int64_t wo = rlc_params_entry(p, lin->weight)->offset;
        int64_t bo = lin->bias >= 0 ? rlc_params_entry(p, lin->bias)->offset : -1;
        for (int o = 0; o < lin->out; o++) {
            double a = bo >= 0 ? VAL(bo + o) : 0.0;
            for (int i = 0; i < lin->in; i++)
                a += VAL(wo + (int64_t)o * lin->in + i) * h[i];
            t[o] = a;
        }
        n = lin->out;
        int last = l == L - 1;
        if (!last && s->layer_norm) {
            double mu = 0, var = 0;
            for (int o = 0; o < n; o++)
                mu += t[o];
            mu /= n;
            for (int o = 0; o < n; o++)
                var += (t[o] - mu) * (t[o] - mu);
            var /= n;
            char name[64];
            snprintf(name, sizeof name, "m.ln%d.weight", l);
            int gi = rlc_params_find(p, name);
            for (int o = 0; o < n; o++) {
                t[o] = (t[o] - mu) / sqrt(var + 1e-5);
                if (gi >= 0) {
                    int64_t go = rlc_params_entry(p, gi)->offset;
                    int64_t bo2 = rlc_params_entry(p, gi + 1)->offset;
                    t[o] = t[o] * VAL(go + o) + VAL(bo2 + o);
                }
            }
        }
        rlc_act a = last ? s->out_act : s->act;
        for (int o = 0; o < n; o++) {
            double v = t[o];
            switch (a) {
            case RLC_ACT_RELU:
                v = v > 0 ? v : 0;
                break;
            case RLC_ACT_TANH:
                v = tanh(v);
                break;
            case RLC_ACT_ELU:
                v = v > 0 ? v : expm1(v);
                break;
            case RLC_ACT_LEAKY_RELU:
                v = v > 0 ? v : 0.01 * v;
                break;
            case RLC_ACT_SIGMOID:
                v = 1 / (1 + exp(-v));
                break;
            case RLC_ACT_GELU:
                v = 0.5 * v * (1 + tanh(sqrt(2 / M_PI) * (v + 0.044715 * v * v * v)));
                break;
            default:
                break;
            }
            h[o] = v;
        }
    }
#undef VAL
    memcpy(y, h, sizeof(double) * n);
}

static void check_mlp(rlc_dtype dt, rlc_act act, rlc_act out_act, int ln, double tol) {
    rlc_params *p = rlc_params_create(dt);
    rlc_rng r;
    rlc_rng_seed(&r, 3);
    rlc_mlp_spec s = {.sizes = (int[]){5, 8, 7, 3},
                      .nsizes = 4,
                      .act = act,
                      .out_act = out_act,
                      .layer_norm = ln};
    rlc_mlp *m = rlc_mlp_create(p, "m", &s, &r);
    assert_non_null(m);
    if (ln == RLC_LN_AFFINE) { /* non-trivial gamma/beta */
        for (int l = 0; l < 2; l++) {
            char nm[32];
            snprintf(nm, sizeof nm, "m.ln%d.weight", l);
            rlc_init u = {.kind = RLC_INIT_UNIFORM, .lo = 0.5, .hi = 1.5};
            assert_int_equal(rlc_params_init_entry(p, rlc_params_find(p, nm), &u, &r), RLC_OK);
            snprintf(nm, sizeof nm, "m.ln%d.bias", l);
            u.lo = -0.5;
            u.hi = 0.5;
            assert_int_equal(rlc_params_init_entry(p, rlc_params_find(p, nm), &u, &r), RLC_OK);
        }
    }
    int B = 4;
    rlc_graph *g = rlc_graph_create(dt, 0);
    rlc_tensor *x = rlc_input(g, 2, (int[]){B, 5});
    rlc_tensor *y = rlc_mlp_forward(g, m, x);
    assert_int_equal(rlc_graph_status(g), RLC_OK);
    assert_int_equal(y->ndim, 2);
    assert_int_equal(y->shape[1], 3);
    double xs[4][5];
    for (int b = 0; b < B; b++)
        for (int i = 0; i < 5; i++) {
            xs[b][i] = rlc_rng_uniform(&r, -2, 2);
            rlc_tensor_set(x, b * 5 + i, xs[b][i]);
        }
    assert_int_equal(rlc_graph_forward(g), RLC_OK);
    for (int b = 0; b < B; b++) {
        double want[3];
        ref_forward(p, m, &s, xs[b], want);
        for (int o = 0; o < 3; o++)
            assert_close(rlc_tensor_get(y, b * 3 + o), want[o], tol);
    }
    rlc_graph_destroy(g);
    rlc_mlp_destroy(m);
    rlc_params_destroy(p);
}

static void test_mlp_values(void **st) {
    (void)st;
    rlc_act acts[] = {RLC_ACT_RELU,       RLC_ACT_TANH,    RLC_ACT_ELU, RLC_ACT_GELU,
                      RLC_ACT_LEAKY_RELU, RLC_ACT_SIGMOID, RLC_ACT_NONE};
    for (int a = 0; a < 7; a++) {
        check_mlp(RLC_F64, acts[a], RLC_ACT_NONE, RLC_LN_NONE, 1e-12);
        check_mlp(RLC_F32, acts[a], RLC_ACT_TANH, RLC_LN_NONE, 1e-5);
    }
    check_mlp(RLC_F64, RLC_ACT_RELU, RLC_ACT_NONE, RLC_LN_AFFINE, 1e-10);
    check_mlp(RLC_F64, RLC_ACT_TANH, RLC_ACT_NONE, RLC_LN_PLAIN, 1e-10);
    check_mlp(RLC_F32, RLC_ACT_ELU, RLC_ACT_SIGMOID, RLC_LN_AFFINE, 1e-5);
}

static void test_names_and_counts(void **st) {
    (void)st;
    rlc_params *p = rlc_params_create(RLC_F32);
    rlc_rng r;
    rlc_rng_seed(&r, 0);
    rlc_mlp_spec s = {.sizes = (int[]){17, 256, 256, 6}, .nsizes = 4, .act = RLC_ACT_RELU};
    rlc_mlp *q = rlc_mlp_create(p, "critic", &s, &r);
    s.layer_norm = RLC_LN_AFFINE;
    s.no_bias = 1;
    rlc_mlp *a = rlc_mlp_create(p, NULL, &s, &r);
    assert_non_null(q);
    assert_non_null(a);
    int64_t nq = 17 * 256 + 256 + 256 * 256 + 256 + 256 * 6 + 6;
    int64_t na = 17 * 256 + 256 * 256 + 256 * 6 + 4 * 256;
    assert_int_equal(rlc_params_count(p), nq + na);
    const char *names[] = {"critic.0.weight", "critic.0.bias", "critic.1.weight", "critic.1.bias",
                           "critic.2.weight", "critic.2.bias", "0.weight",        "ln0.weight",
                           "ln0.bias",        "1.weight",      "ln1.weight",      "ln1.bias",
                           "2.weight"};
    assert_int_equal(rlc_params_num_entries(p), 13);
    for (int i = 0; i < 13; i++)
        assert_string_equal(rlc_params_entry(p, i)->name, names[i]);
    assert_int_equal(rlc_params_entry(p, 0)->shape[0], 256);
    assert_int_equal(rlc_params_entry(p, 0)->shape[1], 17);
    assert_int_equal(rlc_mlp_in(q), 17);
    assert_int_equal(rlc_mlp_out(q), 6);
    assert_ptr_equal(rlc_mlp_params(q), p);
    /* second MLP with the same prefix collides */
    assert_null(rlc_mlp_create(p, "critic", &s, &r));
    assert_contains(rlc_last_error(), "duplicate entry name");
    assert_int_equal(rlc_params_num_entries(p), 13);
    /* bad specs */
    rlc_mlp_spec bad = s;
    bad.nsizes = 1;
    assert_null(rlc_mlp_create(p, "x", &bad, &r));
    bad = s;
    bad.sizes = (int[]){3, 0, 2};
    bad.nsizes = 3;
    assert_null(rlc_mlp_create(p, "x", &bad, &r));
    assert_contains(rlc_last_error(), "size 0 at position 1");
    bad = s;
    bad.hidden_bias_init.kind = RLC_INIT_ORTHOGONAL;
    assert_null(rlc_mlp_create(p, "x", &bad, &r));
    rlc_mlp_destroy(q);
    rlc_mlp_destroy(a);
    rlc_mlp_destroy(NULL);
    rlc_params_destroy(p);
}

static void test_several_graphs_and_target(void **st) {
    (void)st;
    rlc_params *p = rlc_params_create(RLC_F32);
    rlc_rng r;
    rlc_rng_seed(&r, 5);
    rlc_mlp_spec s = {.sizes = (int[]){3, 16, 2},
                      .nsizes = 3,
                      .act = RLC_ACT_TANH,
                      .hidden_init = {.kind = RLC_INIT_ORTHOGONAL, .gain = sqrt(2.0)},
                      .out_init = {.kind = RLC_INIT_ORTHOGONAL, .gain = 0.01}};
    rlc_mlp *m = rlc_mlp_create(p, "pi", &s, &r);
    rlc_params *targ = rlc_params_clone(p);
    /* acting graph: batch 1, forward only; training graph: batch 8 */
    rlc_graph *ga = rlc_graph_create(RLC_F32, RLC_GRAPH_NO_GRAD);
    rlc_tensor *xa = rlc_input(ga, 2, (int[]){1, 3});
    rlc_tensor *ya = rlc_mlp_forward(ga, m, xa);
    rlc_graph *gt = rlc_graph_create(RLC_F32, 0);
    rlc_tensor *xt = rlc_input(gt, 2, (int[]){8, 3});
    rlc_tensor *yt = rlc_mlp_forward(gt, m, xt);
    rlc_tensor *yq = rlc_mlp_forward_params(gt, m, targ, xt);
    /* a 1-D input works too */
    rlc_tensor *x1 = rlc_input(gt, 1, (int[]){3});
    rlc_tensor *y1 = rlc_mlp_forward(gt, m, x1);
    assert_int_equal(rlc_graph_status(ga), RLC_OK);
    assert_int_equal(rlc_graph_status(gt), RLC_OK);
    assert_int_equal(y1->ndim, 1);
    assert_int_equal(y1->shape[0], 2);
    for (int i = 0; i < 24; i++)
        rlc_tensor_set(xt, i, 0.1 * i - 1);
    for (int i = 0; i < 3; i++) {
        rlc_tensor_set(xa, i, 0.1 * (3 * 5 + i) - 1);
        rlc_tensor_set(x1, i, 0.1 * (3 * 5 + i) - 1);
    }
    assert_int_equal(rlc_graph_forward(ga), RLC_OK);
    assert_int_equal(rlc_graph_forward(gt), RLC_OK);
    /* equal up to rounding: BLAS may sum in another order for another batch size */
    for (int o = 0; o < 2; o++) {
        assert_close(rlc_tensor_get(ya, o), rlc_tensor_get(yt, 5 * 2 + o), 1e-6);
        assert_close(rlc_tensor_get(y1, o), rlc_tensor_get(yt, 5 * 2 + o), 1e-6);
    }
    for (int i = 0; i < 16; i++)
        assert_true(rlc_tensor_get(yq, i) == rlc_tensor_get(yt, i));
    /* change the online params: the target graph output stays, the online one moves */
    float *d = rlc_params_data(p);
    for (int64_t i = 0; i < rlc_params_count(p); i++)
        d[i] *= 1.5f;
    assert_int_equal(rlc_graph_forward(gt), RLC_OK);
    int differ = 0;
    for (int i = 0; i < 16; i++)
        differ |= rlc_tensor_get(yq, i) != rlc_tensor_get(yt, i);
    assert_true(differ);
    assert_int_equal(rlc_params_copy(targ, p), RLC_OK);
    assert_int_equal(rlc_graph_forward(gt), RLC_OK);
    for (int i = 0; i < 16; i++)
        assert_true(rlc_tensor_get(yq, i) == rlc_tensor_get(yt, i));
    /* adding to p now is refused: views exist */
    assert_null(rlc_mlp_create(p, "late", &s, &r));
    assert_contains(rlc_last_error(), "frozen");
    rlc_graph_destroy(ga);
    rlc_graph_destroy(gt);
    rlc_mlp_destroy(m);
    rlc_params_destroy(targ);
    rlc_params_destroy(p);
}

static void test_forward_errors(void **st) {
    (void)st;
    rlc_params *p = rlc_params_create(RLC_F32);
    rlc_rng r;
    rlc_rng_seed(&r, 5);
    rlc_mlp_spec s = {.sizes = (int[]){3, 4, 2}, .nsizes = 3, .act = RLC_ACT_RELU};
    rlc_mlp *m = rlc_mlp_create(p, "m", &s, &r);
    rlc_graph *g = rlc_graph_create(RLC_F32, 0);
    rlc_tensor *x = rlc_input(g, 2, (int[]){2, 5});
    assert_null(rlc_mlp_forward(g, m, x));
    assert_int_equal(rlc_graph_status(g), RLC_ERR_INVALID);
    assert_contains(rlc_graph_error(g), "input [2, 5] does not end in 3 features");
    rlc_graph_destroy(g);
    g = rlc_graph_create(RLC_F32, 0);
    rlc_params *other = rlc_params_create(RLC_F32);
    assert_int_equal(rlc_params_add(other, "x", 1, (int[]){4}, NULL), RLC_OK);
    x = rlc_input(g, 2, (int[]){2, 3});
    assert_null(rlc_mlp_forward_params(g, m, other, x));
    assert_contains(rlc_graph_error(g), "layout");
    rlc_graph_destroy(g);
    g = rlc_graph_create(RLC_F64, 0);
    x = rlc_input(g, 2, (int[]){2, 3});
    assert_null(rlc_mlp_forward(g, m, x));
    assert_contains(rlc_graph_error(g), "float32 but the graph is float64");
    rlc_graph_destroy(g);
    rlc_params_destroy(other);
    rlc_mlp_destroy(m);
    rlc_params_destroy(p);
}

/* d(sum(y * w))/d(params) against central differences, float64. */
static void test_mlp_param_gradients(void **st) {
    (void)st;
    rlc_params *p = rlc_params_create(RLC_F64);
    rlc_rng r;
    rlc_rng_seed(&r, 8);
    rlc_mlp_spec s = {.sizes = (int[]){3, 5, 4, 2},
                      .nsizes = 4,
                      .act = RLC_ACT_TANH,
                      .out_act = RLC_ACT_NONE,
                      .layer_norm = RLC_LN_AFFINE};
    rlc_mlp *m = rlc_mlp_create(p, "m", &s, &r);
    rlc_graph *g = rlc_graph_create(RLC_F64, 0);
    rlc_tensor *x = rlc_input(g, 2, (int[]){3, 3});
    rlc_tensor *w = rlc_input(g, 2, (int[]){3, 2});
    rlc_tensor *loss = rlc_sum_all(g, rlc_mul(g, rlc_mlp_forward(g, m, x), w));
    assert_int_equal(rlc_graph_status(g), RLC_OK);
    for (int i = 0; i < 9; i++)
        rlc_tensor_set(x, i, rlc_rng_uniform(&r, -1, 1));
    for (int i = 0; i < 6; i++)
        rlc_tensor_set(w, i, rlc_rng_uniform(&r, -1, 1));
    rlc_params_zero_grad(p);
    assert_int_equal(rlc_graph_forward(g), RLC_OK);
    assert_int_equal(rlc_graph_backward(g, loss), RLC_OK);
    double *d = rlc_params_data(p);
    const double *gr = rlc_params_grad(p);
    for (int64_t i = 0; i < rlc_params_count(p); i++) {
        double keep = d[i], h = 1e-6;
        d[i] = keep + h;
        rlc_graph_forward(g);
        double lp = rlc_tensor_get(loss, 0);
        d[i] = keep - h;
        rlc_graph_forward(g);
        double lm = rlc_tensor_get(loss, 0);
        d[i] = keep;
        double fd = (lp - lm) / (2 * h);
        if (fabs(fd - gr[i]) > 1e-6 * (1 + fabs(fd)))
            fail_msg("param %lld: analytic %g, numeric %g", (long long)i, gr[i], fd);
    }
    rlc_graph_destroy(g);
    rlc_mlp_destroy(m);
    rlc_params_destroy(p);
}

static void test_act_names(void **st) {
    (void)st;
    rlc_act a;
    assert_int_equal(rlc_act_parse("gelu", &a), RLC_OK);
    assert_int_equal(a, RLC_ACT_GELU);
    assert_int_equal(rlc_act_parse("identity", &a), RLC_OK);
    assert_int_equal(a, RLC_ACT_NONE);
    assert_int_equal(rlc_act_parse("swish", &a), RLC_ERR_INVALID);
    assert_string_equal(rlc_act_name(RLC_ACT_LEAKY_RELU), "leaky_relu");
}

RLC_TESTS(nn_mlp, cmocka_unit_test(test_mlp_values), cmocka_unit_test(test_names_and_counts),
          cmocka_unit_test(test_several_graphs_and_target), cmocka_unit_test(test_forward_errors),
          cmocka_unit_test(test_mlp_param_gradients), cmocka_unit_test(test_act_names))
