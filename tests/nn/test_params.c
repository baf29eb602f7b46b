/* Flat parameter blocks: entries and layout, views into graphs, freezing, hard copy, Polyak
 * averaging, gradient norms and float64 parameters. */
#include "test.h"

#include "rlc/nn.h"
#include "rlc/optim.h"

#include <math.h>

static void test_entries_and_layout(void **st) {
    (void)st;
    rlc_params *p = rlc_params_create(RLC_F32);
    assert_non_null(p);
    int i0 = -1, i1 = -1;
    assert_int_equal(rlc_params_add(p, "w", 2, (int[]){3, 4}, &i0), RLC_OK);
    assert_int_equal(rlc_params_add(p, "b", 1, (int[]){3}, &i1), RLC_OK);
    assert_int_equal(i0, 0);
    assert_int_equal(i1, 1);
    assert_int_equal(rlc_params_count(p), 15);
    assert_int_equal(rlc_params_num_entries(p), 2);
    const rlc_param_entry *e = rlc_params_entry(p, 1);
    assert_string_equal(e->name, "b");
    assert_int_equal(e->offset, 12);
    assert_int_equal(e->size, 3);
    assert_int_equal(rlc_params_find(p, "w"), 0);
    assert_int_equal(rlc_params_find(p, "nope"), -1);
    assert_null(rlc_params_entry(p, 2));
    /* duplicate names and bad shapes are refused, p unchanged */
    assert_int_equal(rlc_params_add(p, "w", 1, (int[]){2}, NULL), RLC_ERR_INVALID);
    assert_contains(rlc_last_error(), "duplicate entry name 'w'");
    assert_int_equal(rlc_params_add(p, "z", 1, (int[]){0}, NULL), RLC_ERR_INVALID);
    assert_int_equal(rlc_params_add(p, "", 1, (int[]){2}, NULL), RLC_ERR_INVALID);
    assert_int_equal(rlc_params_count(p), 15);
    /* values are zero-initialised and survive growth */
    float *d = rlc_params_data(p);
    for (int i = 0; i < 15; i++)
        assert_true(d[i] == 0.0f);
    /* handing out a pointer froze the layout */
    assert_int_equal(rlc_params_add(p, "late", 1, (int[]){2}, NULL), RLC_ERR_STATE);
    assert_contains(rlc_last_error(), "frozen");
    assert_true(((uintptr_t)d & 63) == 0);
    rlc_params_destroy(p);
    rlc_params_destroy(NULL);
}

static void test_growth_keeps_values(void **st) {
    (void)st;
    rlc_params *p = rlc_params_create(RLC_F64);
    rlc_rng r;
    rlc_rng_seed(&r, 1);
    rlc_linear a, b;
    assert_int_equal(rlc_linear_add(&a, p, "a", 3, 2, 1, NULL, NULL, &r), RLC_OK);
    const rlc_param_entry *ea = rlc_params_entry(p, a.weight);
    double before[8];
    /* read values through a clone (does not freeze p) */
    rlc_params *c1 = rlc_params_clone(p);
    memcpy(before, rlc_params_data(c1), sizeof before);
    assert_int_equal(ea->size, 6);
    assert_int_equal(rlc_linear_add(&b, p, "b", 2, 5, 1, NULL, NULL, &r), RLC_OK);
    assert_int_equal(rlc_params_count(p), 8 + 15);
    assert_int_equal(rlc_params_find(p, "b.weight"), 2);
    const double *now = rlc_params_data(p);
    assert_memory_equal(before, now, sizeof before);
    rlc_params_destroy(c1);
    rlc_params_destroy(p);
}

static void test_view_in_graph(void **st) {
    (void)st;
    rlc_params *p = rlc_params_create(RLC_F32);
    int w;
    assert_int_equal(rlc_params_add(p, "w", 2, (int[]){2, 2}, &w), RLC_OK);
    float *d = rlc_params_data(p);
    d[0] = 1, d[1] = 2, d[2] = 3, d[3] = 4;
    rlc_graph *g = rlc_graph_create(RLC_F32, 0);
    rlc_tensor *x = rlc_input(g, 2, (int[]){1, 2});
    rlc_tensor *W = rlc_params_tensor(g, p, w);
    rlc_tensor *y = rlc_sum_all(g, rlc_matmul(g, x, W, 0, 0));
    assert_int_equal(rlc_graph_status(g), RLC_OK);
    rlc_tensor_set(x, 0, 1.0);
    rlc_tensor_set(x, 1, 1.0);
    assert_int_equal(rlc_graph_forward(g), RLC_OK);
    assert_close(rlc_tensor_get(y, 0), 10.0, 0);
    rlc_params_zero_grad(p);
    assert_int_equal(rlc_graph_backward(g, y), RLC_OK);
    const float *gr = rlc_params_grad(p);
    for (int i = 0; i < 4; i++)
        assert_close(gr[i], 1.0, 0);
    assert_close(rlc_params_grad_norm(p), 2.0, 1e-12);
    rlc_params_zero_grad(p);
    assert_close(rlc_params_grad_norm(p), 0.0, 0);
    rlc_graph_destroy(g);

    /* dtype mismatch and bad index are sticky graph errors */
    g = rlc_graph_create(RLC_F64, 0);
    assert_null(rlc_params_tensor(g, p, w));
    assert_int_equal(rlc_graph_status(g), RLC_ERR_INVALID);
    assert_contains(rlc_graph_error(g), "params are float32 but the graph is float64");
    rlc_graph_destroy(g);
    g = rlc_graph_create(RLC_F32, 0);
    assert_null(rlc_params_tensor(g, p, 7));
    assert_contains(rlc_graph_error(g), "entry index 7");
    rlc_graph_destroy(g);
    rlc_params_destroy(p);
}

