/* Allocation hook, fault injection and the last-error buffer. */
#include "test.h"

#include "rlc/core.h"
#include "rlc/graph.h"

static void test_error_message(void **st) {
    (void)st;
    rlc_status s = rlc_error(RLC_ERR_INVALID, "bad value %d", 42);
    assert_int_equal(s, RLC_ERR_INVALID);
    assert_string_equal(rlc_last_error(), "bad value 42");
    assert_string_equal(rlc_status_name(RLC_ERR_IO), "RLC_ERR_IO");
    /* the current message may be used as an argument (adding context to an inner error) */
    rlc_error(RLC_ERR_IO, "%s: %s", "file.bin", rlc_last_error());
    assert_string_equal(rlc_last_error(), "file.bin: bad value 42");
    rlc_clear_error();
    assert_string_equal(rlc_last_error(), "");
}

static void test_fail_after(void **st) {
    (void)st;
    long long live0 = rlc_alloc_live();
    rlc_alloc_fail_after(2);
    void *a = rlc_malloc(10);
    assert_non_null(a);
    void *b = rlc_malloc(10);
    assert_null(b);
    assert_contains(rlc_last_error(), "out of memory");
    rlc_alloc_fail_reset();
    b = rlc_realloc(a, 100);
    assert_non_null(b);
    assert_int_equal(rlc_alloc_live() - live0, 100);
    rlc_free(b);
    assert_int_equal(rlc_alloc_live(), live0);
    assert_null(rlc_calloc((size_t)-1 / 2, 4));
}

/* Records a small network; returns the graph status. */
static rlc_status record(rlc_graph **out) {
    rlc_graph *g = rlc_graph_create(RLC_F32, 0);
    *out = g;
    if (!g) return RLC_ERR_NOMEM;
    static float w[4 * 3], dw[4 * 3];
    rlc_tensor *x = rlc_input(g, 2, (int[]){2, 4});
    rlc_tensor *W = rlc_param(g, w, dw, 2, (int[]){4, 3});
    rlc_tensor *h = rlc_tanh(g, rlc_matmul(g, x, W, 0, 0));
    rlc_tensor *y = rlc_add(g, h, rlc_input(g, 2, (int[]){2, 1})); /* general broadcast */
    rlc_tensor *loss = rlc_mean_all(g, rlc_log_softmax(g, y));
    if (rlc_graph_status(g) == RLC_OK && rlc_graph_backward(g, loss) != RLC_OK)
        return RLC_ERR_NOMEM;
    return rlc_graph_status(g);
}

/* Every allocation made while creating and recording a graph can fail: the failure is reported
 * as RLC_ERR_NOMEM with a message, and destroying the graph frees everything. */
static void test_graph_alloc_sweep(void **st) {
    (void)st;
    long long live0 = rlc_alloc_live();
    int failures = 0;
    for (long n = 1; n < 1000; n++) {
        rlc_alloc_fail_after(n);
        rlc_graph *g = NULL;
        rlc_status s = record(&g);
        rlc_alloc_fail_reset();
        rlc_graph_destroy(g);
        assert_int_equal(rlc_alloc_live(), live0);
        if (s == RLC_OK) break;
        assert_int_equal(s, RLC_ERR_NOMEM);
        assert_contains(rlc_last_error(), "out of memory");
        failures++;
    }
    assert_true(failures >= 3); /* graph struct, arena chunk, node array */
}

RLC_TESTS(core_alloc, cmocka_unit_test(test_graph_alloc_sweep), cmocka_unit_test(test_error_message), cmocka_unit_test(test_fail_after))
