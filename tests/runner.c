/* The one test runner: runs every registered group (or those matching argv[1]) and prints
 * the summary line "N passed, N failed"; exits non-zero on any failure. */
#include "test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rlc/core.h"

static char g_tmp[256];

int rlc_test_run_group(const char *name, const struct CMUnitTest *tests, size_t n,
                       rlc_test_counts *c) {
    int failed = _cmocka_run_group_tests(name, tests, n, NULL, NULL);
    c->failed += failed;
    c->passed += (int)n - failed;
    return failed;
}

const char *rlc_test_rlc_binary(void) {
    static char path[512];
    const char *b = getenv("RLC_BUILD");
    snprintf(path, sizeof path, "%s/rlc", b ? b : "build/release");
    return path;
}

static void remove_tmp(void) {
    if (g_tmp[0]) {
        char cmd[300];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_tmp);
        if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", g_tmp);
    }
}

const char *rlc_test_tmpdir(void) {
    if (!g_tmp[0]) {
        snprintf(g_tmp, sizeof g_tmp, "/tmp/rlc-test-XXXXXX");
        if (!mkdtemp(g_tmp)) {
            perror("mkdtemp");
            exit(2);
        }
        atexit(remove_tmp);
    }
    return g_tmp;
}

int main(int argc, char **argv) {
    const char *filter = argc > 1 ? argv[1] : NULL;
    rlc_set_blas_threads(1);
    rlc_test_counts c = {0, 0};
    int ran = 0;
    for (const rlc_test_group *g = rlc_test_groups; g->name; g++) {
        if (filter && !strstr(g->name, filter)) continue;
        g->run(&c);
        ran++;
    }
    if (filter && !ran) fprintf(stderr, "no test group matches '%s'\n", filter);
    printf("%d passed, %d failed\n", c.passed, c.failed);
    return c.failed ? 1 : (ran ? 0 : 1);
}
