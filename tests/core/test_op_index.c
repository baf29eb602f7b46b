/* Gradient checks, values and error cases for the index ops (gather, scatter_add, one_hot) and
 * the shape ops (concat, slice, reshape, transpose). */
#include "test.h"

#include <math.h>

#include "core/gradcheck.h"
#include "rlc/graph.h"

static void set_all(rlc_tensor *t, const double *v) {
    for (int64_t i = 0; i < t->size; i++) rlc_tensor_set(t, i, v[i]);
}

static void set_iota(rlc_tensor *t) {
    for (int64_t i = 0; i < t->size; i++) rlc_tensor_set(t, i, (double)i);
}

static void assert_shape(const rlc_tensor *t, int ndim, const int *shape) {
    assert_non_null(t);
    assert_int_equal(t->ndim, ndim);
    for (int i = 0; i < ndim; i++) assert_int_equal(t->shape[i], shape[i]);
}

static void assert_values(const rlc_tensor *t, const double *want, int64_t n) {
    assert_int_equal(t->size, n);
    for (int64_t i = 0; i < n; i++) assert_close(rlc_tensor_get(t, i), want[i], 1e-12);
}

/* ---- gather / scatter_add / one_hot ---- */

static rlc_tensor *build_gather(rlc_graph *g, rlc_tensor **in, void *ctx) {
    (void)ctx;
    return rlc_gather(g, in[0], in[1]);
}

static rlc_tensor *build_scatter(rlc_graph *g, rlc_tensor **in, void *ctx) {
    return rlc_scatter_add(g, in[0], in[1], *(int *)ctx);
}

static void test_gather_grad(void **st) {
    (void)st;
    gc_input in[2];
    /* [B, A] with [B, 3] (repeats within a row exercise accumulation) */
    in[0] = gc_in(-1, 1, 2, 4, 5, 0, 0);
    in[1] = gc_in(0, 0, 2, 4, 3, 0, 0);
    in[1].integer = 5;
    gradcheck("gather [4,5] [4,3]", build_gather, NULL, in, 2, 1e-6);
    /* Q(s, a) selection: [B, A] with [B, 1] and with [B] */
    in[1] = gc_in(0, 0, 2, 4, 1, 0, 0);
    in[1].integer = 5;
    gradcheck("gather [4,5] [4,1]", build_gather, NULL, in, 2, 1e-6);
    in[1] = gc_in(0, 0, 1, 4, 0, 0, 0);
    in[1].integer = 5;
    gradcheck("gather [4,5] [4]", build_gather, NULL, in, 2, 1e-6);
    /* 3-D and 1-D */
    in[0] = gc_in(-1, 1, 3, 2, 3, 6, 0);
    in[1] = gc_in(0, 0, 3, 2, 3, 2, 0);
    in[1].integer = 6;
    gradcheck("gather [2,3,6] [2,3,2]", build_gather, NULL, in, 2, 1e-6);
    in[0] = gc_in(-1, 1, 1, 6, 0, 0, 0);
    in[1] = gc_in(0, 0, 1, 9, 0, 0, 0);
    in[1].integer = 6;
    gradcheck("gather [6] [9]", build_gather, NULL, in, 2, 1e-6);
}

