/* Ensembles: the batched evaluation equals N separate MLPs carrying each member's weights
 * (shared and per-member inputs, with and without LayerNorm), and gradients agree too. */
#include "test.h"

#include "rlc/nn.h"

#include <math.h>

/* Copies member k of ensemble e into the single MLP m (weights transposed to [out, in]). */
static void copy_member(rlc_params *ep, const rlc_ensemble *e, int k, rlc_params *mp, int ln) {
    const float *src = rlc_params_data(ep);
    float *dst = rlc_params_data(mp);
    int L = rlc_ensemble_num_layers(e);
    for (int l = 0; l < L; l++) {
        const rlc_param_entry *w = rlc_params_entry(ep, rlc_ensemble_weight_entry(e, l));
        int in = w->shape[1], out = w->shape[2];
        char name[64];
        snprintf(name, sizeof name, "m.%d.weight", l);
        const rlc_param_entry *mw = rlc_params_entry(mp, rlc_params_find(mp, name));
        for (int o = 0; o < out; o++)
            for (int i = 0; i < in; i++)
                dst[mw->offset + o * in + i] = src[w->offset + (int64_t)k * in * out + i * out + o];
        const char *names[3][2] = {{"%d.bias", "m.%d.bias"},
                                   {"ln%d.weight", "m.ln%d.weight"},
                                   {"ln%d.bias", "m.ln%d.bias"}};
        for (int v = 0; v < (ln == RLC_LN_AFFINE && l < L - 1 ? 3 : 1); v++) {
            char en[64], mn[64];
            snprintf(en, sizeof en, "e.");
            snprintf(en + 2, sizeof en - 2, names[v][0], l);
            snprintf(mn, sizeof mn, names[v][1], l);
            const rlc_param_entry *a = rlc_params_entry(ep, rlc_params_find(ep, en));
            const rlc_param_entry *b = rlc_params_entry(mp, rlc_params_find(mp, mn));
            assert_non_null(a);
            assert_non_null(b);
            for (int o = 0; o < out; o++)
                dst[b->offset + o] = src[a->offset + k * out + o];
        }
    }
}

static void check_ensemble(int shared, int ln) {
    enum { N = 5, B = 6, IN = 4, OUT = 3 };
    rlc_rng r;
    rlc_rng_seed(&r, 21);
    rlc_mlp_spec s = {.sizes = (int[]){IN, 16, 8, OUT},
                      .nsizes = 4,
                      .act = RLC_ACT_ELU,
                      .layer_norm = ln,
                      .out_act = RLC_ACT_NONE};
    rlc_params *ep = rlc_params_create(RLC_F32);
    rlc_ensemble *e = rlc_ensemble_create(ep, "e", N, &s, &r);
    assert_non_null(e);
    assert_int_equal(rlc_ensemble_size(e), N);
    if (ln) /* non-trivial affine parameters */
        for (int i = 0; i < rlc_params_num_entries(ep); i++)
            if (strstr(rlc_params_entry(ep, i)->name, ".ln"))
                rlc_params_init_entry(
                    ep, i, &(rlc_init){.kind = RLC_INIT_UNIFORM, .lo = 0.5, .hi = 1.5}, &r);
    rlc_graph *g = rlc_graph_create(RLC_F32, 0);
    rlc_tensor *x = shared ? rlc_input(g, 2, (int[]){B, IN}) : rlc_input(g, 3, (int[]){N, B, IN});
    rlc_tensor *y = rlc_ensemble_forward(g, e, x);
    rlc_tensor *wgt = rlc_input(g, 3, (int[]){N, B, OUT});
    rlc_tensor *loss = rlc_sum_all(g, rlc_mul(g, y, wgt));
    assert_int_equal(rlc_graph_status(g), RLC_OK);
    assert_int_equal(y->ndim, 3);
    assert_int_equal(y->shape[0], N);
    assert_int_equal(y->shape[1], B);
    assert_int_equal(y->shape[2], OUT);
    for (int64_t i = 0; i < x->size; i++)
        rlc_tensor_set(x, i, rlc_rng_uniform(&r, -2, 2));
    for (int64_t i = 0; i < wgt->size; i++)
        rlc_tensor_set(wgt, i, rlc_rng_uniform(&r, -1, 1));
    rlc_graph_forward(g);
    rlc_params_zero_grad(ep);
    assert_int_equal(rlc_graph_backward(g, loss), RLC_OK);

    for (int k = 0; k < N; k++) {
        rlc_params *mp = rlc_params_create(RLC_F32);
        rlc_mlp *m = rlc_mlp_create(mp, "m", &s, &r);
        copy_member(ep, e, k, mp, ln);
        rlc_graph *h = rlc_graph_create(RLC_F32, 0);
        rlc_tensor *xm = rlc_input(h, 2, (int[]){B, IN});
        rlc_tensor *ym = rlc_mlp_forward(h, m, xm);
        rlc_tensor *wm = rlc_input(h, 2, (int[]){B, OUT});
        rlc_tensor *lm = rlc_sum_all(h, rlc_mul(h, ym, wm));
        for (int i = 0; i < B * IN; i++)
            rlc_tensor_set(xm, i, rlc_tensor_get(x, shared ? i : k * B * IN + i));
        for (int i = 0; i < B * OUT; i++)
            rlc_tensor_set(wm, i, rlc_tensor_get(wgt, k * B * OUT + i));
        rlc_graph_forward(h);
        for (int i = 0; i < B * OUT; i++)
            assert_close(rlc_tensor_get(ym, i), rlc_tensor_get(y, k * B * OUT + i), 1e-5);
        rlc_params_zero_grad(mp);
        rlc_graph_backward(h, lm);
        /* gradient of member k's first weight matches the single MLP's (transposed) */
        const rlc_param_entry *ew = rlc_params_entry(ep, rlc_ensemble_weight_entry(e, 0));
        const rlc_param_entry *mw = rlc_params_entry(mp, rlc_params_find(mp, "m.0.weight"));
        const float *eg = rlc_params_grad(ep), *mg = rlc_params_grad(mp);
        for (int o = 0; o < 16; o++)
            for (int i = 0; i < IN; i++)
                assert_close(eg[ew->offset + k * IN * 16 + i * 16 + o], mg[mw->offset + o * IN + i],
                             1e-4);
        const rlc_param_entry *eb = rlc_params_entry(ep, rlc_ensemble_bias_entry(e, 2));
        const rlc_param_entry *mb = rlc_params_entry(mp, rlc_params_find(mp, "m.2.bias"));
        for (int o = 0; o < OUT; o++)
            assert_close(eg[eb->offset + k * OUT + o], mg[mb->offset + o], 1e-4);
        rlc_graph_destroy(h);
        rlc_mlp_destroy(m);
        rlc_params_destroy(mp);
    }
    rlc_graph_destroy(g);
    rlc_ensemble_destroy(e);
    rlc_params_destroy(ep);
}

