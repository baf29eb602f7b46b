/* `rlc experiment snapshot-rl --quick`: S3RL + TD3 on Pendulum against TD3 from the env's own
 * starts and from naive snapshot starts; the report is complete and the steps-to-threshold
 * table lists the three methods. */
#include "test.h"

#include <string.h>

#include "rlc/experiment.h"

static void test_snapshot_rl_quick(void **st) {
    (void)st;
    rlc_experiment_result r;
    char *log = rlc_test_experiment_quick("snapshot-rl", 9, &r);
    assert_contains(log, "S3RL+td3 Pendulum-v1");
    assert_contains(log, "td3 Pendulum-v1");
    assert_contains(log, "naive snapshots+td3 Pendulum-v1");
    assert_contains(log, "claim held: ");
    assert_contains(r.reason, "of 1 tasks");
    assert_int_equal(r.seeds, 3);
    assert_int_equal(r.nfigures, 1);
    free(log);
}

RLC_TESTS(snapshot_rl, cmocka_unit_test(test_snapshot_rl_quick))
