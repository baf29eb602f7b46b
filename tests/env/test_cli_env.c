/* The `rlc envs` and `rlc env replay` commands, run as a subprocess: replayed golden
 * trajectories must print Gymnasium's numbers exactly, and bad input must fail clearly. */
#include "test.h"

#include <cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

/* Runs `cmd` (stderr merged into stdout); returns the exit status, output in *out (malloc). */
static int run(const char *cmd, char **out) {
    char full[4096];
    snprintf(full, sizeof full, "%s 2>&1", cmd);
    FILE *p = popen(full, "r");
    assert_non_null(p);
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap);
    size_t k;
    while ((k = fread(buf + len, 1, cap - len - 1, p)) > 0) {
        len += k;
        if (cap - len < 4096) buf = realloc(buf, cap *= 2);
    }
    buf[len] = 0;
    int st = pclose(p);
    *out = buf;
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static double num(const cJSON *j) {
    if (cJSON_IsNumber(j)) return j->valuedouble;
    if (cJSON_IsString(j)) return strtod(j->valuestring, NULL);
    return NAN;
}

static void same_array(const cJSON *a, const cJSON *b, const char *what, int line) {
    int n = cJSON_GetArraySize(a);
    if (n != cJSON_GetArraySize(b)) fail_msg("output line %d: %s length differs", line, what);
    for (int i = 0; i < n; i++) {
        double x = num(cJSON_GetArrayItem(a, i)), y = num(cJSON_GetArrayItem(b, i));
        if (!(x == y || (isnan(x) && isnan(y))))
            fail_msg("output line %d: %s[%d] = %.17g, golden %.17g", line, what, i, x, y);
    }
}

/* Writes the actions of golden trajectory `traj` to a file (and its set_state state, if any),
 * runs rlc env replay on them and compares every reset and step record with the golden file. */
