/* Group py_bindings: runs the Python bindings' own suite (`/usr/bin/python3 python/tests/run.py`,
 * plain unittest) against the librlc.so of the build under test ($RLC_BUILD, as the CLI tests
 * use it). Skipped, with the reason printed, only when /usr/bin/python3 or its numpy is missing.
 * In an AddressSanitizer build the sanitizer runtime is preloaded into the interpreter. */
#include "test.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PYTHON "/usr/bin/python3"

#if defined(__SANITIZE_ADDRESS__)
#define RLC_PY_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define RLC_PY_ASAN 1
#endif
#endif

/* The sanitizer runtime to preload ("" when not an ASan build); 0 if it cannot be found. */
static int sanitizer_preload(char *out, size_t cap) {
    out[0] = 0;
#ifdef RLC_PY_ASAN
    FILE *p = popen("${CC:-cc} -print-file-name=libasan.so 2>/dev/null", "r");
    if (!p) return 0;
    if (!fgets(out, (int)cap, p)) out[0] = 0;
    pclose(p);
    out[strcspn(out, "\n")] = 0;
    if (!out[0] || out[0] != '/' || access(out, R_OK)) return 0;
#else
    (void)cap;
#endif
    return 1;
}

static void test_python_suite(void **state) {
    (void)state;
    if (access(PYTHON, X_OK)) {
        print_message("py_bindings skipped: %s not found\n", PYTHON);
        skip();
    }
    if (system(PYTHON " -c 'import numpy' >/dev/null 2>&1") != 0) {
        print_message("py_bindings skipped: numpy is not importable by %s (apt install "
                      "python3-numpy)\n",
                      PYTHON);
        skip();
    }
    const char *b = getenv("RLC_BUILD");
    char rel[PATH_MAX], lib[PATH_MAX], build[PATH_MAX];
    snprintf(rel, sizeof rel, "%s/librlc.so", b && *b ? b : "build/release");
    if (!realpath(rel, lib)) fail_msg("%s not found (build the library first)", rel);
    if (!realpath(b && *b ? b : "build/release", build)) fail_msg("no build folder");
    char preload[PATH_MAX];
    if (!sanitizer_preload(preload, sizeof preload)) {
        print_message("py_bindings skipped: ASan build, but libasan.so was not found to "
                      "preload into %s\n",
                      PYTHON);
        skip();
    }
    char cmd[4 * PATH_MAX + 256];
    if (preload[0])
        snprintf(cmd, sizeof cmd,
                 "LD_PRELOAD='%s' ASAN_OPTIONS=detect_leaks=0:abort_on_error=0 "
                 "RLC_LIB='%s' RLC_BUILD='%s' OPENBLAS_NUM_THREADS=1 %s python/tests/run.py",
                 preload, lib, build, PYTHON);
    else
        snprintf(cmd, sizeof cmd,
                 "RLC_LIB='%s' RLC_BUILD='%s' OPENBLAS_NUM_THREADS=1 %s python/tests/run.py",
                 lib, build, PYTHON);
    fflush(stdout);
    int rc = system(cmd);
    if (rc != 0) fail_msg("python/tests/run.py failed (exit status %d): see its output above", rc);
}

RLC_TESTS(py_bindings, cmocka_unit_test(test_python_suite))
