/* `rlc experiment stream-x --quick` and `pairs-trading --quick` (src/experiments/stream_x.c,
 * pairs_trading.c): the reports run, write their files, and the quick stream-x claim (stream AC
 * beats the naive streaming AC and reaches PPO's level on CartPole-v1) holds. */
#include "test.h"

#include <stdio.h>
#include <sys/stat.h>

#include "rlc/rlc.h"

static int exists(const char *dir, const char *name) {
    char p[1100];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    struct stat sb;
    return stat(p, &sb) == 0 && sb.st_size > 0;
}

static void test_stream_x_quick(void **state) {
    (void)state;
    const rlc_experiment *e = rlc_experiment_find("stream-x");
    assert_non_null(e);
    assert_int_equal(e->row, 57);
    char dir[400];
    snprintf(dir, sizeof dir, "%s/stream-x", rlc_test_tmpdir());
    rlc_experiment_options o;
    rlc_experiment_options_init(&o);
    o.quick = 1;
    o.out_dir = dir;
    rlc_experiment_result r;
    assert_int_equal(rlc_experiment_run(e, &o, &r), RLC_OK);
    printf("  %s\n", r.reason);
    assert_int_equal(r.seeds, 2);
    assert_true(r.claim_held);
    assert_contains(r.reason, "CartPole-v1: x 500");
    assert_true(exists(dir, "results.csv"));
    assert_true(exists(dir, "summary.md"));
    assert_true(exists(dir, "curves_CartPole-v1.svg"));
}

static void test_pairs_trading_quick(void **state) {
    (void)state;
    const rlc_experiment *e = rlc_experiment_find("pairs-trading");
    assert_non_null(e);
    assert_int_equal(e->row, 55);
    char dir[400];
    snprintf(dir, sizeof dir, "%s/pairs-trading", rlc_test_tmpdir());
    rlc_experiment_options o;
    rlc_experiment_options_init(&o);
    o.quick = 1;
    o.out_dir = dir;
    rlc_experiment_result r;
    assert_int_equal(rlc_experiment_run(e, &o, &r), RLC_OK);
    printf("  %s\n", r.reason);
    /* the sanity half of the claim holds even in the quick run */
    assert_contains(r.reason, "CI reaches 0: yes");
    assert_true(exists(dir, "results.csv"));
    assert_true(exists(dir, "summary.md"));
}

RLC_TESTS(exp_stream_pairs, cmocka_unit_test(test_stream_x_quick),
          cmocka_unit_test(test_pairs_trading_quick))