static void replay_traj(const char *id, const char *traj) {
    char path[512], apath[600], spath[600], cmd[2048];
    snprintf(path, sizeof path, "tests/data/golden/%s.jsonl", id);
    snprintf(apath, sizeof apath, "%s/%s-%s.actions", rlc_test_tmpdir(), id, traj);
    snprintf(spath, sizeof spath, "%s/%s-%s.state", rlc_test_tmpdir(), id, traj);
    FILE *f = fopen(path, "r"), *a = fopen(apath, "w");
    assert_non_null(f);
    assert_non_null(a);
    cJSON *golden[2048];
    int ng = 0, have_state = 0;
    char *line = NULL;
    size_t cap = 0;
    while (getline(&line, &cap, f) > 0) {
        cJSON *r = cJSON_Parse(line);
        const char *t = cJSON_GetStringValue(cJSON_GetObjectItem(r, "traj"));
        const char *kind = cJSON_GetStringValue(cJSON_GetObjectItem(r, "kind"));
        if (!t || strcmp(t, traj)) {
            cJSON_Delete(r);
            continue;
        }
        if (!strcmp(kind, "set_state")) {
            FILE *s = fopen(spath, "w");
            const cJSON *st = cJSON_GetObjectItem(r, "state");
            for (int i = 0; i < cJSON_GetArraySize(st); i++)
                fprintf(s, "%.17g\n", num(cJSON_GetArrayItem(st, i)));
            fclose(s);
            have_state = 1;
        }
        if (!strcmp(kind, "step")) {
            const cJSON *act = cJSON_GetObjectItem(r, "action");
            if (cJSON_IsArray(act)) {
                for (int i = 0; i < cJSON_GetArraySize(act); i++)
                    fprintf(a, "%s%.17g", i ? " " : "", num(cJSON_GetArrayItem(act, i)));
                fprintf(a, "\n");
            } else {
                fprintf(a, "%lld\n", (long long)num(act));
            }
        }
        assert_true(ng < 2048);
        golden[ng++] = r;
    }
    free(line);
    fclose(f);
    fclose(a);
    snprintf(cmd, sizeof cmd, "%s env replay --env %s --seed %s --actions %s%s%s",
             rlc_test_rlc_binary(), id, have_state ? "0" : traj + 4, apath,
             have_state ? " --state " : "", have_state ? spath : "");
    char *out;
    int rc = run(cmd, &out);
    if (rc != 0) fail_msg("%s -> %d: %s", cmd, rc, out);
    /* output records line up with the golden reset/set_state/step records */
    int k = 0, lineno = 0;
    for (char *p = strtok(out, "\n"); p; p = strtok(NULL, "\n"), k++) {
        lineno++;
        assert_true(k < ng);
        cJSON *o = cJSON_Parse(p);
        if (!o) fail_msg("output line %d is not JSON: %s", lineno, p);
        const cJSON *g = golden[k];
        const char *gk = cJSON_GetStringValue(cJSON_GetObjectItem(g, "kind"));
        const char *ok = cJSON_GetStringValue(cJSON_GetObjectItem(o, "kind"));
        if (!strcmp(gk, "step")) {
            assert_string_equal(ok, "step");
            same_array(cJSON_GetObjectItem(o, "obs"), cJSON_GetObjectItem(g, "obs"), "obs", lineno);
            same_array(cJSON_GetObjectItem(o, "state"), cJSON_GetObjectItem(g, "state"), "state",
                       lineno);
            double rw = num(cJSON_GetObjectItem(o, "reward")),
                   grw = num(cJSON_GetObjectItem(g, "reward"));
            if (rw != grw) fail_msg("line %d: reward %.17g, golden %.17g", lineno, rw, grw);
            assert_int_equal(cJSON_IsTrue(cJSON_GetObjectItem(o, "terminated")),
                             cJSON_IsTrue(cJSON_GetObjectItem(g, "terminated")));
            assert_int_equal(cJSON_IsTrue(cJSON_GetObjectItem(o, "truncated")),
                             cJSON_IsTrue(cJSON_GetObjectItem(g, "truncated")));
            assert_int_equal((int)num(cJSON_GetObjectItem(o, "t")),
                             (int)num(cJSON_GetObjectItem(g, "t")));
        } else {
            assert_string_equal(ok, "reset");
            const char *field = !strcmp(gk, "set_state") ? "obs_of_state" : "obs";
            same_array(cJSON_GetObjectItem(o, "obs"), cJSON_GetObjectItem(g, field), "obs", lineno);
            same_array(cJSON_GetObjectItem(o, "state"), cJSON_GetObjectItem(g, "state"), "state",
                       lineno);
        }
        cJSON_Delete(o);
    }
    assert_int_equal(k, ng);
    free(out);
    for (int i = 0; i < ng; i++)
        cJSON_Delete(golden[i]);
}

static void test_replay_golden(void **st) {
    (void)st;
    replay_traj("CartPole-v1", "seed0"); /* 26 episodes, unseeded resets in between */
    replay_traj("Pendulum-v1", "seed1"); /* Box actions incl. +-1.5x and +-100x bounds */
    replay_traj("Acrobot-v1", "seed0");  /* float32 reset state */
    replay_traj("MountainCarContinuous-v0", "set_speed_clip"); /* --state */
    replay_traj("MountainCar-v0", "set_left_wall");
}

static void expect_fail(const char *args, int want_rc, const char *want_msg) {
    char cmd[8192], *out;
    snprintf(cmd, sizeof cmd, "%s %s", rlc_test_rlc_binary(), args);
    int rc = run(cmd, &out);
    if (rc != want_rc || !strstr(out, want_msg))
        fail_msg("`%s` -> exit %d (want %d), output:\n%s\nwanted: %s", args, rc, want_rc, out,
                 want_msg);
    free(out);
}

