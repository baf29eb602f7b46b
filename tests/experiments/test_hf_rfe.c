/* `rlc experiment hf-rfe --quick`: horizon-free reward-free exploration on small linear mixture
 * MDPs; the report is complete, lists the four explorers for every horizon, the episodes the
 * weighted (horizon-free) method needs do not grow with H, and it needs fewer than UCRL-RFE as
 * published (Hoeffding bonus on the [0, H] value range) at the smallest and largest H. */
#include "test.h"

#include <string.h>

#include "rlc/experiment.h"

static void test_hf_rfe_quick(void **st) {
    (void)st;
    rlc_experiment_result r;
    char *log = rlc_test_experiment_quick("hf-rfe", 29, &r);
    assert_contains(log, "HF-RFE (weighted)");
    assert_contains(log, "UCRL-RFE (Hoeffding)");
    assert_contains(log, "random exploration");
    assert_contains(log, "UCRL-RFE, normalised pseudo-reward");
    assert_contains(log, "H = 1000");
    assert_contains(log, "claim held: ");
    assert_int_equal(r.seeds, 5);
    assert_int_equal(r.nfigures, 2);
    /* What holds on these seeds: the variance-weighted method's episode count is flat in H and
     * below UCRL-RFE's at H = 10 and H = 1000 (UCRL-RFE's does not grow either: the claim's
     * other half is not reproduced, see docs/experiments/hf-rfe.md). */
    double s_hf, a0, a1, s_rfe, b0, b1;
    const char *p = strstr(r.reason, "HF-RFE ");
    assert_non_null(p);
    assert_int_equal(sscanf(p, "HF-RFE %lf (%lf -> %lf), UCRL-RFE %lf (%lf -> %lf)", &s_hf, &a0,
                            &a1, &s_rfe, &b0, &b1),
                     6);
    assert_true(s_hf <= 0.25);
    assert_true(a0 < b0);
    assert_true(a1 < b1);
    free(log);
}

RLC_TESTS(hf_rfe, cmocka_unit_test(test_hf_rfe_quick))
