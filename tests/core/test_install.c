/* `make install` + pkg-config: a C user builds examples/autodiff_basics.c against the installed
 * library (shared and static) and it prints the expected numbers. */
#include "test.h"

static int run(const char *cmd, char *out, size_t cap) {
    FILE *p = popen(cmd, "r");
    if (!p) return -1;
    size_t n = fread(out, 1, cap - 1, p);
    out[n] = '\0';
    return pclose(p);
}

static void test_pkgconfig_example(void **st) {
    (void)st;
    if (getenv("RLC_VALGRIND")) skip(); /* spawns compilers; nothing of ours to check there */
    const char *tmp = rlc_test_tmpdir();
    char cmd[2048], out[4096];
    snprintf(cmd, sizeof cmd,
             "env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s MODE=release BUILD=build/release "
             "install PREFIX=%s/prefix >%s/install.log 2>&1 && echo ok",
             tmp, tmp);
    run(cmd, out, sizeof out);
    assert_string_equal(out, "ok\n");
    snprintf(cmd, sizeof cmd,
             "test -f %s/prefix/lib/pkgconfig/rlc.pc && test -f %s/prefix/include/rlc/rlc.h && "
             "test -x %s/prefix/bin/rlc && echo ok",
             tmp, tmp, tmp);
    run(cmd, out, sizeof out);
    assert_string_equal(out, "ok\n");
    /* shared */
    snprintf(cmd, sizeof cmd,
             "export PKG_CONFIG_PATH=%s/prefix/lib/pkgconfig; cc examples/autodiff_basics.c "
             "$(pkg-config --cflags --libs rlc) -o %s/app 2>&1 && LD_LIBRARY_PATH=%s/prefix/lib "
             "%s/app",
             tmp, tmp, tmp, tmp);
    assert_int_equal(run(cmd, out, sizeof out), 0);
    assert_contains(out, "loss 13.62500 dW00 -1.50000");
    /* static */
    snprintf(cmd, sizeof cmd,
             "export PKG_CONFIG_PATH=%s/prefix/lib/pkgconfig; cc -static-libgcc "
             "examples/autodiff_basics.c $(pkg-config --cflags rlc) %s/prefix/lib/librlc.a "
             "$(pkg-config --static --libs rlc | sed 's/-lrlc//') -o %s/app_static 2>&1 && "
             "%s/app_static",
             tmp, tmp, tmp, tmp);
    assert_int_equal(run(cmd, out, sizeof out), 0);
    assert_contains(out, "loss 13.62500 dW00 -1.50000");
}

RLC_TESTS(core_install, cmocka_unit_test(test_pkgconfig_example))