static void test_replay_errors(void **st) {
    (void)st;
    char args[4096], path[600];
    expect_fail("env replay --env CartPole-v1 --actions /nonexistent/actions.txt", 1,
                "cannot open actions file '/nonexistent/actions.txt'");
    snprintf(path, sizeof path, "%s/ok.actions", rlc_test_tmpdir());
    FILE *f = fopen(path, "w");
    fprintf(f, "0\n1\n");
    fclose(f);
    snprintf(args, sizeof args, "env replay --env CartPol-v1 --actions %s", path);
    expect_fail(args, 1, "unknown environment 'CartPol-v1'; did you mean CartPole-v1");
    snprintf(args, sizeof args, "env replay --env CartPole-v1 --actions %s --kwargs gravty=1",
             path);
    expect_fail(args, 1, "unknown keyword 'gravty' for CartPole-v1");
    snprintf(args, sizeof args, "env replay --env CartPole-v1 --actions %s --seed -1", path);
    expect_fail(args, 2, "--seed must be a non-negative integer");
    expect_fail("env replay --env CartPole-v1", 2, "--env and --actions are required");
    expect_fail("env replay --bogus 1", 2, "unknown option '--bogus'");
    expect_fail("env frobnicate", 2, "unknown subcommand 'frobnicate'");

    const struct {
        const char *env, *content, *msg;
    } bad[] = {
        {"CartPole-v1", "0\n2\n", "bad.actions:2: CartPole-v1: action 2 is out of range"},
        {"CartPole-v1", "0\n0 1\n", "bad.actions:2: expected 1 number for CartPole-v1, got 2"},
        {"CartPole-v1", "abc\n", "bad.actions:1: 'abc' is not a number"},
        {"CartPole-v1", "0.5\n", "not an integer"},
        {"Pendulum-v1", "0.5\nnan\n", "bad.actions:2: Pendulum-v1: action[0] = nan is not finite"},
        {"Pendulum-v1", "inf\n", "is not finite"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        snprintf(path, sizeof path, "%s/bad.actions", rlc_test_tmpdir());
        f = fopen(path, "w");
        fputs(bad[i].content, f);
        fclose(f);
        snprintf(args, sizeof args, "env replay --env %s --actions %s", bad[i].env, path);
        expect_fail(args, 1, bad[i].msg);
    }
    /* state file of the wrong length */
    char spath[600];
    snprintf(spath, sizeof spath, "%s/bad.state", rlc_test_tmpdir());
    f = fopen(spath, "w");
    fputs("0.1 0.2 0.3\n", f);
    fclose(f);
    snprintf(path, sizeof path, "%s/ok.actions", rlc_test_tmpdir());
    snprintf(args, sizeof args, "env replay --env CartPole-v1 --actions %s --state %s", path,
             spath);
    expect_fail(args, 1, "state vector has 3 values; expected 4");
    snprintf(args, sizeof args, "env replay --env CartPole-v1 --actions %s --state /nope", path);
    expect_fail(args, 1, "cannot open state file '/nope'");
}

static void test_envs_listing(void **st) {
    (void)st;
    char cmd[1024], *out;
    snprintf(cmd, sizeof cmd, "%s envs", rlc_test_rlc_binary());
    assert_int_equal(run(cmd, &out), 0);
    const char *want[] = {"CartPole-v1", "MountainCar-v0", "MountainCarContinuous-v0",
                          "Acrobot-v1",  "Pendulum-v1",    "CartPoleSwingUp-v0",
                          "Discrete(2)", "Box(4,) float32"};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        assert_contains(out, want[i]);
    free(out);
    snprintf(cmd, sizeof cmd, "%s envs Pendulum-v1", rlc_test_rlc_binary());
    assert_int_equal(run(cmd, &out), 0);
    assert_contains(out, "Box(-2.0, 2.0, (1,), float32)");
    assert_contains(out, "[theta,theta_dot]");
    assert_contains(out, "g                    10");
    free(out);
    snprintf(cmd, sizeof cmd, "%s envs Pendulum-v0", rlc_test_rlc_binary());
    assert_int_equal(run(cmd, &out), 1);
    assert_contains(out, "did you mean Pendulum-v1");
    free(out);
}

RLC_TESTS(env_cli, cmocka_unit_test(test_replay_golden), cmocka_unit_test(test_replay_errors),
          cmocka_unit_test(test_envs_listing))
