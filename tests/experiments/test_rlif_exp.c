/* `rlc experiment rlif --quick`: RLIF (SAC on intervention rewards) against HG-DAgger, DAgger
 * and the 60%-quality expert itself; the report is complete and RLIF's intervention rate falls
 * (the robust part of the claim in a quick run; RLIF vs the expert on a fixed seed is checked
 * in tests/algo/test_rlif.c). */
#include "test.h"

#include <string.h>

#include "rlc/experiment.h"

static void test_rlif_quick(void **st) {
    (void)st;
    const rlc_experiment *e = rlc_experiment_find("rlif");
    assert_non_null(e);
    assert_int_equal(e->row, 43);
    char dir[512];
    snprintf(dir, sizeof dir, "%s/exp-rlif", rlc_test_tmpdir());
    char *log = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&log, &len);
    rlc_experiment_options o;
    rlc_experiment_options_init(&o);
    o.quick = 1;
    o.out_dir = dir;
    o.log = f;
    rlc_experiment_result r;
    rlc_status s = rlc_experiment_run(e, &o, &r);
    fclose(f);
    if (s) fail_msg("rlif: %s", rlc_last_error());
    assert_contains(log, "RLIF (SAC) q=60%");
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
