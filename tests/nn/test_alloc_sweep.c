/* Allocation-failure sweep over every nn constructor: make the n-th allocation fail for
 * n = 1, 2, ... until construction succeeds; each failure must report RLC_ERR_NOMEM / NULL with
 * an "out of memory" message, leak nothing and leave the params it was adding to unchanged. */
#include "test.h"

#include "rlc/nn.h"
#include "rlc/optim.h"

typedef void *(*make_fn)(void *ctx);
typedef void (*free_fn)(void *obj);

/* Runs the sweep; returns the number of failing allocations seen (> 0). */
static int sweep(const char *what, make_fn make, free_fn release, void *ctx, rlc_params *p) {
    int fails = 0;
    for (long n = 1;; n++) {
        long long live = rlc_alloc_live();
        int entries = rlc_params_num_entries(p);
        int64_t count = rlc_params_count(p);
        rlc_clear_error();
        rlc_alloc_fail_after(n);
        void *obj = make(ctx);
        rlc_alloc_fail_reset();
        if (obj) {
            release(obj);
            break;
        }
        fails++;
        if (!strstr(rlc_last_error(), "out of memory"))
            fail_msg("%s, allocation %ld failing: message '%s'", what, n, rlc_last_error());
        if (rlc_alloc_live() != live)
            fail_msg("%s, allocation %ld failing: %lld bytes leaked", what, n,
                     rlc_alloc_live() - live);
        if (p && (rlc_params_num_entries(p) != entries || rlc_params_count(p) != count))
            fail_msg("%s, allocation %ld failing: params modified", what, n);
        if (n > 1000) fail_msg("%s never succeeds", what);
    }
    return fails;
}

static rlc_rng g_rng;
static const rlc_mlp_spec *g_spec;
static rlc_params *g_p;
static int g_token;

static void *make_params(void *ctx) {
    (void)ctx;
    rlc_params *p = rlc_params_create(RLC_F32);
    if (!p) return NULL;
    if (rlc_params_add(p, "a", 2, (int[]){3, 4}, NULL) != RLC_OK ||
        rlc_params_add(p, "b", 1, (int[]){4}, NULL) != RLC_OK) {
        rlc_params_destroy(p);
        return NULL;
    }
    rlc_params *c = rlc_params_clone(p);
    rlc_params_destroy(p);
    return c;
}

static void free_params(void *o) {
    rlc_params_destroy(o);
}

static void *make_mlp(void *ctx) {
    return rlc_mlp_create(g_p, ctx, g_spec, &g_rng);
}

static void free_mlp(void *o) {
    rlc_mlp_destroy(o);
}

static void *make_ensemble(void *ctx) {
    return rlc_ensemble_create(g_p, ctx, 4, g_spec, &g_rng);
}

static void free_ensemble(void *o) {
    rlc_ensemble_destroy(o);
}

static void *make_optim(void *ctx) {
    return rlc_optim_create(g_p, ctx);
}

static void free_optim(void *o) {
    rlc_optim_destroy(o);
}

static void *make_normalizer(void *ctx) {
    (void)ctx;
    return rlc_normalizer_create(11, 1e-4, 10.0, 1e-8);
}

static void free_normalizer(void *o) {
    rlc_normalizer_destroy(o);
}

static void *make_linear(void *ctx) {
    rlc_linear *l = ctx;
    rlc_init orth = {.kind = RLC_INIT_ORTHOGONAL};
    return rlc_linear_add(l, g_p, "lin", 5, 3, 1, &orth, NULL, &g_rng) == RLC_OK ? &g_token : NULL;
}

static void free_nothing(void *o) {
    (void)o;
}

static void test_sweep_all(void **st) {
    (void)st;
    long long live0 = rlc_alloc_live();
    rlc_rng_seed(&g_rng, 3);
    assert_true(sweep("params", make_params, free_params, NULL, NULL) >= 4);

    rlc_mlp_spec s = {.sizes = (int[]){5, 8, 8, 2},
                      .nsizes = 4,
                      .act = RLC_ACT_RELU,
                      .layer_norm = RLC_LN_AFFINE,
                      .hidden_init = {.kind = RLC_INIT_ORTHOGONAL},
                      .out_init = {.kind = RLC_INIT_SPARSE, .sparsity = 0.5}};
    g_spec = &s;
    g_p = rlc_params_create(RLC_F32);
    assert_int_equal(rlc_params_add(g_p, "existing", 1, (int[]){7}, NULL), RLC_OK);
    assert_true(sweep("mlp", make_mlp, free_mlp, "m", g_p) >= 2);
    assert_true(sweep("ensemble", make_ensemble, free_ensemble, "e", g_p) >= 2);
    rlc_linear l;
    assert_true(sweep("linear", make_linear, free_nothing, &l, g_p) >= 2);
    rlc_optim_kind kinds[] = {RLC_OPTIM_ADAM, RLC_OPTIM_SGD, RLC_OPTIM_RMSPROP};
    for (int k = 0; k < 3; k++) {
        rlc_optim_config c = rlc_optim_defaults(kinds[k]);
        c.momentum = 0.9;
        c.centered = 1;
        assert_true(sweep("optimizer", make_optim, free_optim, &c, g_p) >= 1);
    }
    rlc_params_destroy(g_p);
    g_p = NULL;
    assert_true(sweep("normalizer", make_normalizer, free_normalizer, NULL, NULL) >= 2);
    assert_int_equal(rlc_alloc_live(), live0);
}

RLC_TESTS(nn_alloc, cmocka_unit_test(test_sweep_all))
