/* Allocation hook, fault injection and the last-error buffer. */
#include "test.h"

#include "rlc/core.h"

static void test_error_message(void **st) {
    (void)st;
    rlc_status s = rlc_error(RLC_ERR_INVALID, "bad value %d", 42);
    assert_int_equal(s, RLC_ERR_INVALID);
    assert_string_equal(rlc_last_error(), "bad value 42");
    assert_string_equal(rlc_status_name(RLC_ERR_IO), "RLC_ERR_IO");
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

RLC_TESTS(core_alloc, cmocka_unit_test(test_error_message), cmocka_unit_test(test_fail_after))
