/* `rlc experiment rlif --quick`: RLIF (SAC on intervention rewards) against HG-DAgger, DAgger
 * and the 60%-quality expert itself; the report is complete and the intervention rate of the
 * claim's RLIF (demonstrations and takeover steps in its replay) falls
 * (the robust part of the claim in a quick run; RLIF vs the expert on a fixed seed is checked
 * in tests/algo/test_rlif.c). */
#include "test.h"

#include <string.h>

#include "rlc/experiment.h"

static void test_rlif_quick(void **st) {
    (void)st;
    rlc_experiment_result r;
    char *log = rlc_test_experiment_quick("rlif", 43, &r);
    assert_contains(log, "RLIF (SAC) q=60%");
    assert_contains(log, "RLIF + takeover data q=60%");
    assert_contains(log, "RLIF + demos + takeover data q=60%");
    assert_contains(log, "HG-DAgger q=60%");
    assert_contains(log, "DAgger q=60%");
    assert_contains(log, "expert q=60%");
    assert_contains(log, "claim held: ");
    assert_contains(r.reason, "intervention rate fell at 1/1");
    assert_int_equal(r.seeds, 3);
    assert_int_equal(r.nfigures, 1);
    free(log);
}

RLC_TESTS(rlif_exp, cmocka_unit_test(test_rlif_quick))
