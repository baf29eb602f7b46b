/* The one test runner: runs every registered group (or those whose name contains FILTER) and
 * prints the summary line "N passed, N failed"; exits non-zero on any failure.
 *   test_runner [-j JOBS] [FILTER]
 * With JOBS > 1 each group runs in its own forked process, JOBS at a time (the known long
 * groups first); a group's output is printed in one piece when it ends, with its time, and a
 * group that crashes counts as one failure instead of ending the run. Each process has its own
 * temporary directory. JOBS = 1 (default) runs the groups in order in this process. */
#include "test.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "rlc/core.h"
#include "rlc/experiment.h"

static char g_tmp[256];
static pid_t g_tmp_owner;

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
    if (g_tmp[0] && g_tmp_owner == getpid()) {
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
        g_tmp_owner = getpid();
        atexit(remove_tmp);
    }
    return g_tmp;
}

char *rlc_test_experiment_quick(const char *name, int row, rlc_experiment_result *res) {
    const rlc_experiment *e = rlc_experiment_find(name);
    if (!e) fail_msg("experiment %s is not registered", name);
    if (row >= 0) assert_int_equal(e->row, row);
    char dir[512];
    snprintf(dir, sizeof dir, "%s/exp-%s", rlc_test_tmpdir(), name);
    char *log = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&log, &len);
    if (!f) fail_msg("open_memstream failed");
    rlc_experiment_options o;
    rlc_experiment_options_init(&o);
    o.quick = 1;
    o.out_dir = dir;
    o.log = f;
    rlc_status st = rlc_experiment_run(e, &o, res);
    fclose(f);
    if (st) fail_msg("%s: %s", name, rlc_last_error());
    assert_contains(log, "claim held: ");
    return log;
}

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* Groups that take the longest (learning tests, MPI, the Python suite): started first so that
 * the parallel run is not left waiting on one of them at the end. Order only; a name missing
 * here just starts later. */
static const char *const LONG_GROUPS[] = {"offline",     "dist_mpi",       "experiments",
                                          "py_bindings", "algo_dqn",       "algo_offpolicy",
                                          "rlif",        "io_export",      "core_install",
                                          "snapshot",    "env_mujoco",     "algo_trainer"};

static int long_rank(const char *name) {
    int n = (int)(sizeof LONG_GROUPS / sizeof LONG_GROUPS[0]);
    for (int i = 0; i < n; i++)
        if (strstr(name, LONG_GROUPS[i])) return i;
    return n;
}

typedef struct slot {
    pid_t pid;
    int group;
    int counts_fd; /* read end of the pipe the child writes "passed failed" to */
    FILE *out;     /* the child's stdout and stderr */
    double t0;
} slot;

/* Prints a finished group's output and adds its counts. */
static void finish(slot *s, int status, rlc_test_counts *c) {
    fflush(s->out);
    rewind(s->out);
    char buf[8192];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, s->out)) > 0) fwrite(buf, 1, n, stdout);
    fclose(s->out);
    rlc_test_counts g = {0, 0};
    char line[64] = {0};
    ssize_t r = read(s->counts_fd, line, sizeof line - 1);
    close(s->counts_fd);
    const char *name = rlc_test_groups[s->group].name;
    if (r <= 0 || sscanf(line, "%d %d", &g.passed, &g.failed) != 2) {
        g.passed = 0;
        g.failed = 1;
        if (WIFSIGNALED(status))
            printf("[  CRASHED ] group %s: killed by signal %d (%s)\n", name, WTERMSIG(status),
                   strsignal(WTERMSIG(status)));
        else
            printf("[  CRASHED ] group %s: exited with status %d before reporting\n", name,
                   WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    }
    printf("[ group    ] %s: %d passed, %d failed, %.1f s\n", name, g.passed, g.failed,
           now() - s->t0);
    fflush(stdout);
    c->passed += g.passed;
    c->failed += g.failed;
    s->pid = 0;
}

static int start(slot *s, int group) {
    int fds[2];
    FILE *out = tmpfile();
    if (!out || pipe(fds) != 0) {
        perror("test_runner");
        if (out) fclose(out);
        return -1;
    }
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0) {
        perror("fork");
        fclose(out);
        close(fds[0]);
        close(fds[1]);
        return -1;
    }
    if (pid == 0) {
        close(fds[0]);
        dup2(fileno(out), 1);
        dup2(fileno(out), 2);
        rlc_test_counts c = {0, 0};
        rlc_test_groups[group].run(&c);
        fflush(stdout);
        fflush(stderr);
        char line[64];
        int len = snprintf(line, sizeof line, "%d %d\n", c.passed, c.failed);
        if (write(fds[1], line, (size_t)len) != len) _exit(3);
        close(fds[1]);
        exit(0); /* atexit: this process's temporary directory */
    }
    close(fds[1]);
    s->pid = pid;
    s->group = group;
    s->counts_fd = fds[0];
    s->out = out;
    s->t0 = now();
    return 0;
}

static int run_parallel(const int *order, int n, int jobs, rlc_test_counts *c) {
    slot slots[64];
    memset(slots, 0, sizeof slots);
    int next = 0, running = 0;
    while (next < n || running) {
        for (int k = 0; k < jobs && next < n; k++)
            if (!slots[k].pid) {
                if (start(&slots[k], order[next])) return -1;
                next++;
                running++;
            }
        int status;
        pid_t pid = waitpid(-1, &status, 0);
        if (pid < 0) {
            if (errno == EINTR) continue;
            perror("waitpid");
            return -1;
        }
        for (int k = 0; k < jobs; k++)
            if (slots[k].pid == pid) {
                finish(&slots[k], status, c);
                running--;
            }
    }
    return 0;
}

int main(int argc, char **argv) {
    int jobs = 1;
    const char *filter = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-j") && i + 1 < argc) {
            char *end;
            long j = strtol(argv[++i], &end, 10);
            if (*end || j < 1 || j > 64) {
                fprintf(stderr, "test_runner: -j %s: expected a number of jobs in [1, 64]\n",
                        argv[i]);
                return 2;
            }
            jobs = (int)j;
        } else if (!filter && argv[i][0]) {
            filter = argv[i];
        } else if (argv[i][0]) {
            fprintf(stderr, "usage: test_runner [-j JOBS] [FILTER]\n");
            return 2;
        }
    }
    rlc_set_blas_threads(1);
    rlc_test_counts c = {0, 0};
    int order[1024], n = 0;
    for (int g = 0; rlc_test_groups[g].name && n < 1024; g++)
        if (!filter || (filter[0] == '=' ? !strcmp(rlc_test_groups[g].name, filter + 1)
                                         : !!strstr(rlc_test_groups[g].name, filter)))
            order[n++] = g;
    if (filter && !n) fprintf(stderr, "no test group matches '%s'\n", filter);
    if (jobs > 1 && n > 1) {
        /* stable: the long groups first in LONG_GROUPS' order, then the rest alphabetically */
        for (int i = 1; i < n; i++)
            for (int k = i; k > 0 && long_rank(rlc_test_groups[order[k]].name) <
                                         long_rank(rlc_test_groups[order[k - 1]].name);
                 k--) {
                int t = order[k];
                order[k] = order[k - 1];
                order[k - 1] = t;
            }
        if (run_parallel(order, n, jobs < n ? jobs : n, &c)) return 2;
    } else {
        for (int i = 0; i < n; i++) rlc_test_groups[order[i]].run(&c);
    }
    printf("%d passed, %d failed\n", c.passed, c.failed);
    return c.failed ? 1 : (n ? 0 : 1);
}