static void test_gather_values(void **st) {
    (void)st;
    rlc_graph *g = rlc_graph_create(RLC_F64, 0);
    rlc_tensor *x = rlc_input_grad(g, 2, (int[]){2, 3});
    rlc_tensor *i2 = rlc_input(g, 2, (int[]){2, 2});
    rlc_tensor *i1 = rlc_input(g, 1, (int[]){2});
    set_iota(x); /* [[0, 1, 2], [3, 4, 5]] */
    set_all(i2, (double[]){2, 0, 1, 1});
    set_all(i1, (double[]){1, 2});
    rlc_tensor *y2 = rlc_gather(g, x, i2), *y1 = rlc_gather(g, x, i1);
    assert_shape(y2, 2, (int[]){2, 2});
    assert_shape(y1, 1, (int[]){2});
    assert_values(y2, (double[]){2, 0, 4, 4}, 4);
    assert_values(y1, (double[]){1, 5}, 2);
    /* indices change between forwards: the new values are used */
    set_all(i1, (double[]){0, 0});
    assert_int_equal(rlc_graph_forward(g), RLC_OK);
    assert_values(y1, (double[]){0, 3}, 2);
    /* out of range, negative, NaN: 0 and no gradient, no crash */
    set_all(i2, (double[]){3, -1, NAN, 1e30});
    assert_int_equal(rlc_graph_forward(g), RLC_OK);
    assert_values(y2, (double[]){0, 0, 0, 0}, 4);
    set_all(i2, (double[]){2, 7, 1, 1});
    assert_int_equal(rlc_graph_forward(g), RLC_OK);
    assert_int_equal(rlc_graph_backward_seed(g, y2, (double[]){1, 10, 100, 1000}), RLC_OK);
    assert_values(y2, (double[]){2, 0, 4, 4}, 4);
    double want[] = {0, 0, 1, 0, 1100, 0};
    for (int i = 0; i < 6; i++) assert_close(rlc_tensor_grad_get(x, i), want[i], 0);
    rlc_graph_destroy(g);
}

static void test_scatter_add(void **st) {
    (void)st;
    int nout = 5;
    gc_input in[2];
    in[0] = gc_in(-1, 1, 2, 3, 4, 0, 0);
    in[1] = gc_in(0, 0, 2, 3, 4, 0, 0);
    in[1].integer = 5;
    gradcheck("scatter_add [3,4] -> [3,5]", build_scatter, &nout, in, 2, 1e-6);
    in[0] = gc_in(-1, 1, 1, 7, 0, 0, 0);
    in[1] = gc_in(0, 0, 1, 7, 0, 0, 0);
    in[1].integer = 5;
    gradcheck("scatter_add [7] -> [5]", build_scatter, &nout, in, 2, 1e-6);

    rlc_graph *g = rlc_graph_create(RLC_F32, 0);
    rlc_tensor *src = rlc_input(g, 2, (int[]){2, 3});
    rlc_tensor *idx = rlc_input(g, 2, (int[]){2, 3});
    set_all(src, (double[]){1, 2, 4, 8, 16, 32});
    set_all(idx, (double[]){0, 3, 0, -1, 1, 4}); /* -1 and 4 are out of range for n = 4 */
    rlc_tensor *y = rlc_scatter_add(g, src, idx, 4);
    assert_shape(y, 2, (int[]){2, 4});
    assert_values(y, (double[]){5, 0, 0, 2, 0, 16, 0, 0}, 8);
    /* rerun does not accumulate into the previous output */
    assert_int_equal(rlc_graph_forward(g), RLC_OK);
    assert_values(y, (double[]){5, 0, 0, 2, 0, 16, 0, 0}, 8);
    rlc_graph_destroy(g);

    /* adjoint of gather: <gather(x, i), s> == <x, scatter_add(s, i, C)> */
    g = rlc_graph_create(RLC_F64, 0);
    rlc_tensor *x = rlc_input(g, 2, (int[]){3, 4});
    rlc_tensor *s = rlc_input(g, 2, (int[]){3, 2});
    idx = rlc_input(g, 2, (int[]){3, 2});
    for (int i = 0; i < 12; i++) rlc_tensor_set(x, i, sin(i + 1.0));
    for (int i = 0; i < 6; i++) rlc_tensor_set(s, i, cos(i + 1.0));
    set_all(idx, (double[]){3, 3, 0, 2, 1, 0});
    rlc_tensor *gx = rlc_gather(g, x, idx), *ss = rlc_scatter_add(g, s, idx, 4);
    assert_int_equal(rlc_graph_status(g), RLC_OK);
    double lhs = 0, rhs = 0;
    for (int i = 0; i < 6; i++) lhs += rlc_tensor_get(gx, i) * rlc_tensor_get(s, i);
    for (int i = 0; i < 12; i++) rhs += rlc_tensor_get(x, i) * rlc_tensor_get(ss, i);
    assert_close(lhs, rhs, 1e-12);
    rlc_graph_destroy(g);
}

