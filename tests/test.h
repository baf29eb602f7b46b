/* Shared test helpers: cmocka plus the RLC_TESTS registration macro. Each test file ends with
 *   RLC_TESTS(group_name, cmocka_unit_test(test_a), cmocka_unit_test(test_b))
 * and tools/gen_test_registry.sh adds the group to the runner. Run one group (or any groups
 * whose name contains a substring) with `make test T=substring`. */
#ifndef RLC_TEST_H
#define RLC_TEST_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct rlc_test_counts {
    int passed, failed;
} rlc_test_counts;

typedef struct rlc_test_group {
    const char *name;
    int (*run)(rlc_test_counts *c);
} rlc_test_group;

extern const rlc_test_group rlc_test_groups[];

int rlc_test_run_group(const char *name, const struct CMUnitTest *tests, size_t n,
                       rlc_test_counts *c);

#define RLC_TESTS(group, ...)                                                                  \
    int rlc_test_group_##group(rlc_test_counts *c);                                            \
    int rlc_test_group_##group(rlc_test_counts *c) {                                           \
        const struct CMUnitTest tests_[] = {__VA_ARGS__};                                      \
        return rlc_test_run_group(#group, tests_, sizeof tests_ / sizeof tests_[0], c);        \
    }

/* Path of a file under tests/data/ (tests run from the repository root). */
#define RLC_TEST_DATA(name) ("tests/data/" name)

/* Asserts |a-b| <= tol with a readable message. */
#define assert_close(a, b, tol)                                                                \
    do {                                                                                       \
        double a_ = (double)(a), b_ = (double)(b), t_ = (double)(tol);                         \
        if (!(a_ - b_ <= t_ && b_ - a_ <= t_))                                                 \
            fail_msg("%s = %.17g, %s = %.17g, differ by more than %g", #a, a_, #b, b_, t_);    \
    } while (0)

/* Asserts that `s` contains `sub` (error-message checks). */
#define assert_contains(s, sub)                                                                \
    do {                                                                                       \
        const char *s_ = (s);                                                                  \
        if (!s_ || !strstr(s_, (sub))) fail_msg("'%s' does not contain '%s'", s_ ? s_ : "(null)", (sub)); \
    } while (0)

/* Path of the rlc program of the build under test (for CLI tests). */
const char *rlc_test_rlc_binary(void);
/* A fresh temporary directory (removed at exit of the runner); returns a static path copy. */
const char *rlc_test_tmpdir(void);

/* Runs `rlc experiment NAME --quick` into rlc_test_tmpdir()/exp-NAME: fails the test unless
 * NAME is registered (for roadmap row `row`, when row >= 0), runs, and logs its
 * "claim held: " line. Returns the log (free it); *res gets the result. */
struct rlc_experiment_result;
char *rlc_test_experiment_quick(const char *name, int row, struct rlc_experiment_result *res);

#endif
