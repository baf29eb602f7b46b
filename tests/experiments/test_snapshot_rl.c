/* `rlc experiment snapshot-rl --quick`: S3RL + TD3 on Pendulum against TD3 from the env's own
 * starts; the report is complete and the steps-to-threshold table lists both methods. */
#include "test.h"

#include <string.h>

#include "rlc/experiment.h"

static void test_snapshot_rl_quick(void **st) {
    (void)st;
    const rlc_experiment *e = rlc_experiment_find("snapshot-rl");
    assert_non_null(e);
    assert_int_equal(e->row, 9);
    char dir[512];
    snprintf(dir, sizeof dir, "%s/exp-snapshot-rl", rlc_test_tmpdir());
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
    if (s) fail_msg("snapshot-rl: %s", rlc_last_error());
    assert_contains(log, "S3RL+td3 Pendulum-v1");
    assert_contains(log, "td3 Pendulum-v1");
    assert_contains(log, "claim held: ");
    assert_contains(r.reason, "of 1 tasks");
    assert_int_equal(r.seeds, 3);
    assert_int_equal(r.nfigures, 1);
    free(log);
}

RLC_TESTS(snapshot_rl, cmocka_unit_test(test_snapshot_rl_quick))