static void test_one_hot(void **st) {
    (void)st;
    rlc_graph *g = rlc_graph_create(RLC_F32, 0);
    rlc_tensor *idx = rlc_input_grad(g, 2, (int[]){2, 2});
    set_all(idx, (double[]){0, 2, 5, 1}); /* 5 is out of range: a row of zeros */
    rlc_tensor *y = rlc_one_hot(g, idx, 3);
    assert_shape(y, 3, (int[]){2, 2, 3});
    assert_null(y->grad); /* constant even though idx has a gradient buffer */
    assert_values(y, (double[]){1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0}, 12);
    set_all(idx, (double[]){1, 1, 1, -3});
    assert_int_equal(rlc_graph_forward(g), RLC_OK);
    assert_values(y, (double[]){0, 1, 0, 0, 1, 0, 0, 1, 0, 0, 0, 0}, 12);
    rlc_tensor *s = rlc_input(g, 0, NULL);
    rlc_tensor_set(s, 0, 1);
    rlc_tensor *y0 = rlc_one_hot(g, s, 2); /* rank 0 -> [2] */
    assert_shape(y0, 1, (int[]){2});
    assert_values(y0, (double[]){0, 1}, 2);
    assert_null(rlc_one_hot(g, idx, 0));
    assert_contains(rlc_graph_error(g), "one_hot: n = 0");
    rlc_graph_destroy(g);
}

static void test_index_errors(void **st) {
    (void)st;
    rlc_graph *g = rlc_graph_create(RLC_F32, 0);
    rlc_tensor *x = rlc_input(g, 2, (int[]){4, 5});
    rlc_tensor *idx = rlc_input(g, 2, (int[]){3, 1});
    assert_null(rlc_gather(g, x, idx));
    assert_int_equal(rlc_graph_status(g), RLC_ERR_INVALID);
    assert_contains(rlc_graph_error(g), "gather: index [3, 1] does not fit x [4, 5]");
    rlc_graph_destroy(g);

    g = rlc_graph_create(RLC_F32, 0);
    rlc_tensor *src = rlc_input(g, 2, (int[]){4, 2});
    idx = rlc_input(g, 2, (int[]){4, 3});
    assert_null(rlc_scatter_add(g, src, idx, 5));
    assert_contains(rlc_graph_error(g), "scatter_add: src [4, 2] and index [4, 3]");
    rlc_graph_destroy(g);

    g = rlc_graph_create(RLC_F32, 0);
    assert_null(rlc_gather(g, NULL, NULL));
    assert_contains(rlc_graph_error(g), "gather: input 0 is NULL");
    rlc_graph_destroy(g);
}

/* ---- concat / slice / reshape / transpose ---- */

typedef struct {
    int axis, a, b, c;
} shape_ctx;

static rlc_tensor *build_concat(rlc_graph *g, rlc_tensor **in, void *ctx) {
    shape_ctx *c = ctx;
    return rlc_concat(g, in, c->a, c->axis);
}

static rlc_tensor *build_slice(rlc_graph *g, rlc_tensor **in, void *ctx) {
    shape_ctx *c = ctx;
    return rlc_slice(g, in[0], c->axis, c->a, c->b);
}

static rlc_tensor *build_reshape(rlc_graph *g, rlc_tensor **in, void *ctx) {
    (void)ctx;
    return rlc_reshape(g, in[0], 3, (int[]){3, -1, 2});
}

static rlc_tensor *build_transpose(rlc_graph *g, rlc_tensor **in, void *ctx) {
    shape_ctx *c = ctx;
    return rlc_transpose(g, in[0], c->a, c->b);
}