static void test_ensemble_equals_members(void **st) {
    (void)st;
    check_ensemble(1, RLC_LN_NONE);
    check_ensemble(0, RLC_LN_NONE);
    check_ensemble(0, RLC_LN_AFFINE);
    check_ensemble(1, RLC_LN_PLAIN);
}

/* Member k's initial weights are what a single Linear would get from the same draws. */
static void test_ensemble_init_and_errors(void **st) {
    (void)st;
    rlc_rng r;
    rlc_rng_seed(&r, 1);
    rlc_params *p = rlc_params_create(RLC_F64);
    rlc_mlp_spec s = {
        .sizes = (int[]){6, 4}, .nsizes = 2, .out_init = {.kind = RLC_INIT_ORTHOGONAL}};
    rlc_ensemble *e = rlc_ensemble_create(p, "e", 3, &s, &r);
    assert_non_null(e);
    const double *d = rlc_params_data(p);
    /* each member slice [6, 4] is W^T of an orthogonal [4, 6]: rows of W orthonormal */
    for (int k = 0; k < 3; k++)
        for (int a = 0; a < 4; a++)
            for (int b = 0; b < 4; b++) {
                double dot = 0;
                for (int i = 0; i < 6; i++)
                    dot += d[k * 24 + i * 4 + a] * d[k * 24 + i * 4 + b];
                assert_close(dot, a == b, 1e-12);
            }
    rlc_graph *g = rlc_graph_create(RLC_F64, 0);
    rlc_tensor *x = rlc_input(g, 3, (int[]){2, 5, 6}); /* wrong member count */
    assert_null(rlc_ensemble_forward(g, e, x));
    assert_contains(rlc_graph_error(g), "neither [B, 6] nor [3, B, 6]");
    rlc_graph_destroy(g);
    assert_null(rlc_ensemble_create(p, "f", 0, &s, &r));
    rlc_ensemble_destroy(e);
    rlc_ensemble_destroy(NULL);
    rlc_params_destroy(p);
}

RLC_TESTS(nn_ensemble, cmocka_unit_test(test_ensemble_equals_members),
          cmocka_unit_test(test_ensemble_init_and_errors))