static rlc_params *make_pair(rlc_dtype dt, rlc_params **clone) {
    rlc_params *p = rlc_params_create(dt);
    rlc_rng r;
    rlc_rng_seed(&r, 7);
    rlc_linear l;
    assert_int_equal(rlc_linear_add(&l, p, "l", 5, 4, 1, NULL, NULL, &r), RLC_OK);
    *clone = rlc_params_clone(p);
    assert_non_null(*clone);
    /* make the clone different */
    assert_int_equal(rlc_params_init_entry(
                         *clone, 0, &(rlc_init){.kind = RLC_INIT_UNIFORM, .lo = -3, .hi = 3}, &r),
                     RLC_OK);
    return p;
}

static void test_copy_and_polyak(void **st) {
    (void)st;
    rlc_params *t;
    rlc_params *p = make_pair(RLC_F32, &t);
    assert_true(rlc_params_same_layout(p, t));
    int64_t n = rlc_params_count(p);
    assert_int_equal(n, 24);
    float before[24], src[24];
    memcpy(before, rlc_params_data(t), sizeof before);
    memcpy(src, rlc_params_data(p), sizeof src);
    assert_int_equal(rlc_params_polyak(t, p, 0.005), RLC_OK);
    const float *now = rlc_params_data(t);
    for (int i = 0; i < n; i++) {
        float want = before[i] * (float)(1.0 - 0.005) + (float)0.005 * src[i];
        assert_true(now[i] == want);
        assert_close(now[i], 0.995 * before[i] + 0.005 * src[i], 1e-6);
    }
    /* tau = 1 is a hard copy, tau = 0 changes nothing */
    memcpy(before, now, sizeof before);
    assert_int_equal(rlc_params_polyak(t, p, 0.0), RLC_OK);
    assert_memory_equal(rlc_params_data(t), before, sizeof before);
    assert_int_equal(rlc_params_polyak(t, p, 1.0), RLC_OK);
    assert_memory_equal(rlc_params_data(t), src, sizeof src);
    assert_int_equal(rlc_params_polyak(t, p, 1.5), RLC_ERR_RANGE);
    assert_int_equal(rlc_params_polyak(t, p, NAN), RLC_ERR_RANGE);
    /* hard copy */
    assert_int_equal(rlc_params_init_entry(t, 1, &(rlc_init){.kind = RLC_INIT_CONSTANT, .value = 9},
                                           &(rlc_rng){0}),
                     RLC_OK);
    assert_int_equal(rlc_params_copy(t, p), RLC_OK);
    assert_memory_equal(rlc_params_data(t), src, sizeof src);
    /* layout mismatch */
    rlc_params *other = rlc_params_create(RLC_F32);
    assert_int_equal(rlc_params_add(other, "x", 1, (int[]){24}, NULL), RLC_OK);
    assert_false(rlc_params_same_layout(p, other));
    assert_int_equal(rlc_params_copy(other, p), RLC_ERR_INVALID);
    assert_contains(rlc_last_error(), "layouts differ");
    assert_int_equal(rlc_params_polyak(other, p, 0.5), RLC_ERR_INVALID);
    rlc_params_destroy(other);
    rlc_params_destroy(t);
    rlc_params_destroy(p);
}

static void test_float64_params(void **st) {
    (void)st;
    rlc_params *t;
    rlc_params *p = make_pair(RLC_F64, &t);
    assert_int_equal(rlc_params_dtype(p), RLC_F64);
    double src[24], before[24];
    memcpy(src, rlc_params_data(p), sizeof src);
    memcpy(before, rlc_params_data(t), sizeof before);
    assert_int_equal(rlc_params_polyak(t, p, 0.25), RLC_OK);
    const double *now = rlc_params_data(t);
    for (int i = 0; i < 24; i++)
        assert_true(now[i] == before[i] * 0.75 + 0.25 * src[i]);
    rlc_params_destroy(t);
    rlc_params_destroy(p);
    assert_null(rlc_params_create((rlc_dtype)5));
}

RLC_TESTS(nn_params, cmocka_unit_test(test_entries_and_layout),
          cmocka_unit_test(test_growth_keeps_values), cmocka_unit_test(test_view_in_graph),
          cmocka_unit_test(test_copy_and_polyak), cmocka_unit_test(test_float64_params))