static void test_concat(void **st) {
    (void)st;
    gc_input in[6];
    shape_ctx c = {0, 3, 0, 0};
    in[0] = gc_in(-1, 1, 2, 2, 3, 0, 0);
    in[1] = gc_in(-1, 1, 2, 1, 3, 0, 0);
    in[2] = gc_in(-1, 1, 2, 4, 3, 0, 0);
    gradcheck("concat axis 0", build_concat, &c, in, 3, 1e-6);
    c.axis = -1;
    in[0] = gc_in(-1, 1, 3, 2, 3, 1, 0);
    in[1] = gc_in(-1, 1, 3, 2, 3, 4, 0);
    in[2] = gc_in(-1, 1, 3, 2, 3, 2, 0);
    gradcheck("concat axis -1", build_concat, &c, in, 3, 1e-6);
    c.axis = 1;
    c.a = 6; /* more inputs than a node holds: a tree of nodes */
    for (int k = 0; k < 6; k++) in[k] = gc_in(-1, 1, 3, 2, k + 1, 2, 0);
    gradcheck("concat 6 inputs axis 1", build_concat, &c, in, 6, 1e-6);
    c.a = 1;
    gradcheck("concat 1 input", build_concat, &c, in, 1, 1e-6);

    rlc_graph *g = rlc_graph_create(RLC_F32, 0);
    rlc_tensor *a = rlc_input(g, 2, (int[]){2, 2}), *b = rlc_input(g, 2, (int[]){2, 1});
    set_all(a, (double[]){1, 2, 3, 4});
    set_all(b, (double[]){5, 6});
    rlc_tensor *ab = rlc_concat(g, (rlc_tensor *[]){a, b}, 2, 1);
    assert_shape(ab, 2, (int[]){2, 3});
    assert_values(ab, (double[]){1, 2, 5, 3, 4, 6}, 6);
    rlc_tensor *xs[7];
    for (int k = 0; k < 7; k++) {
        xs[k] = rlc_input(g, 1, (int[]){k % 2 + 1});
        for (int i = 0; i <= k % 2; i++) rlc_tensor_set(xs[k], i, 10 * k + i);
    }
    rlc_tensor *cat = rlc_concat(g, xs, 7, 0);
    assert_shape(cat, 1, (int[]){10});
    assert_values(cat, (double[]){0, 10, 11, 20, 30, 31, 40, 50, 51, 60}, 10);
    assert_null(rlc_concat(g, (rlc_tensor *[]){a, b}, 2, 0));
    assert_contains(rlc_graph_error(g), "concat: input 1 [2, 1] does not match input 0 [2, 2]");
    rlc_graph_destroy(g);
}

static void test_slice(void **st) {
    (void)st;
    gc_input in[1] = {gc_in(-1, 1, 3, 3, 5, 2, 0)};
    shape_ctx c = {1, 1, 3, 0};
    gradcheck("slice axis 1", build_slice, &c, in, 1, 1e-6);
    c = (shape_ctx){0, 2, 1, 0};
    gradcheck("slice axis 0", build_slice, &c, in, 1, 1e-6);
    c = (shape_ctx){-1, -2, 2, 0};
    gradcheck("slice axis -1 negative start", build_slice, &c, in, 1, 1e-6);

    rlc_graph *g = rlc_graph_create(RLC_F64, 0);
    rlc_tensor *x = rlc_input(g, 2, (int[]){3, 4});
    set_iota(x);
    rlc_tensor *y = rlc_slice(g, x, 1, 1, 2);
    assert_shape(y, 2, (int[]){3, 2});
    assert_values(y, (double[]){1, 2, 5, 6, 9, 10}, 6);
    y = rlc_slice(g, x, 0, -1, 1);
    assert_shape(y, 2, (int[]){1, 4});
    assert_values(y, (double[]){8, 9, 10, 11}, 4);
    y = rlc_slice(g, x, 0, 1, 0); /* empty is fine */
    assert_shape(y, 2, (int[]){0, 4});
    assert_null(rlc_slice(g, x, 1, 3, 2));
    assert_contains(rlc_graph_error(g), "slice: [3, 3 + 2) outside axis 1 of [3, 4]");
    rlc_graph_destroy(g);
}

static void test_reshape(void **st) {
    (void)st;
    gc_input in[1] = {gc_in(-1, 1, 2, 4, 3, 0, 0)};
    gradcheck("reshape [4,3] -> [3,-1,2]", build_reshape, NULL, in, 1, 1e-6);

    rlc_graph *g = rlc_graph_create(RLC_F32, 0);
    rlc_tensor *x = rlc_input(g, 3, (int[]){2, 3, 4});
    set_iota(x);
    rlc_tensor *y = rlc_reshape(g, x, 2, (int[]){-1, 6});
    assert_shape(y, 2, (int[]){4, 6});
    for (int i = 0; i < 24; i++) assert_close(rlc_tensor_get(y, i), i, 0);
    assert_non_null(rlc_reshape(g, x, 1, (int[]){24}));
    assert_null(rlc_reshape(g, x, 2, (int[]){5, -1}));
    assert_contains(rlc_graph_error(g), "reshape: cannot reshape [2, 3, 4] to [5, -1]");
    rlc_graph_destroy(g);
    g = rlc_graph_create(RLC_F32, 0);
    x = rlc_input(g, 2, (int[]){2, 3});
    assert_null(rlc_reshape(g, x, 2, (int[]){4, 2}));
    assert_contains(rlc_graph_error(g), "cannot reshape [2, 3] to [4, 2]");
    rlc_graph_destroy(g);
    g = rlc_graph_create(RLC_F32, 0);
    x = rlc_input(g, 2, (int[]){2, 3});
    assert_null(rlc_reshape(g, x, 2, (int[]){-1, -1}));
    assert_contains(rlc_graph_error(g), "bad dimension -1");
    rlc_graph_destroy(g);
}

static void test_transpose(void **st) {
    (void)st;
    gc_input in[1] = {gc_in(-1, 1, 4, 2, 3, 4, 5)};
    int pairs[][2] = {{0, 3}, {1, 2}, {2, 3}, {0, 1}, {-1, -3}, {2, 2}};
    for (int k = 0; k < 6; k++) {
        shape_ctx c = {0, pairs[k][0], pairs[k][1], 0};
        char name[64];
        snprintf(name, sizeof name, "transpose %d %d", pairs[k][0], pairs[k][1]);
        gradcheck(name, build_transpose, &c, in, 1, 1e-6);
    }

    rlc_graph *g = rlc_graph_create(RLC_F64, 0);
    rlc_tensor *x = rlc_input(g, 2, (int[]){2, 3});
    set_iota(x);
    rlc_tensor *y = rlc_transpose(g, x, 0, 1);
    assert_shape(y, 2, (int[]){3, 2});
    assert_values(y, (double[]){0, 3, 1, 4, 2, 5}, 6);
    rlc_tensor *x3 = rlc_input(g, 3, (int[]){2, 3, 4});
    set_iota(x3);
    rlc_tensor *y3 = rlc_transpose(g, x3, 2, 0); /* y[k, j, i] = x[i, j, k] */
    assert_shape(y3, 3, (int[]){4, 3, 2});
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 3; j++)
            for (int k = 0; k < 4; k++)
                assert_close(rlc_tensor_get(y3, (k * 3 + j) * 2 + i), (i * 3 + j) * 4 + k, 0);
    assert_null(rlc_transpose(g, x, 0, 2));
    assert_contains(rlc_graph_error(g), "transpose: axes (0, 2) out of range for [2, 3]");
    rlc_graph_destroy(g);
}

RLC_TESTS(core_op_index, cmocka_unit_test(test_gather_grad), cmocka_unit_test(test_gather_values),
          cmocka_unit_test(test_scatter_add), cmocka_unit_test(test_one_hot),
          cmocka_unit_test(test_index_errors), cmocka_unit_test(test_concat),
          cmocka_unit_test(test_slice), cmocka_unit_test(test_reshape),
          cmocka_unit_test(test_transpose))
